"""Conexión Empresas batch files (manual 003 ch. 3.2, manual 004 v2 «longitudes permitidas
en cada campo»): one layout per batch type, every field with its maximum length, in the
order of the templates; and the rules of one line. Pure: no Flask, no database.

What needs the database (a person who already holds a card of the product, a card of
another company) is checked by the service with the values parsed here."""
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from itertools import chain

from portal.domain.formatting import CENT

TEXT, DIGITS, CODE, DATE, EMAIL, MOBILE, AMOUNT, ID_NUMBER, MASKED_CARD = (
    "texto", "números", "código", "fecha", "correo", "celular", "monto", "documento", "tarjeta")

ID_TYPES = {"CC": "Cédula de ciudadanía", "CE": "Cédula de extranjería", "TI": "Tarjeta de identidad",
            "PA": "Pasaporte", "PPT": "Permiso por protección temporal", "PEP": "Permiso especial de permanencia"}
ID_LENGTH = (5, 15)  # published ranges disagree by type; DESIGN §9 accepts this one
MAX_AMOUNT = Decimal("100000000")  # a single card load above $ 100 millones is a typo
AMOUNT_FORMATS = "1234, 1234.56, 1234,56, 1.234,56 o 1,234.56"
_NAME = re.compile(r"^[A-Za-zÁÉÍÓÚÜÑáéíóúüñ' .-]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_MASKED = re.compile(r"^(\d{6})\*{6}(\d{4})$")


@dataclass(frozen=True)
class Field:
    key: str
    header: str  # as in the templates: the file's title row
    type: str
    max_length: int
    required: bool = True
    allowed: tuple = ()  # coded values, offered as a drop-down in the .xlsx template
    example: str = ""
    note: str = ""

    @property
    def is_text(self):
        """Kept as text in the .xlsx template, so Excel keeps leading zeros."""
        return self.type in (TEXT, DIGITS, CODE, ID_NUMBER, MOBILE, MASKED_CARD)


@dataclass(frozen=True)
class Layout:
    kind: str
    label: str  # as the manual lists it in «Tipo de lote»
    code: str  # as «Lotes pendientes» shows it (emision_nominada_id)
    fields: tuple
    needs_named_product: bool | None = None  # None: any product

    @property
    def headers(self):
        return [f.header for f in self.fields]

    def index(self, key):
        return next(i for i, f in enumerate(self.fields) if f.key == key)


_ID_TYPE = Field("id_type", "TIPO ID", CODE, 3, allowed=tuple(ID_TYPES), example="CC")
_ID_NUMBER = Field("id_number", "ID PERSONA", ID_NUMBER, 15, example="1045678434",
                   note="Solo números (el pasaporte admite letras); de 5 a 15 caracteres.")
_LAST1 = Field("last_name_1", "PRIMER APELLIDO", TEXT, 30, example="PÉREZ")
_LAST2 = Field("last_name_2", "SEGUNDO APELLIDO", TEXT, 30, required=False, example="GÓMEZ")
_FIRST1 = Field("first_name_1", "PRIMER NOMBRE", TEXT, 30, example="MARÍA")
_FIRST2 = Field("first_name_2", "SEGUNDO NOMBRE", TEXT, 30, required=False, example="JOSÉ")
_BRANCH = Field("branch", "SUCURSAL", DIGITS, 10, required=False, example="001",
                note="Código de la sucursal de la empresa que recibe la tarjeta.")

LAYOUTS = {layout.kind: layout for layout in (
    Layout("emission", "Emisión nominada (Id persona)", "emision_nominada_id", (
        _ID_TYPE, _ID_NUMBER, _LAST1, _LAST2, _FIRST1, _FIRST2,
        Field("birth_date", "FECHA NACIMIENTO", DATE, 10, example="15/03/1985", note="DD/MM/AAAA."),
        Field("email", "CORREO", EMAIL, 80, required=False, example="maria.perez@empresa.co"),
        Field("mobile", "CELULAR", MOBILE, 10, example="3001234567", note="10 dígitos, empieza por 3."),
        Field("delivery_address", "DIRECCION ENTREGA", TEXT, 100, example="Calle 30 # 1-25",
              note="Donde se entrega la tarjeta: define el costo de distribución."),
        Field("delivery_city", "CIUDAD ENTREGA", TEXT, 40, example="BARRANQUILLA"),
        _BRANCH,
        Field("amount", "MONTO INICIAL", AMOUNT, 15, required=False, example="150000",
              note=f"Pesos, máximo dos decimales: {AMOUNT_FORMATS}. Vacío es 0."),
    ), needs_named_product=True),
    Layout("topup", "Recarga (Id persona)", "recarga_id", (
        _ID_TYPE, _ID_NUMBER,
        Field("amount", "MONTO", AMOUNT, 15, example="150000",
              note=f"Pesos, mayor que 0, máximo dos decimales: {AMOUNT_FORMATS}."),
        Field("description", "DESCRIPCION", TEXT, 60, required=False, example="Bono alimentación marzo"),
    )),
    Layout("affiliation", "Afiliación (Id persona)", "afiliacion_id", (
        Field("card", "No. TARJETA", MASKED_CARD, 16, example="411111******1111",
              note="La tarjeta innominada como la muestra el portal: 6 primeros, 6 asteriscos, 4 últimos."),
        _BRANCH, _ID_TYPE, _ID_NUMBER, _LAST1, _LAST2, _FIRST1,
    ), needs_named_product=False),
)}


def layout(kind) -> Layout:
    return LAYOUTS[kind]


# Batches made without a file (Tarjetas innominadas › Solicitud, manual 003 §3.4): no
# layout, only the label Autorización and the batch pages show.
FORMLESS_LABELS = {"unnamed_emission": "Emisión Innominada"}


def label(kind) -> str:
    """«Tipo de lote» of any batch: its layout's label, or a formless batch's."""
    spec = LAYOUTS.get(kind)
    return spec.label if spec else FORMLESS_LABELS.get(kind, kind)


# --- one cell ----------------------------------------------------------------------------

def as_text(value):
    """A cell as text: a whole float (what a reader gives for 1045678434) without «.0»."""
    if type(value) is str:  # most cells: first
        return " ".join(value.split())
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (date, datetime)):
        return value.strftime("%d/%m/%Y")
    return " ".join(str(value).split())


