"""Personal › Auditoría (role admin), the read side of services/audit.py: the events filtered
by user (the actor: a username, e-mail or an affiliate's cédula), action, object (the
subject, exactly), Bogotá days (DD/MM/AAAA) and free text; paged, and as an .xlsx written
row by row from the database (services/report_exports.stream_workbook)."""
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select

from portal.adapters.xlsx import _safe_text as safe_text
from portal.domain import order_search as dates
from portal.domain import paging
from portal.extensions import db
from portal.models import Affiliate, AuditEvent, User
from portal.services import audit, report_exports, reports, tables

EXPORT_HEADERS = ("Fecha", "Acción", "Actor", "Sujeto", "IP", "Detalle")
EXPORT_MAX_ROWS = 1_048_575  # Excel's rows below the header
TEXT_MAX = 100


@dataclass
class Criteria:
    """The filters as typed (shown again) and the Spanish message of each bad one; with
    any message nothing is listed."""
    texts: dict
    actors: list = field(default_factory=list)  # (actor_type, actor_id) of «usuario»
    start: object = None
    end: object = None
    errors: dict = field(default_factory=dict)

    @property
    def params(self):
        return {k: v for k, v in self.texts.items() if v}


TEXT_FIELDS = ("usuario", "accion", "objeto", "q")


def parse(args, today):
    """The criteria of the query string (`today`: Bogotá's date, for order_search.parse)."""
    texts = {name: (args.get(name) or "").strip()[:TEXT_MAX] for name in TEXT_FIELDS}
    days = dates.parse({k: args.get(k) for k in dates.FIELDS}, today)
    texts.update(days.texts)
    errors = dict(days.errors)
    actors = _actors(texts["usuario"]) if texts["usuario"] else []
    if texts["usuario"] and not actors:
        errors["usuario"] = (f"Usuario: no hay ningún usuario (nombre de usuario o correo) ni afiliado (cédula) "
                             f"«{texts['usuario']}».")
    return Criteria(texts, actors, days.start, days.end, errors)


def _actors(text):
    """Every principal that `text` names: users by username or e-mail (any kind), affiliates by cédula."""
    lowered = text.lower()
    users = db.session.scalars(select(User.id).where(or_(func.lower(User.username) == lowered,
                                                         func.lower(User.email) == lowered))).all()
    affiliates = db.session.scalars(select(Affiliate.id).where(Affiliate.cedula == text)).all()
    return [("user", i) for i in users] + [("affiliate", i) for i in affiliates]


def _query(criteria, *columns):
    query = select(*columns)
    t = criteria.texts
    if criteria.actors:
        query = query.where(or_(*[(AuditEvent.actor_type == kind) & (AuditEvent.actor_id == pk)
                                  for kind, pk in criteria.actors]))
    if t["accion"]:
        query = query.where(AuditEvent.action == t["accion"])
    if t["objeto"]:
        query = query.where(AuditEvent.subject == t["objeto"])
    after, before = dates.utc_bounds(criteria.start, criteria.end)
    if after:
        query = query.where(AuditEvent.created_at >= after)
    if before:
        query = query.where(AuditEvent.created_at < before)
    if t["q"]:
        query = query.where(or_(AuditEvent.action.icontains(t["q"], autoescape=True),
                                AuditEvent.subject.icontains(t["q"], autoescape=True),
                                AuditEvent.ip.icontains(t["q"], autoescape=True),
                                AuditEvent.detail.icontains(t["q"], autoescape=True)))
    return query.order_by(AuditEvent.id.desc())


@dataclass
class AuditRow:
    event: AuditEvent
    actor: str


def actions():
    return db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all()


def page(criteria, number, per_page):
    """(AuditRows of the page, paging.Page), newest first; none when a filter is wrong."""
    if criteria.errors:
        return [], paging.page_of(0)
    events, found = tables.paged(_query(criteria, AuditEvent), number, per_page)
    names = actor_names(events)
    return [AuditRow(e, actor_label(e, names)) for e in events], found


def actor_names(events):
    """{(actor_type, actor_id): name} of the events' users and affiliates, in two queries."""
    ids = {"user": set(), "affiliate": set()}
    for e in events:
        if e.actor_type in ids and e.actor_id is not None:
            ids[e.actor_type].add(e.actor_id)
    names = {}
    if ids["user"]:
        for pk, username, kind in db.session.execute(select(User.id, User.username, User.kind)
                                                     .where(User.id.in_(ids["user"]))):
            names[("user", pk)] = f"{username} ({kind})"
    if ids["affiliate"]:
        for pk, cedula in db.session.execute(select(Affiliate.id, Affiliate.cedula)
                                             .where(Affiliate.id.in_(ids["affiliate"]))):
            names[("affiliate", pk)] = f"afiliado ****{cedula[-4:]}"
    return names


def actor_label(event, names):
    if not event.actor_type:
        return "—"
    return names.get((event.actor_type, event.actor_id), f"{event.actor_type} #{event.actor_id}")


def export(admin, criteria, chunk=1000):
    """The filtered events as an .xlsx file object (at 0): fetched `chunk` rows at a time
    and written as they come; every text cell neutralised. Audited, commits."""
    columns = (AuditEvent.created_at, AuditEvent.action, AuditEvent.actor_type, AuditEvent.actor_id,
               AuditEvent.subject, AuditEvent.ip, AuditEvent.detail)
    result = db.session.execute(_query(criteria, *columns).limit(EXPORT_MAX_ROWS)
                                .execution_options(yield_per=chunk))
    out = report_exports.stream_workbook("Auditoría", EXPORT_HEADERS, _export_rows(result))
    audit.record("staff.audit_exported", admin, **criteria.params)
    db.session.commit()
    return out


def _export_rows(result):
    for part in result.partitions():
        names = actor_names(part)
        for e in part:
            yield (reports.local_time(e.created_at), safe_text(e.action), safe_text(actor_label(e, names)),
                   safe_text(e.subject), safe_text(e.ip), safe_text(e.detail))
