"""Estado de Cartera files on disk: build them, read an upload safely (zip checks first,
then python-calamine) and give it back with an error column.

Building: openpyxl (write-only) writes the workbook (styles, widths, frozen header, sheet
protection, the S/N list and the amount validation, the header row and one sample row of
styles); the data rows are then written straight into the sheet's XML with those style
ids, an order of magnitude faster than openpyxl's per-cell path (10,000 workers: ~1 s for the
three files instead of 10–20 s measured here). Text is always a string cell, never a formula.

Reading order, so a hostile file costs little: size → signature (zip, not .xls/.csv) →
zip directory (member count, declared sizes, compression ratio) → macros (part names) →
the small index parts (workbook, its relationships, content types), each decompressed
with a cap: macros (content types), then the sheets (one, visible) → every member
actually decompressed with a cap (a member that lies about its size is refused) while
the sheet's XML is scanned for formulas, cells without a position and cells beyond the
row/column limits → only then python-calamine parses it. `precheck` runs the steps up to
the sheets, so a request refuses those files before anything is stored.

Sheet protection is not security: it keeps honest users from editing the wrong cells by
mistake, and anyone can remove it. That is why its password is a plain, non-secret
parameter (default "cartera"), and why every uploaded cell is checked again on the
server (portal.domain.cartera_rows.check_rows).
"""
import functools
import html
import io
import re
import struct
import zipfile
import zlib
from copy import copy
from dataclasses import dataclass, field
from datetime import date
from posixpath import join, normpath

from defusedxml import ElementTree
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation
from python_calamine import CalamineWorkbook
from zlib_ng import zlib_ng

from portal.adapters import xlsx_windows
from portal.domain import cartera_layout as cl
from portal.domain.formatting import to_money

MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEFAULT_SHEET_PASSWORD = "cartera"  # not a secret: see the module's docstring
MB = 1024 * 1024
DEFAULT_MAX_BYTES = 10 * MB
DEFAULT_MAX_ROWS = 20_000
DEFAULT_MAX_COLUMNS = 50
DEFAULT_MAX_MEMBERS = 200
DEFAULT_MAX_UNCOMPRESSED = 50 * MB  # all members together, declared and found (20,000 rows ≈ 10 MB)
DEFAULT_MAX_RATIO = 100  # uncompressed / compressed, for members above RATIO_FLOOR
RATIO_FLOOR = 1 * MB
ERRORS_HEADER = cl.ERRORS_HEADER

TEXT_FORMAT, MONEY_FORMAT, INTEGER_FORMAT, DATE_FORMAT = "@", "#,##0.00", "0", "DD/MM/YYYY"
_FORMATS = {cl.TEXT: TEXT_FORMAT, cl.FLAG: TEXT_FORMAT, cl.MONEY: MONEY_FORMAT,
            cl.INTEGER: INTEGER_FORMAT, cl.DATE: DATE_FORMAT}
_RISKY_START = ("=", "+", "-", "@")
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
_EDITABLE_FILL = PatternFill("solid", fgColor="FFF2CC")
_ERROR_FILL = PatternFill("solid", fgColor="F8CBAD")


# --- build -----------------------------------------------------------------------------

def _template(ws, column, header=False):
    cell = WriteOnlyCell(ws)
    if header:
        cell.font = Font(bold=True)
        cell.fill = _EDITABLE_FILL if column.editable else _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.number_format = TEXT_FORMAT
        cell.protection = Protection(locked=True)
    else:
        cell.number_format = _FORMATS[column.type]
        cell.protection = Protection(locked=not column.editable)
        if column.editable:
            cell.fill = _EDITABLE_FILL
        if column.type == cl.FLAG:
            cell.alignment = Alignment(horizontal="center")
    return cell


def _cell(ws, template, value, as_text, quote=False):
    cell = WriteOnlyCell(ws)
    cell._style = copy(template._style)
    if quote:
        cell.quotePrefix = True
    if value is not None:
        cell.value = value
        if as_text:
            cell.data_type = "s"  # never a formula, whatever it starts with
    return cell


_STYLE_OF = re.compile(rb'<c r="([A-Z]{1,3})(\d+)" s="(\d+)"')
_ROW_2 = re.compile(rb"<row [^>]*\br=\"2\"")
_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')
_EPOCH = date(1899, 12, 30)


