"""Conexión Empresas administration, corporate users (staff role «tarjetas»; manual 004:
«los accesos al sistema son creados por personal autorizado»): search, create with a
membership of a company, lock and unlock, reset the password, deactivate.

A new membership starts with no permission at all; the permissions asked for are a change
under four eyes (services/four_eyes) that another staff member approves. A new user gets a
temporary password by e-mail (the machinery of «¿Olvidaste tu contraseña?»): with it they
sign in, accept the terms and must change it, as every first login. Everything audited."""
import secrets
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from portal.domain import corporate_users as rules
from portal.domain import four_eyes as changes
from portal.domain.clock import utcnow
from portal.extensions import db
from portal.models import Company, Membership, User
from portal.services import audit, auth, conexion, four_eyes, messaging, sessions, staff_accounts, tables
from portal.services import passwords as pw

NO_PERMISSION = {name: False for name in changes.PERMISSIONS}
INACTIVE = "El usuario {} está inactivo."


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str
    errors: dict = field(default_factory=dict)
    user: User | None = None


def companies():
    return db.session.scalars(select(Company).order_by(Company.name)).all()


def get(user_id):
    """A corporate user, or None (any other kind of user is not found here)."""
    user = db.session.get(User, user_id)
    return user if user is not None and user.kind == "corporate" else None


def state_of(user, now=None):
    return rules.state(user.is_active_account, user.blocked_at, user.locked_until, now or utcnow())


# --- search ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Listing:
    users: list
    page: object
    companies: dict  # user id -> [company names]


def _matching(q):
    def like(column):
        return column.icontains(q, autoescape=True)

    nit = q.replace(".", "").split("-")[0].strip() or q
    in_company = exists().where(Membership.user_id == User.id, Membership.company_id == Company.id,
                                or_(like(Company.name), Company.nit.startswith(nit, autoescape=True)))
    return or_(like(User.username), like(User.full_name), like(User.email), in_company)


def _in_state(state, now):
    if state == rules.INACTIVE:
        return User.is_active_account.is_(False)
    locked = or_(User.blocked_at.is_not(None), User.locked_until > now)
    return (User.is_active_account.is_(True) & locked) if state == rules.BLOCKED else \
        (User.is_active_account.is_(True) & ~locked)


def search(f, now=None):
    """Corporate users by usuario, nombre, correo or empresa (name or NIT), paged by username."""
    query = select(User).where(User.kind == "corporate")
    if f["q"]:
        query = query.where(_matching(f["q"]))
    if f["empresa"]:
        query = query.where(exists().where(Membership.user_id == User.id, Membership.company_id == int(f["empresa"])))
    if rules.STATE_FILTERS[f["estado"]]:
        query = query.where(_in_state(rules.STATE_FILTERS[f["estado"]], now or utcnow()))
    users, page = tables.paged(query, f["pagina"], f["por_pagina"], User.username)
    names = defaultdict(list)
    if users:
        for user_id, name in db.session.execute(
                select(Membership.user_id, Company.name).join(Company, Company.id == Membership.company_id)
                .where(Membership.user_id.in_([u.id for u in users])).order_by(Company.name)):
            names[user_id].append(name)
    return Listing(users, page, dict(names))


def memberships(user):
    """[(membership, its company, its pending change or None)] of a user, by company name."""
    rows = db.session.execute(select(Membership, Company).join(Company, Company.id == Membership.company_id)
                              .where(Membership.user_id == user.id).order_by(Company.name)).all()
    pending = four_eyes.pending_for(four_eyes.membership_target(m) for m, _ in rows)
    return [(m, c, pending.get(four_eyes.membership_target(m))) for m, c in rows]


def permissions_of(membership):
    return {name: bool(getattr(membership, column)) for name, column in conexion.PERMISSIONS.items()}


# --- create --------------------------------------------------------------------------------------

def _company(raw):
    return db.session.get(Company, int(raw)) if str(raw or "").isdigit() else None