def _grouped(mark, repeat):
    return re.compile(r"\d{1,3}(" + re.escape(mark) + r"\d{3})" + repeat)


_GROUPS = {(mark, repeat): _grouped(mark, repeat) for mark in ".," for repeat in "*+"}
_PLAIN_AMOUNT = re.compile(r"\d+(\.\d+)?")


def parse_amount(value):
    """(Decimal, None) or (None, reason). A number cell is exact; text accepts
    AMOUNT_FORMATS and refuses what could be read two ways («1.234», «1,234»)."""
    if isinstance(value, bool):
        return None, "no es un monto"
    if isinstance(value, (int, Decimal)):
        return Decimal(value), None
    if isinstance(value, float):
        finite = value == value and abs(value) != float("inf")
        return (Decimal(repr(value)), None) if finite else (None, "no es un monto")
    text = str(value).strip().replace("$", "").replace(" ", "").replace("\u00a0", "")
    plain, reason = _plain_number(text, value)
    if reason:
        return None, reason
    if not _PLAIN_AMOUNT.fullmatch(plain):
        return None, f"«{value}» no es un monto válido; formatos aceptados: {AMOUNT_FORMATS}"
    try:
        return Decimal(plain), None
    except InvalidOperation:  # pragma: no cover - the pattern already filtered
        return None, f"«{value}» no es un monto válido"


