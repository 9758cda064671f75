"""Allocating a paid volante to the credits: instalment first, then arrears (Aplica Mora
= S), then the principal; exact to the cent (properties checked with hypothesis)."""
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.domain.allocation import LineToPay, allocate

D = Decimal
ZERO = D("0.00")


def pay(requested, instalment="175277.00", balance="1752770.00", arrears="0.00", apply_arrears=False, number="LI-1"):
    return LineToPay(number, D(requested), D(instalment), D(balance), D(arrears), apply_arrears)


def test_the_instalment_paid_exactly():
    result = allocate(D("175277.00"), [pay("175277.00")])
    line = result.lines[0]
    assert (line.to_instalment, line.to_arrears, line.to_principal, line.unapplied) == (D("175277.00"), 0, 0, 0)
    assert line.reason == ""
    assert (result.applied, result.unapplied, result.shortfall) == (D("175277.00"), 0, 0)


def test_instalment_first_then_arrears_when_apply_arrears_is_s():
    line = allocate(D("179658.93"), [pay("179658.93", arrears="4381.93", apply_arrears=True)]).lines[0]
    assert (line.to_instalment, line.to_arrears, line.to_principal) == (D("175277.00"), D("4381.93"), 0)
    assert line.reason == ""
    short = allocate(D("177000.00"), [pay("177000.00", arrears="4381.93", apply_arrears=True)]).lines[0]
    assert (short.to_instalment, short.to_arrears) == (D("175277.00"), D("1723.00"))
    assert "Mora pendiente $\xa02.658,93" in short.reason


def test_no_arrears_when_apply_arrears_is_n_the_rest_goes_to_the_principal():
    line = allocate(D("179658.93"), [pay("179658.93", arrears="4381.93", apply_arrears=False)]).lines[0]
    assert (line.to_instalment, line.to_arrears, line.to_principal) == (D("175277.00"), 0, D("4381.93"))
    assert line.reason.startswith("Sin mora (Aplica Mora = N): $\xa04.381,93 no cobrados")
    assert "abono extraordinario a capital de $\xa04.381,93" in line.reason


def test_less_than_the_instalment_is_explained():
    line = allocate(D("100000.00"), [pay("100000.00")]).lines[0]
    assert line.to_instalment == D("100000.00")
    assert line.reason == "Pagó $\xa0100.000,00 de una cuota de $\xa0175.277,00; faltan $\xa075.277,00."


def test_more_than_owed_stays_unapplied_in_favour_of_the_employer():
    # the balance fell between the upload and the payment
    line = allocate(D("175277.00"), [pay("175277.00", balance="100000.00")]).lines[0]
    assert (line.to_instalment, line.to_principal, line.unapplied) == (D("100000.00"), 0, D("75277.00"))
    assert "no aplicados porque superan lo adeudado" in line.reason


def test_a_short_payment_funds_every_instalment_before_any_arrears():
    lines = [pay("179658.93", arrears="4381.93", apply_arrears=True, number="LI-1"),
             pay("175277.00", number="LI-2")]
    result = allocate(D("350554.00"), lines)
    assert [l.to_instalment for l in result.lines] == [D("175277.00"), D("175277.00")]
    assert [l.to_arrears for l in result.lines] == [ZERO, ZERO]
    assert result.shortfall == D("4381.93")
    assert "no alcanzó" in result.lines[0].reason


def test_paid_more_than_the_lines_asked():
    result = allocate(D("200000.00"), [pay("175277.00")])
    assert result.excess == D("24723.00") and result.unapplied == D("24723.00")


def test_negative_payment_is_refused_and_floats_too():
    with pytest.raises(ValueError):
        allocate(D("-1"), [])
    with pytest.raises(TypeError):
        allocate(1.5, [])


money = st.decimals(min_value=0, max_value=D("5000000"), places=2, allow_nan=False, allow_infinity=False)


@st.composite
def lines_to_pay(draw):
    out = []
    for i in range(draw(st.integers(0, 6))):
        out.append(LineToPay(f"LI-{i}", draw(money), draw(money), draw(money), draw(money), draw(st.booleans())))
    return out


@settings(max_examples=400, deadline=None)
@given(lines=lines_to_pay(), paid=money)
def test_never_more_than_owed_and_never_a_lost_peso(lines, paid):
    result = allocate(paid, lines)
    total = sum((l.received for l in result.lines), ZERO) + result.excess
    assert total == paid  # nothing created, nothing lost
    assert result.applied + result.unapplied == paid
    for line, got in zip(lines, result.lines, strict=True):
        parts = (got.to_instalment, got.to_arrears, got.to_principal, got.unapplied)
        assert all(p >= 0 and p.as_tuple().exponent == -2 for p in parts)
        assert got.received <= line.requested
        assert got.to_instalment <= min(line.instalment, line.balance)
        assert got.to_instalment + got.to_principal <= line.balance
        assert got.to_arrears <= (line.arrears if line.apply_arrears else 0)
        assert got.applied <= line.balance + (line.arrears if line.apply_arrears else 0)


@settings(max_examples=300, deadline=None)
@given(lines=lines_to_pay())
def test_paying_the_sum_asked_gives_each_line_what_it_asked(lines):
    result = allocate(sum((l.requested for l in lines), ZERO), lines)
    assert result.excess == 0 and result.shortfall == 0
    for line, got in zip(lines, result.lines, strict=True):
        assert got.received == line.requested


@settings(max_examples=300, deadline=None)
@given(lines=lines_to_pay(), paid=money)
def test_arrears_only_once_every_instalment_is_funded(lines, paid):
    result = allocate(paid, lines)
    if any(got.to_arrears > 0 for got in result.lines):
        for line, got in zip(lines, result.lines, strict=True):
            assert got.to_instalment == min(line.requested, got.instalment_due)
