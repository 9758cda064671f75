"""Pagos Express, merchant side: payments, the staff review queue, payment slips."""
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import Money, UtcDateTime, utcnow

PAYMENT_KINDS = ("affiliate_credit", "kindergarten_slip", "payment_slip", "master_funding")


class Payment(db.Model):
    """One thing to pay (a credit instalment, a kindergarten slip, a volante): one
    reference at the acquirer, possibly several attempts."""

    __tablename__ = "payments"
    __table_args__ = (
        Index("ix_payments_status_created", "status", "created_at"),  # services/staff_home
        CheckConstraint("amount > 0", name="ck_payments_amount"),
        CheckConstraint("status in ('created', 'pending', 'approved', 'declined', 'error')",
                        name="ck_payments_status"),
        CheckConstraint("kind in (" + ", ".join(f"'{k}'" for k in PAYMENT_KINDS) + ")", name="ck_payments_kind"),
        Index("ix_payments_target", "kind", "target_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int] = mapped_column()
    description: Mapped[str] = mapped_column(String(160))
    affiliate_id: Mapped[int | None] = mapped_column(ForeignKey("affiliates.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    amount = mapped_column(Money, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), default="COP")
    status: Mapped[str] = mapped_column(String(10), default="created", index=True)
    payer_first_name: Mapped[str] = mapped_column(String(80))
    payer_last_name: Mapped[str] = mapped_column(String(80))
    payer_email: Mapped[str] = mapped_column(String(254))
    payer_mobile: Mapped[str | None] = mapped_column(String(15))
    payer_address: Mapped[str | None] = mapped_column(String(200))
    gateway_transaction_id: Mapped[str | None] = mapped_column(String(40), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    approved_at: Mapped[object | None] = mapped_column(UtcDateTime)
    # Set once, by the conditional UPDATE that applies the money.
    applied_at: Mapped[object | None] = mapped_column(UtcDateTime)
    applied_by: Mapped[str | None] = mapped_column(String(12))  # return | event | reconcile
    receipt_sent_at: Mapped[object | None] = mapped_column(UtcDateTime)


class PaymentReview(db.Model):
    """A report from the acquirer that does not match the payment: staff decide."""

    __tablename__ = "payment_reviews"
    __table_args__ = (
        CheckConstraint("status in ('open', 'resolved')", name="ck_reviews_status"),
        Index("ix_reviews_status_created", "status", "created_at"),  # services/staff_home
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    transaction_id: Mapped[str] = mapped_column(String(40), index=True)
    reason: Mapped[str] = mapped_column(Text)
    received_json: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default="open", index=True)
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[object | None] = mapped_column(UtcDateTime)
    resolution_note: Mapped[str | None] = mapped_column(Text)

    payment = relationship("Payment")


class PaymentSlip(db.Model):
    """Volante de pago (EL-n): what an employer pays for a period, valid 4 hours."""

    __tablename__ = "payment_slips"
    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_slips_amount"),
        CheckConstraint("status in ('open', 'paid', 'expired', 'void')", name="ck_slips_status"),
        # Never two open volantes for one statement.
        Index("uq_slips_one_open", "statement_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # "EL-3"
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)
    statement_id: Mapped[int | None] = mapped_column(ForeignKey("statements.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    amount = mapped_column(Money, nullable=False)
    status: Mapped[str] = mapped_column(String(8), default="open")
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[object] = mapped_column(UtcDateTime)
    paid_at: Mapped[object | None] = mapped_column(UtcDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The processed Activos / Retirados uploads whose amounts this volante collects.
    active_upload_id: Mapped[int | None] = mapped_column(ForeignKey("cartera_uploads.id"))
    retired_upload_id: Mapped[int | None] = mapped_column(ForeignKey("cartera_uploads.id"))
    allocated_at: Mapped[object | None] = mapped_column(UtcDateTime)

    entity = relationship("Entity")
    branch = relationship("Branch")