def _skeleton(spec, n_rows, password):
    """openpyxl writes everything but the data: styles, widths, frozen header, sheet
    protection, validations, the header row, and two sample rows whose cells carry each
    column's style (row 3: the quote-prefixed variant for risky text); build_statement_file
    replaces the sample rows with the data."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(spec.title)
    for i, column in enumerate(spec.columns):
        ws.column_dimensions[cl.column_letter(i)].width = column.width
    ws.freeze_panes = "A2"
    if spec.kind in cl.UPLOADABLE:
        last = max(n_rows + 1, 2)
        flag = cl.column_letter(spec.index("apply_arrears"))
        amount = cl.column_letter(spec.index("amount"))
        flags = DataValidation(
            type="list", formula1='"S,N"', allow_blank=False, showErrorMessage=True,
            showInputMessage=True, errorStyle="stop", errorTitle=cl.APPLY_ARREARS_HEADER,
            error="Escriba S (se cobra la mora) o N (no se cobra).",
            promptTitle=cl.APPLY_ARREARS_HEADER, prompt="S: se cobra la mora. N: no se cobra.")
        flags.add(f"{flag}2:{flag}{last}")
        amounts = DataValidation(
            type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
            showErrorMessage=True, errorStyle="stop", errorTitle=cl.AMOUNT_HEADER,
            error="Escriba un valor mayor o igual a 0, con máximo dos decimales.")
        amounts.add(f"{amount}2:{amount}{last}")
        ws.data_validations.append(flags)
        ws.data_validations.append(amounts)
    protection = ws.protection
    protection.sheet = True
    protection.password = password
    protection.formatColumns = False  # False = allowed: the employer may widen columns
    protection.selectLockedCells = False
    protection.selectUnlockedCells = False

    headers = [_template(ws, c, header=True) for c in spec.columns]
    templates = [_template(ws, c) for c in spec.columns]
    ws.append([_cell(ws, t, c.header, True) for t, c in zip(headers, spec.columns, strict=True)])
    ws.append([_cell(ws, t, None, False) for t in templates])
    ws.append([_cell(ws, t, None, False, quote=True) for t in templates])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _xml_text(text):
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _sheet_rows(spec, lines, styles, quoted):
    """The <row> elements of the data, written directly (openpyxl's per-cell path costs
    tens of µs a cell; this about one). Text is inline and typed as a string, so nothing
    can become a formula; text starting with = + - @ also gets the quote-prefix style."""
    refs = [cl.column_letter(i) for i in range(len(spec.columns))]
    types = [c.type for c in spec.columns]
    out = []
    for r, line in enumerate(lines, 2):
        cells = []
        for i, value in enumerate(spec.values(line)):
            ref = f"{refs[i]}{r}"
            type_ = types[i]
            if value is None or value == "":
                cells.append(f'<c r="{ref}" s="{styles[i]}"/>')
            elif type_ in (cl.TEXT, cl.FLAG):
                text = str(value)
                style = quoted[i] if text.startswith(_RISKY_START) else styles[i]
                space = ' xml:space="preserve"' if text != text.strip() else ""
                cells.append(f'<c r="{ref}" s="{style}" t="inlineStr">'
                             f'<is><t{space}>{_xml_text(text)}</t></is></c>')
            elif type_ == cl.DATE:
                cells.append(f'<c r="{ref}" s="{styles[i]}" t="n"><v>{(value - _EPOCH).days}</v></c>')
            elif type_ == cl.MONEY:
                cells.append(f'<c r="{ref}" s="{styles[i]}" t="n"><v>{to_money(value):f}</v></c>')
            else:
                cells.append(f'<c r="{ref}" s="{styles[i]}" t="n"><v>{int(value)}</v></c>')
        out.append(f'<row r="{r}">{"".join(cells)}</row>')
    return "".join(out).encode("utf-8")


def build_statement_file(lines, kind, *, password=DEFAULT_SHEET_PASSWORD) -> bytes:
    """One of the three files (Detalle, Activos, Retirados) for these statement lines
    (CarteraLine; lines of the other kinds are left out).

    Header in row 1 (frozen); ids and credit numbers are text cells (format "@"), money
    "#,##0.00", dates DD/MM/AAAA; the sheet is protected and only "Aplica Mora" (a S/N
    list) and "Valor a Pagar" (a decimal ≥ 0) are unlocked."""
    spec = cl.layout(kind)
    rows = cl.lines_for(kind, lines)
    skeleton = _skeleton(spec, len(rows), password)
    source = zipfile.ZipFile(io.BytesIO(skeleton))
    sheet_path = _first_sheet_path(source)
    sheet = source.read(sheet_path)
    width = len(spec.columns)
    found = {(int(row), col.decode()): style.decode() for col, row, style in _STYLE_OF.findall(sheet)}
    letters = [cl.column_letter(i) for i in range(width)]
    styles = [found[(2, letter)] for letter in letters]
    quoted = [found[(3, letter)] for letter in letters]
    begin = _ROW_2.search(sheet).start()
    end = sheet.index(b"</sheetData>")
    last = f"{letters[-1]}{len(rows) + 1}".encode()
    sheet = (_DIMENSION.sub(b'<dimension ref="A1:' + last + b'"/>', sheet[:begin], count=1)
             + _sheet_rows(spec, rows, styles, quoted) + sheet[end:])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = sheet if info.filename == sheet_path else source.read(info.filename)
            target.writestr(info.filename, body)
    return out.getvalue()


def build_statement_files(lines, kind=None, *, password=DEFAULT_SHEET_PASSWORD):
    """build_statement_files(lines, kind) → that file's bytes;
    build_statement_files(lines) → {kind: bytes} for the three files."""
    if kind is not None:
        return build_statement_file(lines, kind, password=password)
    lines = list(lines)
    return {k: build_statement_file(lines, k, password=password) for k in cl.KINDS}


# --- read ------------------------------------------------------------------------------

NOT_XLSX = "El archivo no es un Excel .xlsx válido"
BOMB = ("El archivo fue rechazado por seguridad: su contenido descomprimido es "
        "desproporcionado (posible «bomba zip»).")
DAMAGED = f"{NOT_XLSX}: el archivo está dañado o incompleto. Descárguelo de nuevo."
TAMPERED = f"{NOT_XLSX}: el archivo está dañado o fue manipulado."
NO_SHEET = f"{NOT_XLSX}: no se encontró la hoja de cálculo."
UNREADABLE = f"{NOT_XLSX}: no se pudo leer la hoja. Descárguelo de nuevo del portal."
SheetUnreadable = xlsx_windows.SheetUnreadable
MACROS = "El archivo tiene macros (.xlsm); guárdelo como “Libro de Excel (.xlsx)” y vuelva a cargarlo."
_MACRO_PARTS = ("xl/activex/", "xl/macrosheets/")  # besides any vbaProject part
_MACRO_TYPES = ("macroenabled", "vbaproject", "activex", "macrosheet")


@dataclass
class ReadResult:
    rows: list = field(default_factory=list)  # row 0 is Excel row 1; '' for empty cells
    formula_cells: list = field(default_factory=list)  # (excel_row, column_index)
    error: str | None = None
    sheet_name: str | None = None
    count: int = 0  # of rows (read_upload_rows: at most)
    sheet: tuple | None = None  # read_upload(keep_sheet=True): (its part's name, its XML)

    @property
    def ok(self):
        return self.error is None

    @property
    def headers(self):
        return self.rows[0] if self.rows else []

    @property
    def data_rows(self):
        return self.rows[1:]


_WORKBOOK, _WORKBOOK_RELS, _CONTENT_TYPES = "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml"
_INDEX_PARTS = (_WORKBOOK, _WORKBOOK_RELS, _CONTENT_TYPES)
MAX_INDEX_BYTES = 5 * MB


def _decimal_comma(number):
    text = f"{number:.1f}".replace(".", ",")
    return text[:-2] if text.endswith(",0") else text


def _too_many_rows(rows, max_rows):
    return f"El archivo tiene {rows:,} filas de datos; el máximo es {max_rows:,}.".replace(",", ".")


def _refuse(message):
    return ReadResult(error=message)


def _what_is_it(data):
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return (f"{NOT_XLSX}: parece un libro de Excel 97-2003 (.xls) o un archivo protegido con "
                "contraseña de apertura. Ábralo en Excel y guárdelo como «Libro de Excel (*.xlsx)», "
                "sin contraseña.")
    head = data[:4096].removeprefix(b"\xef\xbb\xbf")
    if head.lstrip().lower().startswith((b"<html", b"<!doctype", b"<?xml", b"<table")):
        return f"{NOT_XLSX}: es una página web o un XML con otro nombre. Descargue de nuevo el archivo."
    if head.startswith(b"%PDF"):
        return f"{NOT_XLSX}: es un PDF. Cargue el archivo de Excel que descargó."
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = head.decode("latin-1") if b"\x00" not in head else ""
        except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes anything
            text = ""
    if text and all(ch.isprintable() or ch in "\r\n\t" for ch in text[:2048]):
        return (f"{NOT_XLSX}: es un archivo de texto (CSV) al que se le cambió la extensión. "
                "Use el archivo de Excel que descargó del portal.")
    return f"{NOT_XLSX}: su contenido no corresponde a un libro de Excel."


_LOCAL_HEADER = struct.Struct("<4s22xHH")


def _member_bytes(data, info, cap, sink=None):
    """Decompress one member from the raw zip bytes, never producing more than `cap`;
    returns the real uncompressed size (None if over the cap or undecodable). The CRC is
    left to the parser: what matters here is that no member inflates beyond what it
    declares, whatever its header says."""
    raw = _compressed(data, info)
    if raw is None:
        return None
    if info.compress_type == zipfile.ZIP_STORED:
        if sink:
            sink(bytes(raw))
        return len(raw)
    decompressor = zlib_ng.decompressobj(-15)  # ~1/3 faster than zlib's
    size = 0
    try:
        for at in range(0, len(raw), _INPUT_PIECE):  # unconsumed_tail copies what is left of its input
            size = _inflate_piece(decompressor, raw[at:at + _INPUT_PIECE], size, cap, sink)
            if size is None:
                return None
        tail = decompressor.flush()
    except (zlib.error, zlib_ng.error):
        return None
    size += len(tail)
    if sink and tail:
        sink(tail)
    return None if size > cap else size


_INPUT_PIECE = 64 * 1024


def _compressed(data, info):
    """A member's bytes as the archive holds them (a view), found from its local header;
    None when no local header is where the directory says."""
    start = info.header_offset
    sig, name_len, extra_len = _LOCAL_HEADER.unpack_from(data, start)
    if sig != b"PK\x03\x04":
        return None
    begin = start + _LOCAL_HEADER.size + name_len + extra_len
    return memoryview(data)[begin:begin + info.compress_size]


def _member(data, info):
    """A member's bytes (already checked by _inflate_all; its CRC left to the parser, as
    ever), inflated into one buffer of its size: chunks then joined held it twice (an
    Excel file's shared strings: ~16 MB)."""
    out, at = bytearray(info.file_size), 0

    def sink(chunk):
        nonlocal at
        out[at:at + len(chunk)] = chunk
        at += len(chunk)

    _member_bytes(data, info, info.file_size, sink)
    return out


def _inflate_piece(decompressor, pending, size, cap, sink):
    """The size so far once `pending` (compressed) is inflated a megabyte at a time into
    the sink; None beyond the cap."""
    while pending:
        chunk = decompressor.decompress(pending, 1 << 20)
        pending = decompressor.unconsumed_tail
        size += len(chunk)
        if size > cap:
            return None
        if sink and chunk:
            sink(chunk)
        if not chunk and pending:  # pragma: no cover - defensive: no progress
            return None
    return size


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def _xml(body):
    try:
        return ElementTree.fromstring(body)
    except Exception:  # defusedxml refusals and broken XML alike
        return None


@dataclass(frozen=True)
class Sheet:
    name: str
    state: str  # visible | hidden | veryHidden, as xl/workbook.xml says
    rel_id: str | None

    @property
    def hidden(self):
        return self.state != "visible"


def _sheets(workbook_xml):
    """The workbook's sheets in its order (tabs), or None when its XML cannot be read."""
    workbook = _xml(workbook_xml)
    if workbook is None:
        return None
    listed = next((el for el in workbook if _local(el.tag) == "sheets"), ())
    return [Sheet(el.get("name", ""), el.get("state", "visible"),
                  next((v for k, v in el.attrib.items() if _local(k) == "id"), None))
            for el in listed if _local(el.tag) == "sheet"]


def _sheet_path(rels_xml, rel_id):
    rels = _xml(rels_xml)
    for el in () if rels is None else rels.iter():
        if _local(el.tag) == "Relationship" and el.get("Id") == rel_id:
            target = el.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else normpath(join("xl", target))
    return None


def _first_sheet_path(zf):
    """Where the first sheet is, in a file the portal built (trusted: read as is)."""
    sheets = _sheets(zf.read(_WORKBOOK))
    return _sheet_path(zf.read(_WORKBOOK_RELS), sheets[0].rel_id) if sheets else None


def _quoted(names):
    """«A», «B» y «C»"""
    quoted = [f"«{n}»" for n in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} y {quoted[-1]}"


def sheet_problem(sheets, expected=None):
    """A refusal naming the hidden or extra sheets, or None: the portal's files have one
    visible sheet. `expected`: that sheet's name, for the message. A single sheet of
    another name is left to the caller's column check (it recognises the other file)."""
    want = f"debe tener solo la hoja «{expected}» que descargó del portal" if expected else "debe tener una sola hoja"
    hidden = [s for s in sheets if s.hidden]
    if hidden:
        return _hidden_sheets(hidden, want)
    if len(sheets) <= 1:
        return None
    names = [s.name for s in sheets]
    message = f"El archivo tiene {len(sheets)} hojas ({', '.join(f'«{n}»' for n in names)}); {want}."
    if expected in names:
        others = [n for n in names if n != expected]
        message += f" Elimine {'la hoja' if len(others) == 1 else 'las hojas'} {_quoted(others)}."
    return message


def _hidden_sheets(hidden, want):
    names, one = _quoted([s.name for s in hidden]), len(hidden) == 1
    said = f"La hoja {names} está oculta" if one else f"Las hojas {names} están ocultas"
    it = "la" if one else "las"
    if any(s.state == "veryHidden" for s in hidden):
        hint = (f"Excel no deja ver{it} desde sus menús. Descargue el archivo de nuevo del portal y "
                "diligéncielo.")
    else:
        hint = f"Para ver{it}: clic derecho sobre la pestaña de una hoja › Mostrar; luego elimíne{it} y guarde."
    return f"{said}; el archivo {want}. {hint}"


def _macro_parts(names):
    return any("vbaproject" in n.lower() or n.lower().startswith(_MACRO_PARTS) for n in names)


def _macro_types(content_types):
    return any(word in t for t in content_types for word in _MACRO_TYPES)


def _content_types(body):
    types = _xml(body)
    return None if types is None else [el.get("ContentType", "").lower() for el in types.iter()]


def _index_part(data, zf, name):
    """A small index part (its declared size already checked), decompressed with that
    size as a cap: zipfile's own read would inflate a member that lies about its size up
    to 2 GB before noticing. None when it is not what it declares."""
    info = zf.getinfo(name)
    chunks = []
    size = _member_bytes(data, info, info.file_size, chunks.append)
    return b"".join(chunks) if size == info.file_size else None


def _index(data, zf, infos, names):
    """(refusal or None, (workbook, relationships, content types) as bytes)."""
    if any(i.file_size > MAX_INDEX_BYTES for i in infos if i.filename in _INDEX_PARTS):
        return BOMB, None
    if _WORKBOOK_RELS not in names:
        return NO_SHEET, None
    parts = tuple(_index_part(data, zf, name) for name in _INDEX_PARTS)
    return (TAMPERED, None) if None in parts else (None, parts)


def _workbook_check(data, zf, infos, names, expected_sheet, ignored_sheets=()):
    """After the zip directory: macros, then the sheets. (refusal or None, (the path of
    the sheet to read, its name)); `ignored_sheets` (names) are neither checked nor read."""
    if _macro_parts(names):
        return MACROS, None
    problem, parts = _index(data, zf, infos, names)
    if problem:
        return problem, None
    workbook, rels, types = parts
    content_types = _content_types(types)
    if content_types is None:
        return DAMAGED, None
    if _macro_types(content_types):
        return MACROS, None
    return _sheet_check(workbook, rels, names, expected_sheet, ignored_sheets)


def _sheet_check(workbook, rels, names, expected_sheet, ignored_sheets=()):
    sheets = [s for s in _sheets(workbook) or () if s.name not in ignored_sheets]
    if not sheets:
        return NO_SHEET, None
    problem = sheet_problem(sheets, expected_sheet)
    if problem:
        return problem, None
    path = _sheet_path(rels, sheets[0].rel_id)
    return (None, (path, sheets[0].name)) if path in names else (NO_SHEET, None)


def _rows_below(limit):
    """A regex alternation for row numbers surely ≤ limit: fewer digits, or as many
    digits and a smaller first digit (for 20001: up to 4 digits, or 1 and 4 digits)."""
    text = str(limit)
    parts = [rb"\d{1,%d}" % (len(text) - 1)] if len(text) > 1 else []
    if text[0] > "1":
        parts.append(rb"[1-%s]\d{%d}" % (str(int(text[0]) - 1).encode(), len(text) - 1))
    return b"|".join(parts) or rb"(?!)"


class _SheetScanner:
    """Streams a sheet's XML and checks it with regexes on bytes (no XML parse, ~30 ms
    for 10,000 rows) before python-calamine builds its dense grid of cells:
    - every cell element starts with an explicit reference, `<c r="B7"`: a cell without
      one takes the next position, and a sheet of such cells could make the grid
      rows × columns large enough to exhaust memory;
    - no reference beyond the row and column limits (a single cell at XFD1048576 would
      do the same);
    - where the formulas are (`<f>` inside a cell), as (row, column) for the row rules.
    Each pass handles the matches that start in [done, limit) and keeps OVERLAP bytes
    before `limit`, so a match is seen once and a formula can look back to its cell."""

    OVERLAP = 4096
    PREFIXED = re.compile(rb":c[\s>/]")
    PREFIXED_TAG = re.compile(rb'<[A-Za-z_][\w.-]*:c r="([A-Z]{1,3})(\d{1,7})"')
    CANONICAL = re.compile(rb'<c r="([A-Z]{1,3})(\d{1,7})"')
    CELL = re.compile(rb'c r="([A-Z]{1,3})(\d{1,7})"')
    FORMULA = re.compile(rb"f[\s>/]")
    TAG_BEFORE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?$")  # before the f of <f or <x:f
    PREFIX_BEFORE = re.compile(rb"<[A-Za-z_][\w.-]*$")  # before the :c of <x:c

    def __init__(self, max_rows, max_columns, keep=False):
        self.max_row, self.max_col = max_rows + 1, max_columns
        self.kept = [] if keep else None  # the sheet's XML, when the caller wants it too
        # One pass finds every cell tag that is not `<c r="X123"` with X in A–Z and a
        # row surely within the limit; the few it finds are looked at in Python (a
        # reference within the limits is fine, anything else is a problem).
        self.suspect = re.compile(rb'<c(?![\w.:-])(?! r="[A-Z](?:%s)")' % _rows_below(self.max_row))
        self.buf, self.done = b"", 0
        self.formulas, self.problem = [], None
        self.last_row = self.last_col = 0  # of the cells looked at in Python (see `suspect`)
        self.end_row = 0  # the last cell's row (the largest, in a sheet written in order)
        self.hides_markup = False  # a CDATA section or a comment: no cutting it into windows

    def feed(self, chunk):
        if self.kept is not None:
            self.kept.append(chunk)
        self.buf += chunk
        if len(self.buf) - self.done > 8 * self.OVERLAP:
            self._scan(len(self.buf) - self.OVERLAP)

    def close(self):
        self._scan(len(self.buf))

    def _place(self, letters, digits):
        row, col = int(digits), cl.column_index(letters.decode()) + 1
        self.last_row, self.last_col = max(self.last_row, row), max(self.last_col, col)

    def _scan(self, limit):
        if not self.hides_markup and b"!" in self.buf:  # memchr first: "<!--" in a buffer costs 4 ms a 5 MB sheet
            self.hides_markup = b"<![CDATA[" in self.buf or b"<!--" in self.buf
        found = functools.partial(self._found, limit)
        self._scan_suspects(found(self.suspect))
        self._scan_prefixed(found(self.PREFIXED))
        self._scan_formulas(found(self.FORMULA))
        self._last_cell(limit)
        keep = max(0, limit - self.OVERLAP)
        self.buf, self.done = self.buf[keep:], limit - keep

    def _found(self, limit, pattern):
        for m in pattern.finditer(self.buf, self.done):
            if m.start() >= limit:
                return
            yield m

    def _last_cell(self, limit):
        at = self.buf.rfind(b'c r="', self.done, limit)
        cell = self.CELL.match(self.buf, at) if at >= 0 else None
        if cell:
            self.end_row = max(self.end_row, int(cell.group(2)))

    def _scan_suspects(self, matches):
        for m in matches:
            tag = self.CANONICAL.match(self.buf, m.start())
            if tag is None:
                self.problem = "cell without reference"
                break
            self._place(tag.group(1), tag.group(2))

    def _scan_prefixed(self, matches):
        buf = self.buf
        for m in matches:
            lo = max(0, m.start() - 64)
            if self.PREFIX_BEFORE.search(buf, lo, m.start()):
                tag = self.PREFIXED_TAG.match(buf, buf.rindex(b"<", lo, m.start()))
                if tag is None:
                    self.problem = "cell without reference"
                else:
                    self._place(tag.group(1), tag.group(2))

    def _scan_formulas(self, matches):
        buf = self.buf
        for m in matches:
            lo = max(0, m.start() - 64)
            if not self.TAG_BEFORE.search(buf, lo, m.start()):
                continue  # text such as "Jef>" or an attribute, not an <f> element
            cells = list(self.CELL.finditer(buf, max(0, m.start() - self.OVERLAP), m.start()))
            if cells:
                last = cells[-1]
                self.formulas.append((int(last.group(2)), cl.column_index(last.group(1).decode())))
            else:
                self.problem = "formula outside a cell"


_BROKEN = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, zlib_ng.error, struct.error, ValueError, KeyError,
           OSError, EOFError, NotImplementedError, UnicodeError)  # how a malformed archive fails


