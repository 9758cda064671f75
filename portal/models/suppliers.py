"""Subsidy-advance orders that suppliers verify (manual 002)."""
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import Money, UtcDateTime, utcnow


class SubsidyOrder(db.Model):
    __tablename__ = "subsidy_orders"
    __table_args__ = (
        UniqueConstraint("document_type", "number", name="uq_subsidy_orders_number"),
        CheckConstraint("amount > 0", name="ck_subsidy_amount"),
        CheckConstraint("status in ('issued', 'redeemed', 'annulled')", name="ck_subsidy_status"),
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

    supplier = relationship("Entity")
