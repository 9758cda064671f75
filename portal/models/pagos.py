"""What affiliates pay in Pagos Express: their credits and kindergarten slips."""
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import Money, UtcDateTime, utcnow


class AffiliateCredit(db.Model):
    __tablename__ = "affiliate_credits"
    __table_args__ = (
        CheckConstraint("balance >= 0 and paid >= 0 and debt > 0", name="ck_aff_credit_money"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    affiliate_id: Mapped[int] = mapped_column(ForeignKey("affiliates.id"), index=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # e.g. "LI-38"
    concept: Mapped[str] = mapped_column(String(80), default="CREDITO POR LIBRANZAS")
    debt = mapped_column(Money, nullable=False)
    paid = mapped_column(Money, nullable=False, default=0)
    balance = mapped_column(Money, nullable=False)
    instalment = mapped_column(Money, nullable=False)
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)

    affiliate = relationship("Affiliate")


class KindergartenSlip(db.Model):
    """A kindergarten enrolment/fee slip, found by the child's ID number."""

    __tablename__ = "kindergarten_slips"
    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_kg_amount"),
        CheckConstraint("status in ('open', 'paid', 'void')", name="ck_kg_status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # Dcto
    child_id: Mapped[str] = mapped_column(String(15), index=True)
    student_name: Mapped[str] = mapped_column(String(160))
    guardian_id: Mapped[int | None] = mapped_column(ForeignKey("affiliates.id"))
    concept: Mapped[str] = mapped_column(String(80))
    period: Mapped[str] = mapped_column(String(10))  # Vigencia
    amount = mapped_column(Money, nullable=False)
    status: Mapped[str] = mapped_column(String(6), default="open")
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)
