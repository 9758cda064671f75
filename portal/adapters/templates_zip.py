"""«Archivos lotes operativos» (manual 003, 2.4.2; manual 004 v2, «longitudes permitidas en
cada campo»): one .zip with, for every batch type of domain/batch_layouts, an .xlsx
template and a .txt template of the same layout, and a LEEME.txt. Built from the layouts,
so a change of layout changes the templates; the same for everyone, so built once per
process.

The .xlsx: the sheet «Lote» holds only the title row (no sample line that could be
loaded by mistake); text columns are formatted as text («@», the column's style, so
Excel keeps the leading zeros of IDs and cards as they are typed), amounts and dates as
such; coded fields (TIPO ID) offer a drop-down of the allowed values, other text fields
refuse more than their maximum length, and every column shows its note when selected.
The sheet «Instrucciones» lists every field (name, obligatorio, tipo, longitud máxima,
valores permitidos, ejemplo, nota) and the general rules (amounts, dates, the .txt's
encodings and separators). A filled template is read with
`xlsx.read_upload(..., expected_sheet=SHEET, ignored_sheets=(INSTRUCTIONS,))`.

The .txt: the title line, fields separated by «;», UTF-8 with BOM so Excel opens it with
its accents right. Every text cell is written as a string, never a formula."""
import io
import zipfile
from decimal import Decimal
from functools import cache

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from portal.domain import batch_layouts as bl
from portal.domain import text_files

ZIP_NAME = "archivos_lotes_operativos.zip"
ZIP_MIME = "application/zip"
README = "LEEME.txt"
SHEET = "Lote"
INSTRUCTIONS = "Instrucciones"
TXT_SEPARATOR = ";"
ROWS = 20_000  # the rows the validations cover: xlsx.DEFAULT_MAX_ROWS of an upload
INSTRUCTION_HEADERS = ("Campo", "Obligatorio", "Tipo", "Longitud máxima", "Valores permitidos", "Ejemplo", "Nota")
TEXT_FORMAT, AMOUNT_FORMAT, DATE_FORMAT = "@", "#,##0.00", "DD/MM/YYYY"

_FORMULA_START = ("=", "+", "-", "@")
_REQUIRED_FILL = PatternFill("solid", fgColor="D9E1F2")
_OPTIONAL_FILL = PatternFill("solid", fgColor="EDEDED")


# --- what the templates say -----------------------------------------------------------

def allowed_text(field):
    """«CC (Cédula de ciudadanía), CE (…)…» or ''."""
    return ", ".join(f"{v} ({bl.ID_TYPES[v]})" if v in bl.ID_TYPES else v for v in field.allowed)


def instruction_rows(layout):
    """One row per field, in the file's order, under INSTRUCTION_HEADERS."""
    return [(f.header, "Sí" if f.required else "No", f.type.capitalize(), f.max_length, allowed_text(f),
             f.example, f.note) for f in layout.fields]


def _product_note(layout):
    if layout.needs_named_product is None:
        return "Sirve para productos de tarjetas nominadas e innominadas."
    return f"Solo para productos de tarjetas {'nominadas' if layout.needs_named_product else 'innominadas'}."


def _separators():
    """«;» (punto y coma), «,» (coma) o tabulador"""
    names = [text_files.SEPARATOR_NAMES[s] if s == "\t" else f"«{s}» ({text_files.SEPARATOR_NAMES[s]})"
             for s in text_files.SEPARATORS]
    return f"{', '.join(names[:-1])} o {names[-1]}"


def general_notes(layout):
    """The rules of the whole file, the same in the .xlsx and in LEEME.txt."""
    separators = _separators()
    return [
        f"Tipo de lote: {layout.label}. {_product_note(layout)}",
        "La primera fila lleva los títulos tal como vienen en la plantilla: no cambie su nombre ni su orden "
        "y no agregue columnas. Escriba un registro por fila, desde la fila 2.",
        "Los campos obligatorios no pueden quedar vacíos; ningún campo puede superar su longitud máxima.",
        f"Montos: en pesos, con máximo dos decimales. Formatos aceptados: {bl.AMOUNT_FORMATS}. "
        "«1.234» o «1,234» se rechazan por ambiguos: escriba 1234 o 1234,00.",
        "Fechas: DD/MM/AAAA (15/03/1985).",
        f"Archivo .txt: la misma estructura, una línea de títulos y una línea por registro, con los campos "
        f"separados por {separators}; el mismo separador en todo el archivo. Con separador «,» escriba los "
        "montos sin comas (1234.56). No use el separador dentro de un valor.",
        "Codificación del .txt: UTF-8 (con o sin BOM) o Windows-1252 (ANSI, «CSV delimitado por comas» de "
        "Excel); también UTF-16 con BOM («Texto Unicode» de Excel). La plantilla .txt viene en UTF-8 con BOM, "
        "así Excel muestra bien las tildes y la ñ.",
        "Cuando el archivo esté listo, cárguelo en Lotes › Carga de lotes: el portal valida cada línea y "
        "muestra cada error con su línea, campo y motivo.",
    ]


def file_names():
    """The files in the zip, in its order."""
    return [f"{layout.code}.{ext}" for layout in bl.LAYOUTS.values() for ext in ("xlsx", "txt")] + [README]


# --- the .xlsx --------------------------------------------------------------------------

