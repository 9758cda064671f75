"""Staff: the employers' Estado de Cartera month by month — the table of approved
employers with their branches, latest period and when their files were last e-mailed,
and "Volver a generar y enviar" for one employer and period (audited, then an RQ job that
calls statements.run_monthly).

Plain functions, no request context.
"""
from dataclasses import dataclass

from sqlalchemy import and_, case, func, or_, select

from portal.domain import paging
from portal.domain.formatting import today_bogota
from portal.extensions import db
from portal.models import Branch, Entity, Statement
from portal.queue import enqueue_after_commit
from portal.services import audit
from portal.services.statements import approved_entities, is_approved, period_of

RESEND_CHOICES = 12  # periods offered to staff: the current one and the latest statements
STATUS_FILTERS = ("all", "sent", "pending")


@dataclass
class EmployerRow:
    entity: Entity
    branches: int
    last_period: str | None
    last_sent_at: object | None
    current_statements: int
    current_sent: int
    periods: list  # vigencias staff may re-run, newest first

    @property
    def status(self):
        if self.current_statements and self.current_sent == self.current_statements:
            return "sent"
        return "pending"


@dataclass
class EmployerListing:
    rows: list
    page: paging.Page
    counts: dict  # all | sent | pending (for the current period, the search applied)
    period: str


def _listing(q, current):
    """The approved employers with their figures, and the 'files of the current period
    all sent' condition."""
    stats = (select(Statement.entity_id.label("entity_id"),
                    func.max(Statement.period).label("last_period"),
                    func.max(Statement.files_sent_at).label("last_sent_at"),
                    func.sum(case((Statement.period == current, 1), else_=0)).label("cur_total"),
                    func.sum(case((and_(Statement.period == current, Statement.files_sent_at.is_not(None)), 1),
                                  else_=0)).label("cur_sent"))
             .group_by(Statement.entity_id).subquery())
    branch_counts = (select(Branch.entity_id.label("entity_id"), func.count().label("n"))
                     .group_by(Branch.entity_id).subquery())
    cur_total, cur_sent = func.coalesce(stats.c.cur_total, 0), func.coalesce(stats.c.cur_sent, 0)
    query = (approved_entities().order_by(None)
             .add_columns(func.coalesce(branch_counts.c.n, 0), stats.c.last_period, stats.c.last_sent_at,
                          cur_total, cur_sent)
             .outerjoin(branch_counts, branch_counts.c.entity_id == Entity.id)
             .outerjoin(stats, stats.c.entity_id == Entity.id))
    q = (q or "").strip()[:100]
    if q:
        query = query.where(or_(Entity.nit.icontains(q, autoescape=True),
                                Entity.name.icontains(q, autoescape=True)))
    sorts = {"nombre": (Entity.name,), "nit": (Entity.nit,),
             "vigencia": (stats.c.last_period.desc().nulls_last(), Entity.name),
             "envio": (stats.c.last_sent_at.desc().nulls_last(), Entity.name)}
    return query, and_(cur_total > 0, cur_sent == cur_total), sorts


def _counts_select(query, is_sent):
    return query.with_only_columns(
        func.count(Entity.id).label("all"),
        func.coalesce(func.sum(case((is_sent, 1), else_=0)), 0).label("sent")).order_by(None)


def _counts(query, is_sent):
    return counts_of(db.session.execute(_counts_select(query, is_sent)).one()._mapping)


def counts_of(row):
    """all | sent | pending from a row with «all» and «sent»."""
    return {"all": row["all"], "sent": int(row["sent"]), "pending": row["all"] - int(row["sent"])}


def employers(q="", status="all", sort="nombre", number=1, per_page=paging.DEFAULT_PER_PAGE, today=None):
    """Approved employers with their branches, latest period and when files were last
    e-mailed; `status` sent|pending refers to the current period's statements."""
    current = period_of(today or today_bogota())
    query, is_sent, sorts = _listing(q, current)
    counts = _counts(query, is_sent)
    if status == "sent":
        query = query.where(is_sent)
    elif status == "pending":
        query = query.where(~is_sent)
    else:
        status = "all"
    page = paging.page_of(counts[status], number, per_page)
    rows = db.session.execute(query.order_by(*sorts.get(sort, sorts["nombre"]), Entity.id)
                              .limit(page.per_page).offset(page.offset)).all()
    periods = _periods_of([row[0].id for row in rows], current)
    out = [EmployerRow(entity, branches, last_period, last_sent_at, int(ct), int(cs), periods[entity.id])
           for entity, branches, last_period, last_sent_at, ct, cs in rows]
    return EmployerListing(out, page, counts, current)


def _periods_of(entity_ids, current):
    out = {entity_id: [current] for entity_id in entity_ids}
    if entity_ids:
        for entity_id, period in db.session.execute(
                select(Statement.entity_id, Statement.period).distinct()
                .where(Statement.entity_id.in_(entity_ids), Statement.period <= current)
                .order_by(Statement.period.desc())):
            if period not in out[entity_id] and len(out[entity_id]) < RESEND_CHOICES:
                out[entity_id].append(period)
    return out


@dataclass
class Resend:
    status: str  # queued | not_found | invalid
    message: str = ""
    entity: Entity | None = None

    @property
    def ok(self):
        return self.status == "queued"


def request_resend(staff_user, entity_id, period, today=None):
    """Staff asked to build (if missing) and e-mail again an employer's statements of a
    period: audited and enqueued as an RQ job once committed."""
    today = today or today_bogota()
    entity = db.session.get(Entity, entity_id)
    if entity is None or not is_approved(entity):
        return Resend("not_found")
    period = (period or "").strip()
    allowed = _periods_of([entity.id], period_of(today))[entity.id]
    if period not in allowed:
        audit.record("cartera.resend_refused", staff_user, subject=f"entity:{entity.id}",
                     nit=entity.nit, period=period[:20])
        db.session.commit()
        return Resend("invalid", "Vigencia: escoja una de la lista (la actual o una ya generada).", entity)
    audit.record("cartera.resend_requested", staff_user, subject=f"entity:{entity.id}",
                 nit=entity.nit, period=period)
    enqueue_after_commit("portal.jobs.resend_entity_statements", entity.id, period, staff_user.id)
    db.session.commit()
    return Resend("queued", f"Se volverán a generar y enviar los estados de cartera de la vigencia "
                            f"{period} de {entity.name} (NIT {entity.nit}). Los correos salen en unos "
                            "minutos; la fecha de envío se actualiza en esta tabla.", entity)
