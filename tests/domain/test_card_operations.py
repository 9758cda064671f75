"""domain/card_operations.py: each operation's legs as a table — balanced, the commission
a leg of the same movement, no guarded account asked for more than it has."""
from decimal import Decimal

import pytest

from portal.domain import card_operations as co

D = Decimal


@pytest.mark.parametrize("kind, amount, fee, expected", [
    ("balance", D(0), D("60.00"), {"master": D("-60.00"), "fees": D("60.00")}),
    ("credit", D("100.00"), D("55.00"), {"master": D("-155.00"), "card": D("100.00"), "fees": D("55.00")}),
    ("debit", D("100.00"), D("55.00"), {"card": D("-100.00"), "master": D("45.00"), "fees": D("55.00")}),
    ("debit", D("20.00"), D("55.00"), {"card": D("-20.00"), "master": D("-35.00"), "fees": D("55.00")}),
    ("replacement", D("321.50"), D("12000.00"),
     {"card": D("-321.50"), "new_card": D("321.50"), "master": D("-12000.00"), "fees": D("12000.00")}),
    ("replacement", D(0), D(0), {}),  # nothing to move, no cost: no legs
    ("credit", D("100.00"), D(0), {"master": D("-100.00"), "card": D("100.00")}),  # a zero fee is no leg
])
def test_each_operation_moves_balanced_legs_with_the_commission_as_a_leg(kind, amount, fee, expected):
    legs = co.moves(kind, amount, fee, card="450714******1234", new_card="450714******9876")
    by_role = {}
    for leg in legs:
        by_role[leg.role] = by_role.get(leg.role, D(0)) + leg.amount
    assert by_role == expected
    assert sum((leg.amount for leg in legs), D(0)) == 0
    assert all(leg.amount for leg in legs) and all(leg.description for leg in legs)


@pytest.mark.parametrize("kind, amount, fee, master", [
    ("credit", D("100.00"), D("55.00"), [(D("-55.00"), "Comisión abono a tarjeta 450714******1234"),
                                         (D("-100.00"), "Abono a tarjeta 450714******1234")]),
    ("debit", D("100.00"), D("55.00"), [(D("100.00"), "Cargo a tarjeta 450714******1234"),
                                        (D("-55.00"), "Comisión cargo a tarjeta 450714******1234")]),
    ("balance", D(0), D("60.00"), [(D("-60.00"), "Comisión consulta de saldo tarjeta 450714******1234")])])
def test_the_commission_is_its_own_row_of_the_master_account(kind, amount, fee, master):
    """The Cuenta maestra report lists each commission apart from the transfer (manual 003 ch. 6)."""
    legs = co.moves(kind, amount, fee, card="450714******1234")
    assert [(leg.amount, leg.description) for leg in legs if leg.role == "master"] == master


@pytest.mark.parametrize("kind, amount, fee, need", [
    ("credit", D("100.00"), D("55.00"), D("155.00")), ("debit", D("100.00"), D("55.00"), D("-45.00")),
    ("balance", D(0), D("60.00"), D("60.00")), ("replacement", D("5.00"), D("10.00"), D("10.00"))])
def test_what_the_master_account_must_cover(kind, amount, fee, need):
    assert co.master_need(kind, amount, fee) == need
    master_leg = sum((leg.amount for leg in co.moves(kind, amount, fee) if leg.role == "master"), D(0))
    assert master_leg == -need  # a master holding less than `need` would go below zero


@pytest.mark.parametrize("balance, amount, limit, over", [
    (D("100"), D("50"), D("150"), False), (D("100"), D("50.01"), D("150"), True), (D("0"), D("1000000000"), None, False)])
def test_the_maximum_card_balance(balance, amount, limit, over):
    assert co.over_max(balance, amount, limit) is over


@pytest.mark.parametrize("text, amount, error", [
    ("100", D("100"), None), ("1.000,50", D("1000.50"), None), ("$ 50.000", D("50000"), None),
    ("10,5", D("10.5"), None), ("10.005", D("10005"), None),
    ("", None, "ingrese el monto"), ("0", None, "mayor que cero"), ("-5", None, "mayor que cero"),
    ("1,234", None, "dos decimales"), ("abc", None, "Monto"), ("100000000.01", None, "100.000.000"),
])
def test_amount_rules(text, amount, error):
    found, message = co.amount_error(text)
    assert found == amount
    assert (message is None) if error is None else (error in message)