def _number_format(field):
    return {bl.AMOUNT: AMOUNT_FORMAT, bl.DATE: DATE_FORMAT}.get(field.type, TEXT_FORMAT)


def _text(cell, value):
    """A text cell that stays text, whatever it starts with (= + - @ never make a formula)."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def _neutralised(cell, value):
    cell = _text(cell, value)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        cell.quotePrefix = True
    return cell


def _validation(field, column):
    """The column's drop-down (coded fields) or limit, with the field's note as a prompt."""
    if field.allowed:
        check = DataValidation(type="list", formula1='"' + ",".join(field.allowed) + '"',
                               error=f"Escoja uno de los valores permitidos: {', '.join(field.allowed)}.")
    elif field.type == bl.AMOUNT:
        check = DataValidation(type="decimal", operator="between", formula1="0",
                               formula2=str(bl.MAX_AMOUNT - Decimal("0.01")),
                               error="Escriba un monto en pesos, de 0 a 99.999.999,99.")
    elif field.type == bl.DATE:
        return None
    else:
        check = DataValidation(type="textLength", operator="lessThanOrEqual", formula1=str(field.max_length),
                               error=f"Máximo {field.max_length} caracteres.")
    check.allow_blank, check.showErrorMessage, check.showInputMessage = True, True, True
    check.errorStyle, check.errorTitle, check.promptTitle = "stop", field.header[:32], field.header[:32]
    check.prompt = (field.note or f"{field.type.capitalize()}, máximo {field.max_length} caracteres.")[:255]
    check.add(f"{column}2:{column}{ROWS + 1}")
    return check


def _data_sheet(ws, layout):
    ws.title = SHEET
    for i, field in enumerate(layout.fields, start=1):
        column = get_column_letter(i)
        head = _text(ws.cell(row=1, column=i), field.header)
        head.font, head.alignment = Font(bold=True), Alignment(horizontal="center", vertical="center")
        head.fill = _REQUIRED_FILL if field.required else _OPTIONAL_FILL
        dimension = ws.column_dimensions[column]
        dimension.width = max(12, min(40, max(field.max_length, len(field.header)) + 2))
        dimension.number_format = _number_format(field)
        check = _validation(field, column)
        if check is not None:
            ws.add_data_validation(check)
    ws.freeze_panes = "A2"


def _instructions_sheet(ws, layout, notes=()):
    for c, header in enumerate(INSTRUCTION_HEADERS, start=1):
        cell = _text(ws.cell(row=1, column=c), header)
        cell.font, cell.fill = Font(bold=True), _REQUIRED_FILL
    for r, row in enumerate(instruction_rows(layout), start=2):
        for c, value in enumerate(row, start=1):
            _text(ws.cell(row=r, column=c), value).alignment = Alignment(wrap_text=True, vertical="top")
    start = len(layout.fields) + 3
    _text(ws.cell(row=start, column=1), "Reglas del archivo").font = Font(bold=True)
    for r, note in enumerate([*notes, *general_notes(layout)], start=start + 1):
        _text(ws.cell(row=r, column=1), note)
    for column, width in zip("ABCDEFG", (22, 12, 12, 16, 40, 24, 60), strict=True):
        ws.column_dimensions[column].width = width
    ws.freeze_panes = "A2"


def xlsx_template(layout) -> bytes:
    return xlsx_filled(layout, ())


def xlsx_filled(layout, rows, notes=()) -> bytes:
    """The layout's template (its sheets, formats, validations and instructions) with
    `rows` from row 2 — a file the portal hands out to be completed and loaded back, such
    as the «Archivo de afiliación de tarjetahabientes». Every value is a text cell; one
    that starts with = + - @ is also quote-prefixed (neutralised: shown as text, never
    run, and read back unchanged). `notes` go first among the file's rules."""
    wb = Workbook()
    _data_sheet(wb.active, layout)
    for r, row in enumerate(rows, start=2):
        for c, (field, value) in enumerate(zip(layout.fields, row, strict=True), start=1):
            if value not in (None, ""):
                _neutralised(wb.active.cell(row=r, column=c), value).number_format = _number_format(field)
    _instructions_sheet(wb.create_sheet(INSTRUCTIONS), layout, notes)
    wb.active = 0
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- the .txt and the zip ----------------------------------------------------------------

def txt_template(layout) -> bytes:
    """The title line, «;»-separated, UTF-8 with BOM, Windows line end."""
    return (TXT_SEPARATOR.join(layout.headers) + "\r\n").encode("utf-8-sig")


def readme() -> bytes:
    parts = ["Archivos lotes operativos - Conexión Empresas", ""]
    for layout in bl.LAYOUTS.values():
        parts += [f"{layout.code}.xlsx / {layout.code}.txt", *general_notes(layout)[:1], ""]
        parts += [" | ".join(str(v) for v in row) for row in [INSTRUCTION_HEADERS, *instruction_rows(layout)]]
        parts.append("")
    parts += general_notes(next(iter(bl.LAYOUTS.values())))[1:]
    return ("\r\n".join(parts) + "\r\n").encode("utf-8-sig")


@cache
def batch_templates_zip() -> bytes:
    """The zip, built once per process (it only depends on the layouts)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for layout in bl.LAYOUTS.values():
            zf.writestr(f"{layout.code}.xlsx", xlsx_template(layout))
            zf.writestr(f"{layout.code}.txt", txt_template(layout))
        zf.writestr(README, readme())
    return out.getvalue()
