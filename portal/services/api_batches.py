"""What the ERP API reads of a company's batches (issue #12): a batch by id for a key,
the batches newest first a page at a time (the API's cursor pages), and a batch's
line errors one by one with their line, field and reason. The decisions and the
sending are services.batches', shared with the pages."""
import re
from dataclasses import dataclass
from functools import cache

from sqlalchemy import select

from portal.domain import batch_layouts as bl
from portal.domain.order_search import utc_bounds
from portal.extensions import db
from portal.models import Batch, BatchLine
from portal.services import api_keys, batches, tables


@dataclass(frozen=True)
class LineError:
    line: int
    field: str  # the layout's key (id_number), or the column's title when it is none
    column: str  # the column's title in the file (ID PERSONA)
    message: str


def batch_for(key, batch_id):
    """(the key's Access to the batch's product, the batch), or (None, None): another
    company's batch, or of a product outside the key."""
    product_id = db.session.scalar(select(Batch.product_id).where(Batch.id == batch_id,
                                                                  Batch.company_id == key.company_id))
    access = api_keys.access(key, product_id) if product_id is not None else None
    if access is None:
        return None, None
    return access, batches.batch_of(access, batch_id)


def listed(company_id, product_ids, kind=None, status=None, since=None, until=None, after=None, limit=20):
    """(up to `limit` batches of the company's `product_ids`, newest first after `after`
    — services/tables.newest_after —; more?). Dates are Bogotá's days."""
    query = select(Batch).where(Batch.company_id == company_id, Batch.product_id.in_(product_ids))
    start, end = utc_bounds(since, until)
    for column, value in ((Batch.kind, kind), (Batch.status, status)):
        if value is not None:
            query = query.where(column == value)
    if start is not None:
        query = query.where(Batch.created_at >= start)
    if end is not None:
        query = query.where(Batch.created_at < end)
    return tables.newest_after(query, Batch.created_at, Batch.id, after, limit)


def line_errors(batch, after_line=0, limit=100):
    """(the errors of up to `limit` rejected lines after line `after_line`, in line
    order; the line to go on after, or None at the end)."""
    rows = db.session.execute(select(BatchLine.line_no, BatchLine.errors).where(
        BatchLine.batch_id == batch.id, BatchLine.ok.is_(False), BatchLine.line_no > after_line)
        .order_by(BatchLine.line_no).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    columns = _columns(batch.kind)
    errors = [error for row in rows for error in _split(columns, row.line_no, row.errors or "")]
    return errors, (rows[-1].line_no if more else None)


@cache
def _columns(kind):
    """(a pattern of «TITLE: » at the start of each error of a line, {title: key})."""
    spec = bl.LAYOUTS.get(kind)
    fields = {f.header: f.key for f in spec.fields} if spec else {}
    titles = "|".join([re.escape(title) for title in fields] + [r"columna \d+"])
    return re.compile(f"(?:^|; )({titles}): "), fields


def _split(columns, line_no, text):
    """A line's errors as the job wrote them («TITLE: reason; TITLE: reason»), one by one."""
    pattern, fields = columns
    parts = pattern.split(text)
    if len(parts) < 3 or parts[0]:  # not as the job writes them: the whole text, said once
        return [LineError(line_no, "", "", text)]
    return [LineError(line_no, fields.get(title, title), title, reason)
            for title, reason in zip(parts[1::2], parts[2::2], strict=True)]
