"""«Archivos lotes operativos»: the zip holds, for every batch layout, an .xlsx and a .txt
template built from the layout; a filled .xlsx template reads back through the upload
reader (its «Instrucciones» sheet left aside)."""
import io
import zipfile
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from portal.adapters import templates_zip as tz
from portal.adapters import xlsx
from portal.domain import batch_layouts as bl
from portal.domain import text_files

LAYOUTS = list(bl.LAYOUTS.values())


@pytest.fixture(scope="module")
def archive():
    return zipfile.ZipFile(io.BytesIO(tz.batch_templates_zip()))


def workbook(archive, layout):
    return load_workbook(io.BytesIO(archive.read(f"{layout.code}.xlsx")))


def test_the_zip_has_an_xlsx_and_a_txt_for_every_layout(archive):
    assert archive.namelist() == tz.file_names()
    assert {f"{code}.{ext}" for code in ("emision_nominada_id", "recarga_id", "afiliacion_id")
            for ext in ("xlsx", "txt")} <= set(archive.namelist())
    assert archive.testzip() is None


def test_the_zip_is_built_once_per_process():
    assert tz.batch_templates_zip() is tz.batch_templates_zip()


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.kind)
def test_the_txt_is_the_header_line_in_utf8_with_bom(archive, layout):
    data = archive.read(f"{layout.code}.txt")
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig") == ";".join(layout.headers) + "\r\n"
    decoded = text_files.decode(data)  # what the upload reader makes of it
    assert decoded.ok and text_files.separator(decoded.text.splitlines()[0], len(layout.fields)) == (";", None)


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.kind)
def test_the_xlsx_has_only_the_header_row_and_text_columns_as_text(archive, layout):
    ws = workbook(archive, layout)[tz.SHEET]
    assert [c.value for c in ws[1]] == layout.headers
    assert ws.max_row == 1  # no sample line that could be loaded by mistake
    assert ws.freeze_panes == "A2"
    for i, field in enumerate(layout.fields, start=1):
        number_format = ws.column_dimensions[chr(64 + i)].number_format
        if field.is_text:
            assert number_format == "@", field.header
        elif field.type == bl.AMOUNT:
            assert number_format == "#,##0.00"
        elif field.type == bl.DATE:
            assert number_format == "DD/MM/YYYY"


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.kind)
def test_coded_fields_offer_their_values_and_text_fields_their_limit(archive, layout):
    ws = workbook(archive, layout)[tz.SHEET]
    by_column = {str(v.sqref).split(":")[0][:-1]: v for v in ws.data_validations.dataValidation}
    column = chr(65 + layout.index("id_type"))
    id_type = by_column[column]
    assert id_type.type == "list" and id_type.formula1 == '"CC,CE,TI,PA,PPT,PEP"'
    assert str(id_type.sqref) == f"{column}2:{column}{tz.ROWS + 1}" and id_type.showErrorMessage
    number = by_column[chr(65 + layout.index("id_number"))]
    assert (number.type, number.operator, number.formula1) == ("textLength", "lessThanOrEqual", "15")
    assert number.prompt.startswith("Solo números")


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.kind)
def test_the_instructions_sheet_lists_every_field_of_the_layout(archive, layout):
    ws = workbook(archive, layout)[tz.INSTRUCTIONS]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=1, max_col=7)]
    assert tuple(rows[0]) == ("Campo", "Obligatorio", "Tipo", "Longitud máxima", "Valores permitidos",
                              "Ejemplo", "Nota")
    fields = [row for row in rows[1:1 + len(layout.fields)]]
    assert [row[0] for row in fields] == layout.headers
    for row, field in zip(fields, layout.fields, strict=True):
        assert row[1] == ("Sí" if field.required else "No")
        assert row[3] == field.max_length
        assert (row[5] or "") == field.example and (row[6] or "") == field.note
    assert rows[1 + len(layout.fields)] == [None] * 7
    notes = " ".join(row[0] for row in rows[2 + len(layout.fields):] if row[0])
    assert bl.AMOUNT_FORMATS in notes
    assert "UTF-8" in notes and "Windows-1252" in notes
    assert "«;» (punto y coma), «,» (coma) o tabulador" in notes


def test_the_id_type_row_names_the_allowed_values(archive):
    layout = bl.layout("topup")
    ws = workbook(archive, layout)[tz.INSTRUCTIONS]
    assert ws.cell(row=2, column=5).value.startswith("CC (Cédula de ciudadanía), CE (Cédula de extranjería)")
    assert ws.cell(row=3, column=6).value == "1045678434" and ws.cell(row=3, column=6).data_type == "s"


def test_a_filled_template_reads_back_and_its_lines_pass(archive):
    """The user types in the template and uploads it: one visible sheet besides
    «Instrucciones», leading zeros kept, every field as the layout checks it."""
    layout = bl.layout("emission")
    wb = workbook(archive, layout)
    ws = wb[tz.SHEET]
    line = ["CC", "0045678434", "PÉREZ", "", "MARÍA", "", date(1985, 3, 15), "maria@empresa.co", "3001234567",
            "Calle 30 # 1-25", "BARRANQUILLA", "001", 150000]
    for i, value in enumerate(line, start=1):
        ws.cell(row=2, column=i, value=value or None)
    out = io.BytesIO()
    wb.save(out)
    read = xlsx.read_upload(out.getvalue(), expected_sheet=tz.SHEET, ignored_sheets=(tz.INSTRUCTIONS,))
    assert read.error is None, read.error
    assert read.sheet_name == tz.SHEET and read.rows[0] == layout.headers
    values, errors = bl.check_line(layout, read.rows[1], 2, date(2026, 5, 26))
    assert errors == [] and values["id_number"] == "0045678434" and values["branch"] == "001"
    refused = xlsx.read_upload(out.getvalue(), expected_sheet=tz.SHEET)
    assert "Elimine la hoja «Instrucciones»" in refused.error  # without the exception: as before


def test_the_data_sheet_is_found_by_name_when_it_is_not_the_first_tab():
    wb = Workbook()
    wb.active.title = tz.INSTRUCTIONS
    wb.active["A1"] = "Campo"
    wb.create_sheet(tz.SHEET)["A1"] = "TIPO ID"
    out = io.BytesIO()
    wb.save(out)
    read = xlsx.read_upload(out.getvalue(), expected_sheet=tz.SHEET, ignored_sheets=(tz.INSTRUCTIONS,))
    assert read.error is None and read.rows == [["TIPO ID"]]
    assert xlsx.precheck(out.getvalue(), expected_sheet=tz.SHEET, ignored_sheets=(tz.INSTRUCTIONS,)) is None


def test_text_never_becomes_a_formula():
    ws = Workbook().active
    cell = tz._text(ws.cell(row=1, column=1), "=HYPERLINK(\"http://x\")")
    assert cell.data_type == "s"
