"""Reading one spreadsheet cell: amounts, S/N flags (no app)."""
from datetime import date
from decimal import Decimal

import pytest

from portal.domain import cells

D = Decimal


@pytest.mark.parametrize("raw,amount", [
    (175277.0, D("175277.0")), (175277.5, D("175277.5")), (0.1, D("0.1")), (175277, D("175277")),
    (D("12.30"), D("12.30")), ("175277", D("175277")), ("175.277", D("175277")), ("175.277,50", D("175277.50")),
    ("175277.5", D("175277.5")), ("175277,5", D("175277.5")), ("$\xa01.752.770", D("1752770")),
    ("1,752,770.25", D("1752770.25")), (" 12 ", D("12")), ("-5", D("-5")), ("10,005", D("10.005")),
])
def test_amounts_in_every_usual_form(raw, amount):
    assert cells.parse_amount(raw) == (amount, None)


@pytest.mark.parametrize("raw", ["abc", "12a", "1.2.3,4,5", True, date(2024, 1, 1), float("nan"), "--5", "5-"])
def test_not_numbers(raw):
    amount, reason = cells.parse_amount(raw)
    assert amount is None and "no es un valor numérico" in reason


@pytest.mark.parametrize("raw,flag", [("S", True), ("N", False), (" s ", True), ("n", False)])
def test_apply_arrears_accepts_s_or_n(raw, flag):
    assert cells.parse_flag(raw) == (flag, None)


@pytest.mark.parametrize("raw,words", [("", "está vacía"), (None, "está vacía"), ("SI", "«SI» no es válido"),
                                       ("X", "no es válido"), (1.0, "no es válido")])
def test_apply_arrears_refuses_anything_else(raw, words):
    flag, reason = cells.parse_flag(raw)
    assert flag is None and words in reason
