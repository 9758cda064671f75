"""The staff's work queue of application requests and the audit log (read side)."""
from dataclasses import dataclass

from sqlalchemy import func, or_, select, update

from portal.domain import applications as apps
from portal.domain import paging
from portal.domain.clock import utcnow
from portal.extensions import db
from portal.models import Affiliate, ApplicationRequest, AuditEvent, Entity, User
from portal.services import audit, messaging

STATUS_FILTERS = ("pending", "approved", "rejected", "all")
NOTE_MAX = 500


@dataclass
class Listing:
    rows: list
    page: paging.Page
    counts: dict  # status -> number of requests (with the other filters applied)


def paginate(query, number, per_page, total=None):
    """(rows of this page, Page) of a select; pass `total` when it is already known."""
    if total is None:
        total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page = paging.page_of(total, number, per_page)
    rows = db.session.execute(query.limit(page.per_page).offset(page.offset)).all()
    return rows, page


# --- application requests ----------------------------------------------------------------

def pending_counts(staff_user):
    """Pending requests per application this staff user may decide."""
    visible = apps.reviewable_by(staff_user)
    counts = dict.fromkeys(visible, 0)
    rows = db.session.execute(
        select(ApplicationRequest.application, func.count())
        .where(ApplicationRequest.status == "pending",
               ApplicationRequest.application.in_(visible))
        .group_by(ApplicationRequest.application)).all()
    counts.update({app: n for app, n in rows})
    return counts


def _joined(*columns):
    return (select(*columns)
            .join(Entity, ApplicationRequest.entity_id == Entity.id)
            .join(User, ApplicationRequest.user_id == User.id))


def list_requests(staff_user, status="pending", application="", q="", number=1,
                  per_page=paging.DEFAULT_PER_PAGE):
    """Requests of the applications this staff user reviews, filtered and paginated."""
    visible = apps.reviewable_by(staff_user)
    if application in visible:
        visible = (application,)
    filters = [ApplicationRequest.application.in_(visible)]
    q = (q or "").strip()[:100]
    if q:
        filters.append(or_(Entity.nit.icontains(q, autoescape=True),
                           Entity.name.icontains(q, autoescape=True),
                           User.email.icontains(q, autoescape=True)))
    counts = dict.fromkeys(STATUS_FILTERS, 0)
    counts.update(db.session.execute(
        _joined(ApplicationRequest.status, func.count()).where(*filters)
        .group_by(ApplicationRequest.status)).all())
    counts["all"] = sum(counts[s] for s in apps.STATUS_LABELS)
    if status in apps.STATUS_LABELS:
        filters.append(ApplicationRequest.status == status)
    else:
        status = "all"
    # The pending queue is served oldest first; decided requests newest first.
    order = (ApplicationRequest.created_at.asc() if status == "pending"
             else ApplicationRequest.created_at.desc())
    query = _joined(ApplicationRequest, Entity, User).where(*filters).order_by(order, ApplicationRequest.id)
    rows, page = paginate(query, number, per_page, total=counts[status])
    return Listing(rows=rows, page=page, counts=counts)


def get_request(staff_user, request_id):
    """The request if it exists and this staff user may review its application."""
    req = db.session.get(ApplicationRequest, request_id)
    if req is None:
        return None, "not_found"
    if req.application not in apps.reviewable_by(staff_user):
        return req, "forbidden"
    return req, "ok"


@dataclass
class Decision:
    status: str  # approved | rejected | already_decided | note_required | invalid | not_found | forbidden
    request: ApplicationRequest | None = None
    message: str = ""

    @property
    def ok(self):
        return self.status in ("approved", "rejected")


DECISIONS = {"approve": "approved", "reject": "rejected"}


