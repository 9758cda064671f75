"""Plataforma Hanna use cases: registration, application requests, branches (manuals 000
and 002; the suppliers' order lookup is in services/subsidy_orders.py)."""
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal.domain import applications as apps
from portal.domain import passwords as policy
from portal.domain.clock import utcnow
from portal.extensions import db
from portal.models import ApplicationRequest, Branch, Entity, User
from portal.services import audit, messaging, sessions
from portal.services import passwords as pw

DUPLICATE_EMAIL = ("Ya existe un usuario de la Plataforma Hanna con este correo. Ingrese con él "
                   "o, si olvidó la contraseña, comuníquese con la Caja.")


# --- Creación de usuario -----------------------------------------------------------------

@dataclass
class Registration:
    nit: str
    entity_name: str
    full_name: str
    email: str
    password: str
    confirm: str


@dataclass
class RegistrationResult:
    user: User | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self):
        return self.user is not None


def _email_taken(email):
    return db.session.scalar(
        select(User.id).where(User.kind == "hanna", User.username == email)) is not None


def _check(data):
    errors = {}
    if not apps.nit_is_valid(data.nit):
        errors["nit"] = [apps.NIT_MESSAGE]
    missing = policy.failures(data.password)
    if missing:
        errors["new_password"] = ["La contraseña no cumple: " + "; ".join(m.lower() for m in missing) + "."]
    if data.password != data.confirm:
        errors["confirm_password"] = ["La confirmación no coincide con la contraseña."]
    # A registration form has to say when the e-mail is already registered: the user
    # signs in right away, there is no e-mail verification step in which a neutral
    # "revise su correo" answer could hide it, and the Hanna login already tells a
    # registered e-mail apart through lockouts. Enumeration is slowed by the per-IP and
    # per-e-mail rate limits on this POST, and every attempt is audited.
    if _email_taken(data.email):
        errors["username"] = [DUPLICATE_EMAIL]
    return errors


def _new_user(data):
    """The user, attached to the entity with this NIT (created when new)."""
    entity = db.session.scalar(select(Entity).where(Entity.nit == data.nit))
    created = entity is None
    if created:
        entity = Entity(nit=data.nit, name=data.entity_name.strip(), email=data.email)
        db.session.add(entity)
    user = User(kind="hanna", username=data.email, email=data.email,
                full_name=data.full_name.strip(), password_hash="", entity=entity,
                terms_accepted_at=utcnow())  # the data-processing policy, accepted on the form
    db.session.add(user)
    db.session.flush()
    return user, entity, created


def register(data):
    """Create the Hanna user (and its entity when the NIT is new) and sign it in.
    An existing NIT only attaches the user: its data stays closed until the Caja's staff
    approve an application request of this user."""
    data.email = data.email.strip().lower()
    data.nit = apps.normalize_nit(data.nit)
    errors = _check(data)
    if errors:
        audit.record("hanna.registration_rejected", subject=f"hanna:{data.email[:100]}",
                     fields=sorted(errors))
        db.session.commit()
        return RegistrationResult(errors=errors)
    for attempt in (1, 2):  # a concurrent request may insert the same NIT or e-mail first
        try:
            user, entity, created = _new_user(data)
            break
        except IntegrityError:
            db.session.rollback()
            if attempt == 2 or _email_taken(data.email):
                return RegistrationResult(errors={"username": [DUPLICATE_EMAIL]})
    pw.set_password(user, data.password)
    audit.record("hanna.user_registered", user, subject=user.username, nit=entity.nit,
                 new_entity=created, entity_name_given=data.entity_name.strip())
    _welcome(user, entity)
    user.last_login_at = utcnow()
    sessions.start(user)
    audit.record("login.success", user, subject=user.username, via="registration")
    db.session.commit()
    return RegistrationResult(user=user)


def _welcome(user, entity):
    messaging.send_email(
        user.email, "Bienvenido a la Plataforma Hanna",
        f"Hola {user.full_name}:\n\n"
        f"Su usuario de la Plataforma Hanna quedó creado para la entidad {entity.name} "
        f"(NIT {entity.nit}). Para ingresar use este correo ({user.email}) y la contraseña "
        "que escribió.\n\n"
        "Siguiente paso: en «Solicitud de aplicaciones» pida la aplicación EMPRESAS "
        "(empleadores) o PROVEEDORES (proveedores). Cuando la Caja la apruebe, la verá en "
        "la página de inicio.\n\n"
        "Si usted no creó este usuario, comuníquese con la Caja.",
    )


