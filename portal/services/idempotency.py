"""Idempotency-Key for the API's POSTs: the first response is kept 24 hours per company
and key with the request's fingerprint.

    claim = idempotency.begin(company_id, api_key_id, key, fingerprint)
    NEW → run the request; then keep(answer(claim.record, status, …)) — or, without a
          response to keep, keep(answer(claim.record)) to free the key — in the transaction
          that records the request's use (one commit, as a request without a key has)
    REPLAY → answer claim.record's response again;  CONFLICT → 422;  IN_FLIGHT → 409

The claim is written, not committed: it commits with the request's own work. A second
copy arriving meanwhile waits on the unique index (PostgreSQL, or SQLite's single
writer) until the first commits, then finds it running or answered. A request that
commits nothing leaves no claim: `keep` then writes the whole record."""
from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from portal.domain import api, clock
from portal.extensions import db
from portal.models import IdempotentRequest

NEW, REPLAY, CONFLICT, IN_FLIGHT = "new", "replay", "conflict", "in_flight"
KEPT = timedelta(hours=api.IDEMPOTENCY_HOURS)


@dataclass(frozen=True)
class Claim:
    outcome: str
    record: object = None  # NEW: the Answer to complete; else the IdempotentRequest found


def begin(company_id, api_key_id, key, fingerprint, now=None):
    """Claim the key, or say why not. One INSERT on the way in (the request's first
    statement: a failed one leaves nothing else to undo); an expired answer found in
    its place is swept and the claim tried once more."""
    now = now or clock.utcnow()
    values = {"company_id": company_id, "key": key, "fingerprint": fingerprint, "api_key_id": api_key_id,
              "created_at": now}
    try:
        db.session.execute(insert(IdempotentRequest).values(**values))
        return Claim(NEW, Answer(**values))
    except IntegrityError:
        db.session.rollback()
    first = db.session.scalars(select(IdempotentRequest).where(
        IdempotentRequest.company_id == company_id, IdempotentRequest.key == key)).first()
    if first is None or first.created_at < now - KEPT:  # expired (or swept meanwhile): the key is free
        db.session.execute(delete(IdempotentRequest).where(
            IdempotentRequest.company_id == company_id, IdempotentRequest.key == key,
            IdempotentRequest.created_at < now - KEPT))
        db.session.commit()
        return begin(company_id, api_key_id, key, fingerprint, now)
    if first.fingerprint != fingerprint:
        return Claim(CONFLICT, first)
    if first.status_code is None:
        return Claim(IN_FLIGHT, first)
    return Claim(REPLAY, first)


@dataclass(frozen=True)
class Answer:
    """What a NEW claim answered, in plain values (they outlive the request's session)."""
    company_id: int
    key: str
    fingerprint: str
    api_key_id: int
    created_at: object
    status_code: int | None = None  # None: forget the claim (a server error, a conflict)
    content_type: str | None = None
    body: bytes | None = None
    location: str | None = None


def answer(claimed, status_code=None, content_type=None, body=None, location=None):
    """`claimed` (a NEW claim's Answer) with the response to keep; without one: forget it."""
    return replace(claimed, status_code=status_code, content_type=content_type, body=body, location=location)


def keep(found):
    """Keep `found`'s response for replays, or free its key (status_code None); the caller
    commits. The claim may be there (the request committed it with its work) or not (the
    request committed nothing): then the whole record is written, unless another copy has
    claimed the key meanwhile (it keeps its own answer)."""
    mine = (IdempotentRequest.company_id == found.company_id, IdempotentRequest.key == found.key,
            IdempotentRequest.status_code.is_(None))
    if found.status_code is None:
        db.session.execute(delete(IdempotentRequest).where(*mine))
        return
    values = {"status_code": found.status_code, "content_type": found.content_type, "body": found.body,
              "location": found.location}
    if db.session.execute(update(IdempotentRequest).where(*mine).values(**values)).rowcount:
        return
    try:
        with db.session.begin_nested():
            db.session.add(IdempotentRequest(company_id=found.company_id, key=found.key,
                                             fingerprint=found.fingerprint, api_key_id=found.api_key_id,
                                             created_at=found.created_at, **values))
    except IntegrityError:
        pass


def sweep(now=None):
    """Forget responses older than 24 hours (the cron); how many."""
    now = now or clock.utcnow()
    gone = db.session.execute(delete(IdempotentRequest).where(IdempotentRequest.created_at < now - KEPT)).rowcount
    db.session.commit()
    return gone
