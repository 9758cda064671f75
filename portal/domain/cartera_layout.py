"""Estado de Cartera files: the column layouts of Detalle, Activos and Retirados, and the
rules an uploaded Activos/Retirados file must follow. Pure: no Flask, no database, no I/O.

The files (manual 000): Detalle lists every worker with a credit (read only); Activos the
current workers whose instalment the employer pays on the 10th; Retirados the former
workers the employer still owes for. In Activos/Retirados only "Aplica Mora" and
"Valor a Pagar" may change.

Decisions, so the services and the UI tell one story:
- Header in row 1, data from row 2; row numbers in messages are Excel's.
- Activos and Retirados differ by one column (Retirados has "Fecha Retiro"), so a file
  uploaded in the wrong tab is recognised and named instead of failing on every row.
- Headers compare without regard to case, accents or repeated spaces; anything else
  (added, removed, renamed or reordered column) refuses the whole file at once
  (`check_structure`).
- A downloaded file comes filled in: "Aplica Mora" S when the line has arrears, else N;
  "Valor a Pagar" the instalment (never above the balance) plus the arrears when S. An
  employer who changes nothing pays what is due.
- An empty "Valor a Pagar" means 0 (this worker is not paid this period). A row omitted
  from the file (deleted, or filtered away in a copy) is not an error either: it is
  listed in `CheckResult.omitted` and pays 0; the balance check ("Cuadre Cartera") shows
  the difference.
- An empty "Aplica Mora" is an error (the drop-down offers S or N; nothing is assumed).
- A file with the titles and no row under them is refused whole (`check_upload`): it
  would be "processed" paying nothing, which no employer means to do.
- Every error is collected, never only the first; a row with any error is not accepted.
  The service should refuse the whole upload while `errors` is not empty.
"""
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from portal.domain.formatting import CENT, money, to_money

DETALLE, ACTIVOS, RETIRADOS = "detalle", "activos", "retirados"
KINDS = (DETALLE, ACTIVOS, RETIRADOS)
UPLOADABLE = (ACTIVOS, RETIRADOS)
LINE_KIND = {ACTIVOS: "active", RETIRADOS: "retired"}  # StatementLine.kind
KIND_LABEL = {DETALLE: "Archivo de Detalle", ACTIVOS: "Archivo de Activos", RETIRADOS: "Archivo de Retirados"}

TEXT, MONEY, INTEGER, DATE, FLAG = "text", "money", "integer", "date", "flag"
APLICA_MORA, VALOR_A_PAGAR = "Aplica Mora", "Valor a Pagar"
STRUCTURE_MESSAGE = "Este archivo no puede ser modificado en su estructura"
HEADER_ROW, FIRST_DATA_ROW = 1, 2
ERRORS_HEADER = "Errores"  # the column added to a file sent back with its errors
YES, NO = "S", "N"


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
    title: str  # the sheet's name
    columns: tuple

    @property
    def headers(self):
        return [c.header for c in self.columns]

    @property
    def line_kind(self):
        return LINE_KIND.get(self.kind)

    def index(self, key):
        for i, column in enumerate(self.columns):
            if column.key == key:
                return i
        raise KeyError(key)

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
_FLAG = Column("aplica_mora", APLICA_MORA, FLAG, 12, editable=True)
_AMOUNT = Column("amount", VALOR_A_PAGAR, MONEY, 16, editable=True)

