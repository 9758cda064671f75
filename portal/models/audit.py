"""Audit trail and outbound messages (the dev outbox)."""
from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

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
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))  # sms | email
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(10), default="stored")  # stored|sending|sent|failed
    sent_at: Mapped[object | None] = mapped_column(UtcDateTime)
    error: Mapped[str | None] = mapped_column(String(255))