def _plain_number(text, value):
    """The amount's text with «.» as its only decimal mark and no grouping, or (None, reason)."""
    invalid = f"«{value}» no es un monto válido; formatos aceptados: {AMOUNT_FORMATS}"
    if "," in text and "." in text:  # both: the last one marks the cents
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
        group = "." if decimal_mark == "," else ","
        whole, _, cents = text.rpartition(decimal_mark)
        return (whole.replace(group, "") + "." + cents, None) if _GROUPS[group, "*"].fullmatch(whole) \
            else (None, invalid)
    marks, mark = text.count(",") + text.count("."), "," if "," in text else "."
    if marks > 1:  # one kind, several times: they group thousands
        return (text.replace(mark, ""), None) if _GROUPS[mark, "+"].fullmatch(text) else (None, invalid)
    if marks == 1:
        whole, _, cents = text.partition(mark)
        if len(cents) == 3 and (whole + cents).isdigit():
            return None, (f"«{value}» es ambiguo (¿{whole}{cents} o {whole},{cents}?); escriba "
                          f"{whole}{cents} o {whole}{cents},00")
        return whole + "." + cents, None
    return text, None


# What datetime.strptime accepts for "%d/%m/%Y" and "%Y-%m-%d" (its own patterns, matched
# whole), without its locale lookups: 10× faster.
_DAY, _MONTH, _YEAR = r"(3[0-1]|[1-2]\d|0[1-9]|[1-9]| [1-9])", r"(1[0-2]|0[1-9]|[1-9])", r"(\d\d\d\d)"
_DATE_FORMATS = ((re.compile(f"{_DAY}/{_MONTH}/{_YEAR}", re.IGNORECASE), (2, 1, 0)),
                 (re.compile(f"{_YEAR}-{_MONTH}-{_DAY}", re.IGNORECASE), (0, 1, 2)))


def parse_date(value):
    """(date, None) or (None, reason): DD/MM/AAAA, AAAA-MM-DD or a date cell."""
    return _parse_date(value, None)


def _parse_date(value, text):
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    if isinstance(value, float) and value.is_integer() and 1 < value < 80000:  # an Excel serial
        return date(1899, 12, 30) + timedelta(days=int(value)), None
    text = as_text(value) if text is None else text
    for pattern, (year, month, day) in _DATE_FORMATS:
        found = pattern.fullmatch(text)
        if found:
            parts = found.groups()
            try:
                return date(int(parts[year]), int(parts[month]), int(parts[day])), None
            except ValueError:  # 31/02
                continue
    return None, f"«{text}» no es una fecha; escriba DD/MM/AAAA, por ejemplo 15/03/1985"


# --- one line ----------------------------------------------------------------------------

@dataclass(frozen=True)
class LineError:
    line: int  # as the user counts: the title row is line 1
    field: str  # the field's header
    reason: str

    @property
    def message(self):
        return f"Línea {self.line}, campo «{self.field}»: {self.reason}"


def check_value(field, raw, today):
    """(value, None) or (None, reason) for one field of one line."""
    return _checker(field)(raw, today)


@cache
def _checker(field):
    """A function (raw, today) → (value, None) or (None, reason) for this field: its
    rule chosen once, not looked up for every cell (a 100,000-line batch has 1.3 million),
    and a short way for a cell typed as the templates ask (_short_way)."""
    rule, check = _whole_way(field)
    return _short_way(field, rule, check)


def _whole_way(field):
    """(the field's rule, a function (raw, today) → (value, None) or (None, reason))."""
    rule = _CHECKS[field.type]
    if field.type == TEXT:
        rule = _name_text if field.key in _NAMES else _kept_text if field.key in _AS_TYPED else _upper_text
    required = field.required
    limit = None if field.type in (AMOUNT, DATE) else field.max_length

    def check(raw, today):
        text = as_text(raw)
        if not text:
            return (None, "es obligatorio") if required else (None, None)
        if limit is not None and len(text) > limit:
            return None, f"tiene {len(text)} caracteres; el máximo es {limit}"
        return rule(field, raw, text, today)

    return rule, check


# --- the short way ---------------------------------------------------------------------------
# For a cell as the templates ask it to be typed, the value the rules give it, found with
# one test: text already as as_text leaves it (no spaces at the ends or doubled), within
# its length, of the field's characters. Anything else goes the whole way (`check`), which
# names the problem. Only ASCII digits are taken here: the whole way reads any.
# tests/domain/test_batch_layouts.py holds both ways to the same answers.

