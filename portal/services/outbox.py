"""Reading the outbox (the dev page and tests)."""
from sqlalchemy.orm import defer, selectinload

from portal.extensions import db
from portal.models import OutboxAttachment, OutboxMessage


def latest(recipient="", limit=50):
    query = db.session.query(OutboxMessage).options(
        selectinload(OutboxMessage.attachments).options(defer(OutboxAttachment.content)))
    if recipient:
        query = query.filter(OutboxMessage.recipient.contains(recipient))
    return query.order_by(OutboxMessage.id.desc()).limit(limit).all()


def attachment(attachment_id):
    return db.session.get(OutboxAttachment, attachment_id)