def read_upload(data: bytes, max_bytes=DEFAULT_MAX_BYTES, max_rows=DEFAULT_MAX_ROWS, *,
                expected_sheet=None, max_columns=DEFAULT_MAX_COLUMNS, max_members=DEFAULT_MAX_MEMBERS,
                max_uncompressed=DEFAULT_MAX_UNCOMPRESSED, max_ratio=DEFAULT_MAX_RATIO,
                ignored_sheets=(), keep_sheet=False) -> ReadResult:
    """The sheet of an uploaded .xlsx as rows of cell values (row 0 is Excel's row 1, ''
    for an empty cell; numbers come as float, dates as date), the formula cells found,
    or a refusal in Spanish (ReadResult.error). Never raises for a bad file.

    Refused besides the limits: macros, and any workbook but one visible sheet
    (`expected_sheet`, its name in the portal's file, only words the message); sheets
    named in `ignored_sheets` (a template's «Instrucciones») are left aside, unread.
    Limits: max_bytes of upload; max_rows data rows (besides the header); max_columns;
    max_members in the zip; max_uncompressed bytes for all members together (declared
    and actual); max_ratio uncompressed/compressed for any member above 1 MB.
    keep_sheet: ReadResult.sheet holds the sheet's XML as it was inflated for the scan
    (with_error_column takes it instead of inflating it again)."""
    try:
        return _read_upload(data, max_bytes, max_rows, max_columns, max_members, max_uncompressed, max_ratio,
                            expected_sheet, ignored_sheets, keep_sheet=keep_sheet)
    except _BROKEN:
        return _refuse(DAMAGED)


