"""A batch sent as lines of JSON (the ERP API): they become the file a person loads —
a UTF-8 text file with the layout's title row and its columns in order, separated by
«;» (quoted as Excel quotes) — so that the one upload pipeline checks them with the
same rules. What no file could carry is said here, line by line. Pure: no Flask."""
import csv
import io
from dataclasses import dataclass

from portal.domain import batch_layouts as bl
from portal.domain import text_files

SEPARATOR = ";"


@dataclass(frozen=True)
class Misfit:
    index: int  # the line's position in the list, from 0
    key: str | None  # None: the whole line
    reason: str


def keys():
    """Every field key of every layout, in the layouts' order (the API's line object)."""
    seen = {}
    for spec in bl.LAYOUTS.values():
        for field in spec.fields:
            seen.setdefault(field.key, field)
    return seen


def misfits(spec, lines):
    """[Misfit] of the lines (dicts of field key → text or None): a key of another
    layout, a value with control characters or doubly-converted accents, a line with
    no value at all (a blank line at the end of a file is dropped, never checked)."""
    allowed = {f.key for f in spec.fields}
    found = []
    for index, line in enumerate(lines):
        if not any(bl.as_text(value) for value in line.values()):
            found.append(Misfit(index, None, "está vacía"))
        for key, value in line.items():
            if key not in allowed:
                found.append(Misfit(index, key, f"no es un campo de los lotes de {spec.label}"))
            elif (reason := text_files.cell_problem(bl.as_text(value))):
                found.append(Misfit(index, key, reason))
    return found


def text_file(spec, lines):
    """The bytes of the text file the lines make."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=SEPARATOR, lineterminator="\r\n")
    writer.writerow(spec.headers)
    for line in lines:
        writer.writerow([bl.as_text(line.get(f.key)) for f in spec.fields])
    return out.getvalue().encode("utf-8")


def filename(spec):
    return f"api_{spec.code}.txt"
