"""Audit events, written in the caller's transaction."""
import json

from flask import has_request_context, request

from portal.extensions import db
from portal.models import AuditEvent


def record(action, actor=None, subject=None, **detail):
    event = AuditEvent(
        action=action,
        actor_type=getattr(actor, "principal_type", None),
        actor_id=getattr(actor, "id", None),
        subject=subject,
        detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event
