"""The staff's work queue of application requests (the audit log: services/audit_log.py)."""
from dataclasses import dataclass

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.orm import aliased

from portal.domain import applications as apps
from portal.domain import paging
from portal.domain.clock import utcnow
from portal.extensions import db
from portal.models import ApplicationRequest, Entity, User
from portal.services import audit, messaging, tables

STATUS_FILTERS = ("pending", "approved", "rejected", "all")
NOTE_MAX = 500


@dataclass
class Listing:
    rows: list
    page: paging.Page
    counts: dict  # status -> number of requests (with the other filters applied)


def paginate(query, number, per_page, total=None):
    """(rows of this page, Page) of a select; pass `total` when it is already known."""
    return tables.paged(query, number, per_page, total=total, entities=False)


# --- application requests ----------------------------------------------------------------

# The table's rows are plain rows of the columns it shows (no ORM objects to load), and its
# statements are built once per shape (searching or not; pending, one other status or all):
# building a select costs about as much as running it. The applications shown, the search
# text, the status and the page are bound parameters.
Reviewer = aliased(User)
ROW = (ApplicationRequest.id, ApplicationRequest.created_at, ApplicationRequest.application,
       ApplicationRequest.status, ApplicationRequest.note, ApplicationRequest.reviewed_at,
       ApplicationRequest.review_note, Entity.name.label("entity_name"),
       Entity.nit.label("entity_nit"), User.full_name.label("user_name"),
       User.email.label("user_email"), Reviewer.username.label("reviewer"))
_statements = {}


def _joined(*columns):
    return (select(*columns)
            .join(Entity, ApplicationRequest.entity_id == Entity.id)
            .join(User, ApplicationRequest.user_id == User.id))


def _filters(searching):
    """Where clauses: the applications shown and, when searching, NIT, name or e-mail."""
    where = [ApplicationRequest.application.in_(bindparam("applications", expanding=True))]
    if searching:
        q = bindparam("q")
        where.append(or_(Entity.nit.icontains(q, escape="/"), Entity.name.icontains(q, escape="/"),
                         User.email.icontains(q, escape="/")))
    return where


def _counts_statement(searching):
    key = ("counts", searching)
    if key not in _statements:
        _statements[key] = (_joined(ApplicationRequest.status, func.count())
                            .where(*_filters(searching)).group_by(ApplicationRequest.status))
    return _statements[key]


def _rows_statement(searching, status):
    """`status` is "pending" (oldest first), "all" or another one (both newest first)."""
    shape = status if status in ("pending", "all") else "other"
    key = ("rows", searching, shape)
    if key not in _statements:
        where = _filters(searching)
        if shape != "all":
            where.append(ApplicationRequest.status == bindparam("status"))
        order = (ApplicationRequest.created_at.asc() if shape == "pending"
                 else ApplicationRequest.created_at.desc())
        _statements[key] = (
            _joined(*ROW).outerjoin(Reviewer, ApplicationRequest.reviewed_by_id == Reviewer.id)
            .where(*where).order_by(order, ApplicationRequest.id)
            .limit(bindparam("limit")).offset(bindparam("offset")))
    return _statements[key]


def _like_escaped(text):
    """The search text matched literally: LIKE's wildcards escaped with "/"."""
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


def list_requests(staff_user, status="pending", application="", q="", number=1,
                  per_page=paging.DEFAULT_PER_PAGE):
    """Requests of the applications this staff user reviews, filtered and paginated: rows
    with the columns of ROW."""
    visible = apps.reviewable_by(staff_user)
    if application in visible:
        visible = (application,)
    q = (q or "").strip()[:100]
    params = {"applications": list(visible), "q": _like_escaped(q)}
    counts = dict.fromkeys(STATUS_FILTERS, 0)
    counts.update(db.session.execute(_counts_statement(bool(q)), params).all())
    counts["all"] = sum(counts[s] for s in apps.STATUS_LABELS)
    if status not in apps.STATUS_LABELS:
        status = "all"
    page = paging.page_of(counts[status], number, per_page)
    rows = db.session.execute(_rows_statement(bool(q), status),
                              {**params, "status": status, "limit": page.per_page,
                               "offset": page.offset}).all()
    return Listing(rows=rows, page=page, counts=counts)


def request_row(request_id):
    """One request as list_requests shows it (the row a decision swaps in)."""
    key = ("row",)
    if key not in _statements:
        _statements[key] = (
            _joined(*ROW).outerjoin(Reviewer, ApplicationRequest.reviewed_by_id == Reviewer.id)
            .where(ApplicationRequest.id == bindparam("id")))
    return db.session.execute(_statements[key], {"id": request_id}).one()


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