def read_upload_rows(data: bytes, max_bytes=DEFAULT_MAX_BYTES, max_rows=DEFAULT_MAX_ROWS, *,
                     expected_sheet=None, max_columns=DEFAULT_MAX_COLUMNS, max_members=DEFAULT_MAX_MEMBERS,
                     max_uncompressed=DEFAULT_MAX_UNCOMPRESSED, max_ratio=DEFAULT_MAX_RATIO,
                     ignored_sheets=()) -> ReadResult:
    """read_upload, every check and refusal the same, with the rows given one at a time
    (ReadResult.rows an iterator, to take once): cells become Python objects only as
    they are taken (a 100,000-line batch's rows are ~80 MB of them), and a large sheet
    is read a window of rows at a time (xlsx_windows), so that python-calamine never
    holds all of it. ReadResult.count is known first: up to the last row a cell names;
    trailing empty rows are left out as they come, so fewer may be given. Rows may
    differ in length (those of a window reach its last column with a value).
    A window python-calamine cannot read raises SheetUnreadable as its rows are taken:
    the caller undoes what it did with the rows before and refuses with UNREADABLE."""
    try:
        return _read_upload(data, max_bytes, max_rows, max_columns, max_members, max_uncompressed, max_ratio,
                            expected_sheet, ignored_sheets, streamed=True)
    except _BROKEN:
        return _refuse(DAMAGED)


def precheck(data: bytes, max_bytes=DEFAULT_MAX_BYTES, *, expected_sheet=None, max_members=DEFAULT_MAX_MEMBERS,
             max_uncompressed=DEFAULT_MAX_UNCOMPRESSED, max_ratio=DEFAULT_MAX_RATIO, ignored_sheets=()):
    """The cheap part of read_upload (size, signature, zip directory, macros, sheets;
    only the small index parts are decompressed, with a cap): a refusal in Spanish, or
    None. Lets a request refuse a plainly wrong file at once, before it is stored and
    queued; read_upload refuses it the same way."""
    try:
        problem, zf, infos, names = _container(data, max_bytes, max_members, max_uncompressed, max_ratio)
        return problem or _workbook_check(data, zf, infos, names, expected_sheet, ignored_sheets)[0]
    except _BROKEN:
        return DAMAGED


