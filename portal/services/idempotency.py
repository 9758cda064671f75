"""Idempotency-Key for the API's POSTs: the first response is kept 24 hours per company
and key with the request's fingerprint.

    claim = idempotency.begin(company_id, api_key_id, key, fingerprint)
    NEW → run the request, then finish(claim.record, …) (or abandon it on a server error)
    REPLAY → answer claim.record's response again;  CONFLICT → 422;  IN_FLIGHT → 409

The claim is committed before the request runs, so a second copy arriving meanwhile
finds it (on PostgreSQL the unique index makes the later INSERT wait for the first
commit, then fail)."""
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from portal.domain import api, clock
from portal.extensions import db
from portal.models import IdempotentRequest

NEW, REPLAY, CONFLICT, IN_FLIGHT = "new", "replay", "conflict", "in_flight"
KEPT = timedelta(hours=api.IDEMPOTENCY_HOURS)


@dataclass(frozen=True)
class Claim:
    outcome: str
    record: IdempotentRequest | None = None


def begin(company_id, api_key_id, key, fingerprint, now=None):
    now = now or clock.utcnow()
    db.session.execute(delete(IdempotentRequest).where(  # an expired copy frees the key
        IdempotentRequest.company_id == company_id, IdempotentRequest.key == key,
        IdempotentRequest.created_at < now - KEPT))
    record = IdempotentRequest(company_id=company_id, key=key, fingerprint=fingerprint, api_key_id=api_key_id,
                               created_at=now)
    try:
        db.session.add(record)
        db.session.commit()
        return Claim(NEW, record)
    except IntegrityError:
        db.session.rollback()
    first = db.session.scalars(select(IdempotentRequest).where(
        IdempotentRequest.company_id == company_id, IdempotentRequest.key == key)).first()
    if first is None:  # expired and swept between the two statements: a new request after all
        return begin(company_id, api_key_id, key, fingerprint, now)
    if first.fingerprint != fingerprint:
        return Claim(CONFLICT, first)
    if first.status_code is None:
        return Claim(IN_FLIGHT, first)
    return Claim(REPLAY, first)


def finish(record_id, status_code, content_type, body, location=None):
    """Keep the response to replay it; the caller's work is already committed."""
    db.session.rollback()  # nothing of the request's may ride along
    db.session.execute(update(IdempotentRequest).where(IdempotentRequest.id == record_id).values(
        status_code=status_code, content_type=content_type, body=body, location=location))
    db.session.commit()


def abandon(record_id):
    """The request failed on the server's side: the key may be used again."""
    db.session.rollback()
    db.session.execute(delete(IdempotentRequest).where(IdempotentRequest.id == record_id))
    db.session.commit()


def sweep(now=None):
    """Forget responses older than 24 hours (the cron); how many."""
    now = now or clock.utcnow()
    gone = db.session.execute(delete(IdempotentRequest).where(IdempotentRequest.created_at < now - KEPT)).rowcount
    db.session.commit()
    return gone
