"""A large sheet read by python-calamine a window of rows at a time.

python-calamine (0.9) has no streaming reader: get_sheet_by_name builds the whole grid
of cells in Rust before the first row can be taken (a 100,000-line emission batch:
~150 MB at its peak, most of a worker's 200 MB). Here the sheet's XML is cut after a
`</row>` every WINDOW bytes, and each piece goes, with the workbook's other parts, into
a small stored (uncompressed) workbook that python-calamine reads alone: one window's
cells are held at a time (the emission batch's job: 269 → 175 MB at its peak, 185 MB
on PostgreSQL; windows of 2 MB left it at 196 MB there).

Only for a sheet that xlsx._SheetScanner already let through: every cell carries its
reference (a window's cells keep their rows and columns), nothing lies beyond the
limits, and no CDATA section or comment could hide a `</row>` inside a cell. The
`<dimension>` element goes, so that python-calamine does not size each window's grid for
the whole sheet; what follows `</sheetData>` (merged cells, validations, page setup)
holds no values and is left out.

A window python-calamine cannot read raises SheetUnreadable as its rows are taken: the
caller undoes what the earlier windows' rows did."""
import io
import re
import zipfile
import zlib
from array import array

from python_calamine import CalamineWorkbook

WINDOW = 1024 * 1024  # bytes of the sheet's XML per window (~2,200 emission lines)
_CHUNK = 1024 * 1024
_NAME = rb"(?:[A-Za-z_][\w.-]*:)?"  # an element's name may carry a namespace prefix
_ROOT = re.compile(rb"<(" + _NAME + rb"worksheet)\b")
_SHEET_DATA = re.compile(rb"<(" + _NAME + rb"sheetData)\b[^>]*?(/?)>")
_DIMENSION = re.compile(rb"<" + _NAME + rb"dimension\b[^>]*/>")
SHARED_STRINGS = "xl/sharedStrings.xml"
_SI = re.compile(rb"<" + _NAME + rb"si\b[^>]*?(?:/>|>.*?</" + _NAME + rb"si>)", re.S)
_COUNTS = re.compile(rb'\s(?:count|uniqueCount)="\d*"')
_SHARED_CELL = re.compile(rb't="s"(><v>\d+</v>|)')  # the group empty: a shared-string cell written otherwise


class SheetUnreadable(Exception):
    """A window of the sheet is not a sheet python-calamine can read."""


def worth_it(sheet_bytes):
    """Whether a sheet this large is better read in windows (two or more)."""
    return sheet_bytes > 2 * WINDOW


def rows(data, sheet_path, sheet_name, parts):
    """The sheet's rows from A1 ('' for an empty cell), empty rows included ([]), as an
    iterator. `parts`: the workbook's other parts, {name: bytes}. A window's rows reach
    its last column with a value: rows of different windows may differ in length."""
    parts = dict(parts)
    shared = parts.pop(SHARED_STRINGS, None)
    shared = _SharedStrings(shared) if shared is not None else None
    next_row = 0
    for window in _windows(zipfile.ZipFile(io.BytesIO(data)), sheet_path):
        if shared is not None:
            window, parts[SHARED_STRINGS] = shared.pruned(window)
        start, window_rows = _read(parts, sheet_path, window, sheet_name)
        if start is None:
            continue  # only empty rows
        top, left = start
        for _ in range(next_row, top):
            yield []
        if left:
            pad = [""] * left
            window_rows = [pad + row for row in window_rows]
        yield from window_rows
        next_row = top + len(window_rows)


def _read(parts, sheet_path, window, sheet_name):
    """(top-left (row, column) of the window's cells or None, its rows from there)."""
    workbook = io.BytesIO()
    with zipfile.ZipFile(workbook, "w", zipfile.ZIP_STORED) as out:
        for name, content in parts.items():
            out.writestr(name, content)
        out.writestr(sheet_path, window)
    del window
    workbook.seek(0)
    try:
        sheet = CalamineWorkbook.from_filelike(workbook).get_sheet_by_name(sheet_name)
        return sheet.start, sheet.to_python(skip_empty_area=True) if sheet.start is not None else []
    except Exception as error:  # python-calamine raises its own error types for broken files
        raise SheetUnreadable(str(error)) from error


