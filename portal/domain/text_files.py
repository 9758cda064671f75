"""Reading a delimited text upload (.txt/.csv): which encoding, which separator.

Accepted encodings, detected and never guessed silently: UTF-8 (with or without BOM),
UTF-16 with its BOM (Excel's «Texto Unicode») and Windows-1252 (what Excel saves here as
«CSV (delimitado por comas)»). A file that is none of them, or that carries accents
already damaged by an earlier wrong conversion («Ã©»), is refused with the reason.
Separators: «;» (Excel in Spanish), «,» or a tab, chosen by the header row."""
import codecs
import csv
import re
from dataclasses import dataclass
from itertools import islice

SEPARATORS = (";", ",", "\t")
SEPARATOR_NAMES = {";": "punto y coma", ",": "coma", "\t": "tabulador"}
# UTF-8 read as Windows-1252 turns «é» into «Ã©», «ñ» into «Ã±»: the mark of a file
# converted twice. Real Spanish text never has «Ã» followed by one of these.
_DOUBLE_ENCODED = re.compile("Ã[" + re.escape(bytes(range(0x80, 0xC0)).decode("cp1252", "ignore")) + "]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Decoded:
    text: str | None
    encoding: str | None = None
    error: str | None = None

    @property
    def ok(self):
        return self.error is None


def decode(data: bytes) -> Decoded:
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return _checked(data, encoding)
    try:
        return _checked_text(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    return _checked(data, "cp1252")


def _checked(data, encoding):
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return Decoded(None, error=f"el archivo no es texto en UTF-8 ni en Windows-1252 (byte "
                                   f"0x{data[exc.start]:02X} en la línea {line}); "
                                   "guárdelo de nuevo como «CSV UTF-8» o «Texto (delimitado por tabulaciones)»")
    return _checked_text(text, encoding)


def _checked_text(text, encoding):
    if _CONTROL.search(text):
        return Decoded(None, error="el archivo no es de texto: tiene caracteres de control (¿es un archivo "
                                   "de Excel renombrado .txt?)")
    damaged = _DOUBLE_ENCODED.search(text)
    if damaged:
        line = text.count("\n", 0, damaged.start()) + 1
        return Decoded(None, error=f"la línea {line} tiene tildes dañadas («{damaged.group(0)}»): el archivo "
                                   "se convirtió dos veces; guárdelo de nuevo desde el original")
    return Decoded(text.lstrip("\ufeff"), encoding)


def separator(header_line: str, columns: int):
    """The separator that splits the header into exactly `columns` fields, or (None,
    reason). Two that both fit (a single-column layout) is impossible here."""
    fits = [sep for sep in SEPARATORS if len(header_line.split(sep)) == columns]
    if len(fits) == 1:
        return fits[0], None
    counts = {SEPARATOR_NAMES[sep]: len(header_line.split(sep)) for sep in SEPARATORS}
    best = max(counts, key=counts.get)
    return None, (f"la fila de títulos debe tener {columns} columnas separadas por punto y coma, coma o "
                  f"tabulador; separada por {best} tiene {counts[best]}")


def rows(text: str, sep: str):
    """The lines of a decoded file as lists of fields (quotes as Excel writes them);
    blank lines at the end are dropped."""
    parsed = list(csv.reader(text.splitlines(), delimiter=sep))
    while parsed and not any(field.strip() for field in parsed[-1]):
        parsed.pop()
    return parsed


class Rows:
    """The rows `rows(text, sep)` gives, one at a time (a 100,000-line file as lists of
    fields takes ~110 MB at once): `count` is known first, then iterating reads them,
    once: each line is let go as it is read."""

    def __init__(self, text: str, sep: str):
        self.lines, self.sep = text.splitlines(), sep
        if '"' in text:  # a quoted field may span lines: count the rows as the csv module reads them
            self.count = 0
            for n, row in enumerate(csv.reader(self.lines, delimiter=sep), 1):
                if any(field.strip() for field in row):
                    self.count = n
        else:  # a line is a row, its fields split by the separator
            count = len(self.lines)
            while count and not self.lines[count - 1].replace(sep, "").strip():
                count -= 1
            self.count = count

    def __iter__(self):
        return islice(csv.reader(_consumed(self.lines), delimiter=self.sep), self.count)


def _consumed(items):
    """A list's items in order, each let go once taken."""
    items.reverse()
    while items:
        yield items.pop()


def first_line(text: str):
    return text.split("\n", 1)[0].rstrip("\r")


def cell_problem(text: str):
    """Why one value cannot travel in a text file (what `decode` refuses in a whole
    file, said of a single value), or None."""
    if _CONTROL.search(text):
        return "tiene caracteres de control"
    damaged = _DOUBLE_ENCODED.search(text)
    if damaged:
        return f"tiene tildes dañadas («{damaged.group(0)}»): el texto se convirtió dos veces"
    return None
