"""Mora on what earlier statements left unpaid: each instalment from its own due date."""
from datetime import date
from decimal import Decimal

from portal.domain import arrears as a

D = Decimal


def test_each_unpaid_instalment_is_charged_from_its_own_due_date():
    result = a.overdue_arrears([(date(2024, 4, 10), D("100000")), (date(2024, 3, 11), D("50000"))],
                               D("0.001"), date(2024, 5, 10))
    # 11/03 → 10/05: 60 days on 50.000 = 3.000; 10/04 → 10/05: 30 days on 100.000 = 3.000.
    assert result == a.OverdueArrears(days=60, amount=D("6000.00"), overdue=D("150000.00"))


def test_nothing_owed_nothing_charged():
    assert a.overdue_arrears([], D("0.001"), date(2024, 5, 10)) == a.OverdueArrears(0, D("0.00"), D("0.00"))
    paid_or_future = [(date(2024, 4, 10), D("0")), (date(2024, 4, 10), D("-5")), (date(2024, 5, 10), D("9"))]
    assert a.overdue_arrears(paid_or_future, D("0.001"), date(2024, 5, 10)).amount == D("0.00")


def test_within_the_grace_no_mora():
    # Due Friday 10/05/2024; Monday 13 is a holiday (Ascensión), so the grace runs to Thursday 16.
    assert a.overdue_arrears([(date(2024, 5, 10), D("100000"))], D("0.001"), date(2024, 5, 16)).amount == 0
    late = a.overdue_arrears([(date(2024, 5, 10), D("100000"))], D("0.001"), date(2024, 5, 17))
    assert (late.days, late.amount) == (7, D("700.00"))


def test_the_balance_caps_what_mora_is_charged_on_oldest_first():
    result = a.overdue_arrears([(date(2024, 3, 11), D("100000")), (date(2024, 4, 10), D("100000"))],
                               D("0.001"), date(2024, 5, 10), limit=D("120000"))
    # 100.000 × 60 days + 20.000 × 30 days
    assert (result.overdue, result.amount) == (D("120000.00"), D("6600.00"))


def test_holidays_of_every_year_involved_are_used():
    holidays = a.holidays_between(date(2025, 12, 10), date(2026, 1, 10))
    assert date(2025, 12, 25) in holidays and date(2026, 1, 12) in holidays  # Reyes moved to Monday
    # Due Saturday 10/01/2026: Monday 12 is a holiday, so the grace runs to Thursday 15.
    assert a.overdue_arrears([(date(2026, 1, 10), D("1000"))], D("0.01"), date(2026, 1, 15)).amount == 0
    assert a.overdue_arrears([(date(2026, 1, 10), D("1000"))], D("0.01"), date(2026, 1, 15),
                             holidays=frozenset()).amount == D("50.00")
