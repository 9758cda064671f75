"""The sandbox acquirer's own records (what a real gateway keeps on its side)."""
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import UtcDateTime, utcnow


class GatewayTransaction(db.Model):
    __tablename__ = "gateway_transactions"
    __table_args__ = (
        CheckConstraint("amount_in_cents > 0", name="ck_gw_tx_amount"),
        CheckConstraint("status in ('PENDING', 'APPROVED', 'DECLINED', 'ERROR', 'VOIDED')",
                        name="ck_gw_tx_status"),
        CheckConstraint("payment_method_type in ('CARD', 'PSE')", name="ck_gw_tx_method"),
        # A reference can be paid once: at most one approved transaction per reference.
        Index("uq_gw_tx_reference_approved", "reference", unique=True,
              sqlite_where=text("status = 'APPROVED'"), postgresql_where=text("status = 'APPROVED'")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    reference: Mapped[str] = mapped_column(String(64), index=True)
    amount_in_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(10), default="PENDING", index=True)
    status_message: Mapped[str | None] = mapped_column(String(200))
    payment_method_type: Mapped[str] = mapped_column(String(4))
    installments: Mapped[int] = mapped_column(default=1)
    card_brand: Mapped[str | None] = mapped_column(String(12))
    card_bin: Mapped[str | None] = mapped_column(String(6))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    card_holder: Mapped[str | None] = mapped_column(String(80))
    pse_user_type: Mapped[str | None] = mapped_column(String(10))
    pse_id_type: Mapped[str | None] = mapped_column(String(4))
    pse_id_number: Mapped[str | None] = mapped_column(String(15))
    pse_bank_code: Mapped[str | None] = mapped_column(String(10))
    customer_email: Mapped[str | None] = mapped_column(String(254))
    customer_name: Mapped[str | None] = mapped_column(String(160))
    redirect_url: Mapped[str | None] = mapped_column(String(500))
    ip: Mapped[str | None] = mapped_column(String(45))
    response_code: Mapped[str | None] = mapped_column(String(4))
    authorization_code: Mapped[str | None] = mapped_column(String(6))
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)
    finalized_at: Mapped[object | None] = mapped_column(UtcDateTime)


class GatewayEvent(db.Model):
    """A signed `transaction.updated` event and its delivery to the merchant."""

    __tablename__ = "gateway_events"
    __table_args__ = (
        CheckConstraint("status in ('pending', 'delivered', 'failed')", name="ck_gw_event_status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("gateway_transactions.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_status_code: Mapped[int | None] = mapped_column()
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)
    delivered_at: Mapped[object | None] = mapped_column(UtcDateTime)

    transaction = relationship("GatewayTransaction")
