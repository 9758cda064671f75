"""Many rows of one table written with one statement: the upload jobs' lines (up to
100,000 batch lines), in the session's transaction.

SQLAlchemy's executemany of dict rows builds, for every row, a dict of processed
parameters and a tuple for the driver: on SQLite about a quarter of a 100,000-line
INSERT. Here the rows come as tuples in the columns' order and go to the driver's
executemany with only the columns' bind processors applied (SQLite takes no Decimal:
Numeric becomes float, as SQLAlchemy sends it). On PostgreSQL SQLAlchemy's own
"insertmanyvalues" (1,000 rows per INSERT … VALUES) is as fast as the driver's
executemany, so the rows go that way. Both pass through the engine's events (the
first-write BEGIN of db_pool) and the session's (the first row: an Idempotency-Key's
claim)."""
import json

from sqlalchemy import ARRAY, String, any_, bindparam, func, insert, literal_column, select

from portal.extensions import db

_PLANS = {}  # (table, columns, dialect) → (SQL text or None, [(position, bind processor)])


def insert_rows(table, columns, rows):
    """INSERT `rows` (sequences of values in `columns` order) into `table`."""
    if not rows:
        return
    sql, processors = _plan(table, tuple(columns), db.session.get_bind().dialect)
    if sql is None:
        db.session.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    # The first row through the session, so that its events see the write (an
    # Idempotency-Key's claim is written before it); the rest straight to the driver.
    db.session.execute(insert(table), [dict(zip(columns, rows[0], strict=True))])
    rest = rows[1:]
    if processors:
        rest = [_processed(row, processors) for row in rest]
    if rest:
        db.session.connection().exec_driver_sql(sql, rest)


def _processed(row, processors):
    row = list(row)
    for at, process in processors:
        row[at] = process(row[at])
    return tuple(row)


def _plan(table, columns, dialect):
    key = (table.name, columns, dialect.name)
    found = _PLANS.get(key)
    if found is None:
        found = _PLANS[key] = _new_plan(table, columns, dialect)
    return found


def _new_plan(table, columns, dialect):
    if dialect.name != "sqlite":
        return None, []
    quote = dialect.identifier_preparer.quote
    sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
           f"VALUES ({', '.join('?' * len(columns))})")
    processors = [(at, table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
                  for at, name in enumerate(columns)]
    return sql, [(at, process) for at, process in processors if process is not None]


def among(column, values):
    """`column IN values` with the values as one bound parameter (a JSON array that
    SQLite's json_each reads, an array on PostgreSQL): one statement whatever their
    count, instead of one parameter each (1,000 of them, named and bound one by one,
    were 2/3 of a batch step's card lookup)."""
    values = list(values)
    if db.session.get_bind().dialect.name == "sqlite":
        return column.in_(select(literal_column("value")).select_from(func.json_each(bindparam(None, json.dumps(values)))))
    return column == any_(bindparam(None, values, type_=ARRAY(String())))  # varchar(n)[] would cut them