def _container(data, max_bytes, max_members, max_uncompressed, max_ratio):
    """(refusal or None, zip file, its members, their names)."""
    if not data:
        return _no("El archivo está vacío: seleccione el archivo de Excel que descargó y diligenció.")
    if len(data) > max_bytes:
        return _no(f"El archivo pesa {_decimal_comma(len(data) / MB)} MB; el máximo permitido es "
                   f"{_decimal_comma(max_bytes / MB)} MB.")
    if not data.startswith(b"PK\x03\x04"):
        return _no(_what_is_it(data))
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        return _no(DAMAGED)
    if len(infos) > max_members:
        return _no(BOMB)
    problem = _members_problem(infos, max_uncompressed, max_ratio)
    if problem:
        return _no(problem)
    names = {i.filename for i in infos}
    if "mimetype" in names and b"opendocument" in zf.open("mimetype").read(100):
        return _no(f"{NOT_XLSX}: es una hoja de cálculo OpenDocument (.ods). "
                   "Guárdela como «Libro de Excel 2007-365 (.xlsx)».")
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        return _no(f"{NOT_XLSX}: es un archivo comprimido (.zip) u otro documento de Office.")
    return None, zf, infos, names


def _members_problem(infos, max_uncompressed, max_ratio):
    """What the zip directory alone gives away: encryption, an odd compression, and more
    (or more compressed) content than a spreadsheet of the limits could have."""
    declared = 0
    for info in infos:
        if info.flag_bits & 0x1:
            return f"{NOT_XLSX}: tiene partes cifradas. Guárdelo sin contraseña."
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            return f"{NOT_XLSX}: usa una compresión no soportada."
        declared += info.file_size
        if declared > max_uncompressed:
            return BOMB
        if info.file_size > RATIO_FLOOR and info.file_size > max_ratio * max(info.compress_size, 1):
            return BOMB
    return None


def _no(message):
    return message, None, None, None


def _read_upload(data, max_bytes, max_rows, max_columns, max_members, max_uncompressed, max_ratio,
                 expected_sheet, ignored_sheets=(), streamed=False, keep_sheet=False):
    data = bytes(data)  # io.BytesIO shares bytes but copies a bytearray (a stored file's): once here
    problem, zf, infos, names = _container(data, max_bytes, max_members, max_uncompressed, max_ratio)
    if problem:
        return _refuse(problem)
    problem, found = _workbook_check(data, zf, infos, names, expected_sheet, ignored_sheets)
    if problem:
        return _refuse(problem)
    sheet_path, sheet_name = found
    scanner = _SheetScanner(max_rows, max_columns, keep=keep_sheet)
    problem = _inflate_all(data, infos, sheet_path, scanner, max_uncompressed) or _scanned_problem(
        scanner, max_rows, max_columns)
    if problem:
        return _refuse(problem)
    if streamed and not scanner.hides_markup and xlsx_windows.worth_it(
            next(i.file_size for i in infos if i.filename == sheet_path)):
        parts = {info.filename: _member(data, info) for info in infos if info.filename != sheet_path}
        rows = xlsx_windows.rows(data, sheet_path, sheet_name, parts)
        rows, count = _without_trailing_empty(rows, 0), max(scanner.end_row, scanner.last_row)
    else:
        try:
            sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(sheet_name)
            rows, count = _streamed_rows(sheet) if streamed else _all_rows(sheet)
        except Exception:  # python-calamine raises its own error types for broken files
            return _refuse(UNREADABLE)
        sheet_name = sheet.name
    if not count:
        return _refuse("El archivo está vacío: no tiene títulos ni filas.")
    if count > max_rows + 1:
        return _refuse(_too_many_rows(count - 1, max_rows))
    kept = (sheet_path, b"".join(scanner.kept)) if keep_sheet else None
    return ReadResult(rows=rows, formula_cells=sorted(set(scanner.formulas)), sheet_name=sheet_name, count=count,
                      sheet=kept)


_EMPTY_CELLS = ("", None)


def _empty_row(row):
    return row.count("") + row.count(None) == len(row)


def _all_rows(sheet):
    """(every row from A1, trailing empty rows dropped; how many)."""
    rows = sheet.to_python(skip_empty_area=False)
    while rows and _empty_row(rows[-1]):
        rows.pop()
    return rows, len(rows)


def _streamed_rows(sheet):
    """(the rows from A1 as an iterator, as _all_rows gives them; how many at most: up to
    the last row python-calamine holds, trailing empty rows included)."""
    if sheet.end is None:  # nothing in it
        return iter(()), 0
    return _without_trailing_empty(sheet.iter_rows(), sheet.start[1]), sheet.end[0] + 1


def _without_trailing_empty(rows, left):
    """iter_rows' rows (which start at the sheet's first used column, `left`) from column
    A, an empty row held back until a row with something follows it."""
    pad, held = [""] * left, []
    for row in rows:
        if left:
            row = pad + row
        if not row or (row[0] in _EMPTY_CELLS and _empty_row(row)):  # most rows: one look at their first cell
            held.append(row)
            continue
        if held:
            yield from held
            held = []
        yield row


def _inflate_all(data, infos, sheet_path, scanner, budget):
    """Every member decompressed with a cap (the sheet fed to the scanner): a refusal or None."""
    for info in infos:
        sink = scanner.feed if info.filename == sheet_path else None
        size = _member_bytes(data, info, min(info.file_size, budget), sink)
        if size is None or size != info.file_size:
            return BOMB if size is None and info.file_size >= budget else TAMPERED
        budget -= size
    scanner.close()
    return None


def _scanned_problem(scanner, max_rows, max_columns):
    if scanner.problem:
        return (f"{NOT_XLSX}: su hoja no tiene la forma que escriben Excel o LibreOffice "
                "(celdas sin referencia). Descargue el archivo de nuevo del portal.")
    if scanner.last_row > max_rows + 1:
        return _too_many_rows(scanner.last_row - 1, max_rows)
    if scanner.last_col > max_columns:
        return f"El archivo tiene {scanner.last_col} columnas; el máximo es {max_columns}."
    return None


# --- errors back -----------------------------------------------------------------------

def with_error_column(data: bytes, errors, *, header=ERRORS_HEADER, sheet=None) -> bytes:
    """The uploaded file (already accepted by read_upload) with an «Errores» column
    after the last titled column listing each row's errors, and the faulty cells shaded.
    `errors`: objects with .row, .column (header) and .reason (cartera_rows.RowError).
    A file that already has the column (a second try) gets it rewritten. An error of the
    title row shades its cell; its text is not written over the column's title.

    The sheet's XML is edited as it stands (_ErrorColumn: only the rows with errors, the
    column's width, three styles added), not loaded and saved again with openpyxl, which
    took ~2 s for 10,000 rows here; a sheet written some other way (prefixed elements,
    rows without their number, no styles part) still goes through openpyxl.
    `sheet`: read_upload's ReadResult.sheet, the sheet's XML already inflated."""
    try:
        return _ErrorColumn(data, errors, header, sheet).file()
    except _Unusual:
        return _with_error_column_openpyxl(data, errors, header)


class _Unusual(Exception):
    """The workbook is not written the way Excel, LibreOffice, openpyxl and the portal
    write one: with_error_column leaves it to openpyxl."""


_ERROR_FILL_XML = (b'<fill><patternFill patternType="solid"><fgColor rgb="FFF8CBAD"/><bgColor indexed="64"/>'
                   b"</patternFill></fill>")