_WORDS = re.compile(r"\S+(?: \S+)*")  # exactly what " ".join(text.split()) leaves
_NAME_WORDS = re.compile(r"[A-Za-zÁÉÍÓÚÜÑáéíóúüñ'.-]+(?: [A-Za-zÁÉÍÓÚÜÑáéíóúüñ'.-]+)*")
_EMAIL_WHOLE = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_MOBILE_ASCII = re.compile(r"3[0-9]{9}")
_MASKED_ASCII = re.compile(r"[0-9]{6}\*{6}[0-9]{4}")
_DMY_ASCII = re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{4})")
# 150000 | 150000,5 | 150000.50 | 150.000,00: what parse_amount reads one way only
_AMOUNT_PLAIN = re.compile(r"[0-9]+(?:[.,][0-9]{1,2})?")
_AMOUNT_GROUPED = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+,[0-9]{1,2}")


def _short_way(field, rule, check):
    """`check` with the field's short way first (one function: a second call per cell
    costs as much as the test)."""
    build = _SHORT_WAYS.get(rule)
    return build(field, check) if build else check


def _text_short_way(pattern, make, min_limit=0):
    """A string the pattern takes whole (and within the field's length) is the value."""
    def build(field, check):
        limit, fullmatch = field.max_length, pattern.fullmatch
        if limit < min_limit:
            return check

        def text_checked(raw, today):
            if type(raw) is str and len(raw) <= limit and fullmatch(raw):
                return make(raw), None
            return check(raw, today)
        return text_checked
    return build


def _digits_short_way(field, check):
    limit = field.max_length

    def digits_checked(raw, today):
        if type(raw) is str and raw.isdigit() and len(raw) <= limit:
            return raw, None
        return check(raw, today)
    return digits_checked


def _id_short_way(field, check):
    low, high = ID_LENGTH[0], min(ID_LENGTH[1], field.max_length)

    def id_checked(raw, today):
        if type(raw) is str and raw.isdigit() and raw.isascii() and low <= len(raw) <= high:
            return raw, None
        return check(raw, today)
    return id_checked


def _code_short_way(field, check):
    allowed = frozenset(v for v in field.allowed
                        if len(v) <= field.max_length and v == v.upper() and _WORDS.fullmatch(v))

    def code_checked(raw, today):
        return (raw, None) if type(raw) is str and raw in allowed else check(raw, today)
    return code_checked


def _date_short_way(field, check):
    birth = field.key == "birth_date"

    def date_checked(raw, today):
        if type(raw) is date:
            value = raw
        elif type(raw) is str and (found := _DMY_ASCII.fullmatch(raw)):
            day, month, year = found.groups()
            try:
                value = date(int(year), int(month), int(day))
            except ValueError:  # 31/02: the whole way names it
                return check(raw, today)
        else:
            return check(raw, today)
        if birth and not _EARLIEST_BIRTH <= value < today:
            return check(raw, today)
        return value, None
    return date_checked


def _amount_short_way(required, check):
    def amount_checked(raw, today):
        if type(raw) is str:
            if _AMOUNT_PLAIN.fullmatch(raw):
                value = Decimal(raw.replace(",", "."))
            elif _AMOUNT_GROUPED.fullmatch(raw):
                value = Decimal(raw.replace(".", "").replace(",", "."))
            else:
                return check(raw, today)
            if value < MAX_AMOUNT and (value > 0 or not required):
                return value.quantize(CENT) + 0, None
        return check(raw, today)
    return amount_checked


_NAMES = frozenset(("last_name_1", "last_name_2", "first_name_1", "first_name_2", "delivery_city"))
_AS_TYPED = frozenset(("description", "delivery_address"))


def _name_text(field, raw, text, today):
    if not _NAME.match(text):
        return None, f"«{text}» solo admite letras, espacios, guiones y apóstrofos"
    return text.upper(), None


def _kept_text(field, raw, text, today):
    return text, None


def _upper_text(field, raw, text, today):
    return text.upper(), None


