"""Estado de Cartera files: the column layouts of Detalle, Activos and Retirados, the
lines they list and their names. Pure: no Flask, no database, no I/O. An uploaded file's
header row is checked in cartera_structure, its data rows in cartera_rows; reading one
cell is cells' business.

The files (manual 000): Detalle lists every worker with a credit (read only); Activos the
current workers whose instalment the employer pays on the 10th; Retirados the former
workers the employer still owes for. In Activos/Retirados only "Aplica Mora" and
"Valor a Pagar" may change.

Decisions, so the services and the UI tell one story:
- Header in row 1, data from row 2; row numbers in messages are Excel's.
- A downloaded file comes filled in: "Aplica Mora" S when the line has arrears, else N;
  "Valor a Pagar" the instalment (never above the balance) plus the arrears when S. An
  employer who changes nothing pays what is due.
"""
from dataclasses import MISSING, dataclass, fields
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import NamedTuple

from portal.domain.cells import NO, YES
from portal.domain.formatting import to_money

# A file's kind, one word for it in every layer: Activos lists the lines of kind "active"
# and Retirados those of kind "retired" (StatementLine.kind and CarteraUpload.kind, as
# stored); Detalle lists them all and is never uploaded.
DETAIL, ACTIVE, RETIRED = "detail", "active", "retired"
KINDS = (DETAIL, ACTIVE, RETIRED)
UPLOADABLE = (ACTIVE, RETIRED)
KIND_LABEL = {DETAIL: "Archivo de Detalle", ACTIVE: "Archivo de Activos", RETIRED: "Archivo de Retirados"}

TEXT, MONEY, INTEGER, DATE, FLAG = "text", "money", "integer", "date", "flag"
APPLY_ARREARS_HEADER, AMOUNT_HEADER = "Aplica Mora", "Valor a Pagar"
HEADER_ROW, FIRST_DATA_ROW = 1, 2
ERRORS_HEADER = "Errores"  # the column added to a file sent back with its errors


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    type: str
    width: int
    editable: bool = False


@dataclass(frozen=True)
class Layout:
    kind: str
    slug: str  # the file in its URL and its name, as users see them: detalle, activos, retirados
    title: str  # the sheet's name
    columns: tuple

    @property
    def headers(self):
        return [c.header for c in self.columns]

    def index(self, key):
        """The position of the column `key` (KeyError when the layout has none)."""
        return self._positions[key]

    @cached_property
    def _positions(self):
        return {column.key: i for i, column in enumerate(self.columns)}

    def values(self, line):
        """The row this line shows in the file, in column order (editable columns with
        their defaults)."""
        return [_VALUE[c.key](line) for c in self.columns]


_ID = Column("id_number", "Identificación", TEXT, 16)
_NAME = Column("name", "Nombre Trabajador", TEXT, 36)
_CREDIT = Column("credit_number", "Nro Crédito", TEXT, 14)
_BALANCE = Column("balance", "Saldo", MONEY, 16)
_DAYS = Column("arrears_days", "Días Mora", INTEGER, 10)
_ARREARS = Column("arrears", "Valor Mora", MONEY, 14)
_FLAG = Column("apply_arrears", APPLY_ARREARS_HEADER, FLAG, 12, editable=True)
_AMOUNT = Column("amount", AMOUNT_HEADER, MONEY, 16, editable=True)

LAYOUTS = {
    DETAIL: Layout(DETAIL, "detalle", "Detalle", (
        Column("id_type", "Tipo Id", TEXT, 8), _ID,
        Column("first_name", "Nombres", TEXT, 24), Column("last_name", "Apellidos", TEXT, 24),
        _CREDIT, Column("credit_date", "Fecha Crédito", DATE, 13),
        Column("principal", "Valor Crédito", MONEY, 16), _BALANCE,
        Column("instalment", "Cuota", MONEY, 14), _DAYS, _ARREARS,
        Column("status", "Estado", TEXT, 20))),
    ACTIVE: Layout(ACTIVE, "activos", "Activos", (
        _ID, _NAME, _CREDIT, _BALANCE, Column("instalment", "Cuota (Descuento)", MONEY, 16),
        _DAYS, _ARREARS, _FLAG, _AMOUNT)),
    RETIRED: Layout(RETIRED, "retirados", "Retirados", (
        _ID, _NAME, Column("retired_on", "Fecha Retiro", DATE, 13), _CREDIT, _BALANCE,
        Column("instalment", "Cuota (Descuento)", MONEY, 16), _DAYS, _ARREARS, _FLAG, _AMOUNT)),
}