_ERROR_FONT_XML = b'<font><b/><sz val="11"/><color rgb="FF9C0006"/><name val="Calibri"/><family val="2"/></font>'
_WRAP_TOP_XML = b'<alignment vertical="top" wrapText="1"/>'
_CELL_XML = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"([^>]*?)(?:/>|>.*?</c>)', re.S)
_S_ATTR = re.compile(rb'\ss="(\d+)"')
_XF = re.compile(rb"<xf\b[^>]*?(?:/>|>.*?</xf>)", re.S)
_ALIGNMENT = re.compile(rb"<alignment\b[^>]*?(?:/>|>.*?</alignment>)", re.S)
_COL_XML = re.compile(rb"<col\b([^>]*?)/>")
_ATTR_XML = re.compile(rb'([\w:]+)="([^"]*)"')
_STYLES_TYPE = "/relationships/styles"


def _set_attr(attrs, name, value):
    """attrs (bytes, as in a tag) with name="value", replaced or added at the end."""
    pattern = re.compile(rb'(\s%s=")[^"]*(")' % name)
    if pattern.search(attrs):
        return pattern.sub(lambda m: m.group(1) + value + m.group(2), attrs, count=1)
    return attrs + b' %s="%s"' % (name, value)


def _block(xml, tag):
    """(start, end) of <tag ...>…</tag> in xml, the whole element; _Unusual if absent."""
    start = xml.find(b"<%s" % tag)
    if start < 0 or xml[start + len(tag) + 1:start + len(tag) + 2] not in (b" ", b">"):
        raise _Unusual(tag)
    end = xml.find(b"</%s>" % tag, start)
    if end < 0:
        raise _Unusual(tag)
    return start, end + len(tag) + 3


def _find_cell(body, ref):
    """(start, end) of the cell `ref` (b"J7") in a row's XML, or None."""
    start = body.find(b'<c r="%s"' % ref)
    if start < 0:
        return None
    tag_end = body.index(b">", start)
    return start, tag_end + 1 if body[tag_end - 1:tag_end] == b"/" else body.index(b"</c>", tag_end) + 4


def _insert_cells(body, new):
    """A row's XML with new cells [(column, xml)] put in column order."""
    last = body.rfind(b'<c r="')
    if last >= 0 and b"<extLst" not in body:
        letters = body[last + 6:last + 9].rstrip(b"0123456789")
        if cl.column_index(letters.decode()) < min(c for c, _ in new):  # the usual case: at the end
            return body + b"".join(xml for _, xml in new)
    cells = [(cl.column_index(m.group(1).decode()), m.start(), m.end()) for m in _CELL_XML.finditer(body)]
    out, pos = [], 0
    for col, start, end in cells:
        out += [body[pos:start]] + [xml for c, xml in new if c < col] + [body[start:end]]
        new = [(c, xml) for c, xml in new if c >= col]
        pos = end
    return b"".join(out + [xml for _, xml in new] + [body[pos:]])


class _Styles:
    """xl/styles.xml with what the error column needs added: a fill, a font, and cell
    formats derived from the file's own (its shaded cells keep their number format,
    font, borders and protection)."""

    def __init__(self, xml):
        self.xml = xml
        self.fonts = self._elements(b"fonts", re.compile(rb"<font\b[^>]*?(?:/>|>.*?</font>)", re.S))
        self.fills = self._elements(b"fills", re.compile(rb"<fill\b[^>]*?(?:/>|>.*?</fill>)", re.S))
        self.xfs = self._elements(b"cellXfs", _XF)
        self.fill_id = str(len(self.fills)).encode()
        self.font_id = str(len(self.fonts)).encode()
        self.added = {}  # (base xf, what) → new xf index

    def _elements(self, tag, pattern):
        start, end = _block(self.xml, tag)
        return pattern.findall(self.xml, self.xml.index(b">", start) + 1, end)

    def derived(self, base, what):
        """The index of the cell format `base` with `what` («shade», «header», «wrap»)."""
        key = (base if base < len(self.xfs) else 0, what)
        if key not in self.added:
            self.added[key] = len(self.xfs) + len(self.added)
        return self.added[key]

    def _xf(self, base, what):
        xf = self.xfs[base]
        tag_end = xf.index(b">")
        closed = xf[tag_end - 1:tag_end] == b"/"
        attrs = xf[3:tag_end - 1 if closed else tag_end]
        body = b"" if closed else xf[tag_end + 1:-len(b"</xf>")]
        if what in ("shade", "header"):
            attrs = _set_attr(_set_attr(attrs, b"fillId", self.fill_id), b"applyFill", b"1")
        if what == "header":
            attrs = _set_attr(_set_attr(attrs, b"fontId", self.font_id), b"applyFont", b"1")
        if what == "wrap":
            attrs = _set_attr(attrs, b"applyAlignment", b"1")
            body = _WRAP_TOP_XML + _ALIGNMENT.sub(b"", body)
        return b"<xf" + attrs + (b">" + body + b"</xf>" if body else b"/>")

    def xml_out(self):
        xml = self.xml
        added = sorted(self.added.items(), key=lambda item: item[1])
        for tag, new, count in ((b"cellXfs", b"".join(self._xf(*key) for key, _ in added), len(self.xfs) + len(added)),
                                (b"fills", _ERROR_FILL_XML, len(self.fills) + 1),
                                (b"fonts", _ERROR_FONT_XML, len(self.fonts) + 1)):
            start, end = _block(xml, tag)
            tag_end = xml.index(b">", start)
            opening = _set_attr(xml[start + len(tag) + 1:tag_end], b"count", str(count).encode())
            close = end - len(tag) - 3
            xml = xml[:start] + b"<" + tag + opening + xml[tag_end:close] + new + xml[close:]
        return xml