def _digits(field, raw, text, today):
    return (text, None) if text.isdigit() else (None, f"«{text}» solo admite números")


def _code(field, raw, text, today):
    code = text.upper()
    if code in field.allowed:
        return code, None
    return None, f"«{text}» no es válido; valores permitidos: {', '.join(field.allowed)}"


def _id_number(field, raw, text, today):
    low, high = ID_LENGTH
    if not low <= len(text) <= high:
        return None, f"debe tener de {low} a {high} caracteres y tiene {len(text)}"
    if not text.isalnum() or not text.isascii():
        return None, f"«{text}» solo admite números (y letras en el pasaporte)"
    return text.upper(), None


_EARLIEST_BIRTH = date(1900, 1, 1)


def _date(field, raw, text, today):
    value, reason = _parse_date(raw, text if type(raw) is str else None)
    if reason:
        return None, reason
    if field.key == "birth_date" and not _EARLIEST_BIRTH <= value < today:
        return None, f"{value:%d/%m/%Y} no es una fecha de nacimiento posible"
    return value, None


def _email(field, raw, text, today):
    return (text.lower(), None) if _EMAIL.match(text) else (None, f"«{text}» no es un correo electrónico válido")


_MOBILE = re.compile(r"3\d{9}")


def _mobile(field, raw, text, today):
    if _MOBILE.fullmatch(text):
        return text, None
    return None, f"«{text}» no es un celular colombiano: 10 dígitos que empiezan por 3"


def _amount(field, raw, text, today):
    value, reason = parse_amount(raw)
    if reason:
        return None, reason
    if value.as_tuple().exponent < -2:
        return None, f"«{text}» tiene más de dos decimales"
    if value >= MAX_AMOUNT:
        return None, f"«{text}» supera el máximo por tarjeta ($ 100.000.000)"
    if field.required and value <= 0:
        return None, "debe ser mayor que 0"
    return value.quantize(CENT) + 0, None


def _masked_card(field, raw, text, today):
    if _MASKED.match(text):
        return text, None
    return None, f"«{text}» no es un número de tarjeta como lo muestra el portal (411111******1111)"


_CHECKS = {TEXT: _upper_text, DIGITS: _digits, CODE: _code, ID_NUMBER: _id_number, DATE: _date, EMAIL: _email,
           MOBILE: _mobile, AMOUNT: _amount, MASKED_CARD: _masked_card}


_PLANS = {}  # id(layout) → (layout, plan): hashing a Layout (its 13 Fields) costs more than a line's check


# A text rule's short test: (the pattern a cell matches whole, the value it makes of the
# cell, the least max_length the pattern is right for). The short and column ways share it.
_TEXT_TESTS = {
    _name_text: (_NAME_WORDS, str.upper, 0), _upper_text: (_WORDS, str.upper, 0), _kept_text: (_WORDS, str, 0),
    _email: (_EMAIL_WHOLE, str.lower, 0), _mobile: (_MOBILE_ASCII, str, 10), _masked_card: (_MASKED_ASCII, str, 16),
}

_SHORT_WAYS = {
    **{rule: _text_short_way(*test) for rule, test in _TEXT_TESTS.items()},
    _digits: _digits_short_way, _id_number: _id_short_way, _code: _code_short_way,
    _date: _date_short_way, _amount: lambda field, check: _amount_short_way(field.required, check),
}


def _plan(spec):
    """((key, header, checker, column way or None), …) of a layout's fields, in order."""
    found = _PLANS.get(id(spec))
    if found is None or found[0] is not spec:
        found = _PLANS[id(spec)] = (spec, tuple((f.key, f.header, _checker(f), _column_way(f))
                                                for f in spec.fields))
    return found[1]


