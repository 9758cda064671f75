"""Subsidy-advance orders that suppliers verify (manual 002; domain/subsidy_orders.py).
«Vencida» is not stored: an issued order past its valid_until is vencida."""
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import Money, UtcDateTime, utcnow


class SubsidyOrder(db.Model):
    __tablename__ = "subsidy_orders"
    __table_args__ = (
        UniqueConstraint("document_type", "number", name="uq_subsidy_orders_number"),
        CheckConstraint("amount > 0", name="ck_subsidy_amount"),
        CheckConstraint("status in ('issued', 'redeemed', 'annulled')", name="ck_subsidy_status"),
        CheckConstraint("status <> 'redeemed' or redeemed_at is not null", name="ck_subsidy_redeemed"),
        CheckConstraint("status <> 'annulled' or annulled_at is not null", name="ck_subsidy_annulled"),
        Index("ix_subsidy_orders_issued_at", "issued_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    document_type: Mapped[str] = mapped_column(String(40), default="ADELANTO POR SUBSIDIOS")
    number: Mapped[str] = mapped_column(String(20))
    supplier_entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    affiliate_cedula: Mapped[str] = mapped_column(String(15), index=True)
    affiliate_name: Mapped[str] = mapped_column(String(160))
    amount = mapped_column(Money, nullable=False)
    items_json: Mapped[str] = mapped_column(Text, default="[]")
    status: Mapped[str] = mapped_column(String(10), default="issued")
    issued_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    valid_until: Mapped[object] = mapped_column(Date)  # «Vigente hasta», a Bogotá date, inclusive
    redeemed_at: Mapped[object | None] = mapped_column(UtcDateTime)
    redeemed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    annulled_at: Mapped[object | None] = mapped_column(UtcDateTime)
    annulled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    annul_reason: Mapped[str | None] = mapped_column(String(300))
    # The issuing form's one-time key: a double click or a resent form issues one order.
    issue_key: Mapped[str | None] = mapped_column(String(32), unique=True)

    supplier = relationship("Entity")
    issued_by = relationship("User", foreign_keys=[issued_by_id])
    redeemed_by = relationship("User", foreign_keys=[redeemed_by_id])
    annulled_by = relationship("User", foreign_keys=[annulled_by_id])
