"""Estado de Cartera files: the header row of an upload (no app, no files)."""
import pytest

from portal.domain import cartera_layout as cl
from portal.domain import cartera_structure as cs

HEADERS = cl.layout(cl.ACTIVE).headers


def test_the_layout_itself_passes():
    assert cs.check_structure(HEADERS, cl.ACTIVE) is None
    assert cs.check_structure(HEADERS + ["", None], cl.ACTIVE) is None  # trailing empty cells


def test_case_accents_and_spaces_do_not_count_as_renaming():
    loose = ["IDENTIFICACION", " nombre  trabajador", "Nro Credito", "saldo", "Cuota (descuento)",
             "Dias Mora", "Valor Mora", "aplica mora", "VALOR A PAGAR "]
    assert cs.check_structure(loose, cl.ACTIVE) is None


def test_a_file_sent_back_with_its_errors_column_passes():
    assert cs.check_structure(HEADERS + ["Errores"], cl.ACTIVE) is None
    assert cs.has_errors_column(HEADERS + ["Errores"])
    assert not cs.has_errors_column(HEADERS)


@pytest.mark.parametrize("headers,code,column,letter,words", [
    (HEADERS[:3] + ["Observaciones"] + HEADERS[3:], "added", "Observaciones", "D", "se agregó la columna «Observaciones»"),
    (HEADERS + ["Notas"], "added", "Notas", "J", "se agregó la columna «Notas» (columna J)"),
    (HEADERS[:2] + [""] + HEADERS[2:], "added", "", "C", "una columna sin título (columna C)"),
    (HEADERS[:3] + HEADERS[4:], "removed", "Saldo", "D", "falta la columna «Saldo»"),
    (HEADERS[:-1], "removed", "Valor a Pagar", "I", "falta la columna «Valor a Pagar»"),
    (HEADERS[:6] + ["Mora"] + HEADERS[7:], "renamed", "Valor Mora", "G",
     "la columna G debe llamarse «Valor Mora» y se llama «Mora»"),
    (HEADERS[:3] + [HEADERS[4], HEADERS[3]] + HEADERS[5:], "reordered", "Saldo", "D",
     "la columna «Saldo» debe estar en la columna D y está en la columna E"),
    ([], "no_header", "Identificación", "A", "la fila 1 debe tener los títulos"),
])
def test_structural_changes_refuse_the_file_naming_the_column(headers, code, column, letter, words):
    problem = cs.check_structure(headers, cl.ACTIVE)
    assert (problem.code, problem.column, problem.letter) == (code, column, letter)
    assert problem.message.startswith("Este archivo no puede ser modificado en su estructura")
    assert words in problem.message


def test_a_file_in_the_wrong_tab_is_named():
    problem = cs.check_structure(cl.layout(cl.RETIRED).headers, cl.ACTIVE)
    assert problem.code == "wrong_kind"
    assert "Archivo de Retirados" in problem.message and "Archivo de Activos" in problem.message