def decide(staff_user, request_id, decision, note=""):
    """Approve or reject a pending request, exactly once even if two staff members
    click at the same time (conditional UPDATE … WHERE status = 'pending')."""
    req, access = get_request(staff_user, request_id)
    if access != "ok":
        return Decision(access, req)
    note = (note or "").strip()
    new_status = DECISIONS.get(decision)
    if new_status is None:
        return Decision("invalid", req, "Escoja Aprobar o Rechazar.")
    if len(note) > NOTE_MAX:
        return Decision("invalid", req, f"Observación: escriba como máximo {NOTE_MAX} caracteres.")
    if new_status == "rejected" and not note:
        return Decision("note_required", req,
                        "Observación: escriba el motivo del rechazo; el usuario lo verá.")
    changed = db.session.execute(
        update(ApplicationRequest)
        .where(ApplicationRequest.id == req.id, ApplicationRequest.status == "pending")
        .values(status=new_status, reviewed_by_id=staff_user.id, reviewed_at=utcnow(),
                review_note=note or None)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        db.session.rollback()
        db.session.refresh(req)
        audit.record("application_request.decision_refused", staff_user, subject=f"request:{req.id}",
                     wanted=new_status, current=req.status)
        db.session.commit()
        return Decision("already_decided", req,
                        f"Esta solicitud ya fue {apps.STATUS_LABELS[req.status].lower()} por otra "
                        "persona; no se cambió nada.")
    db.session.refresh(req)
    audit.record(f"application_request.{new_status}", staff_user, subject=f"request:{req.id}",
                 application=req.application, user=req.user.username, nit=req.entity.nit,
                 note=note or None)
    _notify(req)
    db.session.commit()
    label = apps.STATUS_LABELS[new_status].lower()
    return Decision(new_status, req, f"Solicitud de {req.application} de {req.user.email} {label}.")


def _notify(req):
    if req.status == "approved":
        subject = f"Plataforma Hanna: aplicación {req.application} aprobada"
        body = (f"Hola {req.user.full_name}:\n\nLa Caja aprobó su solicitud de la aplicación "
                f"{req.application} para {req.entity.name} (NIT {req.entity.nit}). Ya la encuentra "
                "en la página de inicio de la Plataforma Hanna.")
    else:
        subject = f"Plataforma Hanna: solicitud de {req.application} rechazada"
        body = (f"Hola {req.user.full_name}:\n\nLa Caja rechazó su solicitud de la aplicación "
                f"{req.application} para {req.entity.name} (NIT {req.entity.nit}).\n\n"
                f"Observación: {req.review_note}\n\n"
                "Puede corregir lo indicado y solicitarla de nuevo en «Solicitud de aplicaciones».")
    if req.note:
        body += f"\n\nSu comentario en la solicitud: {req.note}"
    messaging.send_email(req.user.email, subject, body)


# --- audit log ---------------------------------------------------------------------------

@dataclass
class AuditRow:
    event: AuditEvent
    actor: str


def audit_actions():
    return db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all()


def _actor_names(events):
    ids = {"user": set(), "affiliate": set()}
    for e in events:
        if e.actor_type in ids and e.actor_id is not None:
            ids[e.actor_type].add(e.actor_id)
    names = {}
    if ids["user"]:
        for u in db.session.scalars(select(User).where(User.id.in_(ids["user"]))):
            names[("user", u.id)] = f"{u.username} ({u.kind})"
    if ids["affiliate"]:
        for a in db.session.scalars(select(Affiliate).where(Affiliate.id.in_(ids["affiliate"]))):
            names[("affiliate", a.id)] = f"afiliado ****{a.cedula[-4:]}"
    return names


def audit_log(q="", action="", number=1, per_page=paging.DEFAULT_PER_PAGE):
    query = select(AuditEvent)
    if action:
        query = query.where(AuditEvent.action == action)
    q = (q or "").strip()[:100]
    if q:
        query = query.where(or_(AuditEvent.action.icontains(q, autoescape=True),
                                AuditEvent.subject.icontains(q, autoescape=True),
                                AuditEvent.ip.icontains(q, autoescape=True),
                                AuditEvent.detail.icontains(q, autoescape=True)))
    rows, page = paginate(query.order_by(AuditEvent.id.desc()), number, per_page)
    events = [row[0] for row in rows]
    names = _actor_names(events)
    return [AuditRow(e, names.get((e.actor_type, e.actor_id),
                                  f"{e.actor_type} #{e.actor_id}" if e.actor_type else "—"))
            for e in events], page
