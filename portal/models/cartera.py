"""Libranza credits of employers' workers and the monthly statements (Estado de Cartera)."""
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import Money, UtcDateTime, utcnow
from portal.models.files import WithStoredFile


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
    files_sent_at: Mapped[object | None] = mapped_column(UtcDateTime)  # the monthly e-mail

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


class CarteraUpload(WithStoredFile, db.Model):
    """An Activos or Retirados file (or the browser draft) sent for a period's statement.
    Validated whole by an RQ job; only a file without errors is 'processed'."""

    __tablename__ = "cartera_uploads"
    __table_args__ = (
        Index("ix_uploads_status_created", "status", "created_at"),  # services/staff_home
        CheckConstraint("kind in ('active', 'retired')", name="ck_uploads_kind"),
        CheckConstraint("source in ('xlsx', 'browser')", name="ck_uploads_source"),
        CheckConstraint("status in ('queued', 'processing', 'processed', 'invalid', 'failed', 'superseded', "
                        "'duplicate', 'cancelled')", name="ck_uploads_status"),
        Index("ix_uploads_statement_kind", "statement_id", "kind"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id"))
    kind: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(8), default="xlsx")
    filename: Mapped[str | None] = mapped_column(String(200))
    content_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    # Same accepted data, however the file was saved: a re-upload needs confirmation.
    content_key: Mapped[str | None] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_done: Mapped[int] = mapped_column(default=0)
    error_count: Mapped[int] = mapped_column(default=0)
    errors_json: Mapped[str | None] = mapped_column(Text)
    total_amount = mapped_column(Money, nullable=False, default=0)
    credits_count: Mapped[int] = mapped_column(default=0)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)
    processed_at: Mapped[object | None] = mapped_column(UtcDateTime)
    # Written by the job while it works: a stale one means its worker died.
    heartbeat_at: Mapped[object | None] = mapped_column(UtcDateTime)

    statement = relationship("Statement")


class CarteraUploadLine(db.Model):
    """What a processed upload says for one credit: Aplica Mora and Valor a Pagar."""

    __tablename__ = "cartera_upload_lines"
    __table_args__ = (
        UniqueConstraint("upload_id", "line_id", name="uq_upload_lines"),
        CheckConstraint("amount >= 0", name="ck_upload_lines_amount"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("cartera_uploads.id", ondelete="CASCADE"), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("statement_lines.id"), index=True)
    apply_arrears: Mapped[bool] = mapped_column(default=False)
    amount = mapped_column(Money, nullable=False)


class CarteraDraftLine(db.Model):
    """Editing in the browser: each change to a row is saved here at once."""

    __tablename__ = "cartera_draft_lines"
    __table_args__ = (
        UniqueConstraint("line_id", name="uq_draft_lines_line"),
        CheckConstraint("amount >= 0", name="ck_draft_lines_amount"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("statement_lines.id"))
    apply_arrears: Mapped[bool] = mapped_column(default=False)
    amount = mapped_column(Money, nullable=False)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class SlipAllocation(db.Model):
    """How a paid volante was spread over one worker's credit (written once per slip)."""

    __tablename__ = "slip_allocations"
    __table_args__ = (
        UniqueConstraint("slip_id", "line_id", name="uq_slip_allocations"),
        CheckConstraint("to_instalment >= 0 and to_arrears >= 0 and unapplied >= 0", name="ck_alloc_money"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    slip_id: Mapped[int] = mapped_column(ForeignKey("payment_slips.id"), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("statement_lines.id"), index=True)
    paid = mapped_column(Money, nullable=False)
    to_instalment = mapped_column(Money, nullable=False)
    to_arrears = mapped_column(Money, nullable=False)
    to_principal = mapped_column(Money, nullable=False, default=0, server_default="0")
    unapplied = mapped_column(Money, nullable=False)
    explanation: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)
