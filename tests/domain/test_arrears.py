"""Mora: grace of 3 business days after the 10th, days late from the due date, half-up
cents, Colombian holidays."""
from datetime import date
from decimal import Decimal

import pytest

from portal.domain import arrears as a

D = Decimal
HOLIDAYS_2024 = {date(2024, m, d) for m, d in [
    (1, 1), (1, 8), (3, 25), (3, 28), (3, 29), (5, 1), (5, 13), (6, 3), (6, 10), (7, 1), (7, 20), (8, 7),
    (8, 19), (10, 14), (11, 4), (11, 11), (12, 8), (12, 25)]}


def test_statements_fall_due_on_the_10th():
    assert a.due_date("2024-05") == date(2024, 5, 10)


@pytest.mark.parametrize("due,holidays,deadline", [
    (date(2024, 5, 10), (), date(2024, 5, 15)),   # Friday → Mon 13, Tue 14, Wed 15
    (date(2024, 4, 10), (), date(2024, 4, 15)),   # Wednesday → Thu, Fri, Mon
    (date(2024, 8, 10), (), date(2024, 8, 14)),   # Saturday: counting starts on Monday 12
    (date(2024, 10, 10), (), date(2024, 10, 15)),
    (date(2024, 10, 10), HOLIDAYS_2024, date(2024, 10, 16)),  # Monday 14 Oct is a holiday
    (date(2024, 6, 10), HOLIDAYS_2024, date(2024, 6, 13)),    # the 10th itself a holiday: not counted anyway
])
def test_grace_ends_on_the_third_business_day_after_the_due_date(due, holidays, deadline):
    assert a.grace_deadline(due, holidays=holidays) == deadline


def test_grace_is_configurable():
    assert a.grace_deadline(date(2024, 5, 10), business_days=0) == date(2024, 5, 10)
    assert a.grace_deadline(date(2024, 5, 10), business_days=5) == date(2024, 5, 17)
    with pytest.raises(ValueError):
        a.add_business_days(date(2024, 5, 10), -1)


@pytest.mark.parametrize("paid_on,days", [
    (date(2024, 5, 9), 0), (date(2024, 5, 10), 0), (date(2024, 5, 15), 0),
    (date(2024, 5, 16), 6),  # after the grace: every day since the 10th
    (date(2024, 6, 10), 31),
])
def test_days_late_count_from_the_due_date_once_the_grace_is_over(paid_on, days):
    assert a.days_late(date(2024, 5, 10), paid_on) == days


@pytest.mark.parametrize("due,rate,days,amount", [
    (D("175277.00"), D("0.0008"), 6, D("841.33")),   # 841.3296
    (D("100.25"), D("0.1"), 1, D("10.03")),          # 10.025: half up, not half even
    (D("100.00"), D("0.001"), 0, D("0.00")),
    (D("0"), D("0.001"), 30, D("0.00")),
    (D("175277"), D("0.000718829"), 31, D("3905.82")),  # 3905.8199...
])
def test_arrears_are_rounded_once_half_up_to_the_cent(due, rate, days, amount):
    result = a.arrears_amount(due, rate, days)
    assert result == amount and result.as_tuple().exponent == -2


def test_floats_and_negatives_are_refused():
    with pytest.raises(TypeError):
        a.arrears_amount(100.0, D("0.001"), 3)
    with pytest.raises(TypeError):
        a.arrears_amount(D("100"), 0.001, 3)
    with pytest.raises(ValueError):
        a.arrears_amount(D("-1"), D("0.001"), 3)
    with pytest.raises(TypeError):
        a.daily_rate_from_annual(0.3)


def test_arrears_on_a_payment_date():
    late = a.arrears_on(D("175277"), D("0.0008"), date(2024, 5, 10), date(2024, 5, 16))
    assert late == a.Arrears(6, D("841.33"), date(2024, 5, 15))
    on_time = a.arrears_on(D("175277"), D("0.0008"), date(2024, 5, 10), date(2024, 5, 15))
    assert (on_time.days, on_time.amount) == (0, D("0.00"))


def test_daily_rate_from_an_effective_annual_rate():
    daily = a.daily_rate_from_annual(D("0.30"))
    assert daily == D("0.0007190646")
    assert abs((1 + daily) ** 365 - D("1.30")) < D("0.00001")


@pytest.mark.parametrize("year,easter", [(2019, date(2019, 4, 21)), (2024, date(2024, 3, 31)),
                                         (2025, date(2025, 4, 20)), (2026, date(2026, 4, 5))])
def test_easter(year, easter):
    assert a.easter_sunday(year) == easter


def test_colombian_holidays_2024():
    assert a.colombian_holidays(2024) == HOLIDAYS_2024


def test_colombian_holidays_2025_two_fall_on_the_same_monday():
    holidays = a.colombian_holidays(2025)
    assert date(2025, 6, 30) in holidays  # San Pedro y San Pablo and Sagrado Corazón
    assert len(holidays) == 17
    assert {date(2025, 3, 24), date(2025, 4, 17), date(2025, 4, 18), date(2025, 11, 17)} <= holidays