def check_line(spec, cells, line_no, today):
    """(values by key, []) or (None, [LineError, …]): every field's rule, every error."""
    plan = _plan(spec)
    width, count = len(plan), len(cells)
    if count < width:
        cells = list(cells) + [None] * (width - count)
    errors, values = [], {}
    for (key, header, check, _), raw in zip(plan, cells, strict=False):  # cells beyond: below
        value, reason = check(raw, today)
        if reason:
            errors.append(LineError(line_no, header, reason))
        values[key] = value
    for col in range(width, count):
        if as_text(cells[col]):
            errors.append(LineError(line_no, f"columna {col + 1}", "está fuera de las columnas del lote; bórrela"))
    if values.get("id_type") and values.get("id_number") and values["id_type"] != "PA" \
            and not values["id_number"].isdigit():
        errors.append(LineError(line_no, _ID_NUMBER.header, "solo el pasaporte (PA) admite letras"))
    return (None, errors) if errors else (values, [])


# --- a step's lines, column by column ------------------------------------------------------
# A batch is checked 1,000 lines at a time, a column at a time: a column whose cells all
# pass one test over the whole column (the cells joined by "\n", one regex or one
# str method; a cell with "\n" in it fails it) takes its values at once; any other column
# goes cell by cell through the field's checker, each distinct cell once. The column way
# gives what the short way gives for each of its cells; tests/domain/test_batch_layouts.py
# holds check_lines to check_line's answers.

@dataclass
class CheckedLines:
    """A step's lines checked (check_lines), by position in the step: a column of values
    per field (None where a cell was refused), the errors of each line that has any, and
    the values as typed (as_text of every field) of each line with a refused cell."""
    first_line: int
    count: int
    columns: dict  # key → [value of each line]
    errors: dict  # position → [LineError, …]
    typed: dict  # position → {key: text}

    def values(self, at):
        """A line's values: as typed when a cell of it was refused, else as parsed."""
        typed = self.typed.get(at)
        return typed if typed is not None else {key: column[at] for key, column in self.columns.items()}

    def column(self, key):
        """A field's values, line by line (as typed on the lines with a refused cell);
        None for each line when the layout has no such field."""
        if key not in self.columns:
            return [None] * self.count
        values = list(self.columns[key])
        for at, typed in self.typed.items():
            values[at] = typed[key]
        return values

    def refuse(self, at, field, reason):
        """One more error of the line at `at` (a rule beyond its cells: the file, the cards)."""
        self.errors.setdefault(at, []).append(LineError(self.first_line + at, field, reason))

    def as_lines(self):
        """[(line_no, values or None, [LineError, …])]: what check_line gives for each."""
        return [(self.first_line + at, None if at in self.typed else self.values(at), self.errors.get(at, []))
                for at in range(self.count)]


def check_lines(spec, rows, first_line, today) -> CheckedLines:
    """Every rule of each row's cells (check_line's), rows numbered from first_line."""
    plan = _plan(spec)
    width = len(plan)
    errors = {}  # position in rows → [LineError, …]
    columns = {}
    for (key, header, check, way), cells in zip(plan, _columns(rows, width), strict=True):
        values = way(cells, today) if way else None
        columns[key] = values if values is not None else _cell_by_cell(check, cells, today, header, first_line, errors)
    _cells_beyond(rows, width, first_line, errors)
    _passport_rule(spec, columns, first_line, errors)
    blanks = [""] * width
    typed = {at: {key: as_text(v) for (key, *_), v in zip(plan, chain(rows[at], blanks), strict=False)}
             for at in errors}
    return CheckedLines(first_line, len(rows), columns, errors, typed)


def _columns(rows, width):
    """The rows' first `width` cells as columns, a short row's missing cells None."""
    if not rows:
        return [()] * width
    if any(len(row) != width for row in rows):
        rows = [list(row[:width]) + [None] * (width - len(row)) for row in rows]
    return list(zip(*rows, strict=True))


_OWN_KEYS = (str, float)


def _cell_by_cell(check, cells, today, header, first_line, errors):
    """The column's values through the field's checker, each distinct cell checked once.
    A text or a float is its own key (a float never equals a text; 0.0 and -0.0, equal
    keys, are alike to every rule: as_text gives "0", and an amount is +0.00); any other
    cell is keyed by type and repr (1, 1.0 and True are equal keys)."""
    outcomes, values = {}, []
    for at, raw in enumerate(cells):
        key = raw if type(raw) in _OWN_KEYS else (type(raw), repr(raw))
        outcome = outcomes.get(key)
        if outcome is None:
            outcome = outcomes[key] = check(raw, today)
        value, reason = outcome
        if reason:
            errors.setdefault(at, []).append(LineError(first_line + at, header, reason))
        values.append(value)
    return values


