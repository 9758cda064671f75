"""A page of a query's rows for the portal's paged tables (domain/paging.py does the
arithmetic): the count of every row that matches, then only the page's rows."""
from sqlalchemy import func, select

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
