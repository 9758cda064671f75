"""Reading the outbox (the dev page and tests)."""
from portal.extensions import db
from portal.models import OutboxMessage


def latest(recipient="", limit=50):
    query = db.session.query(OutboxMessage)
    if recipient:
        query = query.filter(OutboxMessage.recipient.contains(recipient))
    return query.order_by(OutboxMessage.id.desc()).limit(limit).all()
