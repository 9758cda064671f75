"""Idempotency-Key for the API's POSTs: the first response is kept 24 hours per company
and key with the request's fingerprint.

    claim = idempotency.begin(company_id, api_key_id, key, fingerprint)
    NEW → run the request (a copy that claimed the key meanwhile raises Taken); then
          settle(), and keep(answer(claim.record, status, …)) — or, without a response to
          keep, keep(answer(claim.record)) to free the key — in the transaction that
          records the request's use (one commit, as a request without a key has)
    REPLAY → answer claim.record's response again;  CONFLICT → 422;  IN_FLIGHT → 409

A NEW claim is written just before the request's first write (watch() installs the
session's hooks), not committed: it commits with the request's own work. Written on the
way in, it held SQLite's single write lock for the whole request, where a request without
a key takes it only at its first INSERT. A copy of the request running meanwhile waits on
the unique index (PostgreSQL, or SQLite's single writer) at its own first write until the
first commits, and is stopped there (Taken) before it changes anything. A claim written in
a savepoint that is rolled back is written again at the next write. A request that commits
nothing leaves no claim: `keep` then writes the whole record."""
from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy import bindparam, delete, event, insert, select, update
from sqlalchemy.exc import IntegrityError

from portal.domain import api, clock
from portal.extensions import db
from portal.models import IdempotentRequest

NEW, REPLAY, CONFLICT, IN_FLIGHT = "new", "replay", "conflict", "in_flight"
KEPT = timedelta(hours=api.IDEMPOTENCY_HOURS)
PENDING = "idempotent_claim"  # the session's info: the claim to write before its first write

# Every request with a key runs these: built once (a statement built per request, and its
# cache key, cost more than running it on SQLite). Tables, not the entity: a replay only
# reads the row, and an entity UPDATE syncs the session's objects (1.4 ms).
_table = IdempotentRequest.__table__
_THIS_KEY = (_table.c.company_id == bindparam("this_company"), _table.c.key == bindparam("this_key"))
_LOOKUP = select(_table).where(*_THIS_KEY)
_CLAIM = insert(_table)
_UNANSWERED = (*_THIS_KEY, _table.c.status_code.is_(None))
_ANSWERED = ("status_code", "content_type", "body", "location")
_ANSWER = update(_table).where(*_UNANSWERED).values({name: bindparam(f"new_{name}") for name in _ANSWERED})
_FORGET = delete(_table).where(*_UNANSWERED)


class Taken(Exception):
    """Another copy of the request claimed the key first (raised from the first write)."""


@dataclass(frozen=True)
class Claim:
    outcome: str
    record: object = None  # NEW: the Answer to complete; else the idempotent_requests row found


def begin(company_id, api_key_id, key, fingerprint, now=None):
    """Look the key up: free (NEW, claimed at the first write), or why not. An expired
    answer found in its place is swept."""
    now = now or clock.utcnow()
    first = db.session.execute(_LOOKUP, {"this_company": company_id, "this_key": key}).first()
    if first is not None and first.created_at < now - KEPT:  # expired: the key is free
        db.session.execute(delete(IdempotentRequest).where(
            IdempotentRequest.company_id == company_id, IdempotentRequest.key == key,
            IdempotentRequest.created_at < now - KEPT))
        db.session.commit()
        first = None
    if first is None:
        claimed = Answer(company_id=company_id, key=key, fingerprint=fingerprint, api_key_id=api_key_id,
                         created_at=now)
        db.session.info[PENDING] = _Pending(claimed)
        return Claim(NEW, claimed)
    if first.fingerprint != fingerprint:
        return Claim(CONFLICT, first)
    if first.status_code is None:
        return Claim(IN_FLIGHT, first)
    return Claim(REPLAY, first)


def settle():
    """The request is over: no more claims before its writes (the audit's, keep's)."""
    db.session.info.pop(PENDING, None)


@dataclass
class _Pending:
    answer: object
    written_in: object = None  # the SessionTransaction that holds the claim's INSERT
    committed: bool = False  # the claim is in the database for good


def watch(session):
    """Install the claim's hooks on `session` (the scoped session: every request's), once."""
    if event.contains(session, "before_flush", _before_flush):
        return
    event.listen(session, "do_orm_execute", _before_statement)
    event.listen(session, "before_flush", _before_flush)
    event.listen(session, "after_commit", _after_commit)
    event.listen(session, "after_soft_rollback", _after_rollback)


def _before_statement(state):
    if PENDING in state.session.info and _writes(state):
        _claim(state.session)


def _writes(state):
    """A statement that is not a plain SELECT (text() counts as a write: claiming early
    costs only time)."""
    return not state.is_select or getattr(state.statement, "_for_update_arg", None) is not None


def _before_flush(session, flush_context, instances):
    if PENDING in session.info:
        _claim(session)


def _claim(session):
    pending = session.info[PENDING]
    if pending.committed or pending.written_in is not None:
        return
    values = {name: getattr(pending.answer, name)
              for name in ("company_id", "key", "fingerprint", "api_key_id", "created_at")}
    try:
        session.connection().execute(_CLAIM, values)
    except IntegrityError as exc:
        raise Taken() from exc
    pending.written_in = session.get_nested_transaction() or session.get_transaction()


def _after_commit(session):
    pending = session.info.get(PENDING)
    if pending is None or pending.written_in is None:
        return
    committing = session.get_nested_transaction() or session.get_transaction()
    if committing is pending.written_in:
        if committing.nested:  # released into the enclosing transaction
            pending.written_in = committing.parent
        else:
            pending.written_in, pending.committed = None, True


def _after_rollback(session, previous_transaction):
    pending = session.info.get(PENDING)
    if pending is not None and pending.written_in is not None and not pending.written_in.is_active:
        pending.written_in = None  # rolled back with its (sav)epoint: written again at the next write


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
    this_key = {"this_company": found.company_id, "this_key": found.key}
    if found.status_code is None:
        db.session.execute(_FORGET, this_key)
        return
    values = {name: getattr(found, name) for name in _ANSWERED}
    if db.session.execute(_ANSWER, {**this_key, **{f"new_{name}": value for name, value in values.items()}}).rowcount:
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
