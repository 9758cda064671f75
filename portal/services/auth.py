"""Password logins (Hanna, Conexión Empresas, staff), password changes and recovery."""
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from portal import metrics
from portal.domain import lockout
from portal.domain import nit as nits
from portal.domain import passwords as policy
from portal.domain.clock import utcnow
from portal.extensions import db
from portal.models import Company, Membership, User
from portal.services import audit, messaging, sessions
from portal.services import passwords as pw


@dataclass
class LoginResult:
    status: str  # ok | invalid | locked | inactive | blocked
    user: User | None = None
    minutes: int = 0

    @property
    def ok(self):
        return self.status == "ok"


def normalize_username(kind, username):
    username = (username or "").strip()
    return username.lower() if kind == "hanna" else username


def find_user(kind, username):
    return db.session.query(User).filter_by(kind=kind, username=normalize_username(kind, username)).first()


def _register_failure(user, now, action="login.failed"):
    """One more wrong password. The fifth locks new sign-ins for a while; sessions already
    open stay (anyone who knows a user name could otherwise sign its owner out)."""
    outcome = lockout.register_failure(
        user.failed_logins, now,
        current_app.config["LOGIN_MAX_FAILURES"], current_app.config["LOGIN_LOCK_MINUTES"],
    )
    user.failed_logins = outcome.failures
    audit.record(action, user, subject=user.username)
    if outcome.locked:
        user.locked_until = outcome.locked_until
        audit.record("account.locked", user, subject=user.username,
                     until=outcome.locked_until.isoformat())
        metrics.count_on_commit(metrics.ACCOUNTS_LOCKED, user.kind)
    return outcome


def _password_matched(user, password, now):
    """"password", "recovery" (the pending temporary one) or None. Two checks every
    time, so an unknown user, a wrong password and a pending recovery take as long."""
    own = pw.verify(user.password_hash if user else None, password)
    pending = user is not None and user.recovery_hash and now < user.recovery_expires_at
    temporary = pw.verify(user.recovery_hash if pending else None, password)
    if user is None:
        return None
    return "password" if own else "recovery" if pending and temporary else None


def password_login(kind, username, password):
    """A wrong password gets the same answer for every user name, known or not, locked
    or not; only the right password on a locked account hears that it is locked.
    The temporary password from recovery gets in even then: it is the way out of a lock."""
    user = find_user(kind, username)
    now = utcnow()
    matched = _password_matched(user, password, now)
    if user is None:
        audit.record("login.failed", subject=f"{kind}:{normalize_username(kind, username)[:100]}",
                     reason="unknown_user")
        metrics.count_on_commit(metrics.LOGINS_FAILED, kind)
        db.session.commit()
        return LoginResult("invalid")
    locked = lockout.is_locked(user.locked_until, now)
    if locked and matched != "recovery":
        audit.record("login.refused_locked", user, subject=user.username)
        if matched is None:
            metrics.count_on_commit(metrics.LOGINS_FAILED, kind)
        db.session.commit()
        if matched is None:
            return LoginResult("invalid")
        return LoginResult("locked", minutes=lockout.minutes_left(user.locked_until, now))
    if matched is None:
        _register_failure(user, now)
        metrics.count_on_commit(metrics.LOGINS_FAILED, kind)
        db.session.commit()
        return LoginResult("invalid")
    refusal = _refusal(user)
    if refusal:
        audit.record(f"login.refused_{refusal}", user, subject=user.username)
        db.session.commit()
        return LoginResult(refusal)
    if matched == "recovery":  # the temporary password replaces the old one only now
        pw.set_password(user, password, must_change=True)
        audit.record("password.recovery_used", user, subject=user.username)
    user.recovery_hash = user.recovery_expires_at = None
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    sessions.start(user)
    audit.record("login.success", user, subject=user.username)
    db.session.commit()
    return LoginResult("ok", user)


def _refusal(user):
    """Why the right password does not let this user in: deactivated, or locked by the staff."""
    return "inactive" if not user.is_active_account else "blocked" if user.blocked_at else None


def issue_temporary_password(user):
    """A temporary password kept beside the user's own: it replaces that one only when it is
    used to sign in (then the user must change it), within RECOVERY_PASSWORD_HOURS.
    Returns (the password to e-mail, those hours)."""
    temporary = policy.generate_temporary()
    hours = current_app.config["RECOVERY_PASSWORD_HOURS"]
    user.recovery_hash = pw.hash_password(temporary)
    user.recovery_expires_at = utcnow() + timedelta(hours=hours)
    return temporary, hours


@dataclass
class ChangeResult:
    errors: list[str] = field(default_factory=list)
    locked: bool = False
    wrong_current: bool = False

    @property
    def ok(self):
        return not self.errors


WRONG_PASSWORD = "La contraseña no es correcta."


@dataclass(frozen=True)
class PasswordCheck:
    ok: bool
    locked: bool = False


