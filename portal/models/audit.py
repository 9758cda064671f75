"""Audit trail and outbound messages (the dev outbox)."""
from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import UtcDateTime, utcnow


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_actor", "actor_type", "actor_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    actor_type: Mapped[str | None] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column()
    subject: Mapped[str | None] = mapped_column(String(120))
    detail: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(String(45))


class OutboxMessage(db.Model):
    """Every SMS and e-mail the portal sends; in development this is where they end."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_status_created", "status", "created_at"),)  # services/staff_home
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))  # sms | email
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow, index=True)
    # stored → sending → sent | failed; 'unknown': left 'sending' by a dead worker or a lost
    # Redis, never sent again (services/recovery.py)
    status: Mapped[str] = mapped_column(String(10), default="stored")
    claimed_at: Mapped[object | None] = mapped_column(UtcDateTime)  # when a job took it (→ sending)
    sent_at: Mapped[object | None] = mapped_column(UtcDateTime)
    error: Mapped[str | None] = mapped_column(String(255))

    attachments = relationship("OutboxAttachment", order_by="OutboxAttachment.id",
                               cascade="all, delete-orphan")


class OutboxAttachment(db.Model):
    """A file sent with an e-mail (the monthly Estado de Cartera files)."""

    __tablename__ = "outbox_attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_messages.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    content = mapped_column(LargeBinary, nullable=False)
