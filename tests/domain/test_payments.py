from decimal import Decimal

import pytest

from portal.domain import payments as p


@pytest.mark.parametrize("current,gateway,status,apply", [
    (p.CREATED, "PENDING", p.PENDING, False),
    (p.PENDING, "APPROVED", p.APPROVED, True),
    (p.CREATED, "APPROVED", p.APPROVED, True),
    (p.PENDING, "DECLINED", p.DECLINED, False),
    (p.PENDING, "ERROR", p.ERROR, False),
    (p.DECLINED, "APPROVED", p.APPROVED, True),   # the retry succeeded
    (p.APPROVED, "APPROVED", p.APPROVED, False),  # replayed: nothing to apply again
    (p.APPROVED, "DECLINED", p.APPROVED, False),  # a late report never undoes an approval
])
def test_gateway_reports(current, gateway, status, apply):
    outcome = p.on_gateway_status(current, gateway)
    assert (outcome.status, outcome.apply) == (status, apply)


def test_unknown_gateway_status_is_refused():
    with pytest.raises(p.PaymentError):
        p.on_gateway_status(p.PENDING, "MAYBE")


@pytest.mark.parametrize("status", [p.CREATED, p.DECLINED, p.ERROR])
def test_retry_allowed_after_decline_or_error(status):
    assert p.can_start_attempt(status)


def test_no_new_attempt_while_pending_or_after_approval():
    with pytest.raises(p.AttemptInProgress):
        p.can_start_attempt(p.PENDING)
    with pytest.raises(p.AlreadyPaid):
        p.can_start_attempt(p.APPROVED)


def test_mismatches_name_each_field():
    got = p.mismatches("PX-1", 17527700, {"reference": "PX-1", "amount_in_cents": 100, "currency": "USD"})
    assert [m.field for m in got] == ["amount_in_cents", "currency"]
    assert p.mismatches("PX-1", 100, {"reference": "PX-1", "amount_in_cents": 100, "currency": "COP"}) == []


BALANCE = Decimal("1752770.00")


@pytest.mark.parametrize("raw,amount", [
    ("150000", Decimal("150000.00")), ("150.000", Decimal("150000.00")),
    ("150.000,50", Decimal("150000.50")), ("$\xa01.752.770", BALANCE), ("0,01", Decimal("0.01")),
    ("175277.5", Decimal("175277.50")),
])
def test_other_amount_accepts_es_co_numbers(raw, amount):
    assert p.check_other_amount(raw, BALANCE) == (amount, None)


@pytest.mark.parametrize("raw,message", [
    ("", "Escriba el valor"), ("abc", "debe ser un número"), ("0", "mayor que cero"),
    ("-5", "mayor que cero"), ("1752770,01", "no puede ser mayor"), ("10,005", "dos decimales"),
    ("NaN", "debe ser un número"), ("Infinity", "debe ser un número"),
])
def test_other_amount_refusals(raw, message):
    amount, error = p.check_other_amount(raw, BALANCE)
    assert amount is None and message in error
