"""A large sheet read a window of rows at a time gives the rows a whole read gives."""
import io
import re
import struct
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


_INLINE = re.compile(rb'<c r="([A-Z]+\d+)"([^>]*?) t="inlineStr"><is><t>([^<]*)</t></is></c>')


def as_excel_saves(data, cell=None):
    """The workbook with its text cells in xl/sharedStrings.xml (`t="s"`), as Excel
    saves one; `cell(ref, attributes, index)` writes a cell otherwise."""
    strings = {}

    def shared(found):
        index = strings.setdefault(found.group(3), len(strings))
        if cell:
            return cell(found.group(1), found.group(2), index)
        return b'<c r="%s"%s t="s"><v>%d</v></c>' % (found.group(1), found.group(2), index)

    sheet = _INLINE.sub(shared, zipfile.ZipFile(io.BytesIO(data)).read(SHEET))
    items = b"".join(b"<si><t>%s</t></si>" % text for text in strings)
    parts = {
        SHEET: sheet,
        "xl/sharedStrings.xml": b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                                b'count="%d" uniqueCount="%d">%s</sst>' % (len(strings), len(strings), items)}
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = parts.pop(info.filename, None) or source.read(info.filename)
            if info.filename == "xl/_rels/workbook.xml.rels":
                body = body.replace(b"</Relationships>", b'<Relationship Id="rIdS" Type="http://schemas.openxml'
                                    b'formats.org/officeDocument/2006/relationships/sharedStrings" '
                                    b'Target="sharedStrings.xml"/></Relationships>')
            if info.filename == "[Content_Types].xml":
                body = body.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            target.writestr(info.filename, body)
        for name, body in parts.items():
            target.writestr(name, body)
    return out.getvalue()


def test_shared_strings_reach_each_window_renumbered(small_windows, monkeypatch):
    """Each window's workbook holds only the strings its cells name (python-calamine
    reads them all for every window otherwise), and gives the rows a whole read gives."""
    data = as_excel_saves(workbook())
    assert b't="s"' in zipfile.ZipFile(io.BytesIO(data)).read(SHEET)
    given = []
    original = xlsx_windows._SharedStrings.pruned
    monkeypatch.setattr(xlsx_windows._SharedStrings, "pruned",
                        lambda self, window: given.append(original(self, window)) or given[-1])
    _same_rows(list(xlsx.read_upload_rows(data, ignored_sheets=("Otra",)).rows),
               xlsx.read_upload(data, ignored_sheets=("Otra",)).rows)
    assert len(small_windows) > 5
    every = zipfile.ZipFile(io.BytesIO(data)).read("xl/sharedStrings.xml").count(b"<si>")
    assert all(shared.count(b"<si>") < every / 2 for _, shared in given)
    assert all(b"count=" not in shared for _, shared in given)


def test_a_shared_string_cell_written_otherwise_gets_every_string(small_windows):
    def attributes_first(ref, attributes, index):  # t="s" before r=: not the usual layout
        return b'<c t="s" r="%s"%s><v>%d</v></c>' % (ref, attributes, index)

    data = as_excel_saves(workbook(), attributes_first)
    _same_rows(list(xlsx.read_upload_rows(data, ignored_sheets=("Otra",)).rows),
               xlsx.read_upload(data, ignored_sheets=("Otra",)).rows)


def test_a_cell_naming_a_string_that_is_not_there_is_unreadable(small_windows):
    data = _edited(as_excel_saves(workbook()), lambda body: body.replace(b"<v>3</v>", b"<v>99999</v>", 1))
    with pytest.raises(xlsx.SheetUnreadable):
        list(xlsx.read_upload_rows(data, ignored_sheets=("Otra",)).rows)
    assert xlsx.read_upload(data, ignored_sheets=("Otra",)).error == xlsx.UNREADABLE  # as a whole read says


def _bad_crc(data, name):
    """The zip with `name`'s CRC-32 off by one bit (local header and central directory)."""
    damaged, info = bytearray(data), zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    struct.pack_into("<I", damaged, info.header_offset + 14, info.CRC ^ 1)
    at = damaged.find(b"PK\x01\x02")
    while at >= 0:
        length = struct.unpack_from("<H", damaged, at + 28)[0]
        if damaged[at + 46:at + 46 + length] == name.encode():
            struct.pack_into("<I", damaged, at + 16, info.CRC ^ 1)
        at = damaged.find(b"PK\x01\x02", at + 4)
    return bytes(damaged)


def test_a_wrong_crc_is_unreadable_in_the_sheet_and_let_be_elsewhere_as_in_a_whole_read(small_windows):
    sheet = _bad_crc(workbook(), SHEET)
    assert xlsx.read_upload(sheet, ignored_sheets=("Otra",)).error == xlsx.UNREADABLE
    with pytest.raises(xlsx.SheetUnreadable):
        list(xlsx.read_upload_rows(sheet, ignored_sheets=("Otra",)).rows)
    styles = _bad_crc(workbook(), "xl/styles.xml")
    _same_rows(list(xlsx.read_upload_rows(styles, ignored_sheets=("Otra",)).rows),
               xlsx.read_upload(styles, ignored_sheets=("Otra",)).rows)
