"""Estado de Cartera files: the header row of an uploaded Activos/Retirados file
(`check_structure`), and a file with the titles and nothing under them
(`no_rows_problem`). Pure: no Flask, no database, no I/O.

Decisions, so the services and the UI tell one story:
- Activos and Retirados differ by one column (Retirados has "Fecha Retiro"), so a file
  uploaded in the wrong tab is recognised and named instead of failing on every row.
- Headers compare without regard to case, accents or repeated spaces; anything else
  (added, removed, renamed or reordered column) refuses the whole file at once
  (`check_structure`).
- A file with the titles and no row under them is refused whole (`no_rows_problem`, run
  by cartera_rows.check_upload): it would be "processed" paying nothing, which no
  employer means to do.
"""
from dataclasses import dataclass

from portal.domain.cartera_layout import ERRORS_HEADER, KIND_LABEL, KINDS, column_letter, layout
from portal.domain.cells import blank, normalise_header

STRUCTURE_MESSAGE = "Este archivo no puede ser modificado en su estructura"


@dataclass(frozen=True)
class StructureProblem:
    code: str  # added | removed | renamed | reordered | wrong_kind | no_header | no_rows
    column: str  # the header concerned, as the employer sees it
    letter: str  # its column in Excel (where it is, or should be)
    message: str


def _trimmed(headers):
    found = [("" if h is None else str(h)).strip() for h in headers]
    while found and not found[-1]:
        found.pop()
    if found and normalise_header(found[-1]) == normalise_header(ERRORS_HEADER):  # a file sent back, fixed
        found.pop()
    return found


def has_errors_column(headers):
    found = [h for h in headers if not blank(h)]
    return bool(found) and normalise_header(found[-1]) == normalise_header(ERRORS_HEADER)


def check_structure(headers, kind):
    """The first structural problem of an uploaded header row, or None when it is the
    layout's. `headers` is row 1 as read (trailing empty cells are ignored)."""
    expected = layout(kind).headers
    got = _trimmed(headers)
    want_n, got_n = [normalise_header(h) for h in expected], [normalise_header(h) for h in got]
    if got_n == want_n:
        return None
    if not got:
        return _problem("no_header", expected[0], "A",
                        "la fila 1 debe tener los títulos de las columnas, empezando por "
                        f"«{expected[0]}» en la columna A")
    return (_wrong_kind(got, got_n, kind) or _added(got, got_n, want_n) or _removed(expected, got_n, want_n)
            or _reordered(expected, got_n, want_n) or _renamed(expected, got, got_n, want_n))


def _problem(code, column, letter, detail):
    return StructureProblem(code, column, letter, f"{STRUCTURE_MESSAGE}: {detail}.")


def _wrong_kind(got, got_n, kind):
    """The header row of the other file (Activos for Retirados, or the other way)."""
    for other in KINDS:
        if other != kind and got_n == [normalise_header(h) for h in layout(other).headers]:
            return _problem("wrong_kind", got[0], "A",
                            f"este es el {KIND_LABEL[other]}, no el {KIND_LABEL[kind]}; "
                            "verifique que los archivos estén donde correspondan")
    return None


def _added(got, got_n, want_n):
    """More columns than the layout's: the first one not in it (or one too many times)."""
    if len(got_n) <= len(want_n):
        return None
    for i, name in enumerate(got_n):
        if name not in want_n or got_n.count(name) > want_n.count(name) and got_n.index(name) != i:
            title = f"la columna «{got[i]}»" if got[i] else "una columna sin título"
            return _problem("added", got[i], column_letter(i),
                            f"se agregó {title} (columna {column_letter(i)})")
    return None


def _removed(expected, got_n, want_n):
    """Fewer columns than the layout's: the first of the layout's missing."""
    if len(got_n) >= len(want_n):
        return None
    for i, name in enumerate(want_n):
        if name not in got_n:
            return _missing(expected, i)
    return None


def _missing(expected, i):
    return _problem("removed", expected[i], column_letter(i),
                    f"falta la columna «{expected[i]}» (columna {column_letter(i)})")


def _reordered(expected, got_n, want_n):
    """The layout's columns, each once, in another order: the first out of place."""
    if sorted(got_n) != sorted(want_n):
        return None
    for i, name in enumerate(want_n):
        if got_n[i] != name:
            at = got_n.index(name)
            return _problem("reordered", expected[i], column_letter(i),
                            f"la columna «{expected[i]}» debe estar en la columna {column_letter(i)} "
                            f"y está en la columna {column_letter(at)}")
    return None


def _renamed(expected, got, got_n, want_n):
    """Anything else: the first column of the layout not where it should be, by its letter."""
    for i, name in enumerate(want_n):
        if i >= len(got_n):
            return _missing(expected, i)
        if got_n[i] != name:
            if got[i]:
                detail = (f"la columna {column_letter(i)} debe llamarse «{expected[i]}» "
                          f"y se llama «{got[i]}»")
            else:
                detail = f"la columna {column_letter(i)} debe llamarse «{expected[i]}» y no tiene título"
            return _problem("renamed", expected[i], column_letter(i), detail)
    return _problem("added", got[len(want_n)], column_letter(len(want_n)),
                    f"se agregó la columna «{got[len(want_n)]}» (columna {column_letter(len(want_n))})")


NO_ROWS = "El archivo no tiene filas de trabajadores: solo trae los títulos de las columnas."


def no_rows_problem(data_rows, kind, listed):
    """A file with the titles and nothing under them (every cell empty), or None
    (`listed`: whether the statement has lines of this kind, for the hint). Only for
    files: a browser draft (check_draft) always lists the statement's lines."""
    if any(not blank(value) for row in data_rows for value in row):
        return None
    label = KIND_LABEL[kind]
    if listed:
        hint = f"Cargue el {label} que descargó del portal, con una fila por crédito."
    else:
        hint = f"Esta vigencia no tiene créditos en el {label}: no hay nada que cargar."
    return StructureProblem("no_rows", layout(kind).headers[0], column_letter(0), f"{NO_ROWS} {hint}")
