"""Helpers shared by the demo loaders: seeded randomness, money, periods, get-or-create."""
import random
import uuid
from collections import Counter
from datetime import date

from portal.domain import arrears
from portal.domain.formatting import to_money
from portal.extensions import db

# Fixed namespace: the same natural key always gives the same transaction id.
_TXN_NAMESPACE = uuid.UUID("6f2c9a52-1d0e-4c55-9d1b-2a3f6c0de24a")


def rng(area):
    """One seeded generator per area, so adding rows to one area never shifts another."""
    return random.Random(f"portal-demo:{area}")


def money(value):
    """'1752770' or Decimal or int -> Decimal('1752770.00'); floats are refused."""
    return to_money(value)


def last_periods(today, count=3):
    """The `count` months before today's month, oldest first, as 'YYYY-MM'."""
    year, month, out = today.year, today.month, []
    for _ in range(count):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        out.append(f"{year:04d}-{month:02d}")
    return out[::-1]


def period_start(period):
    year, month = map(int, period.split("-"))
    return date(year, month, 1)


due_date = arrears.due_date  # statements fall due on the 10th of the period month


def months_before(day, months):
    index = day.year * 12 + (day.month - 1) - months
    return date(index // 12, index % 12 + 1, min(day.day, 28))


def txn_id(*parts):
    return str(uuid.uuid5(_TXN_NAMESPACE, ":".join(str(p) for p in parts)))


class Stats(Counter):
    """How many rows each loader created (a second run counts zero everywhere)."""

    def created(self, table, n=1):
        self[table] += n


def get_or_add(stats, model, key, **values):
    """The row with these natural-key columns, created with `values` if missing.
    An existing row is never changed."""
    row = db.session.query(model).filter_by(**key).first()
    if row is None:
        row = model(**key, **values)
        db.session.add(row)
        db.session.flush()
        stats.created(model.__tablename__)
    return row
