"""Send SMS and e-mail: the outbox row is stored in the caller's transaction and the
job `deliver_message` hands it to its adapter after the commit (never before).

stored → sending (the job's claim) → sent | failed. A message whose job Redis lost is
queued again, and one left 'sending' (its worker died, or Redis vanished, between the
claim and the provider's answer) becomes 'unknown' — never sent again: services/recovery.py."""
import logging

from flask import current_app
from sqlalchemy import update

from portal.adapters.mail import mailer_for
from portal.adapters.sms import sms_for
from portal.domain.clock import utcnow
from portal.extensions import db
from portal.models import OutboxAttachment, OutboxMessage
from portal.queue import enqueue_after_commit

log = logging.getLogger(__name__)
JOB = "portal.jobs.deliver_message"


def send_sms(to, text):
    return _store(OutboxMessage(channel="sms", recipient=to, body=text))


def send_email(to, subject, body, attachments=()):
    """`attachments`: (file name, content type, bytes) triples, stored with the message."""
    message = OutboxMessage(channel="email", recipient=to, subject=subject, body=body)
    message.attachments.extend(_attachment(*item) for item in attachments)
    return _store(message)


def _store(message):
    db.session.add(message)
    db.session.flush()
    enqueue_after_commit(JOB, message.id, findable=True)
    return message


def deliver(message_id):
    """Hand a stored message to its adapter exactly once; returns False if another run
    already took it. Claiming it with a conditional UPDATE makes a second job a no-op."""
    claimed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "stored")
        .values(status="sending", claimed_at=utcnow())
    ).rowcount
    db.session.commit()
    if not claimed:
        return False
    message = db.session.get(OutboxMessage, message_id)
    try:
        _adapter_send(message)
    except Exception as exc:  # a provider's failure is recorded, not raised
        outcome = {"status": "failed", "error": type(exc).__name__}
        log.warning("delivery of outbox message %s failed: %s", message.id, type(exc).__name__)
    else:
        outcome = {"status": "sent", "sent_at": utcnow()}
    # Still 'sending': a recovery that meanwhile settled it as 'unknown' keeps its word.
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.status == "sending")
                       .values(**outcome).execution_options(synchronize_session=False))
    db.session.commit()
    return True


def _adapter_send(message):
    config = current_app.config
    if message.channel == "sms":
        sms_for(config).send(message.recipient, message.body)
    else:
        _send_email(mailer_for(config), message)


def _attachment(filename, content_type, content):
    return OutboxAttachment(filename=filename, content_type=content_type, content=bytes(content))


def _send_email(mailer, message):
    """Attachments go to the mailer only when there are some (mailers without them keep working)."""
    files = [(a.filename, a.content_type, a.content) for a in message.attachments]
    if files:
        mailer.send(message.recipient, message.subject, message.body, attachments=files)
    else:
        mailer.send(message.recipient, message.subject, message.body)