def _cells_beyond(rows, width, first_line, errors):
    for at, row in enumerate(rows):
        for col in range(width, len(row)):
            if as_text(row[col]):
                errors.setdefault(at, []).append(
                    LineError(first_line + at, f"columna {col + 1}", "está fuera de las columnas del lote; bórrela"))


def _passport_rule(spec, columns, first_line, errors):
    if "id_type" not in columns or "id_number" not in columns:
        return
    numbers = columns["id_number"]
    if "".join(n for n in numbers if n).isdigit():
        return  # every number all digits (or none given): nothing to refuse
    for at, (id_type, number) in enumerate(zip(columns["id_type"], numbers, strict=True)):
        if id_type and number and id_type != "PA" and not number.isdigit():
            errors.setdefault(at, []).append(LineError(first_line + at, _ID_NUMBER.header,
                                                       "solo el pasaporte (PA) admite letras"))


def _column_way(field):
    """A function (cells, today) → the column's values, or None where the column must go
    cell by cell; None for a field without one."""
    rule = _whole_way(field)[0]
    build = _COLUMN_WAYS.get(rule)
    return build(field) if build else None


_TEXT_ONLY, _DATES_ONLY = {str}, {date}


def _all_text(cells):
    return set(map(type, cells)) == _TEXT_ONLY


def _joined(cells):
    """The cells joined by "\n", or None when a cell holds a "\n" (the joined text would
    not split back into the same cells)."""
    joined = "\n".join(cells)
    return joined if joined.count("\n") == len(cells) - 1 else None


def _text_column_way(pattern, make, min_limit=0):
    """The short way's test for every cell at once; an optional field's empty cells are
    None, as the whole way gives them."""
    def build(field):
        limit = field.max_length
        if limit < min_limit:
            return None
        one = f"(?:{pattern.pattern})" if field.required else f"(?:{pattern.pattern})?"
        whole = re.compile(f"{one}(?:\n{one})*")

        def text_column(cells, today):
            if not _all_text(cells) or max(map(len, cells)) > limit:
                return None
            joined = _joined(cells)
            if joined is None or not whole.fullmatch(joined):
                return None
            values = cells if make is str else make(joined).split("\n")
            return values if field.required else [value or None for value in values]
        return text_column
    return build


def _digits_column_way(field, low=1, high=None, ascii_only=False):
    high = field.max_length if high is None else high

    def digits_column(cells, today):
        if not _all_text(cells) or not low <= min(map(len, cells)) or max(map(len, cells)) > high:
            return None
        joined = "".join(cells)
        return list(cells) if joined.isdigit() and (joined.isascii() or not ascii_only) else None
    return digits_column


def _id_column_way(field):
    return _digits_column_way(field, ID_LENGTH[0], min(ID_LENGTH[1], field.max_length), ascii_only=True)


def _code_column_way(field):
    allowed = frozenset(v for v in field.allowed
                        if len(v) <= field.max_length and v == v.upper() and _WORDS.fullmatch(v))

    def code_column(cells, today):
        return list(cells) if _all_text(cells) and allowed.issuperset(cells) else None
    return code_column


def _date_column_way(field):
    birth = field.key == "birth_date"
    whole = re.compile(f"{_DMY_ASCII.pattern}(?:\n{_DMY_ASCII.pattern})*")

    def date_column(cells, today):
        if set(map(type, cells)) == _DATES_ONLY:
            values = list(cells)
        elif _all_text(cells) and whole.fullmatch(_joined(cells) or ""):
            values = _dates(cells)
        else:
            return None
        if values is None or (birth and not (_EARLIEST_BIRTH <= min(values) and max(values) < today)):
            return None
        return values
    return date_column


