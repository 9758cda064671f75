"""Libranza credits of employers' workers and the monthly statements (Estado de Cartera)."""
from sqlalchemy import CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import Money, UtcDateTime, utcnow


class Worker(db.Model):
    __tablename__ = "workers"
    __table_args__ = (
        UniqueConstraint("entity_id", "id_number", name="uq_workers_entity_id_number"),
        CheckConstraint("status in ('active', 'retired')", name="ck_workers_status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)
    id_type: Mapped[str] = mapped_column(String(4), default="CC")
    # Text, never a number: leading zeros matter.
    id_number: Mapped[str] = mapped_column(String(15))
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(8), default="active")
    retired_on: Mapped[object | None] = mapped_column(Date)

    credits = relationship("Credit", back_populates="worker")

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}"


class Credit(db.Model):
    """A libranza (payroll-deduction) credit."""

    __tablename__ = "credits"
    __table_args__ = (
        CheckConstraint("balance >= 0", name="ck_credits_balance"),
        CheckConstraint("instalment > 0", name="ck_credits_instalment"),
        CheckConstraint("status in ('active', 'paid')", name="ck_credits_status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)
    concept: Mapped[str] = mapped_column(String(80), default="CREDITO POR LIBRANZAS")
    principal = mapped_column(Money, nullable=False)
    balance = mapped_column(Money, nullable=False)
    instalment = mapped_column(Money, nullable=False)
    instalments_total: Mapped[int] = mapped_column(default=12)
    granted_on: Mapped[object] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8), default="active")

    worker = relationship("Worker", back_populates="credits")


class Statement(db.Model):
    """One period's statement (vigencia YYYY-MM) for an employer's branch."""

    __tablename__ = "statements"
    __table_args__ = (
        UniqueConstraint("entity_id", "branch_id", "period", name="uq_statements_period"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    due_date: Mapped[object] = mapped_column(Date)
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)

    lines = relationship("StatementLine", back_populates="statement", order_by="StatementLine.id")


class StatementLine(db.Model):
    __tablename__ = "statement_lines"
    __table_args__ = (
        UniqueConstraint("statement_id", "credit_id", name="uq_statement_lines_credit"),
        CheckConstraint("kind in ('active', 'retired')", name="ck_statement_lines_kind"),
        CheckConstraint("instalment >= 0 and balance >= 0 and arrears >= 0", name="ck_sl_money"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id"), index=True)
    credit_id: Mapped[int] = mapped_column(ForeignKey("credits.id"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"))
    kind: Mapped[str] = mapped_column(String(8))
    instalment = mapped_column(Money, nullable=False)  # "Descuento" of the period
    balance = mapped_column(Money, nullable=False)
    arrears_days: Mapped[int] = mapped_column(default=0)
    arrears = mapped_column(Money, nullable=False, default=0)
    paid = mapped_column(Money, nullable=False, default=0)

    statement = relationship("Statement", back_populates="lines")
    credit = relationship("Credit")
    worker = relationship("Worker")
