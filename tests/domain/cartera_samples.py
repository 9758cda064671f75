"""Sample statement lines of the Estado de Cartera files and their rows as python-calamine
reads them back: what the cartera_layout and cartera_rows tests check (no app, no files)."""
from datetime import date
from decimal import Decimal

from portal.domain import cartera_layout as cl

D = Decimal


def line(n, kind="active", **changes):
    values = dict(credit_number=f"LI-{1000 + n}", id_number=f"00{7200000 + n}", first_name="Ana María",
                  last_name=f"Pérez {n}", kind=kind, balance=D("1752770.00"), instalment=D("175277.00"),
                  arrears_days=0, arrears=D("0.00"), principal=D("2000000.00"), credit_date=date(2023, 3, 5),
                  retired_on=date(2024, 2, 1) if kind == "retired" else None)
    values.update(changes)
    return cl.CarteraLine(**values)


LINES = [line(1), line(2, arrears_days=30, arrears=D("4381.93")), line(3), line(4, kind="retired"),
         line(5, kind="retired", arrears_days=15, arrears=D("2190.96"))]


def as_read(value):
    """A written value as python-calamine returns it: numbers as float, '' for empty."""
    if value is None:
        return ""
    if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
        return float(str(value))
    return value


def rows_for(kind, lines=LINES):
    spec = cl.layout(kind)
    return [[as_read(v) for v in spec.values(l)] for l in cl.lines_for(kind, lines)]


def col(kind, key):
    return cl.layout(kind).index(key)
