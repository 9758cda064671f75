"""Personal › Usuarios (role admin): every kind of user — Hanna, Conexión Empresas and
staff users, and affiliates by cédula — searchable and paged; a user's last sign-ins and
lock state; «Bloquear» / «Desbloquear», «Forzar cambio de contraseña» and the unlock of a
cédula locked by wrong SMS codes. Each action happens once (a conditional UPDATE) and is
audited; user creation and permissions are Conexión's administration, not here."""
from dataclasses import dataclass

from sqlalchemy import and_, cast, exists, false, func, literal, null, or_, select, union_all, update

from portal.domain.clock import utcnow
from portal.extensions import db
from portal.models import Affiliate, AuditEvent, LoginGuard, User, UserSession
from portal.services import audit, sessions, tables

KIND_LABELS = {"hanna": "Plataforma Hanna", "corporate": "Conexión Empresas", "staff": "Personal de la Caja",
               "affiliate": "Afiliado (Pagos Express)"}
KINDS = ("",) + tuple(KIND_LABELS)
# «estado»: every account, locked by failed sign-ins (the staff home's queue), blocked by an administrator
STATES = ("", "intentos", "administrador")
STATE_LABELS = {"": "Todos", "intentos": "Bloqueados por intentos fallidos",
                "administrador": "Bloqueados por un administrador"}
SIGN_IN_ACTIONS = ("login.success", "login.failed", "login.refused_locked", "login.refused_inactive",
                   "login.refused_blocked", "account.locked", "password.recovery_used", "otp.failed", "otp.locked",
                   "otp.sent", "logout")
RECENT = 10  # sign-ins and events shown on a user's page


COLUMNS = ("type", "id", "kind", "login", "name", "email", "locked_until", "blocked_at", "last_login_at", "active")


def _row(*values):
    """One part of the accounts' union: the same labelled columns in every part."""
    return select(*[value.label(name) for name, value in zip(COLUMNS, values, strict=True)])


def _none(column):
    return cast(null(), column.type)


def _cedula_subject(cedula):
    return literal("cedula:") + cedula


def _users(kind, state, q, now):
    part = _row(literal("user"), User.id, User.kind, User.username, User.full_name, User.email, User.locked_until,
                User.blocked_at, User.last_login_at, User.is_active_account)
    where = [User.kind == kind] if kind else []
    if state == "intentos":
        where.append(User.locked_until > now)
    elif state == "administrador":
        where.append(User.blocked_at.is_not(None))
    if q:
        where.append(or_(User.username.icontains(q, autoescape=True), User.email.icontains(q, autoescape=True),
                         User.full_name.icontains(q, autoescape=True)))
    return part.where(*where)


def _affiliates(state, q, now):
    name = Affiliate.first_name + literal(" ") + Affiliate.last_name
    part = (_row(literal("affiliate"), Affiliate.id, literal("affiliate"), Affiliate.cedula, name, Affiliate.email,
                 LoginGuard.locked_until, _none(User.blocked_at), _none(User.last_login_at), literal(True))
            .select_from(Affiliate).outerjoin(LoginGuard, LoginGuard.subject == _cedula_subject(Affiliate.cedula)))
    return part.where(*_guard_filters(state, now), *([or_(Affiliate.cedula.contains(q, autoescape=True),
                                                          name.icontains(q, autoescape=True))] if q else []))


def _unknown_cedulas(state, q, now):
    """Cédulas locked or counting failures with no affiliate behind them (the lock is the
    same for known and unknown cédulas, and the staff home counts them)."""
    cedula = func.substr(LoginGuard.subject, len("cedula:") + 1)
    known = exists().where(_cedula_subject(Affiliate.cedula) == LoginGuard.subject)
    part = _row(literal("affiliate"), _none(User.id), literal("affiliate"), cedula, literal("(cédula sin afiliado)"),
                _none(User.email), LoginGuard.locked_until, _none(User.blocked_at), _none(User.last_login_at),
                literal(True))
    return part.where(LoginGuard.subject.like("cedula:%"), ~known, *_guard_filters(state, now),
                      *([cedula.contains(q, autoescape=True)] if q else []))


def _guard_filters(state, now):
    if state == "intentos":
        return [LoginGuard.locked_until > now]
    return [false()] if state == "administrador" else []


def listing(f, now=None):
    """(rows, Page) of the accounts matching the filters `f` (paging.Filters with «tipo»,
    «estado», «q»): the locked ones first by when their lock ends, else by kind and login."""
    now = now or utcnow()
    kind, state, q = f["tipo"], f["estado"], f["q"]
    parts = [] if kind == "affiliate" else [_users(kind, state, q, now)]
    if kind in ("", "affiliate"):
        parts += [_affiliates(state, q, now), _unknown_cedulas(state, q, now)]
    rows = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("accounts")
    order = (rows.c.locked_until, rows.c.kind, rows.c.login) if state == "intentos" else (
        rows.c.kind, rows.c.login)
    return tables.paged(select(rows), f["pagina"], f["por_pagina"], *order, entities=False)


