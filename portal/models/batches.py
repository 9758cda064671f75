"""Conexión Empresas batches: the file a company loads for a product, and its lines."""
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import Money, UtcDateTime, utcnow
from portal.models.files import WithStoredFile

BATCH_STATUSES = ("queued", "processing", "valid", "invalid", "failed", "confirmed", "deleted",
                  "signed", "authorized", "in_process", "processed", "annulled")
BATCH_KINDS = ("emission", "topup", "affiliation", "unnamed_emission")


class Batch(WithStoredFile, db.Model):
    """A batch file (emission, top-up, affiliation) checked whole by a job, then
    confirmed with the password; its lines are in BatchLine."""

    __tablename__ = "batches"
    __table_args__ = (
        Index("ix_batches_status_created", "status", "created_at"),  # services/staff_home
        CheckConstraint("kind in (" + ", ".join(f"'{k}'" for k in BATCH_KINDS) + ")", name="ck_batches_kind"),
        CheckConstraint("status in (" + ", ".join(f"'{s}'" for s in BATCH_STATUSES) + ")",
                        name="ck_batches_status"),
        CheckConstraint("total_amount >= 0", name="ck_batches_amount"),
        Index("ix_batches_product_status", "product_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(12), unique=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    kind: Mapped[str] = mapped_column(String(20))  # «unnamed_emission» has 16 characters
    status: Mapped[str] = mapped_column(String(12), default="queued")
    source: Mapped[str] = mapped_column(String(8), default="xlsx")  # xlsx | txt | api | form (no file)
    filename: Mapped[str | None] = mapped_column(String(200))
    encoding: Mapped[str | None] = mapped_column(String(12))  # of a text file, as detected
    content_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    content_key: Mapped[str | None] = mapped_column(String(64), index=True)  # same lines, any bytes
    size_bytes: Mapped[int] = mapped_column(default=0)
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_done: Mapped[int] = mapped_column(default=0)
    valid_count: Mapped[int] = mapped_column(default=0)
    error_count: Mapped[int] = mapped_column(default=0)
    errors_json: Mapped[str | None] = mapped_column(Text)  # a problem of the whole file
    total_amount = mapped_column(Money, nullable=False, default=0)  # of the valid lines
    observations: Mapped[str | None] = mapped_column(String(200))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow, index=True)
    heartbeat_at: Mapped[object | None] = mapped_column(UtcDateTime)
    checked_at: Mapped[object | None] = mapped_column(UtcDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[object | None] = mapped_column(UtcDateTime)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    deleted_at: Mapped[object | None] = mapped_column(UtcDateTime)
    # «Tarjetas innominadas › Solicitud» (3.4): no file, these instead (rows_total = cards)
    emboss_line1: Mapped[str | None] = mapped_column(String(26))
    emboss_line2: Mapped[str | None] = mapped_column(String(26))
    card_expiry: Mapped[str | None] = mapped_column(String(7))  # MM/YYYY
    branch_name: Mapped[str | None] = mapped_column(String(80))
    # A form's (or an API call's) idempotency key, hashed: the same request sent twice is one batch.
    request_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Autorización and its service order (3.3, ch. 4)
    signature_id: Mapped[int | None] = mapped_column(ForeignKey("batch_signatures.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("service_orders.id"), index=True)
    commission = mapped_column(Money, nullable=False, default=0, server_default="0")  # its SubTotal line
    gmf = mapped_column(Money, nullable=False, default=0, server_default="0")
    deposited = mapped_column(Money, nullable=False, default=0, server_default="0")  # loaded on cards
    processed_at: Mapped[object | None] = mapped_column(UtcDateTime)

    company = relationship("Company")
    product = relationship("Product")


class BatchLine(db.Model):
    """One line of a batch as loaded: its values (parsed, JSON), who it is about and
    whether it passed; every error of it, joined."""

    __tablename__ = "batch_lines"
    __table_args__ = (
        Index("ix_batch_lines_outcome", "outcome", "batch_id"),  # services/staff_home
        UniqueConstraint("batch_id", "line_no", name="uq_batch_lines"),
        Index("ix_batch_lines_person", "id_type", "id_number"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column()
    ok: Mapped[bool] = mapped_column(default=True)
    id_type: Mapped[str | None] = mapped_column(String(3))
    id_number: Mapped[str | None] = mapped_column(String(15))
    holder_name: Mapped[str | None] = mapped_column(String(160))
    amount = mapped_column(Money, nullable=True)
    values_json: Mapped[str] = mapped_column(Text)  # as typed when invalid, as parsed when valid
    errors: Mapped[str | None] = mapped_column(Text)
    # Once its paid order is processed (the card processor): processed | rejected, why,
    # the card it made or reached, and the ledger transaction that moved its money (one
    # id per line, unique: a rerun cannot load it twice).
    outcome: Mapped[str | None] = mapped_column(String(10))
    outcome_reason: Mapped[str | None] = mapped_column(String(200))
    card_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id"))
    ledger_txn: Mapped[str | None] = mapped_column(String(36), unique=True)


class BatchDay(db.Model):
    """The last batch number of a day: taken with a conditional UPDATE, so two batches
    loaded in the same instant get different numbers."""

    __tablename__ = "batch_days"
    day = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(default=-1)


class CompanyContact(db.Model):
    """A contact of a company (Configuración › Empresas), editable by its administrators."""

    __tablename__ = "company_contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str | None] = mapped_column(String(80))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
