"""A page of a query's rows for the portal's paged tables (domain/paging.py does the
arithmetic): the count of every row that matches, then only the page's rows."""
from sqlalchemy import and_, func, or_, select

from portal.domain import paging
from portal.extensions import db


def paged(query, number, per_page, *order_by, total=None, entities=True):
    """(the rows of page `number`, its paging.Page): ORM objects, or with entities=False
    the select's rows as they are; pass `total` when it is known already."""
    if total is None:
        total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page = paging.page_of(total, number, per_page)
    query = query.order_by(*order_by).limit(page.per_page).offset(page.offset)
    rows = db.session.scalars(query).all() if entities else db.session.execute(query).all()
    return rows, page


def newest_after(query, created, ident, after=None, limit=20, entities=True):
    """The API's cursor pages, newest first by (`created`, `ident`): (up to `limit` rows
    after `after` — the (created, ident) of the last row already seen — and whether more
    follow). One index range, whatever the page: no OFFSET."""
    if after is not None:
        at, last = after
        query = query.where(or_(created < at, and_(created == at, ident < last)))
    query = query.order_by(created.desc(), ident.desc()).limit(limit + 1)
    rows = db.session.scalars(query).all() if entities else db.session.execute(query).all()
    return rows[:limit], len(rows) > limit
