"""Cartera xlsx files: built (protected, text ids, S/N list), read back safely, every bad
file an employer (or an attacker) may send, and LibreOffice's round trip."""
import io
import re
import shutil
import struct
import subprocess
import zipfile
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.adapters import xlsx
from portal.domain import cartera_layout as cl
from portal.domain import cartera_rows as cr

D = Decimal
MB = 1024 * 1024


def line(n, kind="active", **changes):
    values = dict(credit_number=f"LI-{1000 + n}", id_number=f"00{7200000 + n}", first_name="Ana María",
                  last_name=f"Pérez {n}", kind=kind, balance=D("1752770.00"), instalment=D("175277.00"),
                  arrears_days=30 if n % 3 == 0 else 0, arrears=D("4381.93") if n % 3 == 0 else D("0.00"),
                  principal=D("2000000.00"), credit_date=date(2023, 3, 5),
                  retired_on=date(2024, 2, 1) if kind == "retired" else None)
    values.update(changes)
    return cl.CarteraLine(**values)


LINES = [line(n) for n in range(1, 9)] + [line(n, "retired") for n in range(9, 12)]


@pytest.fixture(scope="module")
def files():
    return xlsx.build_statement_files(LINES)


def sheet(data):
    return openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]


def edit(data, change):
    wb = openpyxl.load_workbook(io.BytesIO(data))
    change(wb.worksheets[0])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(data, kind=cl.ACTIVE, **limits):
    read = xlsx.read_upload(data, **limits)
    assert read.ok, read.error
    return read, cr.check_upload(read.rows, LINES, kind, formula_cells=read.formula_cells)