def _taken(username):
    return db.session.scalar(select(func.count()).select_from(User).where(
        User.kind == "corporate", func.lower(User.username) == username)) > 0


def _new_user_errors(checked, company, permission_error):
    errors = dict(checked.errors)
    if company is None:
        errors["company"] = "Empresa: seleccione una."
    if permission_error:
        errors["permissions"] = permission_error
    if "username" not in errors and _taken(checked.values["username"]):
        errors["username"] = rules.taken_message(checked.values["username"])
    return errors


def create(staff, form, raw_company, chosen):
    """A new corporate user of `raw_company` (its id) whose permissions `chosen` wait for a
    second staff member; the temporary password is e-mailed. Commits."""
    checked = rules.check(form)
    company = _company(raw_company)
    permissions, permission_error = changes.parse_permissions(chosen)
    errors = _new_user_errors(checked, company, permission_error)
    if errors:
        return Outcome(False, "Revise los datos del usuario.", errors)
    values = checked.values
    user = User(kind="corporate", username=values["username"], email=values["email"],
                first_name=values["first_name"], last_name=values["last_name"],
                full_name=f"{values['first_name']} {values['last_name']}",
                # A password nobody knows: the user comes in with the e-mailed temporary one.
                password_hash=pw.hash_password(secrets.token_urlsafe(32)), must_change_password=True)
    try:
        with db.session.begin_nested():
            db.session.add(user)
            db.session.flush()
    except IntegrityError:  # the same username created a moment ago
        return Outcome(False, "Revise los datos del usuario.", {"username": rules.taken_message(values["username"])})
    audit.record("staff.corporate_user_created", staff, subject=f"user:{user.id}", username=user.username,
                 company=company.nit)
    change = _add_membership(staff, user, company, permissions)
    _send_welcome(user, company)
    db.session.commit()
    return Outcome(True, f"Usuario {user.username} creado con la empresa {company.name}; se le envió una "
                         f"contraseña temporal a {user.email}. Sus permisos quedan pendientes hasta que otra "
                         f"persona del personal apruebe el cambio {change.id}.", user=user)


def _add_membership(staff, user, company, permissions):
    membership = Membership(user_id=user.id, company_id=company.id,
                            **{conexion.PERMISSIONS[name]: False for name in changes.PERMISSIONS})
    db.session.add(membership)
    db.session.flush()
    audit.record("staff.membership_added", staff, subject=f"membership:{membership.id}", username=user.username,
                 company=company.nit)
    return four_eyes.propose(staff, changes.MEMBERSHIP_PERMISSIONS, four_eyes.membership_target(membership),
                             permissions, NO_PERMISSION, company.id)


def _send_welcome(user, company):
    temporary, hours = auth.issue_temporary_password(user)
    messaging.send_email(
        user.email, "Conexión Empresas: su usuario y contraseña temporal",
        f"Hola {user.full_name}:\n\nLa Caja creó su usuario de Conexión Empresas para {company.name}.\n\n"
        f"Usuario: {user.username}\nContraseña temporal: {temporary}\n\n"
        f"Ingrese con ellos en las próximas {hours} horas; el sistema le pedirá aceptar los términos y "
        "condiciones de uso y cambiar la contraseña.\nSi el plazo vence, pida a la Caja una contraseña nueva.")


def add_company(staff, user_id, raw_company, chosen):
    """Another company for an existing user, its permissions under four eyes. Commits."""
    user = get(user_id)
    company = _company(raw_company)
    permissions, permission_error = changes.parse_permissions(chosen)
    errors = {k: v for k, v in (("company", None if company else "Empresa: seleccione una."),
                                ("permissions", permission_error)) if v}
    if not user.is_active_account:
        return Outcome(False, INACTIVE.format(user.username), user=user)
    if not errors and conexion.access(user, company.id) is not None:
        errors["company"] = f"Empresa: el usuario ya tiene acceso a {company.name}."
    if errors:
        return Outcome(False, "Revise la empresa y los permisos.", errors, user)
    change = _add_membership(staff, user, company, permissions)
    db.session.commit()
    return Outcome(True, f"Empresa {company.name} agregada; sus permisos esperan la aprobación de otra persona "
                         f"del personal (cambio {change.id}).", user=user)