def _dates(cells):
    """DD/MM/AAAA texts as dates, each distinct one made once; None for an impossible one."""
    made = {}
    try:
        for text in set(cells):
            made[text] = date(int(text[6:]), int(text[3:5]), int(text[:2]))
    except ValueError:  # 31/02: cell by cell names it
        return None
    return [made[text] for text in cells]


def _amount_column_way(field):
    required = field.required
    plain = re.compile(f"{_AMOUNT_PLAIN.pattern}(?:\n{_AMOUNT_PLAIN.pattern})*")
    grouped = re.compile(f"{_AMOUNT_GROUPED.pattern}(?:\n{_AMOUNT_GROUPED.pattern})*")

    def amount_column(cells, today):
        if not _all_text(cells):
            return None
        joined = _joined(cells) or ""
        if plain.fullmatch(joined):
            made = {text: Decimal(text.replace(",", ".")) for text in set(cells)}
        elif grouped.fullmatch(joined):
            made = {text: Decimal(text.replace(".", "").replace(",", ".")) for text in set(cells)}
        else:
            return None
        if not all(value < MAX_AMOUNT and (value > 0 or not required) for value in made.values()):
            return None
        made = {text: value.quantize(CENT) + 0 for text, value in made.items()}
        return [made[text] for text in cells]
    return amount_column


_COLUMN_WAYS = {
    **{rule: _text_column_way(*test) for rule, test in _TEXT_TESTS.items()},
    _digits: _digits_column_way, _id_number: _id_column_way, _code: _code_column_way,
    _date: _date_column_way, _amount: _amount_column_way,
}


# --- the title row ---------------------------------------------------------------------------

ERRORS_HEADER = "Errores"  # the column of a file given back with its rejected lines


def _norm(header):
    text = unicodedata.normalize("NFKD", as_text(header))
    return " ".join("".join(ch for ch in text if not unicodedata.combining(ch)).split()).casefold()


def headers_problem(spec, headers):
    """Why this title row is not the layout's (in Spanish, naming the column), or None.
    A trailing «Errores» column (a file given back, fixed) is ignored; the title row of
    another batch type is recognised and named."""
    got = _titles(headers)
    want = [_norm(h) for h in spec.headers]
    if got == want:
        return None
    if not got:
        return f"la primera fila debe tener los títulos de las columnas, empezando por «{spec.headers[0]}»"
    return (_other_type(spec, got) or _missing(spec, got, want) or _added(spec, headers, got, want)
            or _moved(spec, got, want) or "las columnas no son las de la plantilla")


def _titles(headers):
    got = [_norm(h) for h in headers]
    while got and not got[-1]:
        got.pop()
    if got and got[-1] == _norm(ERRORS_HEADER):
        got.pop()
    return got


def _other_type(spec, got):
    for other in LAYOUTS.values():
        if other.kind != spec.kind and got == [_norm(h) for h in other.headers]:
            return f"este archivo es un lote de {other.label}; en «Tipo de lote» escogió {spec.label}"
    return None


def _missing(spec, got, want):
    missing = next((i for i, name in enumerate(want) if name not in got), None)
    return None if missing is None else f"falta la columna «{spec.headers[missing]}» (columna {missing + 1})"


def _added(spec, headers, got, want):
    added = next((i for i, name in enumerate(got) if name not in want), None)
    if added is None:
        return None
    title = as_text(headers[added]) or "sin título"
    return f"se agregó la columna «{title}» (columna {added + 1}); el lote de {spec.label} no la tiene"


def _moved(spec, got, want):
    moved = next((i for i, name in enumerate(want) if got[i] != name), None)
    if moved is None:  # pragma: no cover - a repeated column
        return None
    return (f"la columna «{spec.headers[moved]}» debe ser la columna {moved + 1} y está en la columna "
            f"{got.index(want[moved]) + 1}")


def has_errors_column(spec, headers):
    return len([h for h in headers if as_text(h)]) == len(spec.fields) + 1 and \
        _norm([h for h in headers if as_text(h)][-1]) == _norm(ERRORS_HEADER)