def replace_member(data, name, body=None, writer=None):
    """The same xlsx with one member replaced (body bytes, or writer(file) streaming)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
        for info in source.infolist():
            if info.filename != name:
                target.writestr(info.filename, source.read(info.filename))
            elif writer is None:
                target.writestr(name, body)
            else:
                with target.open(name, "w", force_zip64=True) as member:
                    writer(member)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"


def with_rows(data, xml_rows):
    body = zipfile.ZipFile(io.BytesIO(data)).read(SHEET)
    return replace_member(data, SHEET, body.replace(b"</sheetData>", xml_rows + b"</sheetData>"))


# --- built files ------------------------------------------------------------------------

def test_three_files_one_sheet_each(files):
    assert set(files) == {"detail", "active", "retired"}
    assert [sheet(files[k]).title for k in cl.KINDS] == ["Detalle", "Activos", "Retirados"]


def test_text_ids_keep_their_leading_zeros(files):
    read, checked = upload(files["active"])
    assert read.rows[1][:3] == ["007200001", "Ana María Pérez 1", "LI-1001"]
    assert checked.ok and len(checked.result.accepted) == 8
    ws = sheet(files["active"])
    assert ws["A2"].data_type == "s" and ws["A2"].number_format == "@"
    assert ws["C2"].data_type == "s" and ws["C2"].number_format == "@"


def test_money_dates_and_days_formats(files):
    ws = sheet(files["retired"])
    headers = [c.value for c in ws[1]]
    row = {h: c for h, c in zip(headers, ws[2], strict=True)}
    assert row["Saldo"].number_format == row["Valor a Pagar"].number_format == "#,##0.00"
    assert row["Saldo"].value == 1752770 and row["Valor Mora"].value == 4381.93
    assert row["Fecha Retiro"].number_format == "DD/MM/YYYY"
    assert row["Días Mora"].number_format == "0"
    assert ws.freeze_panes == "A2"


@pytest.mark.parametrize("kind", cl.UPLOADABLE)
def test_protected_with_only_the_two_columns_unlocked(files, kind):
    ws = sheet(files[kind])
    assert ws.protection.sheet and ws.protection.password
    headers = [c.value for c in ws[1]]
    assert all(c.protection.locked for c in ws[1])
    for row in ws.iter_rows(min_row=2):
        unlocked = {h for h, c in zip(headers, row, strict=True) if not c.protection.locked}
        assert unlocked == {"Aplica Mora", "Valor a Pagar"}


@pytest.mark.parametrize("kind", cl.UPLOADABLE)
def test_apply_arrears_offers_s_or_n(files, kind):
    ws = sheet(files[kind])
    last = ws.max_row
    flag = cl.column_letter(cl.layout(kind).index("apply_arrears"))
    amount = cl.column_letter(cl.layout(kind).index("amount"))
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    assert rules[f"{flag}2:{flag}{last}"].type == "list"
    assert rules[f"{flag}2:{flag}{last}"].formula1 == '"S,N"'
    assert rules[f"{amount}2:{amount}{last}"].type == "decimal"


def test_detalle_is_read_only(files):
    ws = sheet(files["detail"])
    assert ws.protection.sheet
    assert all(c.protection.locked for row in ws.iter_rows() for c in row)
    assert not ws.data_validations.dataValidation
    assert ws.max_row == len(LINES) + 1


def test_sheet_password_is_a_parameter():
    a = xlsx.build_statement_file(LINES, cl.ACTIVE, password="otra")
    assert sheet(a).protection.password != sheet(xlsx.build_statement_file(LINES, cl.ACTIVE)).protection.password


@pytest.mark.parametrize("risky", ["=HYPERLINK(\"http://x\",\"y\")", "+57 300", "-1", "@SUM(A1)"])
def test_values_that_look_like_formulas_stay_text(risky):
    data = xlsx.build_statement_file([line(1, first_name=risky, last_name="")], cl.DETAIL)
    cell = sheet(data)["C2"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == (risky, "s", True)
    read = xlsx.read_upload(data)
    assert read.ok and read.formula_cells == [] and read.rows[1][2] == risky


def test_control_characters_are_dropped_and_markup_escaped():
    data = xlsx.build_statement_file([line(1, first_name="A\x01<b>&", last_name="")], cl.DETAIL)
    assert xlsx.read_upload(data).rows[1][2] == "A<b>&"


def test_an_empty_statement_still_makes_valid_files():
    for kind in cl.KINDS:
        read = xlsx.read_upload(xlsx.build_statement_file([], kind))
        assert read.ok and read.rows == [cl.layout(kind).headers]


# --- files refused before parsing -----------------------------------------------------

@pytest.mark.parametrize("data,words", [
    (b"", "El archivo está vacío"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "parece un libro de Excel 97-2003 (.xls)"),
    ("Identificación;Nombre;Valor\n007;Ana María;175.277\n".encode("latin-1"), "es un archivo de texto (CSV)"),
    (b"\xef\xbb\xbfIdentificaci\xc3\xb3n,Valor\r\n007,1\r\n", "es un archivo de texto (CSV)"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "es un PDF"),
    (b"<html><body>hola</body></html>", "es una página web"),
    (bytes(range(256)) * 4, "su contenido no corresponde a un libro de Excel"),
    (b"PK\x03\x04" + b"\0" * 100, "dañado o incompleto"),
])
def test_not_an_xlsx(data, words):
    result = xlsx.read_upload(data)
    assert not result.ok and words in result.error
    if data:
        assert result.error.startswith("El archivo no es un Excel .xlsx válido")


def test_other_zips_are_not_xlsx():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("fotos/a.txt", "hola")
    assert "es un archivo comprimido (.zip)" in xlsx.read_upload(out.getvalue()).error
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<x/>")
    assert "OpenDocument (.ods)" in xlsx.read_upload(out.getvalue()).error


def test_a_20_mb_file_is_refused_by_size():
    result = xlsx.read_upload(b"PK\x03\x04" + b"\0" * (20 * MB), max_bytes=10 * MB)
    assert result.error == "El archivo pesa 20 MB; el máximo permitido es 10 MB."


def test_a_zip_bomb_is_refused_from_its_declared_sizes(files):
    def zeros(member):
        block = b"\0" * MB
        for _ in range(200):
            member.write(block)

    bomb = replace_member(files["active"], SHEET, writer=zeros)
    assert len(bomb) < 1 * MB  # 200 MB of zeros, compressed
    result = xlsx.read_upload(bomb)
    assert not result.ok and "posible «bomba zip»" in result.error


def test_a_highly_compressed_member_is_refused_by_ratio(files):
    bomb = replace_member(files["active"], SHEET, b"<worksheet>" + b" " * (5 * MB) + b"</worksheet>")
    assert "bomba zip" in xlsx.read_upload(bomb).error


def test_a_member_that_lies_about_its_size_is_refused(files):
    data = replace_member(files["active"], SHEET, b"\0" * (8 * MB))
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(SHEET)
    patched = bytearray(data)
    struct.pack_into("<I", patched, info.header_offset + 22, 1000)  # local header: uncompressed size
    central = data.rfind(SHEET.encode()) - 46  # the name's last occurrence is in the central directory
    assert data[central:central + 4] == b"PK\x01\x02"
    struct.pack_into("<I", patched, central + 24, 1000)  # central directory: uncompressed size
    assert zipfile.ZipFile(io.BytesIO(bytes(patched))).getinfo(SHEET).file_size == 1000
    result = xlsx.read_upload(bytes(patched), max_ratio=10**6)
    assert not result.ok and "dañado o fue manipulado" in result.error


def test_an_index_part_that_lies_about_its_size_is_refused_without_inflating_it(files):
    name = "xl/workbook.xml"
    data = replace_member(files["active"], name, b"\0" * (8 * MB))
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    patched = bytearray(data)
    struct.pack_into("<I", patched, info.header_offset + 22, 1000)
    central = data.rfind(name.encode()) - 46
    struct.pack_into("<I", patched, central + 24, 1000)
    assert xlsx.precheck(bytes(patched)) == "El archivo no es un Excel .xlsx válido: el archivo está dañado o fue manipulado."


def test_too_many_rows():
    data = xlsx.build_statement_file([line(n) for n in range(1, 31)], cl.ACTIVE)
    assert xlsx.read_upload(data, max_rows=10).error == "El archivo tiene 30 filas de datos; el máximo es 10."
    assert xlsx.read_upload(data, max_rows=30).ok


@pytest.mark.parametrize("cells,words", [
    (b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>', "filas de datos"),
    (b'<row r="40"><c r="BZ40"><v>1</v></c></row>', "columnas; el máximo es 50"),
    (b'<row r="40"><c><v>1</v></c></row>', "celdas sin referencia"),
    (b'<row r="40"><c s="1" r="A40"><v>1</v></c></row>', "celdas sin referencia"),
    (b'<row r="40"><x:c xmlns:x="urn:x"><v>1</v></x:c></row>', "celdas sin referencia"),
])
def test_cells_far_away_or_without_a_place_are_refused_before_parsing(files, cells, words):
    result = xlsx.read_upload(with_rows(files["active"], cells))
    assert not result.ok and words in result.error


def test_an_empty_workbook():
    out = io.BytesIO()
    openpyxl.Workbook().save(out)
    assert xlsx.read_upload(out.getvalue()).error == "El archivo está vacío: no tiene títulos ni filas."


# --- sheets, macros, no rows: refused naming the problem ----------------------------------

ONE_SHEET = "debe tener solo la hoja «Activos» que descargó del portal"


def workbook_edit(data, change):
    wb = openpyxl.load_workbook(io.BytesIO(data))
    change(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def extra_sheet(title, index=None, state="visible"):
    def change(wb):
        ws = wb.create_sheet(title, index)
        ws["A1"] = "Identificación"  # a title the column check would look at
        ws.sheet_state = state
    return change


def both(*changes):
    def change(wb):
        for each in changes:
            each(wb)
    return change


@pytest.mark.parametrize("change,message", [
    (extra_sheet("Hoja1", 0), f"El archivo tiene 2 hojas («Hoja1», «Activos»); {ONE_SHEET}. "
                              "Elimine la hoja «Hoja1»."),
    (extra_sheet("Notas"), f"El archivo tiene 2 hojas («Activos», «Notas»); {ONE_SHEET}. "
                           "Elimine la hoja «Notas»."),
    (both(extra_sheet("A", 0), extra_sheet("B")),
     f"El archivo tiene 3 hojas («A», «Activos», «B»); {ONE_SHEET}. Elimine las hojas «A» y «B»."),
    (both(extra_sheet("Hoja1", 0), lambda wb: setattr(wb["Activos"], "title", "Hoja2")),
     f"El archivo tiene 2 hojas («Hoja1», «Hoja2»); {ONE_SHEET}."),
    (extra_sheet("Cálculos", 0, "hidden"), f"La hoja «Cálculos» está oculta; el archivo {ONE_SHEET}."),
    (extra_sheet("Cálculos", None, "veryHidden"), f"La hoja «Cálculos» está oculta; el archivo {ONE_SHEET}."),
])
def test_sheets_other_than_the_portals_are_named_before_anything_is_stored(files, change, message):
    data = workbook_edit(files["active"], change)
    problem = xlsx.precheck(data, expected_sheet="Activos")
    assert problem is not None and problem.startswith(message)
    assert xlsx.read_upload(data, expected_sheet="Activos").error == problem


def test_a_hidden_sheet_says_how_to_show_it_and_a_very_hidden_one_to_download_again(files):
    hidden = xlsx.precheck(workbook_edit(files["active"], extra_sheet("X", 0, "hidden")), expected_sheet="Activos")
    very = xlsx.precheck(workbook_edit(files["active"], extra_sheet("X", 0, "veryHidden")),
                         expected_sheet="Activos")
    assert "Mostrar" in hidden and "Mostrar" not in very and "Descargue el archivo de nuevo" in very


def test_without_an_expected_name_one_visible_sheet_is_still_required(files):
    data = workbook_edit(files["active"], extra_sheet("Notas"))
    assert xlsx.precheck(data) == "El archivo tiene 2 hojas («Activos», «Notas»); debe tener una sola hoja."


def test_one_sheet_of_another_name_is_left_to_the_column_check(files):
    renamed = workbook_edit(files["active"], lambda wb: setattr(wb.worksheets[0], "title", "Hoja1"))
    assert xlsx.precheck(renamed, expected_sheet="Activos") is None
    assert xlsx.precheck(files["retired"], expected_sheet="Activos") is None
    read = xlsx.read_upload(files["retired"], expected_sheet="Activos")
    checked = cr.check_upload(read.rows, LINES, cl.ACTIVE)
    assert checked.structure.code == "wrong_kind"  # the better message: it is the other file


MACRO_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
VBA_TYPE = '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'


def with_parts(data, parts=(), main_type=None, add_types=""):
    """The xlsx with extra members and, optionally, the workbook's content type changed."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "[Content_Types].xml":
                body = body.replace(XLSX_TYPE.encode(), (main_type or XLSX_TYPE).encode())
                body = body.replace(b"</Types>", add_types.encode() + b"</Types>")
            target.writestr(info.filename, body)
        for name in parts:
            target.writestr(name, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    return out.getvalue()


MACROS = "El archivo tiene macros (.xlsm); guárdelo como “Libro de Excel (.xlsx)” y vuelva a cargarlo."


@pytest.mark.parametrize("parts,main_type,add_types", [
    (["xl/vbaProject.bin"], MACRO_TYPE, VBA_TYPE),  # what Excel writes for an .xlsm
    (["xl/vbaProject.bin"], None, VBA_TYPE),  # renamed .xlsx, content type left as is
    ([], MACRO_TYPE, ""),
    (["xl/activeX/activeX1.xml", "xl/activeX/activeX1.bin"], None, ""),
    (["xl/macrosheets/sheet1.xml"], None, ""),
    ([], None, '<Override PartName="/xl/macrosheets/sheet1.xml" '
               'ContentType="application/vnd.ms-excel.macrosheet+xml"/>'),
])
def test_a_macro_enabled_workbook_is_refused(files, parts, main_type, add_types):
    data = with_parts(files["active"], parts, main_type, add_types)
    assert xlsx.precheck(data) == MACROS
    assert xlsx.read_upload(data).error == MACROS


def test_a_header_without_rows_is_read_and_refused_by_the_layout(files):
    for data in (xlsx.build_statement_file([], cl.ACTIVE),
                 edit(files["active"], lambda ws: ws.delete_rows(2, ws.max_row)),
                 edit(files["active"], lambda ws: [setattr(c, "value", None) for r in ws.iter_rows(min_row=2)
                                                    for c in r])):
        assert xlsx.precheck(data) is None  # decided by the job (invalid), like every content rule
        read = xlsx.read_upload(data)
        assert read.ok and read.data_rows == []
        checked = cr.check_upload(read.rows, LINES, cl.ACTIVE)
        assert not checked.ok and checked.structure.code == "no_rows"
        assert checked.structure.message.startswith(
            "El archivo no tiene filas de trabajadores: solo trae los títulos de las columnas.")


# --- files that parse but break the rules ----------------------------------------------

def test_added_column(files):
    def change(ws):
        ws.insert_cols(4)
        ws["D1"] = "Observaciones"
    _, checked = upload(edit(files["active"], change))
    assert checked.structure.code == "added" and "«Observaciones» (columna D)" in checked.structure.message


def test_renamed_header(files):
    _, checked = upload(edit(files["active"], lambda ws: ws.cell(1, 7, "Mora")))
    assert checked.structure.code == "renamed"
    assert "la columna G debe llamarse «Valor Mora» y se llama «Mora»" in checked.structure.message


def test_reordered_columns(files):
    def change(ws):
        for row in ws.iter_rows():
            row[3].value, row[4].value = row[4].value, row[3].value
    _, checked = upload(edit(files["active"], change))
    assert checked.structure.code == "reordered" and checked.structure.column == "Saldo"


def test_removed_column(files):
    _, checked = upload(edit(files["active"], lambda ws: ws.delete_cols(7)))
    assert checked.structure.code == "removed" and checked.structure.column == "Valor Mora"


def test_wrong_tab(files):
    _, checked = upload(files["retired"], cl.ACTIVE)
    assert checked.structure.code == "wrong_kind"


@pytest.mark.parametrize("cell,value,column,words", [
    ("D2", 1000, "Saldo", "no se puede modificar"),
    ("A3", 7200002, "Identificación", "se perdieron los ceros a la izquierda"),
    ("I2", "abc", "Valor a Pagar", "«abc» no es un valor numérico"),
    ("I2", -5, "Valor a Pagar", "no puede ser negativo"),
    ("H2", "Si", "Aplica Mora", "«Si» no es válido"),
    ("I2", 9_999_999, "Valor a Pagar", "supera el saldo"),
    ("C2", "LI-0000", "Nro Crédito", "no pertenece a este estado de cartera"),
])
def test_row_errors(files, cell, value, column, words):
    _, checked = upload(edit(files["active"], lambda ws: ws.__setitem__(cell, value)))
    assert checked.structure is None
    errors = checked.result.errors
    assert [(e.row, e.column) for e in errors] == [(int(cell[1:]), column)]
    assert words in errors[0].reason


@pytest.mark.parametrize("cell,column", [("I2", "Valor a Pagar"), ("D3", "Saldo")])
def test_a_formula_is_found_though_the_reader_only_sees_its_cached_value(files, cell, column):
    data = edit(files["active"], lambda ws: ws.__setitem__(cell, "=1+1"))
    read, checked = upload(data)
    row, col = int(cell[1:]), cl.column_index(cell[0])
    assert read.formula_cells == [(row, col)]
    assert [(e.row, e.column) for e in checked.result.errors] == [(row, column)]
    assert "fórmula no permitida" in checked.result.errors[0].reason


def test_the_file_comes_back_with_an_errors_column_and_can_be_uploaded_again(files):
    data = edit(files["active"], lambda ws: (ws.__setitem__("I2", "abc"), ws.__setitem__("H3", "X"),
                                              ws.__setitem__("I3", -1)))
    _, checked = upload(data)
    back = xlsx.with_error_column(data, checked.result.errors)
    ws = sheet(back)
    assert ws["J1"].value == "Errores"
    assert ws["J2"].value == "Valor a Pagar: «abc» no es un valor numérico; escriba solo números, por ejemplo 175277 o 175.277,50"
    assert ws["J3"].value.startswith("Aplica Mora: «X» no es válido; escriba S o N; Valor a Pagar: el valor a pagar no")
    assert ws["J4"].value is None
    assert ws["I2"].fill.fgColor.rgb.endswith("F8CBAD")
    assert ws.protection.sheet  # still protected

    fixed = edit(back, lambda ws: (ws.__setitem__("I2", 100), ws.__setitem__("H3", "N"), ws.__setitem__("I3", 0)))
    _, again = upload(fixed)
    assert again.ok and again.result.accepted["LI-1001"].amount == D("100.00")
    # a second round reuses the column instead of adding another
    twice = xlsx.with_error_column(back, checked.result.errors[:1])
    ws = sheet(twice)
    assert ws["J1"].value == "Errores" and ws["K1"].value is None and ws["J3"].value is None


def test_the_errors_column_from_the_sheet_read_upload_kept_is_the_same_file(files):
    """The job hands with_error_column the sheet's XML read_upload inflated (keep_sheet),
    instead of inflating it again: the same bytes come out."""
    data = edit(files["active"], lambda ws: (ws.__setitem__("I2", "abc"), ws.__setitem__("I3", -1)))
    _, checked = upload(data)
    read = xlsx.read_upload(data, keep_sheet=True)
    assert read.sheet[0] == "xl/worksheets/sheet1.xml" and read.sheet[1].startswith(b"<")
    assert xlsx.read_upload(data).sheet is None
    kept = xlsx.with_error_column(data, checked.result.errors, sheet=read.sheet)
    assert kept == xlsx.with_error_column(data, checked.result.errors)
    assert xlsx.with_error_column(data, checked.result.errors, sheet=("xl/worksheets/other.xml", b"nada")) == kept


def test_the_errors_file_is_a_sound_zip_of_the_same_parts(files):
    """with_error_column writes the archive itself (the parts it leaves copied as they
    are compressed): every CRC holds, the same parts in the same order, only the sheet
    and the styles changed."""
    data = edit(files["active"], lambda ws: ws.__setitem__("I3", -1))
    _, checked = upload(data)
    source, back = zipfile.ZipFile(io.BytesIO(data)), zipfile.ZipFile(io.BytesIO(xlsx.with_error_column(
        data, checked.result.errors)))
    assert back.testzip() is None
    assert [i.filename for i in back.infolist()] == [i.filename for i in source.infolist()]
    changed = [i.filename for i in source.infolist() if source.read(i.filename) != back.read(i.filename)]
    assert sorted(changed) == ["xl/styles.xml", "xl/worksheets/sheet1.xml"]


def _looks(data):
    """What a user sees of the first sheet: every cell with a value or a fill (value,
    type, fill colour, bold, wrapped), the column widths, whether it is protected."""
    ws = sheet(data)
    cells = {c.coordinate: (c.value, c.data_type, c.fill.fgColor.rgb[-6:] if c.fill.fill_type == "solid" else None,
                            bool(c.font.b), bool(c.alignment.wrap_text))
             for row in ws.iter_rows() for c in row if c.value is not None or c.fill.fill_type == "solid"}
    return cells, {k: d.width for k, d in ws.column_dimensions.items() if d.width}, ws.protection.sheet


@pytest.mark.parametrize("saved_by", ["portal", "openpyxl", "second try"])
def test_the_errors_column_written_into_the_sheet_is_what_openpyxl_writes(files, saved_by):
    """with_error_column edits the sheet's XML; loading and saving the workbook with
    openpyxl (what it did before, ~2 s for 10,000 rows) gives the same cells."""
    changed = edit(files["active"], lambda ws: (ws.__setitem__("I2", "abc"), ws.__setitem__("H3", "X"),
                                                 ws.__setitem__("I3", -1)))
    _, checked = upload(changed)
    errors = checked.result.errors + [cr.RowError(5, "Saldo", "otro motivo <con> & signos  ")]
    data = {"portal": files["active"], "openpyxl": changed,
            "second try": xlsx.with_error_column(changed, errors)}[saved_by]
    if saved_by == "second try":
        errors = errors[1:]
    back = xlsx.with_error_column(data, errors)
    assert _looks(back) == _looks(xlsx._with_error_column_openpyxl(data, errors, xlsx.ERRORS_HEADER))
    cells = _looks(back)[0]
    assert cells["J1"][:3] == ("Errores", "s", "F8CBAD") and cells["D5"][2] == "F8CBAD"
    assert cells["J5"][0] == "Saldo: otro motivo <con> & signos  " and cells["J5"][4]
    assert xlsx.read_upload(back).ok


def test_an_error_text_is_never_a_formula(files):
    back = xlsx.with_error_column(files["active"], [cr.RowError(2, "=1+2", "=HYPERLINK(\"http://x\")")])
    cell = sheet(back)["J2"]
    assert (cell.value, cell.data_type) == ('=1+2: =HYPERLINK("http://x")', "s")
    assert xlsx.read_upload(back).formula_cells == []


def test_a_sheet_written_another_way_gets_its_errors_column_from_openpyxl(files):
    """Rows without their number (optional in the format): the XML is not edited, the
    workbook goes through openpyxl."""
    body = zipfile.ZipFile(io.BytesIO(files["active"])).read(SHEET)
    unnumbered = replace_member(files["active"], SHEET, re.sub(rb'<row r="\d+"', b"<row", body))
    back = xlsx.with_error_column(unnumbered, [cr.RowError(3, "Valor a Pagar", "no puede ser negativo")])
    cells = _looks(back)[0]
    assert cells["J1"][0] == "Errores" and cells["J3"][0] == "Valor a Pagar: no puede ser negativo"
    assert cells["I3"][2] == "F8CBAD"


def test_the_same_content_is_recognised_after_a_new_save(files):
    _, first = upload(files["active"])
    resaved = edit(files["active"], lambda ws: None)
    _, second = upload(resaved)
    assert cr.file_hash(files["active"]) != cr.file_hash(resaved)
    assert first.result.content_key() == second.result.content_key()


# --- LibreOffice ----------------------------------------------------------------------

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed (Debian package "
                    "libreoffice-calc-nogui); bin/test installs it")
def test_a_file_edited_and_saved_by_libreoffice_is_accepted(files, tmp_path):
    edited = edit(files["active"], lambda ws: (ws.__setitem__("I2", "150.000,50"), ws.__setitem__("H3", "n")))
    source = tmp_path / "in" / "activos.xlsx"
    source.parent.mkdir()
    source.write_bytes(edited)
    out = tmp_path / "out"
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                    "--convert-to", "xlsx", "--outdir", str(out), str(source)],
                   check=True, timeout=180, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    saved = (out / "activos.xlsx").read_bytes()
    assert saved != edited
    read, checked = upload(saved)
    assert checked.ok, (checked.structure, checked.result and checked.result.errors[:3])
    accepted = checked.result.accepted
    assert len(accepted) == 8
    assert accepted["LI-1001"].amount == D("150000.50")
    assert accepted["LI-1002"].apply_arrears is False
    assert read.rows[1][0] == "007200001"
    protected = sheet(saved)
    assert protected.protection.sheet
    assert [c.protection.locked for c in protected[2]][-2:] == [False, False]


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed (Debian package "
                    "libreoffice-calc-nogui); bin/test installs it")