# --- one account -------------------------------------------------------------------------------

@dataclass
class Account:
    principal: object  # User or Affiliate
    locked_until: object  # failed sign-ins: until when (naive UTC), or None
    sessions: list  # the newest UserSession rows
    events: list  # the newest sign-in AuditEvents

    @property
    def is_user(self):
        return isinstance(self.principal, User)


def lock_of(principal, now=None):
    """When the failed-sign-in lock ends, if it holds now."""
    now = now or utcnow()
    until = principal.locked_until if isinstance(principal, User) else _guard_until(principal.cedula)
    return until if until is not None and until > now else None


def _guard_until(cedula):
    return db.session.scalar(select(LoginGuard.locked_until).where(LoginGuard.subject == f"cedula:{cedula}"))


def account(principal):
    """A user's or affiliate's page: lock state, last sessions and sign-in events."""
    kind = principal.principal_type
    found = db.session.scalars(select(UserSession).where(
        UserSession.principal_type == kind, UserSession.principal_id == principal.id)
        .order_by(UserSession.id.desc()).limit(RECENT)).all()
    mine = and_(AuditEvent.actor_type == kind, AuditEvent.actor_id == principal.id)
    if kind == "affiliate":  # wrong codes are recorded against the cédula, not a principal
        mine = or_(mine, AuditEvent.subject == f"cedula:{principal.cedula}")
    events = db.session.scalars(select(AuditEvent).where(mine, AuditEvent.action.in_(SIGN_IN_ACTIONS))
                                .order_by(AuditEvent.id.desc()).limit(RECENT)).all()
    return Account(principal, lock_of(principal), found, events)


# --- actions -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str


def block(admin, user):
    """«Bloquear»: no sign-in (not even with a recovery password) until «Desbloquear»;
    every open session of the user ends now. Once: a second click changes nothing."""
    if user.id == admin.id:
        return Outcome(False, "No puede bloquear su propio usuario.")
    now = utcnow()
    moved = _update(user, User.blocked_at.is_(None), blocked_at=now)
    if not moved:
        return _unchanged(f"El usuario {user.username} ya estaba bloqueado; no se cambió nada.")
    sessions.revoke_all(user, "blocked")
    audit.record("staff.user_blocked", admin, subject=f"user:{user.id}", username=user.username, kind=user.kind)
    db.session.commit()
    return Outcome(True, f"Usuario {user.username} bloqueado: sus sesiones abiertas terminaron y no podrá "
                         "ingresar hasta que un administrador lo desbloquee.")


def unblock(admin, user):
    """«Desbloquear»: lifts an administrator's block and a lock by failed sign-ins."""
    now = utcnow()
    moved = _update(user, or_(User.blocked_at.is_not(None), User.locked_until > now),
                    blocked_at=None, locked_until=None, failed_logins=0)
    if not moved:
        return _unchanged(f"El usuario {user.username} no estaba bloqueado; no se cambió nada.")
    audit.record("staff.user_unblocked", admin, subject=f"user:{user.id}", username=user.username, kind=user.kind)
    db.session.commit()
    return Outcome(True, f"Usuario {user.username} desbloqueado: ya puede ingresar.")


def force_password_change(admin, user):
    """«Forzar cambio de contraseña»: the first-login change (web._first_login_gate) is
    asked at the user's next page or sign-in."""
    if not _update(user, User.must_change_password.is_(False), must_change_password=True):
        return _unchanged(f"El usuario {user.username} ya debe cambiar su contraseña; no se cambió nada.")
    audit.record("staff.password_change_forced", admin, subject=f"user:{user.id}", username=user.username,
                 kind=user.kind)
    db.session.commit()
    return Outcome(True, f"El usuario {user.username} deberá cambiar su contraseña en su próximo ingreso.")


def unlock_cedula(admin, cedula):
    """An affiliate's cédula locked by wrong SMS codes (login_guards), unlocked once."""
    cedula = (cedula or "").strip()
    if not cedula.isdigit() or len(cedula) > 15:
        return Outcome(False, "Cédula: escriba solo números, hasta 15 dígitos.")
    moved = db.session.execute(update(LoginGuard).where(
        LoginGuard.subject == f"cedula:{cedula}", LoginGuard.locked_until > utcnow())
        .values(locked_until=None, failures=0).execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        return _unchanged(f"La cédula {cedula} no estaba bloqueada; no se cambió nada.")
    audit.record("staff.cedula_unlocked", admin, subject=f"cedula:{cedula}")
    db.session.commit()
    return Outcome(True, f"Cédula {cedula} desbloqueada: ya puede pedir un código SMS.")


def _update(user, condition, **values):
    moved = db.session.execute(update(User).where(User.id == user.id, condition).values(**values)
                               .execution_options(synchronize_session=False)).rowcount
    if moved == 1:
        db.session.refresh(user)
    return moved == 1


def _unchanged(message):
    db.session.rollback()
    return Outcome(False, message)


def get_user(user_id):
    return db.session.get(User, user_id)


def get_affiliate(affiliate_id):
    return db.session.get(Affiliate, affiliate_id)

