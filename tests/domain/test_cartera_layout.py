"""Estado de Cartera files: their layouts, the lines each lists, column letters (no app)."""
from decimal import Decimal

import pytest

from portal.domain import cartera_layout as cl
from tests.domain.cartera_samples import LINES, line

D = Decimal


def test_only_aplica_mora_and_valor_a_pagar_are_editable():
    for kind in cl.UPLOADABLE:
        editable = [c.header for c in cl.layout(kind).columns if c.editable]
        assert editable == ["Aplica Mora", "Valor a Pagar"]
    assert not [c for c in cl.layout(cl.DETAIL).columns if c.editable]


def test_headers_are_the_ones_employers_expect():
    assert cl.layout(cl.DETAIL).headers == [
        "Tipo Id", "Identificación", "Nombres", "Apellidos", "Nro Crédito", "Fecha Crédito",
        "Valor Crédito", "Saldo", "Cuota", "Días Mora", "Valor Mora", "Estado"]
    assert cl.layout(cl.ACTIVE).headers == [
        "Identificación", "Nombre Trabajador", "Nro Crédito", "Saldo", "Cuota (Descuento)", "Días Mora",
        "Valor Mora", "Aplica Mora", "Valor a Pagar"]
    assert cl.layout(cl.RETIRED).headers[2] == "Fecha Retiro"


def test_ids_and_credit_numbers_are_text_money_is_money():
    for kind in cl.KINDS:
        types = {c.key: c.type for c in cl.layout(kind).columns}
        assert types["id_number"] == types["credit_number"] == cl.TEXT
        assert types["balance"] == types["arrears"] == cl.MONEY
        assert types["arrears_days"] == cl.INTEGER


def test_downloaded_file_comes_filled_in():
    plain, late = line(1), line(2, arrears_days=30, arrears=D("4381.93"))
    assert (plain.default_apply_arrears, plain.default_amount) == ("N", D("175277.00"))
    assert (late.default_apply_arrears, late.default_amount) == ("S", D("179658.93"))
    last = line(3, balance=D("1000.00"))  # the last instalment is smaller than the usual one
    assert last.default_amount == D("1000.00")


def test_a_file_is_named_by_its_kind_in_code_and_by_its_spanish_word_for_users():
    assert cl.KINDS == ("detail", "active", "retired")  # ACTIVE and RETIRED: StatementLine.kind as stored
    assert [cl.layout(kind).slug for kind in cl.KINDS] == ["detalle", "activos", "retirados"]
    assert [cl.by_slug(slug).kind for slug in ("detalle", "activos", "retirados")] == list(cl.KINDS)
    assert cl.by_slug("active") is None and cl.by_slug(None) is None
    assert cl.file_name(cl.RETIRED, "2026-05") == "cartera_2026-05_retirados.xlsx"


def test_lines_for_each_file():
    assert len(cl.lines_for(cl.DETAIL, LINES)) == 5
    assert [l.kind for l in cl.lines_for(cl.ACTIVE, LINES)] == ["active"] * 3
    assert [l.kind for l in cl.lines_for(cl.RETIRED, LINES)] == ["retired"] * 2


@pytest.mark.parametrize("index,letters", [(0, "A"), (8, "I"), (25, "Z"), (26, "AA"), (51, "AZ"), (16383, "XFD")])
def test_column_letters(index, letters):
    assert cl.column_letter(index) == letters
    assert cl.column_index(letters) == index