@pytest.mark.parametrize("kind, status, reason, replaced, holder, refusal", [
    ("credit", "affiliated", None, False, True, None), ("credit", "blocked", "robo", False, True, co.BLOCKED),
    ("debit", "blocked", "perdida", False, True, co.BLOCKED), ("block", "blocked", "robo", False, True,
                                                               co.ALREADY_BLOCKED),
    ("block", "unaffiliated", None, False, False, None), ("unblock", "affiliated", None, False, True, co.NOT_BLOCKED),
    ("unblock", "blocked", "robo", False, True, None), ("unblock", "blocked", "reposicion", True, True,
                                                         co.REPLACED_STAYS),
    ("replacement", "blocked", "perdida", False, True, None), ("replacement", "blocked", "reposicion", True, True,
                                                               co.ALREADY_REPLACED),
    ("replacement", "unaffiliated", None, False, False, co.NO_HOLDER), ("balance", "blocked", "robo", False, True, None),
])
def test_what_a_cards_state_refuses(kind, status, reason, replaced, holder, refusal):
    assert co.card_refusal(kind, status, reason, replaced, holder) == refusal


@pytest.mark.parametrize("args, wanted, error", [
    ({"tarjeta": "1234"}, {"last4": "1234", "first6": None}, None),
    ({"tarjeta": "450714******1234"}, {"last4": "1234", "first6": "450714"}, None),
    ({"tarjeta": "12345"}, {}, "tarjeta"), ({"orden": "12a"}, {}, "orden"), ({"lote": "x"}, {}, "lote"),
    ({"documento": "10.456"}, {}, "documento"), ({"documento": "cc1045"}, {"document": "CC1045"}, None),
    ({"orden": "15", "lote": "260500000001"}, {"order": 15, "batch": "260500000001"}, None),
])
def test_search_criteria(args, wanted, error):
    found = co.parse_criteria(args)
    assert found.searched
    if error:
        assert error in found.errors and not found.ok
    else:
        assert found.ok and all(getattr(found, name) == value for name, value in wanted.items())


def test_at_least_one_criterion_and_the_first_visit_asks_nothing():
    assert not co.parse_criteria({}).searched and not co.parse_criteria({}).message
    empty = co.parse_criteria({"buscar": "1", "orden": " "})
    assert empty.searched and not empty.ok and "al menos un criterio" in empty.message


def test_keys_are_stored_hashed_one_per_card():
    assert co.key_hash("k", 1) != co.key_hash("k", 2) and len(co.key_hash("k", 1)) == 64
    assert len(co.txn_id(co.key_hash("k", 1))) <= 36


@pytest.mark.parametrize("text, note, error", [
    (None, None, None), ("   ", None, None), ("  Auxilio \t de\nmarzo ", "Auxilio de marzo", None),
    ("Bono\u200b marzo\x07", "Bono marzo", None), ("x" * 60, "x" * 60, None),
    ("x" * 61, None, "Descripción: máximo 60 caracteres."), ("<b>Bono</b>", None, "Descripción: solo texto, sin los signos < >."),
])
def test_an_abonos_description_is_plain_text_of_60_characters(text, note, error):
    assert co.note_error(text) == (note, error)


def test_the_description_names_the_money_legs_not_the_commission():
    legs = co.moves("credit", D("100"), D("55"), "450714******1234", note="Bono")
    assert [(m.role, m.description) for m in legs] == [
        ("master", "Comisión abono a tarjeta 450714******1234"), ("master", "Bono"), ("card", "Bono"),
        ("fees", "Comisión abono a tarjeta 450714******1234")]
    assert [m.description for m in co.moves("credit", D("1"), D("0"), "x")][1] == "Abono desde la cuenta maestra"


@pytest.mark.parametrize("text, order", [("12397", 12397), ("2147483647", 2147483647), ("2147483648", None),
                                         ("999999999999", None), ("١٢", None), ("12a", None)])
def test_an_order_number_is_ascii_digits_within_the_databases_integer(text, order):
    found = co.parse_criteria({"orden": text})
    assert found.order == order and ("orden" in found.errors) == (order is None)
