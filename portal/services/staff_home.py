"""The staff home's figures in one statement: pending application requests, payments to
review and waiting for the bank, employers' files of the month, cartera uploads per filter.
Each service owns its part (a one-row select); here they are cross-joined into one row,
built once per combination of parts the staff user may see (building these selects cost
more than running them). The month is a bound parameter.
"""
from dataclasses import dataclass

from sqlalchemy import select, true

from portal.domain.formatting import today_bogota
from portal.extensions import db
from portal.services import contact_updates, payment_queue, staff_cartera, staff_queue, staff_statements
from portal.services.statements import period_of

PARTS = {
    "pending": staff_queue.pending_counts_select,
    "payments": payment_queue.counts_select,
    "cartera": staff_statements.counts_select,
    "uploads": staff_cartera.counts_select,
    "contact_updates": contact_updates.counts_select,
}
_statements = {}


@dataclass(frozen=True)
class HomeCounts:
    pending: dict  # application -> pending requests (those the user may decide)
    payments: dict | None  # reviews | waiting; None without the «pagos» role
    cartera: dict | None  # all | sent | pending; None without «cartera»
    uploads: dict | None  # staff_cartera.FILTERS -> uploads; None without «cartera»
    contact_updates: dict | None = None  # pending | oldest_age; None without «pagos»


def counts(staff_user, today=None):
    parts = ("pending",) + (("payments", "contact_updates") if staff_user.has_role("pagos") else ()) \
        + (("cartera", "uploads") if staff_user.has_role("cartera") else ())
    row = db.session.execute(_statement(parts),
                             {"current_period": period_of(today or today_bogota())}).one()._mapping
    part = {name: {key.split("__", 1)[1]: value for key, value in row.items()
                   if key.startswith(f"{name}__")} for name in parts}
    return HomeCounts(
        pending=staff_queue.pending_counts(staff_user, part["pending"]),
        payments=part.get("payments"),
        cartera=staff_statements.counts_of(part["cartera"]) if "cartera" in part else None,
        uploads=staff_cartera.counts_of(part["uploads"]) if "uploads" in part else None,
        contact_updates=(contact_updates.counts_of(part["contact_updates"])
                         if "contact_updates" in part else None))


def _statement(parts):
    if parts not in _statements:
        subqueries = [PARTS[name]().subquery(name) for name in parts]
        statement = select(*[column.label(f"{subquery.name}__{column.name}")
                             for subquery in subqueries for column in subquery.c])
        statement = statement.select_from(subqueries[0])
        for subquery in subqueries[1:]:
            statement = statement.join(subquery, true())  # one row each: a cross join
        _statements[parts] = statement
    return _statements[parts]
