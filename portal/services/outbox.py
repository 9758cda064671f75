"""Reading the outbox: every message in development (codes included, so local logins
can finish); outside it, staff see only whether each message was delivered."""
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import defer, selectinload

from portal.domain import masking
from portal.extensions import db
from portal.models import OutboxAttachment, OutboxMessage
from portal.services.staff_queue import paginate

STATUS_LABELS = {"stored": "En cola", "sending": "Enviando", "sent": "Enviado", "failed": "Falló",
                 "unknown": "Sin confirmar"}  # left 'sending' by a dead worker: services/recovery.py


def latest(recipient="", limit=50):
    query = db.session.query(OutboxMessage).options(
        selectinload(OutboxMessage.attachments).options(defer(OutboxAttachment.content)))
    if recipient:
        query = query.filter(OutboxMessage.recipient.contains(recipient))
    return query.order_by(OutboxMessage.id.desc()).limit(limit).all()


def attachment(attachment_id):
    return db.session.get(OutboxAttachment, attachment_id)


@dataclass(frozen=True)
class Delivery:
    """A message as staff see it: no body, no code, no password, a masked recipient."""
    created_at: object
    channel: str
    recipient: str
    subject: str | None
    status: str
    sent_at: object
    error: str | None


def deliveries(status="", number=1, per_page=10):
    """Staff's delivery log, newest first, filtered by status."""
    query = select(OutboxMessage.created_at, OutboxMessage.channel, OutboxMessage.recipient,
                   OutboxMessage.subject, OutboxMessage.status, OutboxMessage.sent_at, OutboxMessage.error)
    if status in STATUS_LABELS:
        query = query.where(OutboxMessage.status == status)
    rows, page = paginate(query.order_by(OutboxMessage.id.desc()), number, per_page)
    return [Delivery(row.created_at, row.channel, masking.recipient(row.channel, row.recipient),
                     row.subject, STATUS_LABELS.get(row.status, row.status), row.sent_at, row.error)
            for row in rows], page
