"""ADELANTO POR SUBSIDIOS: the states (vencida computed from «Vigente hasta»), who may
redeem or annul, and the staff form's fields with their Spanish messages."""
from datetime import date
from decimal import Decimal

import pytest

from portal.domain import subsidy_orders as s

TODAY = date(2026, 5, 26)


@pytest.mark.parametrize("status,valid_until,expected", [
    ("issued", date(2026, 6, 30), "vigente"),
    ("issued", TODAY, "vigente"),  # valid through the whole day
    ("issued", date(2026, 5, 25), "vencida"),
    ("redeemed", date(2026, 5, 25), "redimida"),  # redeemed in time stays redimida
    ("redeemed", date(2026, 6, 30), "redimida"),
    ("annulled", date(2026, 5, 25), "anulada"),
    ("annulled", date(2026, 6, 30), "anulada"),
])
def test_state(status, valid_until, expected):
    assert s.state(status, valid_until, TODAY) == expected


@pytest.mark.parametrize("state,redeem,annul", [
    ("vigente", None, None),
    ("vencida", "vencida", None),
    ("redimida", "ya fue redimida", "ya fue redimida"),
    ("anulada", "fue anulada", "ya fue anulada"),
])
def test_who_may_redeem_and_annul(state, redeem, annul):
    assert (s.redeem_refusal(state) is None) == (redeem is None)
    assert redeem is None or redeem in s.redeem_refusal(state)
    assert (s.annul_refusal(state) is None) == (annul is None)
    assert annul is None or annul in s.annul_refusal(state)


def test_the_stored_machine_has_two_final_states():
    assert s.STORED.final == {"redeemed", "annulled"}
    assert s.STORED.sources("redeemed") == ("issued",) == s.STORED.sources("annulled")


def test_items_and_their_sum_are_decimal():
    items, errors = s.parse_items([("Arroz x 5 kg", "2", "19.800"), ("", "", ""), ("Leche", "3", "28450,50")])
    assert errors == []
    assert [i.total for i in items] == [Decimal("39600.00"), Decimal("85351.50")]
    assert s.amount_of(items) == Decimal("124951.50")
    assert s.items_from_json(s.items_to_json(items)) == items


@pytest.mark.parametrize("rows,message", [
    ([], "Ítems: ingrese al menos un ítem"),
    ([("", "1", "1000")], "Ítem 1: ingrese la descripción."),
    ([("Arroz", "1", "1000"), ("Leche", "0", "1000")], "Ítem 2: la cantidad debe ser un número entero de 1 a 999."),
    ([("Arroz", "1,5", "1000")], "Ítem 1: la cantidad debe ser un número entero"),
    ([("Arroz", "1", "")], "Ítem 1: ingrese el valor unitario."),
    ([("Arroz", "1", "abc")], "Ítem 1: el valor unitario debe ser un número"),
    ([("Arroz", "1", "-5")], "Ítem 1: el valor unitario debe ser"),
    ([("Arroz", "1", "10.5555")], "Ítem 1: el valor unitario admite máximo dos decimales."),
    ([("Arroz", "1", "999999999")], "Ítem 1: el valor unitario no puede superar"),
    ([("x" * 121, "1", "1000")], "Ítem 1: la descripción admite máximo 120 caracteres."),
    ([("Arroz", "1", "1000")] * 21, "Ítems: máximo 20 por orden."),
])
def test_bad_items_name_the_line(rows, message):
    _, errors = s.parse_items(rows)
    assert any(message in e for e in errors), errors


@pytest.mark.parametrize("raw,expected,message", [
    ("1.045.678.434", "1045678434", None),
    ("", None, "Cédula del afiliado: ingrese el número."),
    ("10A5", None, "Cédula del afiliado: escriba solo números"),
    ("1234", None, "Cédula del afiliado: escriba solo números"),
])
def test_cedula(raw, expected, message):
    value, problem = s.parse_cedula(raw)
    assert value == expected
    assert problem is None if message is None else problem.startswith(message)


@pytest.mark.parametrize("raw,expected,message", [
    ("2026-06-30", date(2026, 6, 30), None),
    ("30/06/2026", date(2026, 6, 30), None),
    ("2026-05-26", TODAY, None),
    ("", None, "Vigente hasta: ingrese la fecha."),
    ("31/02/2026", None, "Vigente hasta: escriba la fecha como DD/MM/AAAA."),
    ("2026-05-25", None, "Vigente hasta: no puede ser anterior a hoy."),
    ("2027-05-27", None, "Vigente hasta: máximo 365 días desde hoy."),
])
def test_valid_until(raw, expected, message):
    assert s.parse_valid_until(raw, TODAY) == (expected, message)


def test_name_and_reason():
    assert s.parse_name("  maría   pérez ") == ("MARÍA PÉREZ", None)
    assert s.parse_name("")[1].startswith("Nombre del afiliado:")
    assert s.parse_reason("  Cambio   de proveedor ") == ("Cambio de proveedor", None)
    assert s.parse_reason("no")[1].startswith("Motivo de la anulación:")
    assert s.parse_reason("x" * 301)[1] == "Motivo de la anulación: máximo 300 caracteres."


def test_older_stored_items_are_read():
    legacy = ('[{"descripcion": "ARROZ", "cantidad": "2", "valor": "19800.00"},'
              ' {"description": "Útiles", "quantity": 2, "amount": "400000"}, "Mercado"]')
    items = s.items_from_json(legacy)
    assert [(i.description, i.quantity, i.unit_value, i.total) for i in items] == [
        ("ARROZ", 2, Decimal("19800.00"), Decimal("39600.00")),
        ("Útiles", 2, Decimal("200000.00"), Decimal("400000.00")),
        ("Mercado", 1, Decimal("0.00"), Decimal("0.00"))]
    assert s.items_from_json("no es json") == [] == s.items_from_json('{"a": 1}')