class _SharedStrings:
    """The workbook's shared strings (Excel keeps every text cell's text there, often a
    quarter of the sheet's size), each <si> element as written. A window gets only those
    its cells name, renumbered in order: python-calamine would read them all again for
    every window (7× the whole read's time for an Excel-saved 100,000-line batch)."""

    def __init__(self, xml):
        end = xml.rfind(b"</")
        end = end if end >= 0 else len(xml)  # <sst/>: no strings
        # Where each <si> starts (to where the next does), not a bytes object each: an
        # Excel file's 400,000 strings took ~30 MB as objects.
        self.starts = array("I", map(re.Match.start, _SI.finditer(xml, 0, end)))
        self.starts.append(end)
        self.xml, self.count = xml, len(self.starts) - 1
        self.head = _COUNTS.sub(b"", xml[:self.starts[0]])  # no count to size the window's table by
        self.foot = xml[end:]
        self.cells = []

    def _strings(self, indices):
        """The <si> elements of these indices, joined in that order."""
        xml, starts = self.xml, self.starts
        return b"".join([xml[starts[i]:starts[i + 1]] for i in indices])

    def pruned(self, window):
        """(the window, its cells' shared-string indices renumbered; the strings it
        names, in that order). A window with a shared-string cell written otherwise than
        `t="s"><v>N</v>` gets every string, its cells as they are."""
        pieces = _SHARED_CELL.split(window)
        indices = pieces[1::2]
        used = dict.fromkeys(indices)
        if b"" in used:  # a t="s" not followed by ><v>N</v>
            return window, self.xml
        numbers = [int(index[4:-4]) for index in used]
        if numbers and max(numbers) >= self.count:
            raise SheetUnreadable("a cell names a shared string that is not there")
        strings = self._strings(numbers)
        used = dict(zip(used, self._cells(len(used)), strict=True))
        pieces[1::2] = map(used.__getitem__, indices)
        return b"".join(pieces), self.head + strings + self.foot

    def _cells(self, count):
        """The first `count` cell endings `t="s"><v>N</v>`, made once."""
        for new in range(len(self.cells), count):
            self.cells.append(b't="s"><v>%d</v>' % new)
        return self.cells[:count]


def _windows(zf, sheet_path):
    """The sheet's XML as whole sheets, each with the start up to <sheetData> and about
    WINDOW bytes of its rows."""
    buffer, head, tail, row_end = bytearray(), None, None, None
    with zf.open(sheet_path) as stream:
        while chunk := _read_chunk(stream):
            buffer += chunk
            if head is None:
                head, tail, row_end = _head(buffer)
                if head is None:
                    continue
            while len(buffer) >= WINDOW and (cut := _window_end(buffer, row_end)):
                yield b"".join((head, memoryview(buffer)[:cut], tail))
                del buffer[:cut]
    if head is not None:  # else no <sheetData>, or an empty <sheetData/>: no rows
        end = buffer.rfind(row_end)
        if end >= 0:
            yield b"".join((head, memoryview(buffer)[:end + len(row_end)], tail))


def _read_chunk(stream):
    try:
        return stream.read(_CHUNK)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:  # its CRC, at its end
        raise SheetUnreadable(str(error)) from error


def _head(buffer):
    """(the XML up to and including <sheetData>, without <dimension>; the closing tags a
    window ends with; how a row ends, `</row>` with sheetData's prefix), once the buffer
    holds <sheetData>, which is cut off its start."""
    found = _SHEET_DATA.search(buffer)
    if found is None:
        return None, None, None
    root = _ROOT.search(buffer, 0, found.start())
    if found.group(2) or root is None:  # <sheetData/>: nothing to read
        del buffer[:]
        return None, None, None
    name, root_name = bytes(found.group(1)), bytes(root.group(1))  # before the buffer changes
    head = _DIMENSION.sub(b"", bytes(buffer[:found.end()]))
    del buffer[:found.end()]
    prefix = name[:-len(b"sheetData")]
    return head, b"</%s></%s>" % (name, root_name), b"</%srow>" % prefix


def _window_end(buffer, row_end):
    """Where the buffer's first window ends: after its last row that ends within WINDOW
    bytes (or, a row longer than that, after the first row); 0 while no row has ended.
    Rows named with another prefix than sheetData's are never found: the sheet is then
    one window."""
    at = buffer.rfind(row_end, 0, WINDOW)
    if at < 0:
        at = buffer.find(row_end, WINDOW - len(row_end))
    return at + len(row_end) if at >= 0 else 0