class _ErrorColumn:
    """with_error_column by editing the sheet's XML: the title row, the rows with errors
    (their faulty cells' style shaded, their «Errores» cell written as an inline string,
    so it is never a formula) and, when the column was there already, its old cells
    emptied; the column's width; the sheet's dimension. Everything else is copied."""

    def __init__(self, data, errors, header, sheet=None):
        self.data, self.header, self.inflated = data, header, sheet
        self.source = zipfile.ZipFile(io.BytesIO(data))
        self.infos = self.source.infolist()
        self.sheet_path, self.styles_path = self._paths()
        self.per_row = {}
        for error in errors:
            self.per_row.setdefault(error.row, []).append(error)
        self.errors = errors

    def _paths(self):
        workbook, rels = self.source.read(_WORKBOOK), self.source.read(_WORKBOOK_RELS)
        sheets = _sheets(workbook)
        sheet = _sheet_path(rels, sheets[0].rel_id) if sheets else None
        parsed = _xml(rels)
        styles = next((el.get("Target", "") for el in (() if parsed is None else parsed.iter())
                       if _local(el.tag) == "Relationship" and el.get("Type", "").endswith(_STYLES_TYPE)), None)
        names = {i.filename for i in self.infos}
        if styles:
            styles = styles.lstrip("/") if styles.startswith("/") else normpath(join("xl", styles))
        if sheet not in names or styles not in names:
            raise _Unusual("no sheet or no styles part")
        return sheet, styles

    def file(self):
        inflated = self.inflated
        sheet = inflated[1] if inflated and inflated[0] == self.sheet_path else self.source.read(self.sheet_path)
        data_at = sheet.find(b"<sheetData>")
        if data_at < 0 or not sheet.startswith((b"<worksheet", b"<?xml")):
            raise _Unusual("prefixed or empty sheet")
        self.styles = _Styles(self.source.read(self.styles_path))
        titles = self._titles(sheet)
        while titles and str(titles[-1]).strip() == "":
            titles.pop()
        self.by_header = {str(t).strip(): i for i, t in enumerate(titles)}  # 0-based columns
        again = bool(titles) and str(titles[-1]).strip().casefold() == self.header.casefold()
        self.target = len(titles) - 1 if again else len(titles)
        self.letter = cl.column_letter(self.target).encode()
        head = self._width(self._dimension(sheet[:data_at]))
        sheet = head + self._rows(sheet[data_at:], again)
        return self._zip({self.sheet_path: (sheet, 2), self.styles_path: (self.styles.xml_out(), 6)})

    def _titles(self, sheet):
        start = sheet.find(b'<row r="1"')
        if start < 0:
            return []
        end = sheet.find(b"</row>", start)
        row = sheet[start:end + 6 if end >= 0 else sheet.index(b">", start) + 1].decode("utf-8")
        return _row_values(row, self.data, self.infos)

    def _rows(self, sheet, again):
        """sheetData and what follows, with every row to change rewritten, found by its
        number in one pass (rows are in order). A row needed and not found (a sheet that
        numbers its rows only by their cells) is _Unusual."""
        touched = {1, *(r for r in self.per_row if r >= 1)}
        if again:  # the old column's cells, wherever they are, are emptied
            touched.update(int(m.group(1)) for m in re.finditer(rb'<c r="%s(\d+)"' % self.letter, sheet))
        pieces, pos = [], 0
        for row_no in sorted(touched):
            start = sheet.find(b'<row r="%d"' % row_no, pos)
            if start < 0:
                raise _Unusual(f"row {row_no} not found in order")
            tag_end = sheet.index(b">", start)
            if sheet[tag_end - 1:tag_end] == b"/":
                opening, body, end = sheet[start:tag_end - 1], b"", tag_end + 1
            else:
                close = sheet.index(b"</row>", tag_end)
                opening, body, end = sheet[start:tag_end], sheet[tag_end + 1:close], close + 6
            if b" spans=" in opening:  # optional, and it would be wrong now
                opening = re.sub(rb'\sspans="[^"]*"', b"", opening)
            pieces += [sheet[pos:start], opening, b">", self._row(row_no, body), b"</row>"]
            pos = end
        pieces.append(sheet[pos:])
        return b"".join(pieces)

    def _row(self, row_no, body):
        """A row's cells with its changes: a cell replaced where it is, a new one put in
        column order (before anything that is not a cell, such as extLst)."""
        changes = {}
        for error in self.per_row.get(row_no, ()):
            col = self.by_header.get(str(error.column).strip())
            if col is not None and col not in changes:
                changes[col] = "shade"
        changes[self.target] = "header" if row_no == 1 else "wrap" if row_no in self.per_row else None
        new = []
        for col, what in sorted(changes.items()):
            ref = b"%s%d" % (cl.column_letter(col).encode(), row_no)
            found = _find_cell(body, ref)
            if found is None and what is None:
                continue  # no old «Errores» cell here: nothing to empty
            cell = self._cell(row_no, col, ref, None if found is None else body[found[0]:found[1]], what)
            if found is not None:
                body = body[:found[0]] + cell + body[found[1]:]
            else:
                new.append((col, cell))
        return _insert_cells(body, new) if new else body

    def _cell(self, row_no, col, ref, old, what):
        """The new XML of a cell; `old` its XML in the file (or None)."""
        attrs = b""
        if old is not None:
            attrs = old[len(b'<c r=""') + len(ref):old.index(b">")].rstrip(b"/")
        style = _S_ATTR.search(attrs)
        base = int(style.group(1)) if style else 0
        if what is None:  # the column of an earlier try: emptied, its style kept
            return b'<c r="%s" s="%d"/>' % (ref, base) if base else b'<c r="%s"/>' % ref
        new_style = b' s="%d"' % self.styles.derived(base, what)
        if what == "shade":  # its value and type kept, its style shaded
            if old is None:
                return b'<c r="%s"%s/>' % (ref, new_style)
            head = len(b'<c r=""') + len(ref)
            shaded = _S_ATTR.sub(new_style, attrs) if style else attrs + new_style
            return old[:head] + shaded + old[head + len(attrs):]
        if what == "header":
            text = self.header
        else:
            text = "; ".join(f"{e.column}: {e.reason}" for e in self.per_row[row_no])
        space = b' xml:space="preserve"' if text != text.strip() else b""
        return (b'<c r="%s"%s t="inlineStr"><is><t%s>%s</t></is></c>'
                % (ref, new_style, space, _xml_text(text).encode("utf-8")))

    def _dimension(self, head):
        """The sheet's dimension (in its XML before sheetData), if it has one, grown to
        the column."""
        match = re.search(rb'<dimension ref="([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?"\s*/>', head)
        if match is None:
            return head
        first_col, first_row, last_col, last_row = match.groups()
        last_col = max(cl.column_index((last_col or first_col).decode()), self.target)
        last_row = max(int(last_row or first_row), max(self.per_row, default=1))
        ref = b"%s%s:%s%d" % (first_col, first_row, cl.column_letter(last_col).encode(), last_row)
        return head[:match.start()] + b'<dimension ref="' + ref + b'"/>' + head[match.end():]

    def _width(self, head):
        """Column «Errores» 70 wide: its <col> split out of a range, or added (<cols>
        is the last element before sheetData)."""
        number = self.target + 1
        mine = b'<col min="%d" max="%d" width="70" customWidth="1"/>' % (number, number)
        start = head.find(b"<cols>")
        if start < 0:
            if b"<cols" in head:
                raise _Unusual("cols")
            return head + b"<cols>" + mine + b"</cols>"
        end = head.index(b"</cols>", start)
        cols, placed = [], False
        for match in _COL_XML.finditer(head, start, end):
            attrs = match.group(1)
            found = dict(_ATTR_XML.findall(attrs))
            low, high = int(found.get(b"min", 0)), int(found.get(b"max", 0))
            if not placed and low > number:
                cols.append(mine)
                placed = True
            if low <= number <= high:
                if low < number:
                    cols.append(b"<col" + _set_attr(attrs, b"max", b"%d" % (number - 1)) + b"/>")
                cols.append(b"<col" + _set_attr(_set_attr(_set_attr(_set_attr(
                    attrs, b"min", b"%d" % number), b"max", b"%d" % number), b"width", b"70"),
                    b"customWidth", b"1") + b"/>")
                if number < high:
                    cols.append(b"<col" + _set_attr(attrs, b"min", b"%d" % (number + 1)) + b"/>")
                placed = True
            else:
                cols.append(match.group(0))
        if not placed:
            cols.append(mine)
        return head[:start] + b"<cols>" + b"".join(cols) + head[end:]

    def _zip(self, replaced):
        """The same members in the same order: the others copied as they are compressed,
        the edited ones deflated anew by zlib-ng (the big sheet at level 2: ~40 % less
        time than zlib's fastest level, and fewer bytes)."""
        return _zip_file([_deflated(info.filename, *replaced[info.filename]) if info.filename in replaced
                          else _as_stored(self.data, info) for info in self.infos])


# --- a zip written from members already compressed ------------------------------------------
# zipfile compresses what it writes, with zlib: with_error_column copies the members it
# leaves as they are and deflates the edited ones with zlib-ng, so it writes the archive
# itself (no zip64: an upload is a few megabytes).

_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")
_END = struct.Struct("<4sHHHHIIH")
_UTF8_NAME = 0x800


@dataclass(frozen=True)
class _Member:
    name: str
    method: int
    crc: int
    size: int
    date_time: tuple = (1980, 1, 1, 0, 0, 0)


def _deflated(name, body, level):
    """(the member `name` holding `body`, deflated)."""
    compressor = zlib_ng.compressobj(level, zlib_ng.DEFLATED, -15)
    return _Member(name, zipfile.ZIP_DEFLATED, zlib_ng.crc32(body), len(body)), \
        compressor.compress(body) + compressor.flush()


def _as_stored(data, info):
    """(the member as the archive holds it, its compressed bytes)."""
    raw = _compressed(data, info)
    if raw is None:
        raise _Unusual(f"no local header for {info.filename}")
    return _Member(info.filename, info.compress_type, info.CRC, info.file_size, info.date_time), bytes(raw)