def propose_permissions(staff, user, membership_id, chosen):
    """A change of the user's permissions on one of their companies, under four eyes."""
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.user_id != user.id:
        return None
    if not user.is_active_account:
        return Outcome(False, INACTIVE.format(user.username), user=user)
    permissions, error = changes.parse_permissions(chosen)
    current = permissions_of(membership)
    if error or permissions == current:
        return Outcome(False, error or "Los permisos elegidos son los que ya tiene.", user=user)
    change = four_eyes.propose(staff, changes.MEMBERSHIP_PERMISSIONS, four_eyes.membership_target(membership),
                               permissions, current, membership.company_id)
    if change is None:
        db.session.rollback()
        return Outcome(False, "Ya hay un cambio de permisos pendiente en esta empresa: espere a que se "
                              "apruebe o se rechace.", user=user)
    db.session.commit()
    return Outcome(True, f"Cambio {change.id} propuesto; se aplica cuando otra persona del personal lo apruebe.",
                   user=user)


# --- lock, unlock, reset the password, deactivate ------------------------------------------------

def _changed(staff, user, where, values, action, done, refused):
    """One conditional UPDATE of the user: a second click changes nothing."""
    won = db.session.execute(update(User).where(User.id == user.id, *where).values(**values)
                             .execution_options(synchronize_session=False)).rowcount == 1
    if not won:
        db.session.rollback()
        return Outcome(False, refused, user=user)
    if values.get("blocked_at") or values.get("is_active_account") is False:
        sessions.revoke_all(user, action.rpartition(".")[2])  # signed out everywhere, now
    audit.record(action, staff, subject=f"user:{user.id}", username=user.username)
    db.session.commit()
    db.session.refresh(user)
    return Outcome(True, done, user=user)


def block(staff, user):
    """Personal › Usuarios' «Bloquear» (services/staff_accounts: one rule for every kind of
    user), offered on the corporate user's page too."""
    return _as_outcome(staff_accounts.block(staff, user), user)


def unblock(staff, user):
    return _as_outcome(staff_accounts.unblock(staff, user), user)


def _as_outcome(done, user):
    db.session.refresh(user)
    return Outcome(done.ok, done.message, user=user)


def deactivate(staff, user):
    return _changed(staff, user, (User.is_active_account.is_(True),),
                    {"is_active_account": False, "recovery_hash": None, "recovery_expires_at": None},
                    "staff.corporate_user_deactivated",
                    f"Usuario {user.username} desactivado: no puede ingresar, sus sesiones se cerraron y sus "
                    "llaves de API dejaron de funcionar.", f"El usuario {user.username} ya estaba inactivo.")


def reset_password(staff, user):
    """A new temporary password by e-mail; the user's own keeps working until it is used."""
    if not user.is_active_account:
        return Outcome(False, INACTIVE.format(user.username), user=user)
    temporary, hours = auth.issue_temporary_password(user)
    messaging.send_email(
        user.email, "Conexión Empresas: contraseña temporal",
        f"Hola {user.full_name}:\n\nLa Caja restableció su contraseña de Conexión Empresas.\n\n"
        f"Usuario: {user.username}\nContraseña temporal: {temporary}\n\n"
        f"Ingrese con ella en las próximas {hours} horas; el sistema le pedirá cambiarla.\n"
        "Su contraseña actual sigue sirviendo hasta que use la temporal.")
    audit.record("staff.corporate_password_reset", staff, subject=f"user:{user.id}", username=user.username)
    db.session.commit()
    return Outcome(True, f"Se envió una contraseña temporal a {user.email}.", user=user)