@dataclass(frozen=True)
class CarteraLine:
    """One credit on a period's statement, as the files show it. The service builds it
    from StatementLine + Credit + Worker."""

    credit_number: str
    id_number: str
    first_name: str
    last_name: str
    kind: str  # ACTIVE | RETIRED
    balance: Decimal
    instalment: Decimal
    arrears_days: int = 0
    arrears: Decimal = Decimal("0.00")
    principal: Decimal = Decimal("0.00")
    credit_date: date | None = None
    retired_on: date | None = None
    id_type: str = "CC"

    @classmethod
    def from_row(cls, row):
        """A line from its 13 values in the fields' order (a query's row), set without
        the frozen dataclass's __init__, which sets each field through object.__setattr__:
        half the time for 10,000 lines."""
        line = object.__new__(cls)
        line.__dict__.update(zip(_FIELDS, row, strict=True))
        return line

    @classmethod
    def from_fields(cls, values):
        """A line from a dict of some of its fields (the others at their defaults), set
        as from_row sets it."""
        line = object.__new__(cls)
        line.__dict__.update(_DEFAULTS)
        line.__dict__.update(values)
        return line

    @property
    def name(self):
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def default_apply_arrears(self):
        return YES if self.arrears > 0 else NO

    @property
    def instalment_due(self):
        """The instalment, never more than the balance (the last one may be smaller)."""
        return min(self.instalment, self.balance)

    @property
    def default_amount(self):
        return to_money(self.instalment_due + (self.arrears if self.arrears > 0 else 0))

    def owed(self, apply_arrears: bool):
        """The most this line may receive: the balance, plus the arrears when charged."""
        return to_money(self.balance + (self.arrears if apply_arrears else 0))


_FIELDS = tuple(f.name for f in fields(CarteraLine))
_DEFAULTS = {f.name: f.default for f in fields(CarteraLine) if f.default is not MISSING}


class OtherFileCredit(NamedTuple):
    """A credit of the statement listed in the other file (Activos or Retirados): all a
    file's check needs of it, to name the file it belongs to."""

    credit_number: str
    kind: str  # ACTIVE | RETIRED


def _status(line):
    worker = "Retirado" if line.kind == RETIRED else "Activo"
    return f"{worker} - {'En mora' if line.arrears_days > 0 or line.arrears > 0 else 'Al día'}"


_VALUE = {
    "id_type": lambda l: l.id_type, "id_number": lambda l: l.id_number,
    "first_name": lambda l: l.first_name, "last_name": lambda l: l.last_name,
    "name": lambda l: l.name, "credit_number": lambda l: l.credit_number,
    "credit_date": lambda l: l.credit_date, "retired_on": lambda l: l.retired_on,
    "principal": lambda l: to_money(l.principal), "balance": lambda l: to_money(l.balance),
    "instalment": lambda l: to_money(l.instalment), "arrears_days": lambda l: int(l.arrears_days),
    "arrears": lambda l: to_money(l.arrears), "status": _status,
    "apply_arrears": lambda l: l.default_apply_arrears, "amount": lambda l: l.default_amount,
}


def layout(kind) -> Layout:
    if kind not in LAYOUTS:
        raise ValueError(f"tipo de archivo desconocido: {kind}")
    return LAYOUTS[kind]


_BY_SLUG = {spec.slug: spec for spec in LAYOUTS.values()}


def by_slug(slug) -> Layout | None:
    """The layout a URL names (detalle, activos, retirados); None for any other word."""
    return _BY_SLUG.get(slug)


def lines_for(kind, lines):
    """The lines a file of this kind lists (Detalle: all of them)."""
    layout(kind)
    return [l for l in lines if kind == DETAIL or l.kind == kind]


def file_name(kind, period):
    return f"cartera_{period}_{layout(kind).slug}.xlsx"


def column_letter(index):
    """0 → A, 25 → Z, 26 → AA."""
    letters, n = "", index + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters):
    """A → 0, AA → 26."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1