def _zip_file(members):
    """An archive of [(_Member, its compressed bytes)], in that order."""
    out, central = io.BytesIO(), []
    for member, payload in members:
        name = member.name.encode("utf-8")
        time, date = _dos_time(member.date_time)
        fields = (member.method, time, date, member.crc, len(payload), member.size, len(name), 0)
        offset = out.tell()
        out.write(_LOCAL.pack(b"PK\x03\x04", 20, _UTF8_NAME, *fields) + name)
        out.write(payload)
        central.append(_CENTRAL.pack(b"PK\x01\x02", 20, 20, _UTF8_NAME, *fields, 0, 0, 0, 0, offset) + name)
    start = out.tell()
    out.write(b"".join(central))
    out.write(_END.pack(b"PK\x05\x06", 0, 0, len(central), len(central), out.tell() - start, start, 0))
    return out.getvalue()


def _dos_time(date_time):
    year, month, day, hour, minute, second = date_time
    return hour << 11 | minute << 5 | second // 2, max(year - 1980, 0) << 9 | month << 5 | day


def _with_error_column_openpyxl(data, errors, header):
    """with_error_column for a workbook _ErrorColumn does not edit: openpyxl loads and
    saves it whole."""
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    titles = [c.value for c in ws[1]]
    while titles and (titles[-1] is None or str(titles[-1]).strip() == ""):
        titles.pop()
    by_header = {str(t).strip(): i + 1 for i, t in enumerate(titles) if t is not None}
    if titles and str(titles[-1]).strip().casefold() == header.casefold():
        target = len(titles)
        for row in ws.iter_rows(min_row=2, min_col=target, max_col=target):
            row[0].value = None
    else:
        target = len(titles) + 1
    head = ws.cell(row=1, column=target, value=header)
    head.font = Font(bold=True, color="9C0006")
    head.fill = _ERROR_FILL
    ws.column_dimensions[cl.column_letter(target - 1)].width = 70

    per_row = {}
    for error in errors:
        per_row.setdefault(error.row, []).append(error)
        col = by_header.get(error.column)
        if col and error.row >= 1:
            ws.cell(row=error.row, column=col).fill = _ERROR_FILL
    for row_no, row_errors in sorted(per_row.items()):
        if row_no < 2:
            continue  # the title row keeps its title
        text = "; ".join(f"{e.column}: {e.reason}" for e in row_errors)
        cell = ws.cell(row=row_no, column=target, value=text)
        cell.data_type = "s"
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- the title row alone (a request refuses a file with the wrong columns at once) ----------

class _Enough(Exception):
    """Raised by a sink once it has read what it needs: stop decompressing."""


_CELL = re.compile(r"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_ATTR = re.compile(r'(\w+)="([^"]*)"')
_TEXT = re.compile(r"<t\b[^>]*>(.*?)</t>", re.S)
_VALUE = re.compile(r"<v>(.*?)</v>", re.S)
_PHONETIC = re.compile(r"<rPh\b.*?</rPh>", re.S)
_SHARED = re.compile(r"<si>(.*?)</si>|<si/>", re.S)


def _prefix_until(data, info, marker, cap):
    """The member's text from its start up to `marker` (included), never more than `cap`
    bytes decompressed; None if the member has no such marker within the cap."""
    chunks, seen = [], 0

    def sink(chunk):
        nonlocal seen
        chunks.append(chunk)
        seen += len(chunk)
        if marker in chunk or marker in b"".join(chunks[-2:]) or seen > cap:
            raise _Enough

    try:
        _member_bytes(data, info, cap, sink)
    except _Enough:
        pass
    text = b"".join(chunks).decode("utf-8", "replace")
    if "<!DOCTYPE" in text or "<!ENTITY" in text:  # never expand entities
        return None
    end = text.find(marker.decode())
    return text[:end + len(marker)] if end >= 0 else None


def _shared_strings(data, infos, wanted):
    """The first shared strings, up to index max(wanted): the titles are among them."""
    info = next((i for i in infos if i.filename == "xl/sharedStrings.xml"), None)
    if info is None or not wanted:
        return {}
    found, chunks, last = [], [], max(wanted)

    def sink(chunk):
        chunks.append(chunk)
        text = b"".join(chunks).decode("utf-8", "ignore")
        found.clear()
        for match in _SHARED.finditer(text):  # only those up to `last`: a file has thousands
            found.append(_si_text(match))
            if len(found) > last:
                raise _Enough

    try:
        _member_bytes(data, info, MAX_INDEX_BYTES, sink)
    except _Enough:
        pass
    return {i: found[i] for i in wanted if i < len(found)}


def _si_text(match):
    body = _PHONETIC.sub("", match.group(1) or "")
    return html.unescape("".join(_TEXT.findall(body)))


def _column(ref):
    letters = "".join(ch for ch in ref if ch.isalpha())
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def first_row(data: bytes, max_bytes=DEFAULT_MAX_BYTES, *, expected_sheet=None, ignored_sheets=(),
              max_uncompressed=DEFAULT_MAX_UNCOMPRESSED):
    """(the data sheet's first row as text cells, None) or (None, refusal in Spanish),
    reading only what that row needs: the request checks a file's columns before storing
    it. The sheets (and the zip's sizes) are checked as precheck and read_upload check them."""
    try:
        problem, zf, infos, names = _container(data, max_bytes, DEFAULT_MAX_MEMBERS, max_uncompressed,
                                               DEFAULT_MAX_RATIO)
        if not problem:
            problem, found = _workbook_check(data, zf, infos, names, expected_sheet, ignored_sheets)
    except _BROKEN:
        return None, DAMAGED
    if problem:
        return None, problem
    info = next(i for i in infos if i.filename == found[0])
    head = _prefix_until(data, info, b"</row>", MAX_INDEX_BYTES)
    if head is None:
        return [], None  # no row at all: an empty sheet
    return _row_values(head[head.find("<row"):], data, infos), None


def _row_values(row_xml, data, infos):
    """A row's XML (text, from <row) as its cells' values, as text ('' for an empty
    one); shared strings looked up in the file's part."""
    cells = []
    for attrs, body in _CELL.findall(row_xml):
        found = dict(_ATTR.findall(attrs))
        kind, body = found.get("t", "n"), body or ""
        value = "".join(_TEXT.findall(body)) if kind == "inlineStr" else "".join(_VALUE.findall(body))
        cells.append((_column(found.get("r", "")) if found.get("r") else len(cells), kind, html.unescape(value)))
    shared = _shared_strings(data, infos, {int(v) for _, k, v in cells if k == "s" and v.isdigit()})
    row = [""] * (max((c for c, _, _ in cells), default=-1) + 1)
    for col, kind, value in cells:
        row[col] = shared.get(int(value), "") if kind == "s" and value.isdigit() else value
    return row


# --- a plain table as a workbook ---------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@")


def _safe_text(value):
    """A text cell that Excel never runs: a leading = + - @ is quoted with an apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def simple_sheet(title, headers, rows, text_columns=()) -> bytes:
    """One sheet: a bold title row, then `rows`. Columns in `text_columns` are text («@»)
    so leading zeros survive Excel; every string is written as a string, never a formula."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    bold = Font(bold=True)
    text_columns = set(text_columns)
    sheet.append([_styled(sheet, h, font=bold) for h in headers])
    for row in rows:
        sheet.append([_styled(sheet, value, text=i in text_columns) for i, value in enumerate(row)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _styled(sheet, value, font=None, text=False):
    cell = WriteOnlyCell(sheet, value=_safe_text(value) if isinstance(value, str) or text else value)
    if isinstance(cell.value, str):
        cell.data_type = "s"
    if text:
        cell.number_format = "@"
    if font:
        cell.font = font
    return cell