LAYOUTS = {
    DETALLE: Layout(DETALLE, "Detalle", (
        Column("id_type", "Tipo Id", TEXT, 8), _ID,
        Column("first_name", "Nombres", TEXT, 24), Column("last_name", "Apellidos", TEXT, 24),
        _CREDIT, Column("credit_date", "Fecha Crédito", DATE, 13),
        Column("principal", "Valor Crédito", MONEY, 16), _BALANCE,
        Column("instalment", "Cuota", MONEY, 14), _DAYS, _ARREARS,
        Column("status", "Estado", TEXT, 20))),
    ACTIVOS: Layout(ACTIVOS, "Activos", (
        _ID, _NAME, _CREDIT, _BALANCE, Column("instalment", "Cuota (Descuento)", MONEY, 16),
        _DAYS, _ARREARS, _FLAG, _AMOUNT)),
    RETIRADOS: Layout(RETIRADOS, "Retirados", (
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
    kind: str  # "active" | "retired"
    balance: Decimal
    instalment: Decimal
    arrears_days: int = 0
    arrears: Decimal = Decimal("0.00")
    principal: Decimal = Decimal("0.00")
    credit_date: date | None = None
    retired_on: date | None = None
    id_type: str = "CC"

    @property
    def name(self):
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def default_aplica_mora(self):
        return YES if self.arrears > 0 else NO

    @property
    def instalment_due(self):
        """The instalment, never more than the balance (the last one may be smaller)."""
        return min(self.instalment, self.balance)

    @property
    def default_amount(self):
        return to_money(self.instalment_due + (self.arrears if self.arrears > 0 else 0))

    def owed(self, aplica_mora: bool):
        """The most this line may receive: the balance, plus the arrears when charged."""
        return to_money(self.balance + (self.arrears if aplica_mora else 0))


def _status(line):
    worker = "Retirado" if line.kind == "retired" else "Activo"
    return f"{worker} - {'En mora' if line.arrears_days > 0 or line.arrears > 0 else 'Al día'}"


_VALUE = {
    "id_type": lambda l: l.id_type, "id_number": lambda l: l.id_number,
    "first_name": lambda l: l.first_name, "last_name": lambda l: l.last_name,
    "name": lambda l: l.name, "credit_number": lambda l: l.credit_number,
    "credit_date": lambda l: l.credit_date, "retired_on": lambda l: l.retired_on,
    "principal": lambda l: to_money(l.principal), "balance": lambda l: to_money(l.balance),
    "instalment": lambda l: to_money(l.instalment), "arrears_days": lambda l: int(l.arrears_days),
    "arrears": lambda l: to_money(l.arrears), "status": _status,
    "aplica_mora": lambda l: l.default_aplica_mora, "amount": lambda l: l.default_amount,
}


def layout(kind) -> Layout:
    if kind not in LAYOUTS:
        raise ValueError(f"tipo de archivo desconocido: {kind}")
    return LAYOUTS[kind]


def lines_for(kind, lines):
    """The lines a file of this kind lists (Detalle: all of them)."""
    wanted = layout(kind).line_kind
    return [l for l in lines if wanted is None or l.kind == wanted]


def file_name(kind, period):
    return f"cartera_{period}_{kind}.xlsx"


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


# --- structure -------------------------------------------------------------------------

@dataclass(frozen=True)
class StructureProblem:
    code: str  # added | removed | renamed | reordered | wrong_kind | no_header | no_rows
    column: str  # the header concerned, as the employer sees it
    letter: str  # its column in Excel (where it is, or should be)
    message: str


def _norm(text):
    if text is None:
        return ""
    if isinstance(text, float) and text.is_integer():
        text = int(text)
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.split()).casefold()


def _trimmed(headers):
    found = [("" if h is None else str(h)).strip() for h in headers]
    while found and not found[-1]:
        found.pop()
    if found and _norm(found[-1]) == _norm(ERRORS_HEADER):  # a file sent back, fixed
        found.pop()
    return found


def has_errors_column(headers):
    found = [h for h in headers if not _blank(h)]
    return bool(found) and _norm(found[-1]) == _norm(ERRORS_HEADER)


def check_structure(headers, kind):
    """The first structural problem of an uploaded header row, or None when it is the
    layout's. `headers` is row 1 as read (trailing empty cells are ignored)."""
    expected = layout(kind).headers
    got = _trimmed(headers)
    want_n, got_n = [_norm(h) for h in expected], [_norm(h) for h in got]
    if got_n == want_n:
        return None

    def problem(code, column, letter, detail):
        return StructureProblem(code, column, letter, f"{STRUCTURE_MESSAGE}: {detail}.")

    if not got:
        return problem("no_header", expected[0], "A",
                       "la fila 1 debe tener los títulos de las columnas, empezando por "
                       f"«{expected[0]}» en la columna A")
    for other in KINDS:
        if other != kind and got_n == [_norm(h) for h in layout(other).headers]:
            return problem("wrong_kind", got[0], "A",
                           f"este es el {KIND_LABEL[other]}, no el {KIND_LABEL[kind]}; "
                           "verifique que los archivos estén donde correspondan")
    if len(got_n) > len(want_n):
        for i, name in enumerate(got_n):
            if name not in want_n or got_n.count(name) > want_n.count(name) and got_n.index(name) != i:
                title = f"la columna «{got[i]}»" if got[i] else "una columna sin título"
                return problem("added", got[i], column_letter(i),
                               f"se agregó {title} (columna {column_letter(i)})")
    if len(got_n) < len(want_n):
        for i, name in enumerate(want_n):
            if name not in got_n:
                return problem("removed", expected[i], column_letter(i),
                               f"falta la columna «{expected[i]}» (columna {column_letter(i)})")
    if sorted(got_n) == sorted(want_n):
        for i, name in enumerate(want_n):
            if got_n[i] != name:
                at = got_n.index(name)
                return problem("reordered", expected[i], column_letter(i),
                               f"la columna «{expected[i]}» debe estar en la columna {column_letter(i)} "
                               f"y está en la columna {column_letter(at)}")
    for i, name in enumerate(want_n):
        if i >= len(got_n):
            return problem("removed", expected[i], column_letter(i),
                           f"falta la columna «{expected[i]}» (columna {column_letter(i)})")
        if got_n[i] != name:
            if got[i]:
                detail = (f"la columna {column_letter(i)} debe llamarse «{expected[i]}» "
                          f"y se llama «{got[i]}»")
            else:
                detail = f"la columna {column_letter(i)} debe llamarse «{expected[i]}» y no tiene título"
            return problem("renamed", expected[i], column_letter(i), detail)
    return problem("added", got[len(want_n)], column_letter(len(want_n)),
                   f"se agregó la columna «{got[len(want_n)]}» (columna {column_letter(len(want_n))})")


# --- values ----------------------------------------------------------------------------

_PLAIN = re.compile(r"^-?\d+(\.\d+)?$")
NOT_NUMBER = "no es un valor numérico; escriba solo números, por ejemplo 175277 o 175.277,50"


def _blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def parse_amount(value):
    """A cell's amount as Decimal (as typed, not rounded), or (None, reason in Spanish).
    Accepts numbers and es-CO or plain text: 175277, 175.277, 175.277,50, 175277.5,
    $ 175.277. A float comes from the reader (python-calamine) and is converted through
    its shortest repr, which is the text the cell holds."""
    if isinstance(value, bool) or isinstance(value, (date, datetime)):
        return None, f"«{value}» {NOT_NUMBER}"
    if isinstance(value, Decimal):
        return value, None
    if isinstance(value, int):
        return Decimal(value), None
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None, f"«{value}» {NOT_NUMBER}"
        return Decimal(repr(value)), None
    text = str(value).strip().replace("$", "").replace(" ", "").replace("\u00a0", "")
    if "," in text and "." in text:
        if text.rfind(",") > text.rfind("."):  # 1.234,56 (es-CO)
            text = text.replace(".", "").replace(",", ".")
        else:  # 1,234.56
            text = text.replace(",", "")
    elif "," in text:
        text = text.replace(",", "") if text.count(",") > 1 else text.replace(",", ".")
    elif text.count(".") > 1 or (text.count(".") == 1 and len(text.rsplit(".", 1)[1]) == 3):
        text = text.replace(".", "")  # 175.277 and 1.752.770: dots group thousands
    if not _PLAIN.match(text):
        return None, f"«{value}» {NOT_NUMBER}"
    try:
        return Decimal(text), None
    except InvalidOperation:  # pragma: no cover - the regex already filtered
        return None, f"«{value}» {NOT_NUMBER}"


def parse_flag(value):
    """'S'/'N' (any case, spaces around) → True/False, or (None, reason)."""
    text = value.strip().upper() if isinstance(value, str) else None
    if text == YES:
        return True, None
    if text == NO:
        return False, None
    if _blank(value):
        return None, "está vacía; escriba S (sí se cobra la mora) o N (no se cobra)"
    return None, f"«{value}» no es válido; escriba S o N"


def _as_date(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:  # an Excel serial number
            return date(1899, 12, 30) + timedelta(days=int(value))
        except (OverflowError, ValueError):
            return None
    if isinstance(value, str):
        text = value.strip()
        for parse in (lambda t: datetime.strptime(t, "%d/%m/%Y").date(), date.fromisoformat):
            try:
                return parse(text)
            except ValueError:
                continue
    return None


def _as_text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


def _pesos(value):
    """$ 1.752.770,00; an absurd amount (1e300 typed in a cell) as it was written."""
    return money(value, cents=True) if abs(value) < 10**15 else f"«{value}»"


def _shown(value, type_):
    if value is None or value == "":
        return "vacía"
    if type_ == MONEY and isinstance(value, Decimal):
        return _pesos(value)
    if type_ == DATE and isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return f"«{_as_text(value)}»"


def _locked_reason(actual, expected, column):
    """None when the cell still holds what was downloaded, else why not."""
    type_ = column.type
    if type_ == TEXT:
        got, want = _as_text(actual), _as_text(expected)
        if got == want or got.casefold() == want.casefold():
            return None
        if want.startswith("0") and got == want.lstrip("0"):
            return (f"se perdieron los ceros a la izquierda ({_shown(actual, TEXT)} en lugar de "
                    f"«{want}»); esta columna no se puede modificar")
    elif type_ == MONEY:
        got, _ = parse_amount(actual) if not _blank(actual) else (None, None)
        if got is not None and got == expected:
            return None
        if got is not None:
            actual = got
    elif type_ == INTEGER:
        got, _ = parse_amount(actual) if not _blank(actual) else (None, None)
        if got is not None and got == expected:
            return None
    elif type_ == DATE:
        if _blank(actual) and expected is None:
            return None
        got = _as_date(actual)
        if got is not None and got == expected:
            return None
        if got is not None:
            actual = got
    return (f"esta columna no se puede modificar: dice {_shown(actual, type_)} y el estado de "
            f"cartera dice {_shown(expected, type_)}")


# --- rows ------------------------------------------------------------------------------

@dataclass(frozen=True)
class RowError:
    row: int  # as Excel numbers it
    column: str  # the column's header (or its letter when outside the layout)
    reason: str
    credit_number: str | None = None

    @property
    def message(self):
        return f"Fila {self.row}, columna «{self.column}»: {self.reason}"


class AcceptedRow(NamedTuple):
    row: int
    credit_number: str
    aplica_mora: bool
    amount: Decimal


@dataclass
class CheckResult:
    kind: str
    errors: list = field(default_factory=list)
    accepted: dict = field(default_factory=dict)  # credit number → AcceptedRow
    omitted: list = field(default_factory=list)  # credit numbers of this kind not in the file

    @property
    def ok(self):
        return not self.errors

    @property
    def total(self):
        return to_money(sum((r.amount for r in self.accepted.values()), Decimal(0)))

    def errors_by_row(self):
        out = {}
        for error in self.errors:
            out.setdefault(error.row, []).append(error)
        return out

    def content_key(self):
        """Same accepted data → same key, however the file was saved (Excel, LibreOffice,
        another date). Store it with the upload to detect a file already processed."""
        digest = hashlib.sha256(self.kind.encode())
        for number in sorted(self.accepted):
            row = self.accepted[number]
            digest.update(f"\n{number}|{'S' if row.aplica_mora else 'N'}|{to_money(row.amount)}".encode())
        return digest.hexdigest()


def file_hash(data: bytes) -> str:
    """SHA-256 of the uploaded bytes: the very same file sent twice."""
    return hashlib.sha256(data).hexdigest()


FORMULA_REASON = "fórmula no permitida; escriba el valor directamente (sin «=»)"


def check_rows(rows, expected_lines, kind, *, formula_cells=(), first_row=FIRST_DATA_ROW,
               errors_column=False):
    """Validate every data row of an uploaded Activos/Retirados file against the
    statement's lines (matched by credit number).

    rows: the data rows (after the header), cell values as the reader gives them
    (str, float, int, bool, date; '' or None for empty), row i is Excel row first_row + i.
    expected_lines: CarteraLine of the statement (any kind: a credit of the other file is
    named as such). formula_cells: (excel_row, column_index) pairs holding a formula.
    errors_column: the file carries our «Errores» column right after the layout (a file
    sent back and fixed): that column is ignored. Assumes `check_structure` passed.

    A row exactly as downloaded, or with the two editable cells holding S/N and a plain
    number, takes a fast path (10,000 rows in well under 0.1 s); anything else goes
    through `_check_row`, which names every problem. The fast path only accepts rows
    `_check_row` would accept with the same values (tests/domain/test_cartera_layout.py
    holds them to that)."""
    spec = layout(kind)
    if spec.line_kind is None:
        raise ValueError("el Archivo de Detalle es informativo: no se carga")
    width = len(spec.columns)
    credit_at, flag_at, amount_at = (spec.index(k) for k in ("credit_number", "aplica_mora", "amount"))
    by_credit = {line.credit_number: line for line in expected_lines}
    formulas = {}
    for row_no, col in formula_cells:
        formulas.setdefault(row_no, set()).add(col)
    if errors_column:
        rows = (cells[:width] + cells[width + 1:] if len(cells) > width else cells for cells in rows)
        formulas = {r: {c if c < width else c - 1 for c in cols if c != width}
                    for r, cols in formulas.items()}
    untouched = _untouched_checker(spec)
    line_kind = spec.line_kind

    result = CheckResult(kind)
    accepted, errors, seen, visited = result.accepted, result.errors, {}, set()
    for offset, cells in enumerate(rows):
        row_no = first_row + offset
        if formulas:
            visited.add(row_no)
        # --- fast path: an untouched row, S/N and a plain number ---------------------
        if len(cells) == width and row_no not in formulas:
            number = cells[credit_at]
            line = by_credit.get(number) if type(number) is str else None
            if line is not None and line.kind == line_kind and number not in seen and untouched(cells, line):
                flag, raw = cells[flag_at], cells[amount_at]
                if (flag == YES or flag == NO) and type(raw) is float:
                    aplica = flag == YES
                    cap = line.balance + line.arrears if aplica else line.balance
                    amount = None
                    if raw.is_integer():
                        whole = int(raw)
                        if 0 <= whole <= cap:
                            amount = Decimal(whole).quantize(CENT)
                    else:
                        text = repr(raw)
                        decimals = len(text) - text.find(".") - 1
                        if decimals <= 2 and "e" not in text and "n" not in text:  # not 1e-05, inf, nan
                            amount = Decimal(text + "0" if decimals == 1 else text)  # 2 places
                            if not 0 <= amount <= cap:
                                amount = None
                    if amount is not None:
                        seen[number] = row_no
                        accepted[number] = AcceptedRow(row_no, number, aplica, amount)
                        continue
        # --- every rule, every message -----------------------------------------------
        _check_row(spec, cells, row_no, formulas.get(row_no, ()), by_credit, seen, result)

    for row_no in sorted(set(formulas) - visited):  # the header, or a row the reader left out
        for col in sorted(formulas[row_no]):
            header = spec.columns[col].header if col < width else f"columna {column_letter(col)}"
            errors.append(RowError(row_no, header, FORMULA_REASON))
    errors.sort(key=lambda e: e.row)
    result.omitted = [l.credit_number for l in expected_lines
                      if l.kind == line_kind and l.credit_number not in seen]
    return result


def _untouched_checker(spec):
    """A function (cells, line) → True when the row's locked cells hold exactly what
    the file was built with, as python-calamine reads it back: text as str, numbers as
    float (compared exactly: as int when whole, else as Decimal through their repr, the
    cell's text; never with float arithmetic), dates as date.
    Anything else (a bool, a number typed as text, a missing date) answers False and
    the row takes the slow path, which explains it."""
    credit_at = spec.index("credit_number")
    by_type = {TEXT: [], INTEGER: [], DATE: [], MONEY: []}
    for i, column in enumerate(spec.columns):
        if not column.editable and i != credit_at:
            by_type[column.type].append((i, column.key))
    texts, counts, dates, amounts = (tuple(by_type[t]) for t in (TEXT, INTEGER, DATE, MONEY))

    def untouched(cells, line):
        for i, key in texts:
            if cells[i] != getattr(line, key):
                return False
        for i, key in counts:
            value = cells[i]
            if type(value) is not float or value != getattr(line, key):
                return False
        for i, key in dates:
            value = cells[i]
            if type(value) is not date or value != getattr(line, key):
                return False
        for i, key in amounts:
            value = cells[i]
            if type(value) is not float:
                return False
            if value.is_integer():  # most pesos: an exact int compares fastest
                if int(value) != getattr(line, key):
                    return False
            elif Decimal(repr(value)) != getattr(line, key):
                return False
        return True

    return untouched


def _check_row(spec, cells, row_no, bad_cols, by_credit, seen, result):
    columns = spec.columns
    width = len(columns)
    credit_at, flag_at, amount_at = (spec.index(k) for k in ("credit_number", "aplica_mora", "amount"))
    if not bad_cols and all(_blank(v) for v in cells):
        return
    row_errors = []

    def err(col, reason, number=None):
        header = columns[col].header if col < width else f"columna {column_letter(col)}"
        row_errors.append(RowError(row_no, header, reason, number))

    for col in sorted(bad_cols):
        err(col, FORMULA_REASON)
    for col in range(width, len(cells)):
        if not _blank(cells[col]) and col not in bad_cols:
            err(col, "esta celda está fuera de las columnas del archivo; bórrela")
    cells = list(cells[:width]) + [None] * (width - len(cells))

    number = None if credit_at in bad_cols else _as_text(cells[credit_at])
    line = None
    if credit_at in bad_cols:
        pass
    elif not number:
        err(credit_at, "falta el número de crédito")
    elif number in seen:
        err(credit_at, f"el crédito «{number}» está repetido (ya aparece en la fila {seen[number]})",
            number)
    else:
        seen[number] = row_no
        line = by_credit.get(number)
        if line is None:
            err(credit_at, f"el crédito «{number}» no pertenece a este estado de cartera", number)
        elif line.kind != spec.line_kind:
            other = RETIRADOS if line.kind == "retired" else ACTIVOS
            err(credit_at, f"el crédito «{number}» corresponde al {KIND_LABEL[other]}", number)
            line = None

    if line is not None:
        expected = spec.values(line)
        for col, column in enumerate(columns):
            if column.editable or col == credit_at or col in bad_cols:
                continue
            actual = cells[col]
            if actual == expected[col] and type(actual) is type(expected[col]):
                continue
            reason = _locked_reason(actual, expected[col], column)
            if reason:
                err(col, reason, number)

    aplica = None
    if flag_at not in bad_cols:
        aplica, reason = parse_flag(cells[flag_at])
        if reason:
            err(flag_at, reason, number)
    amount = None
    if amount_at not in bad_cols:
        amount, reason = check_amount(cells[amount_at], line, aplica)
        if reason:
            err(amount_at, reason, number)

    if row_errors:
        result.errors.extend(row_errors)
    elif line is not None:  # (+ 0 turns a -0 into 0)
        result.accepted[number] = AcceptedRow(row_no, number, aplica, to_money(amount) + 0)


MAX_AMOUNT = Decimal(10) ** 12


def check_amount(raw, line, aplica):
    """«Valor a Pagar» of one row: (Decimal, None) or (None, reason in Spanish). Empty is
    0; never negative, at most two decimals, never above what the line owes (checked
    only when the line and «Aplica Mora» are known)."""
    amount, reason = (Decimal(0), None) if _blank(raw) else parse_amount(raw)
    if reason:
        return None, reason
    if amount < 0:
        return None, "el valor a pagar no puede ser negativo"
    if amount.as_tuple().exponent < -2:
        return None, "el valor a pagar admite máximo dos decimales"
    if amount >= MAX_AMOUNT:  # no credit is that big; Numeric(14, 2) could not hold it
        return None, f"el valor a pagar ({_pesos(amount)}) es demasiado grande"
    if line is not None and aplica is not None:
        cap = line.owed(aplica)
        if amount > cap:
            limit = "el saldo más la mora" if aplica and line.arrears > 0 else "el saldo"
            return None, f"el valor a pagar ({_pesos(amount)}) supera {limit} ({_pesos(cap)})"
    return to_money(amount) + 0, None


def check_entry(line, aplica_mora, amount):
    """A browser edit of one row, by the file's rules: ((aplica, amount), []) or
    (None, [(column header, reason), ...])."""
    errors = []
    aplica, reason = parse_flag(aplica_mora)
    if reason:
        errors.append((APLICA_MORA, reason))
    value, reason = check_amount(amount, line, aplica)
    if reason:
        errors.append((VALOR_A_PAGAR, reason))
    return (None, errors) if errors else ((aplica, value), [])


def check_draft(lines, kind, entries):
    """What a browser draft pays, as a CheckResult like a file's. `lines`: CarteraLine
    of the statement in the table's order; `entries`: credit number → (aplica, amount)
    edited by the user (validated when saved, checked again here because the statement
    may have changed since). A row never edited pays its default, as a file
    downloaded and sent back unchanged. Row numbers are the table's (1, 2, ...)."""
    spec = layout(kind)
    result = CheckResult(kind)
    position = 0
    for line in lines:
        if line.kind != spec.line_kind:
            continue
        position += 1
        flag, amount = entries.get(line.credit_number) or (line.default_aplica_mora == YES, line.default_amount)
        checked, errors = check_entry(line, YES if flag else NO, amount)
        if errors:
            result.errors.extend(RowError(position, column, reason, line.credit_number)
                                 for column, reason in errors)
        else:
            result.accepted[line.credit_number] = AcceptedRow(position, line.credit_number, *checked)
    return result


@dataclass
class UploadCheck:
    structure: StructureProblem | None
    result: CheckResult | None

    @property
    def ok(self):
        return self.structure is None and self.result is not None and self.result.ok


NO_ROWS = "El archivo no tiene filas de trabajadores: solo trae los títulos de las columnas."


def no_rows_problem(data_rows, expected_lines, kind):
    """A file with the titles and nothing under them (every cell empty), or None. Only
    for files: a browser draft (check_draft) always lists the statement's lines."""
    if any(not _blank(value) for row in data_rows for value in row):
        return None
    label = KIND_LABEL[kind]
    if lines_for(kind, expected_lines):
        hint = f"Cargue el {label} que descargó del portal, con una fila por crédito."
    else:
        hint = f"Esta vigencia no tiene créditos en el {label}: no hay nada que cargar."
    return StructureProblem("no_rows", layout(kind).headers[0], column_letter(0), f"{NO_ROWS} {hint}")


def check_upload(rows, expected_lines, kind, *, formula_cells=()):
    """check_structure on row 1, then (titles right) a file with no rows is refused, then
    check_rows on the rest (rows as the reader gives them, row 0 being Excel's row 1)."""
    headers = rows[0] if rows else []
    problem = check_structure(headers, kind) or no_rows_problem(rows[1:], expected_lines, kind)
    if problem is not None:
        return UploadCheck(problem, None)
    return UploadCheck(None, check_rows(rows[1:], expected_lines, kind, formula_cells=formula_cells,
                                        errors_column=has_errors_column(headers)))