def confirm_password(user, password, action):
    """An action the manual guards with the password (a batch's «Confirmar», «Eliminar»,
    a password change…): a wrong one counts toward the lockout like a failed sign-in, so
    a stolen session cannot guess it; the fifth ends this session (the owner's others
    stay). Audited as `action` + «_wrong_password». Commits."""
    if pw.verify(user.password_hash, password):
        return PasswordCheck(True)
    outcome = _register_failure(user, utcnow(), action=f"{action}_wrong_password")
    if outcome.locked:
        sessions.end("locked")
    db.session.commit()
    return PasswordCheck(False, locked=outcome.locked)


def change_password(user, current, new, confirm):
    """Checks every rule and reports all that fail; the current password is checked
    like every password-guarded action."""
    check = confirm_password(user, current, "password.change")
    if not check.ok:
        return ChangeResult(["La contraseña actual no es correcta."], locked=check.locked, wrong_current=True)
    errors = []
    if new != confirm:
        errors.append("La confirmación no coincide con la contraseña nueva.")
    missing = policy.failures(new)
    if missing:
        errors.append("La contraseña nueva no cumple: " + "; ".join(m.lower() for m in missing) + ".")
    elif pw.was_used_recently(user, new):
        errors.append(f"La contraseña nueva no puede ser ninguna de sus últimas {policy.HISTORY_SIZE} contraseñas.")
    if errors:
        audit.record("password.change_rejected", user, subject=user.username)
        db.session.commit()
        return ChangeResult(errors)
    pw.set_password(user, new)
    user.failed_logins = 0
    sessions.revoke_all(user, "password_change")
    audit.record("password.changed", user, subject=user.username)
    sessions.start(user)  # the current device stays signed in with a new session
    db.session.commit()
    return ChangeResult()


def logout(principal):
    """«Salir»: the server session is revoked, so a copied cookie is worthless."""
    if principal.is_authenticated:
        audit.record("logout", principal)
    sessions.end("logout")
    db.session.commit()


def accept_terms(user):
    if user.terms_accepted_at is None:
        user.terms_accepted_at = utcnow()
        audit.record("terms.accepted", user, subject=user.username)
        db.session.commit()


def recover_corporate_password(username, nit, email):
    """'¿Olvidaste tu contraseña?': a temporary password by e-mail when usuario, NIT and
    correo match. The caller shows the same answer whatever happens here. The user's own
    password, lock and sessions are untouched until the temporary one is used to sign in
    (whoever knows usuario, NIT and correo must not be able to change or lock them out)."""
    user = find_user("corporate", username)
    matches = (
        user is not None
        and (user.email or "").strip().lower() == (email or "").strip().lower()
        and db.session.query(Membership).join(Company)
        .filter(Membership.user_id == user.id, Company.nit == nits.parse(nit)[0]).first()
        is not None
    )
    if not matches:
        pw.burn_time(username)
        audit.record("password.recovery_unmatched", subject=f"corporate:{(username or '')[:100]}")
        db.session.commit()
        return False
    temporary, hours = issue_temporary_password(user)
    messaging.send_email(
        user.email,
        "Conexión Empresas: contraseña temporal",
        f"Hola {user.full_name}:\n\nSu contraseña temporal para Conexión Empresas es: {temporary}\n\n"
        f"Ingrese con su usuario y esta contraseña en las próximas {hours} horas; el sistema le "
        "pedirá cambiarla.\nSu contraseña actual sigue sirviendo hasta que use la temporal. "
        "Si usted no pidió este cambio, ignore este correo y comuníquese con la Caja.",
    )
    audit.record("password.recovery_sent", user, subject=user.username)
    db.session.commit()
    return True


def recover_corporate_usernames(nit, email):
    """'¿Olvidaste tu usuario?': the user names of this e-mail address in the company of
    this NIT, by e-mail to that address. The caller shows the same answer either way."""
    email = (email or "").strip().lower()
    names = db.session.scalars(
        select(User.username).join(Membership, Membership.user_id == User.id)
        .join(Company, Company.id == Membership.company_id)
        .where(User.kind == "corporate", func.lower(User.email) == email, Company.nit == nits.parse(nit)[0])
        .order_by(User.username)).all()
    if not names:
        audit.record("username.recovery_unmatched", subject=f"corporate:{email[:100]}")
        db.session.commit()
        return False
    listing = "\n".join(f"  - {name}" for name in names)
    messaging.send_email(
        email, "Conexión Empresas: su usuario",
        f"Hola:\n\nEstos son los usuarios de Conexión Empresas de este correo en la empresa con NIT "
        f"{nits.formatted(nits.parse(nit)[0])}:\n\n{listing}\n\n"
        "Si usted no pidió este recordatorio, ignore este correo.")
    audit.record("username.recovery_sent", subject=f"corporate:{email[:100]}", users=len(names))
    db.session.commit()
    return True