# --- Solicitud de aplicaciones -----------------------------------------------------------

def requests_of(user):
    return db.session.scalars(
        select(ApplicationRequest).where(ApplicationRequest.user_id == user.id)
        .order_by(ApplicationRequest.application)).all()


def approved_applications(user):
    if user.kind != "hanna":
        return set()
    return set(db.session.scalars(
        select(ApplicationRequest.application).where(
            ApplicationRequest.user_id == user.id, ApplicationRequest.status == "approved")))


def has_approved(user, application):
    return application in approved_applications(user)


@dataclass
class RequestResult:
    status: str  # created | resubmitted | pending | approved | no_entity | invalid
    message: str

    @property
    def ok(self):
        return self.status in ("created", "resubmitted")


REQUEST_MESSAGES = {
    "created": "Su solicitud de la aplicación {app} quedó registrada. La Caja la revisará y le "
               "avisará por correo.",
    "resubmitted": "Su solicitud de la aplicación {app} se envió de nuevo a revisión. Le "
                   "avisaremos por correo.",
    "pending": "Ya tiene una solicitud pendiente de la aplicación {app}; espere la respuesta "
               "de la Caja.",
    "approved": "La aplicación {app} ya está aprobada para su usuario.",
    "no_entity": "Su usuario no está asociado a ninguna entidad. Comuníquese con la Caja.",
    "invalid": "Aplicación: escoja EMPRESAS o PROVEEDORES.",
}


def _request_result(status, application):
    return RequestResult(status, REQUEST_MESSAGES[status].format(app=application))


def request_application(user, application, note=None):
    """One request per user and application; a rejected one goes back to pending."""
    if application not in apps.APPLICATIONS:
        return _request_result("invalid", application)
    if user.entity_id is None:
        return _request_result("no_entity", application)
    note = (note or "").strip() or None
    existing = db.session.scalar(select(ApplicationRequest).where(
        ApplicationRequest.user_id == user.id, ApplicationRequest.application == application))
    if existing is None:
        db.session.add(ApplicationRequest(user_id=user.id, entity_id=user.entity_id,
                                          application=application, note=note))
        try:
            db.session.flush()
        except IntegrityError:  # a double click: the first one created it
            db.session.rollback()
            return _request_result("pending", application)
        status = "created"
    elif apps.can_request(existing.status):
        changed = db.session.execute(
            update(ApplicationRequest)
            .where(ApplicationRequest.id == existing.id, ApplicationRequest.status == "rejected")
            .values(status="pending", note=note, created_at=utcnow(), reviewed_by_id=None,
                    reviewed_at=None, review_note=None)
            .execution_options(synchronize_session=False)).rowcount
        if not changed:
            return _request_result("pending", application)
        status = "resubmitted"
    else:
        return _request_result(existing.status, application)
    audit.record(f"application_request.{status}", user, subject=f"{application}:{user.username}",
                 entity_id=user.entity_id)
    db.session.commit()
    return _request_result(status, application)


# --- EMPRESAS: branches ------------------------------------------------------------------

def branches_of(user):
    if user.entity_id is None:
        return []
    return db.session.scalars(select(Branch).where(Branch.entity_id == user.entity_id)
                              .order_by(Branch.code)).all()


def branch_of(user, branch_id):
    """The branch only if it belongs to the user's entity (object-level check)."""
    if user.entity_id is None or branch_id is None:
        return None
    try:
        branch_id = int(branch_id)
    except (TypeError, ValueError):
        return None
    branch = db.session.get(Branch, branch_id)
    return branch if branch is not None and branch.entity_id == user.entity_id else None


def current_branch(user, stored_id):
    """The branch to show: the stored choice if still valid, else the only branch.
    None means the user must choose (several branches) or there are none."""
    branch = branch_of(user, stored_id)
    if branch is not None:
        return branch
    branches = branches_of(user)
    return branches[0] if len(branches) == 1 else None


def choose_branch(user, branch_id):
    branch = branch_of(user, branch_id)
    if branch is None:
        audit.record("hanna.branch_refused", user, subject=f"branch:{str(branch_id)[:40]}")
    else:
        audit.record("hanna.branch_selected", user, subject=f"branch:{branch.id}",
                     entity_id=branch.entity_id, code=branch.code)
    db.session.commit()
    return branch
