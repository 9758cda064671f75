"""Send SMS and e-mail: stored in the outbox, then handed to the adapter."""
import logging

from flask import current_app

from portal.adapters.mail import mailer_for
from portal.adapters.sms import sms_for
from portal.domain.clock import utcnow
from portal.extensions import db
from portal.models import OutboxMessage

log = logging.getLogger(__name__)


def _deliver(message, send):
    try:
        send()
    except Exception as exc:  # delivery problems must not break the user's action
        message.status, message.error = "failed", type(exc).__name__
        log.warning("delivery of outbox message %s failed: %s", message.id, type(exc).__name__)
    else:
        message.status, message.sent_at = "sent", utcnow()


def send_sms(to, text):
    message = OutboxMessage(channel="sms", recipient=to, body=text)
    db.session.add(message)
    db.session.flush()
    _deliver(message, lambda: sms_for(current_app.config).send(to, text))
    return message


def send_email(to, subject, body):
    message = OutboxMessage(channel="email", recipient=to, subject=subject, body=body)
    db.session.add(message)
    db.session.flush()
    _deliver(message, lambda: mailer_for(current_app.config).send(to, subject, body))
    return message
