"""A large sheet read a window of rows at a time gives the rows a whole read gives."""
import io
import re
import zipfile
from datetime import date

import openpyxl
import pytest

from portal.adapters import xlsx, xlsx_windows

SHEET = "xl/worksheets/sheet1.xml"


@pytest.fixture
def small_windows(monkeypatch):
    """Windows of 700 bytes: a sheet of a few dozen rows is read in many."""
    monkeypatch.setattr(xlsx_windows, "WINDOW", 700)
    monkeypatch.setattr(xlsx_windows, "_CHUNK", 300)
    read = []
    original = xlsx_windows._read

    def counted(*args):
        read.append(1)
        return original(*args)

    monkeypatch.setattr(xlsx_windows, "_read", counted)
    return read


def workbook():
    """Text (shared strings, as Excel saves it), numbers, dates; empty rows across
    windows; a block of rows starting at column C; a value far to the right."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["TIPO ID", "ID PERSONA", "MONTO", "FECHA"])
    for n in range(2, 30):
        sheet.append(["CC", str(1045678434 + n), 150000.5 + n, date(1985, 3, 1 + n % 28)])
    for n in range(45, 60):
        sheet.cell(n, 3, f"solo desde C {n}")
        sheet.cell(n, 5, n)
    sheet.cell(70, 8, "lejos")
    sheet.cell(71, 1, "último")
    book.create_sheet("Otra").append(["no se lee"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _edited(data, edit):
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            target.writestr(info.filename, edit(body) if info.filename == SHEET else body)
    return out.getvalue()


def _same_rows(windowed, whole):
    """Row for row the same cells; a windowed row may be shorter (a window reaches its
    last column with a value), never with anything but blanks left out."""
    assert len(windowed) == len(whole)
    for short, row in zip(windowed, whole, strict=True):
        assert row[:len(short)] == short and set(row[len(short):]) <= {""}


def test_a_sheet_read_in_windows_gives_the_rows_a_whole_read_gives(small_windows):
    data = workbook()
    whole = xlsx.read_upload(data, ignored_sheets=("Otra",))
    windowed = xlsx.read_upload_rows(data, ignored_sheets=("Otra",))
    assert windowed.ok and windowed.count == whole.count == 71 and windowed.sheet_name == whole.sheet_name
    _same_rows(list(windowed.rows), whole.rows)
    assert len(small_windows) > 5
    assert whole.rows[50][:5] == ["", "", "solo desde C 51", "", 51.0] and whole.rows[69][7] == "lejos"


def test_a_sheet_with_prefixed_elements_is_read_in_windows_too(small_windows):
    def prefixed(body):
        body = re.sub(rb"<(/?)([A-Za-z][\w]*)([\s>/])", rb"<\1x:\2\3", body)
        return body.replace(b'xmlns="', b'xmlns:x="', 1)

    data = _edited(workbook(), prefixed)
    assert b"<x:sheetData>" in zipfile.ZipFile(io.BytesIO(data)).read(SHEET)
    _same_rows(list(xlsx.read_upload_rows(data, ignored_sheets=("Otra",)).rows),
               xlsx.read_upload(workbook(), ignored_sheets=("Otra",)).rows)
    assert len(small_windows) > 5


def test_a_comment_that_could_hide_a_row_end_makes_it_one_read(small_windows):
    data = _edited(workbook(), lambda body: body.replace(b'<row r="20"', b'<!-- </row> --><row r="20"', 1))
    rows = list(xlsx.read_upload_rows(data, ignored_sheets=("Otra",)).rows)
    _same_rows(rows, xlsx.read_upload(workbook(), ignored_sheets=("Otra",)).rows)
    assert small_windows == []  # python-calamine read it whole, as always


def test_a_window_that_cannot_be_read_raises_as_its_rows_are_taken(small_windows):
    broken = b'<row r="50"><c r="A50" t="n"><v>abc</v></c></row><row r="50"'  # not a number
    data = _edited(workbook(), lambda body: body.replace(b'<row r="50"', broken, 1))
    read = xlsx.read_upload_rows(data, ignored_sheets=("Otra",))
    assert read.ok  # the first windows are good
    rows = iter(read.rows)
    assert next(rows)[0] == "TIPO ID"
    with pytest.raises(xlsx.SheetUnreadable):
        list(rows)


def test_a_small_sheet_is_read_whole():
    assert not xlsx_windows.worth_it(2 * xlsx_windows.WINDOW)
    assert xlsx_windows.worth_it(2 * xlsx_windows.WINDOW + 1)
