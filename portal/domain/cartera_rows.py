"""Estado de Cartera files: the data rows of an uploaded Activos/Retirados file checked
against the statement's lines (`check_rows`), a browser edit by the same rules
(`check_entry`, `check_draft`), and a whole upload (`check_upload`: its header row, then
its rows). Pure: no Flask, no database, no I/O.

Decisions, so the services and the UI tell one story:
- An empty "Valor a Pagar" means 0 (this worker is not paid this period). A row omitted
  from the file (deleted, or filtered away in a copy) is not an error either: it is
  listed in `CheckResult.omitted` and pays 0; the balance check ("Cuadre Cartera") shows
  the difference.
- An empty "Aplica Mora" is an error (the drop-down offers S or N; nothing is assumed).
- Every error is collected, never only the first; a row with any error is not accepted.
  The service should refuse the whole upload while `errors` is not empty.
"""
import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from portal.domain.cartera_index import MAX_AMOUNT, LineIndex
from portal.domain.cartera_layout import (
    AMOUNT_HEADER,
    APPLY_ARREARS_HEADER,
    DATE,
    FIRST_DATA_ROW,
    INTEGER,
    KIND_LABEL,
    MONEY,
    TEXT,
    UPLOADABLE,
    column_letter,
    layout,
)
from portal.domain.cartera_structure import (
    StructureProblem,
    check_structure,
    has_errors_column,
    no_rows_problem,
)
from portal.domain.cells import NO, YES, as_date, as_text, blank, parse_amount, parse_flag
from portal.domain.formatting import money, to_money


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
    apply_arrears: bool
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
        accepted = self.accepted
        numbers = sorted(accepted)  # the keys alone: sorting (number, row) pairs takes twice as long
        text = "".join(["\n" + number + ("|S|" if row.apply_arrears else "|N|") + str(to_money(row.amount))
                        for number, row in zip(numbers, map(accepted.__getitem__, numbers), strict=True)])
        # The file's URL word, not its kind: the keys stored before the kinds were one word
        # stay valid.
        return hashlib.sha256(layout(self.kind).slug.encode() + text.encode()).hexdigest()


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
    expected_lines: the statement's lines, as a LineIndex for this kind or as CarteraLine
    of any kind (a credit of the other file is named as such; of those, an
    OtherFileCredit is enough). formula_cells: (excel_row, column_index) pairs holding a formula.
    errors_column: the file carries our «Errores» column right after the layout (a file
    sent back and fixed): that column is ignored. Assumes `check_structure` passed.

    A row exactly as downloaded, or with the two editable cells holding S/N and a plain
    number, takes a fast path (`_fast_path`: 10,000 rows in a few hundredths of a
    second); anything else goes through `_check_row`, which names every problem. The
    fast path only accepts rows `_check_row` would accept with the same values
    (tests/domain/test_cartera_rows.py holds them to that)."""
    spec = layout(kind)
    index = _index(expected_lines, kind)  # ValueError for Detalle
    width = len(spec.columns)
    formulas = _formulas_by_row(formula_cells, width, errors_column)
    if errors_column:
        rows = (cells[:width] + cells[width + 1:] if len(cells) > width else cells for cells in rows)

    result = CheckResult(kind)
    seen = {}
    rest = _fast_path(spec, rows, first_row, formulas, index, seen, result.accepted)
    for row_no, cells, bad_cols, untouched in rest:  # every rule, every message
        _check_row(spec, cells, row_no, bad_cols, index, seen, result, untouched)
    for row_no in sorted(formulas):  # those left: the header's, or a row the reader left out
        result.errors.extend(RowError(row_no, _header(spec, col), FORMULA_REASON)
                             for col in sorted(formulas[row_no]))
    result.errors.sort(key=lambda e: e.row)
    result.omitted = [number for number in index.numbers if number not in seen]
    return result


def _index(expected_lines, kind):
    if kind not in UPLOADABLE:
        raise ValueError("el Archivo de Detalle es informativo: no se carga")
    if isinstance(expected_lines, LineIndex):
        if expected_lines.kind != kind:
            raise ValueError(f"las líneas son del {KIND_LABEL[expected_lines.kind]}")
        return expected_lines
    return LineIndex.of(expected_lines, kind)


def _formulas_by_row(formula_cells, width, errors_column):
    """Excel row → the columns holding a formula, counted as the layout's (a formula in
    our «Errores» column is ignored with the column)."""
    formulas = {}
    for row_no, col in formula_cells:
        formulas.setdefault(row_no, set()).add(col)
    if errors_column:
        formulas = {r: {c if c < width else c - 1 for c in cols if c != width}
                    for r, cols in formulas.items()}
    return formulas


def _fast_path(spec, rows, first_row, formulas, index, seen, accepted):
    """Accepts at once (into `accepted`, its credit noted in `seen`) a row of the layout's
    width without formulas, of a credit of this file not seen yet, its locked cells
    untouched (what `index.fast` holds for its credit, of the types it was written as),
    «Aplica Mora» S or N and «Valor a Pagar» a plain number within what the line owes.
    Yields every other row, in order, as (row_no, cells, its formula columns, whether
    its locked cells were found untouched) for `_check_row`. Pops each row's formulas
    from `formulas`: those left are outside the rows."""
    width = len(spec.columns)
    credit_at, flag_at, amount_at = (spec.index(k) for k in ("credit_number", "apply_arrears", "amount"))
    fast, locked_at, locked_types = index.fast, index.locked_at, index.locked_types
    amounts = {}  # «Valor a Pagar» → its Decimal, for the whole amounts met so far
    for offset, cells in enumerate(rows):
        row_no = first_row + offset
        bad_cols = formulas.pop(row_no, None) if formulas else None
        expected = None
        if bad_cols is None and len(cells) == width:
            number = cells[credit_at]
            if type(number) is str and number not in seen:
                expected = fast.get(number)
        locked_ok = expected is not None and (locked := locked_at(cells)) == expected[0] and tuple(
            map(type, locked)) == locked_types
        if locked_ok:
            row = _plain_row(row_no, number, cells[flag_at], cells[amount_at], expected, amounts)
            if row is not None:
                seen[number] = row_no
                accepted[number] = row
                continue
        yield row_no, cells, bad_cols or (), locked_ok


def _plain_row(row_no, number, flag, raw, expected, amounts):
    """The AcceptedRow of a row whose «Aplica Mora» is S or N and whose «Valor a Pagar» is
    a plain number within its cap (`expected`: the index's entry; `amounts`: the whole
    amounts' Decimals met so far), else None. The cap is an int, or a float that only
    that amount of the cap rounds to (cartera_index.read_back): comparing the floats
    compares the amounts."""
    if flag == NO:
        apply_arrears, cap = False, expected[1]
    elif flag == YES:
        apply_arrears, cap = True, expected[2]
    else:
        return None
    if type(raw) is not float or not 0 <= raw <= cap:  # NaN too
        return None
    if raw.is_integer():
        amount = amounts.get(raw)
        if amount is None:
            amount = amounts[raw] = to_money(int(raw))
    else:
        amount = _cents_amount(raw)
        if amount is None:
            return None
    return AcceptedRow(row_no, number, apply_arrears, amount)


def _cents_amount(raw):
    """A float that is not whole as Decimal with two places when it has at most two
    decimals (through its repr, the cell's text), else None."""
    text = repr(raw)
    decimals = len(text) - text.find(".") - 1
    if decimals > 2 or "e" in text:  # 1e-05
        return None
    return Decimal(text + "0" if decimals == 1 else text)  # 2 places


def _check_row(spec, cells, row_no, bad_cols, by_credit, seen, result, untouched=False):
    """One row through every rule, every problem named (the path of a row the fast path
    of check_rows did not take). bad_cols: the columns holding a formula. untouched: the
    fast path found its locked cells as built for its credit's line (nothing to name
    there). A row with any error is not accepted; an empty row is skipped."""
    if not bad_cols and all(blank(v) for v in cells):
        return
    row_errors = []

    def err(col, reason, number=None):
        row_errors.append(RowError(row_no, _header(spec, col), reason, number))

    for col in sorted(bad_cols):
        err(col, FORMULA_REASON)
    _check_outside(spec, cells, bad_cols, err)
    width = len(spec.columns)
    cells = list(cells[:width]) + [None] * (width - len(cells))
    credit_at = spec.index("credit_number")
    number = None if credit_at in bad_cols else as_text(cells[credit_at])
    line = None if number is None else _line_of(spec, number, row_no, by_credit, seen, err)
    if line is not None and not untouched:
        _check_locked(spec, cells, line, number, bad_cols, err)
    apply_arrears, amount = _check_editable(spec, cells, line, number, bad_cols, err)
    if row_errors:
        result.errors.extend(row_errors)
    elif line is not None:  # (+ 0 turns a -0 into 0)
        result.accepted[number] = AcceptedRow(row_no, number, apply_arrears, to_money(amount) + 0)


def _header(spec, col):
    """How a message names a column: its header, or its letter when outside the layout."""
    return spec.columns[col].header if col < len(spec.columns) else f"columna {column_letter(col)}"


def _check_outside(spec, cells, bad_cols, err):
    """Cells right of the layout must be empty (a formula there is already named)."""
    for col in range(len(spec.columns), len(cells)):
        if not blank(cells[col]) and col not in bad_cols:
            err(col, "esta celda está fuera de las columnas del archivo; bórrela")


def _line_of(spec, number, row_no, by_credit, seen, err):
    """The statement's line of the row's credit number, or None with the reason: missing,
    repeated, not in this statement, or of the other file. A credit neither missing nor
    repeated is marked seen at this row."""
    credit_at = spec.index("credit_number")
    if not number:
        err(credit_at, "falta el número de crédito")
        return None
    if number in seen:
        err(credit_at, f"el crédito «{number}» está repetido (ya aparece en la fila {seen[number]})",
            number)
        return None
    seen[number] = row_no
    line = by_credit.get(number)
    if line is None:
        err(credit_at, f"el crédito «{number}» no pertenece a este estado de cartera", number)
        return None
    if line.kind != spec.kind:
        err(credit_at, f"el crédito «{number}» corresponde al {KIND_LABEL[line.kind]}", number)
        return None
    return line


def _check_locked(spec, cells, line, number, bad_cols, err):
    """The cells no one may change still hold what the file was built with."""
    credit_at = spec.index("credit_number")
    expected = spec.values(line)
    for col, column in enumerate(spec.columns):
        if column.editable or col == credit_at or col in bad_cols:
            continue
        actual = cells[col]
        if actual == expected[col] and type(actual) is type(expected[col]):
            continue
        reason = _locked_reason(actual, expected[col], column)
        if reason:
            err(col, reason, number)


def _check_editable(spec, cells, line, number, bad_cols, err):
    """«Aplica Mora» and «Valor a Pagar» by the file's rules (a formula in either is
    already named): (apply_arrears, amount), each None when wrong or a formula."""
    flag_at, amount_at = spec.index("apply_arrears"), spec.index("amount")
    apply_arrears = None
    if flag_at not in bad_cols:
        apply_arrears, reason = parse_flag(cells[flag_at])
        if reason:
            err(flag_at, reason, number)
    amount = None
    if amount_at not in bad_cols:
        amount, reason = check_amount(cells[amount_at], line, apply_arrears)
        if reason:
            err(amount_at, reason, number)
    return apply_arrears, amount


def _locked_reason(actual, expected, column):
    """None when the cell still holds what was downloaded, else why not."""
    type_ = column.type
    if type_ == TEXT:
        return _text_reason(actual, expected)
    got = _read_as(actual, type_)
    if (got is not None and got == expected) or (type_ == DATE and blank(actual) and expected is None):
        return None
    if got is not None and type_ != INTEGER:  # shown as read: $ 1.000,00, 01/03/2024
        actual = got
    return _changed(actual, expected, type_)


def _text_reason(actual, expected):
    """A text cell compares as text, regardless of case; a number that lost its leading
    zeros (an id typed over, or the cell turned into a number) is named as such."""
    got, want = as_text(actual), as_text(expected)
    if got == want or got.casefold() == want.casefold():
        return None
    if want.startswith("0") and got == want.lstrip("0"):
        return (f"se perdieron los ceros a la izquierda ({_shown(actual, TEXT)} en lugar de "
                f"«{want}»); esta columna no se puede modificar")
    return _changed(actual, expected, TEXT)


def _read_as(actual, type_):
    """A locked cell read as its column's type: money and integers as Decimal, dates as
    date; None when it is not one (or for any other type)."""
    if type_ == DATE:
        return as_date(actual)
    if type_ in (MONEY, INTEGER) and not blank(actual):
        return parse_amount(actual)[0]
    return None


def _changed(actual, expected, type_):
    return (f"esta columna no se puede modificar: dice {_shown(actual, type_)} y el estado de "
            f"cartera dice {_shown(expected, type_)}")


def _shown(value, type_):
    if value is None or value == "":
        return "vacía"
    if type_ == MONEY and isinstance(value, Decimal):
        return _pesos(value)
    if type_ == DATE and isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return f"«{as_text(value)}»"


def _pesos(value):
    """$ 1.752.770,00; an absurd amount (1e300 typed in a cell) as it was written."""
    return money(value, cents=True) if abs(value) < 10**15 else f"«{value}»"


def check_amount(raw, line, apply_arrears):
    """«Valor a Pagar» of one row: (Decimal, None) or (None, reason in Spanish). Empty is
    0; never negative, at most two decimals, never above what the line owes (checked
    only when the line and «Aplica Mora» are known)."""
    amount, reason = (Decimal(0), None) if blank(raw) else parse_amount(raw)
    if reason:
        return None, reason
    if amount < 0:
        return None, "el valor a pagar no puede ser negativo"
    if amount.as_tuple().exponent < -2:
        return None, "el valor a pagar admite máximo dos decimales"
    if amount >= MAX_AMOUNT:  # no credit is that big; Numeric(14, 2) could not hold it
        return None, f"el valor a pagar ({_pesos(amount)}) es demasiado grande"
    if line is not None and apply_arrears is not None:
        cap = line.owed(apply_arrears)
        if amount > cap:
            limit = "el saldo más la mora" if apply_arrears and line.arrears > 0 else "el saldo"
            return None, f"el valor a pagar ({_pesos(amount)}) supera {limit} ({_pesos(cap)})"
    return to_money(amount) + 0, None


def check_entry(line, flag, amount):
    """A browser edit of one row (`flag`: the S or N typed for «Aplica Mora»), by the
    file's rules: ((apply_arrears, amount), []) or (None, [(column header, reason), ...])."""
    errors = []
    apply_arrears, reason = parse_flag(flag)
    if reason:
        errors.append((APPLY_ARREARS_HEADER, reason))
    value, reason = check_amount(amount, line, apply_arrears)
    if reason:
        errors.append((AMOUNT_HEADER, reason))
    return (None, errors) if errors else ((apply_arrears, value), [])


def check_draft(lines, kind, entries):
    """What a browser draft pays, as a CheckResult like a file's. `lines`: CarteraLine
    of the statement in the table's order; `entries`: credit number → (apply_arrears, amount)
    edited by the user (validated when saved, checked again here because the statement
    may have changed since). A row never edited pays its default, as a file
    downloaded and sent back unchanged. Row numbers are the table's (1, 2, ...)."""
    layout(kind)  # ValueError for an unknown kind
    result = CheckResult(kind)
    position = 0
    for line in lines:
        if line.kind != kind:
            continue
        position += 1
        apply_arrears, amount = entries.get(line.credit_number) or (line.default_apply_arrears == YES,
                                                                    line.default_amount)
        checked, errors = check_entry(line, YES if apply_arrears else NO, amount)
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


def check_upload(rows, expected_lines, kind, *, formula_cells=()):
    """check_structure on row 1, then (titles right) a file with no rows is refused, then
    check_rows on the rest (rows as the reader gives them, row 0 being Excel's row 1)."""
    headers = rows[0] if rows else []
    problem = check_structure(headers, kind)
    if problem is None:
        expected_lines = _index(expected_lines, kind)
        problem = no_rows_problem(rows[1:], kind, bool(expected_lines.numbers))
    if problem is not None:
        return UploadCheck(problem, None)
    return UploadCheck(None, check_rows(rows[1:], expected_lines, kind, formula_cells=formula_cells,
                                        errors_column=has_errors_column(headers)))
