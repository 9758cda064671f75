"""Server-side sessions: the signed cookie carries only a random id ('sid').

Every request checks the record: revoked, idle for 30 min or older than 12 h means
signed out, so a cookie copied before logout, a lock or a password change is refused.
"""
import hashlib
import json
import secrets
from datetime import timedelta

from flask import current_app, g, request, session
from flask_login import login_user, logout_user
from sqlalchemy import and_, bindparam, select

from portal.domain import sessions as rules
from portal.domain.clock import utcnow
from portal.extensions import db
from portal.models import Affiliate, PendingForm, User, UserSession

TOUCH_EVERY = timedelta(seconds=15)
# The session record and its principal (user or affiliate), read fresh on every request;
# built once, as building a select costs about as much as running it on SQLite.
RECORD_WITH_PRINCIPAL = (
    select(UserSession, User, Affiliate)
    .outerjoin(User, and_(UserSession.principal_type == "user", User.id == UserSession.principal_id))
    .outerjoin(Affiliate, and_(UserSession.principal_type == "affiliate",
                               Affiliate.id == UserSession.principal_id))
    .where(UserSession.token_hash == bindparam("token_hash"))
    .execution_options(populate_existing=True))
NOT_KEPT = {"csrf_token", "password", "current_password", "new_password", "confirm_password",
            "code"}


def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _limits():
    cfg = current_app.config
    return cfg["SESSION_IDLE_TIMEOUT"], cfg["SESSION_ABSOLUTE_TIMEOUT"]


def start(principal):
    """Sign `principal` in with a fresh session (no fixation: the old cookie is dropped)."""
    if hasattr(principal, "_get_current_object"):  # current_user: store the real object
        principal = principal._get_current_object()
    pending = session.get("pending_form")
    session.clear()
    token = secrets.token_urlsafe(32)
    record = UserSession(
        token_hash=_digest(token),
        principal_type=principal.principal_type,
        principal_id=principal.id,
        ip=request.remote_addr,
        user_agent=(request.user_agent.string or "")[:255],
    )
    db.session.add(record)
    session.permanent = True
    session["sid"] = token
    if pending:
        session["pending_form"] = pending
    login_user(principal)
    g.user_session = record
    return record


def current_record():
    return getattr(g, "user_session", None)


def enforce():
    """before_request: validate the sid; expire, or touch the record."""
    g.user_session = g.session_principal = None
    token = session.get("sid")
    if not token:
        return
    record, g.session_principal = _record_with_principal(token)
    if record is None or record.revoked_at is not None:
        _forget_cookie()
        return
    now = utcnow()
    idle, absolute = _limits()
    reason = rules.expiry_reason(record.created_at, record.last_seen_at, now, idle, absolute)
    if reason:
        record.revoked_at, record.revoked_reason = now, reason
        db.session.commit()
        g.expired_principal = f"{record.principal_type}:{record.principal_id}"
        _forget_cookie()
        return
    if now - record.last_seen_at >= TOUCH_EVERY and not _is_background_poll():
        record.last_seen_at = now
        _commit_keeping_loaded()
    g.user_session = record


def _commit_keeping_loaded():
    """Commit the touch without expiring what the session holds (the record and its user,
    read a moment ago): a commit expires them, and the page read both again (two more
    statements on every request that touched)."""
    orm_session = db.session()
    expire, orm_session.expire_on_commit = orm_session.expire_on_commit, False
    try:
        orm_session.commit()
    finally:
        orm_session.expire_on_commit = expire


def _record_with_principal(token):
    """(session record, its user or affiliate), both read fresh in one round trip."""
    row = db.session.execute(RECORD_WITH_PRINCIPAL, {"token_hash": _digest(token)}).first()
    if row is None:
        return None, None
    record, user, affiliate = row
    return record, user or affiliate


def _is_background_poll():
    # Self-refreshing progress partials must not keep an idle session alive forever.
    return request.headers.get("X-Portal-Poll") == "1"


def _forget_cookie():
    session.pop("sid", None)
    session.pop("_user_id", None)
    session.pop("_fresh", None)


def load_principal(user_id):
    """flask-login's user_loader: only a principal whose session record is valid."""
    record = current_record()
    if record is None:
        return None
    kind, _, pk = (user_id or "").partition(":")
    if kind != record.principal_type or str(record.principal_id) != pk:
        return None
    principal = getattr(g, "session_principal", None)
    if principal is not None and principal.principal_type == kind:
        return principal
    model = User if kind == "user" else Affiliate if kind == "affiliate" else None
    return db.session.get(model, record.principal_id) if model else None


def seconds_left():
    record = current_record()
    if record is None:
        return 0
    idle, absolute = _limits()
    return rules.seconds_remaining(record.created_at, record.last_seen_at, utcnow(), idle, absolute)


def keep_alive():
    record = current_record()
    if record is not None:
        record.last_seen_at = utcnow()
        _commit_keeping_loaded()
    return seconds_left()


def end(reason="logout"):
    record = current_record()
    if record is not None and record.revoked_at is None:
        record.revoked_at, record.revoked_reason = utcnow(), reason
    logout_user()
    session.clear()


def revoke_all(principal, reason):
    db.session.query(UserSession).filter(
        UserSession.principal_type == principal.principal_type,
        UserSession.principal_id == principal.id,
        UserSession.revoked_at.is_(None),
    ).update({"revoked_at": utcnow(), "revoked_reason": reason}, synchronize_session="fetch")


# --- forms posted after the session expired -------------------------------------------

def stash_form(principal_key, path, form):
    """Keep what the user typed (never passwords, codes or files) until they sign in."""
    fields = {k: form.getlist(k) for k in form.keys() if k not in NOT_KEPT}
    token = secrets.token_urlsafe(24)
    db.session.add(PendingForm(token_hash=_digest(token), principal=principal_key, path=path,
                               fields_json=json.dumps(fields, ensure_ascii=False)))
    db.session.commit()
    session["pending_form"] = token
    return token


def pending_form_path(principal):
    """After sign-in: the page whose form is waiting for this principal, if any."""
    row = _pending_row()
    if row and row.principal == f"{principal.principal_type}:{principal.id}":
        return row.path
    return None


def pop_pending_form(principal, path):
    """The stashed fields for this page, once; dropped if they belong to someone else."""
    row = _pending_row()
    if row is None:
        return None
    if row.principal != f"{principal.principal_type}:{principal.id}" or row.path != path:
        return None
    fields = json.loads(row.fields_json)
    db.session.delete(row)
    db.session.commit()
    session.pop("pending_form", None)
    return fields


def _pending_row():
    token = session.get("pending_form")
    if not token:
        return None
    row = db.session.query(PendingForm).filter_by(token_hash=_digest(token)).first()
    if row and utcnow() - row.created_at > timedelta(hours=12):
        return None
    return row