def test_the_errors_column_of_a_file_saved_by_libreoffice_opens_in_libreoffice(files, tmp_path):
    def convert(data, to):
        source = tmp_path / f"in-{to[:4]}" / "activos.xlsx"
        source.parent.mkdir()
        source.write_bytes(data)
        subprocess.run([SOFFICE, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                        "--convert-to", to, "--outdir", str(tmp_path / "out"), str(source)],
                       check=True, timeout=180, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return (tmp_path / "out" / f"activos.{to.split(':')[0]}").read_bytes()

    saved = convert(edit(files["active"], lambda ws: (ws.__setitem__("I2", "abc"), ws.__setitem__("H3", "X"))), "xlsx")
    _, checked = upload(saved)
    back = xlsx.with_error_column(saved, checked.result.errors)
    assert _looks(back) == _looks(xlsx._with_error_column_openpyxl(saved, checked.result.errors, xlsx.ERRORS_HEADER))
    rows = convert(back, "csv:Text - txt - csv (StarCalc):59,34,76").decode("utf-8").splitlines()
    assert rows[0].endswith(";Errores") and "Valor a Pagar: «abc» no es un valor numérico" in rows[1]
    assert rows[2].endswith('"Aplica Mora: «X» no es válido; escriba S o N"') and rows[3].endswith(";")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_damaged_files_are_refused_never_raised(files, data):
    raw = bytearray(files["active"])
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(len(raw) // 2, len(raw)))
    result = xlsx.read_upload(bytes(raw[:cut]))
    assert result.ok or result.error


def test_first_row_reads_the_titles_without_the_rest():
    import time

    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Lote")
    sheet.append(["TIPO ID", "ID PERSONA", "Año & <x>"])
    for i in range(20000):
        sheet.append(["CC", str(1000000 + i), i])
    out = io.BytesIO()
    book.save(out)
    started = time.perf_counter()
    assert xlsx.first_row(out.getvalue()) == (["TIPO ID", "ID PERSONA", "Año & <x>"], None)
    assert time.perf_counter() - started < 0.2  # the sheet's 20,000 rows are never read

    plain = Workbook()
    plain.active["A1"], plain.active["C1"] = "TIPO ID", "MONTO"
    out = io.BytesIO()
    plain.save(out)
    assert xlsx.first_row(out.getvalue()) == (["TIPO ID", "", "MONTO"], None)
    empty = io.BytesIO()
    Workbook().save(empty)
    assert xlsx.first_row(empty.getvalue()) == ([], None)
    assert xlsx.first_row(b"not a zip")[1]


def _sheet_of(cells, empty_text_at=None):
    """A workbook of these cells; `empty_text_at` (e.g. "A5"): an empty inline string
    there (python-calamine holds it: its row counts)."""
    book = openpyxl.Workbook()
    for ref, value in cells.items():
        book.active[ref] = value
    out = io.BytesIO()
    book.save(out)
    if empty_text_at is None:
        return out.getvalue()
    row = empty_text_at.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    cell = f'<row r="{row}"><c r="{empty_text_at}" t="inlineStr"><is><t></t></is></c></row></sheetData>'
    source, edited = zipfile.ZipFile(out), io.BytesIO()
    with zipfile.ZipFile(edited, "w") as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(b"</sheetData>", cell.encode())
            target.writestr(info, body)
    return edited.getvalue()


@pytest.mark.parametrize(("cells", "empty_text_at"), [
    ({"A1": "t", "B1": "u", "A2": 1.5, "B3": "x"}, None),
    ({"B3": "x", "C4": 1.5}, None),  # the used area starts at B3: rows still from A1
    ({"A1": "t", "A2": "", "A3": " "}, "B5"),  # empty rows at the end are left out
    ({"A1": "t"}, "A3"),
    ({"A1": "t", "A2": "", "A3": "y"}, None),
    ({"A1": "t", "B2": date(2024, 2, 29)}, None),
])
def test_read_upload_rows_gives_the_rows_read_upload_gives(cells, empty_text_at):
    data = _sheet_of(cells, empty_text_at)
    whole, streamed = xlsx.read_upload(data), xlsx.read_upload_rows(data)
    assert streamed.ok and streamed.count >= len(whole.rows) == whole.count
    assert list(streamed.rows) == whole.rows


def test_read_upload_rows_refuses_as_read_upload(files):
    assert xlsx.read_upload_rows(_sheet_of({})).error == xlsx.read_upload(_sheet_of({})).error
    assert xlsx.read_upload_rows(files[cl.ACTIVE], max_rows=3).error == (
        xlsx.read_upload(files[cl.ACTIVE], max_rows=3).error)
