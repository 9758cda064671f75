"""Arrears ("mora") on libranza instalments. Pure functions with Decimal.

The rule (decided here; the settings are parameters so the fund can change them):
- A statement falls due on the 10th of its period. The employer pays what it deducted
  from the payroll, and Colombian practice gives it a few business days to do so after
  the payroll: the grace runs until the 3rd business day after the due date (Monday to
  Friday, skipping the holidays passed in; `colombian_holidays(year)` gives the legal
  ones). The due date itself does not count, even when it is a business day.
  Example: due Friday 10 May 2024 → 13, 14, 15 May → paid on Wednesday 15 May: no mora.
- Paid after the grace: the days late count from the due date, not from the end of
  the grace (the grace is a tolerance, not a new due date): paid on 16 May → 6 days.
- Mora = amount overdue × daily rate × days late, rounded once, half up, to the cent
  (Money is 2 places everywhere; rounding to the peso would be a second rule).
  The amount overdue is the unpaid instalment(s), never the whole credit balance.
- It is charged only where the employer's file says "Aplica Mora" = S (the allocation
  and the row checks see to that; these functions only compute).
- The daily rate comes from configuration (e.g. CARTERA_ARREARS_DAILY_RATE); when the
  fund states an effective annual rate, `daily_rate_from_annual` converts it.
"""
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext

from portal.domain.formatting import CENT, to_money

DEFAULT_GRACE_BUSINESS_DAYS = 3
DUE_DAY = 10
RATE_PLACES = Decimal("0.0000000001")  # 10 places for a daily rate


def due_date(period: str) -> date:
    """'2024-05' → 10 May 2024."""
    year, month = map(int, period.split("-"))
    return date(year, month, DUE_DAY)


def is_business_day(day: date, holidays=frozenset()) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_business_days(start: date, count: int, holidays=frozenset()) -> date:
    """The `count`-th business day after `start` (start itself not counted)."""
    if count < 0:
        raise ValueError("count must be >= 0")
    day = start
    while count:
        day += timedelta(days=1)
        if is_business_day(day, holidays):
            count -= 1
    return day


def grace_deadline(due: date, business_days: int = DEFAULT_GRACE_BUSINESS_DAYS, holidays=frozenset()) -> date:
    """The last day on which paying is still on time."""
    return add_business_days(due, business_days, frozenset(holidays))


def days_late(due: date, paid_on: date, business_days: int = DEFAULT_GRACE_BUSINESS_DAYS,
              holidays=frozenset()) -> int:
    """0 within the grace; otherwise every calendar day since the due date."""
    if paid_on <= grace_deadline(due, business_days, holidays):
        return 0
    return (paid_on - due).days


def arrears_amount(amount_due, daily_rate, days: int) -> Decimal:
    """amount_due × daily_rate × days, rounded once, half up, to the cent."""
    if isinstance(amount_due, float) or isinstance(daily_rate, float):
        raise TypeError("money and rates must not be float")
    amount_due, daily_rate = Decimal(amount_due), Decimal(daily_rate)
    if amount_due < 0 or daily_rate < 0 or days < 0:
        raise ValueError("amount, rate and days must be >= 0")
    if days == 0 or amount_due == 0:
        return Decimal("0.00")
    with localcontext() as ctx:
        ctx.prec = 40
        return (amount_due * daily_rate * days).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Arrears:
    days: int
    amount: Decimal
    grace_until: date


def arrears_on(amount_due, daily_rate, due: date, on: date,
               business_days: int = DEFAULT_GRACE_BUSINESS_DAYS, holidays=frozenset()) -> Arrears:
    """Days late and mora if `amount_due` is paid on `on`."""
    holidays = frozenset(holidays)
    days = days_late(due, on, business_days, holidays)
    return Arrears(days, arrears_amount(to_money(amount_due), daily_rate, days),
                   grace_deadline(due, business_days, holidays))


def daily_rate_from_annual(effective_annual, days_in_year: int = 365) -> Decimal:
    """Equivalent daily rate of an effective annual rate: (1 + EA)^(1/365) − 1."""
    if isinstance(effective_annual, float):
        raise TypeError("rates must not be float")
    with localcontext() as ctx:
        ctx.prec = 34
        rate = (Decimal(1) + Decimal(effective_annual)) ** (Decimal(1) / Decimal(days_in_year)) - 1
    return rate.quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


# --- Colombian public holidays (Ley 51 de 1983, "Ley Emiliani") -----------------------

def easter_sunday(year: int) -> date:
    """Gregorian Easter (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _next_monday(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7)


def colombian_holidays(year: int) -> frozenset:
    """The 18 national holidays of a year: fixed ones, those moved to the next Monday,
    and those that follow Easter."""
    fixed = [date(year, 1, 1), date(year, 5, 1), date(year, 7, 20), date(year, 8, 7),
             date(year, 12, 8), date(year, 12, 25)]
    moved = [date(year, 1, 6), date(year, 3, 19), date(year, 6, 29), date(year, 8, 15),
             date(year, 10, 12), date(year, 11, 1), date(year, 11, 11)]
    easter = easter_sunday(year)
    easter_based = [easter - timedelta(days=3), easter - timedelta(days=2)]  # Holy Thu, Good Fri
    easter_moved = [easter + timedelta(days=39), easter + timedelta(days=60), easter + timedelta(days=68)]
    return frozenset(fixed + easter_based + [_next_monday(d) for d in moved + easter_moved])


# --- what earlier statements left unpaid ------------------------------------------------

DEFAULT_EFFECTIVE_ANNUAL_RATE = Decimal("0.25")  # the default behind CARTERA_ARREARS_DAILY_RATE


def holidays_between(first: date, last: date) -> frozenset:
    """The Colombian holidays of every year from `first` to `last`."""
    years = range(min(first, last).year, max(first, last).year + 1)
    return frozenset().union(*(colombian_holidays(y) for y in years))


@dataclass(frozen=True)
class OverdueArrears:
    days: int  # days late of the oldest instalment still owed (0 within its grace)
    amount: Decimal  # mora on every instalment still owed, each rounded on its own
    overdue: Decimal  # the unpaid instalments the mora is charged on


def overdue_arrears(overdue, daily_rate, on: date, business_days: int = DEFAULT_GRACE_BUSINESS_DAYS,
                    holidays=None, limit=None) -> OverdueArrears:
    """Mora, as of `on`, on what earlier statements left unpaid.

    `overdue` holds (due date, unpaid amount) pairs, one per earlier statement line; each
    is charged from its own due date with `arrears_on` (grace included). Amounts ≤ 0 and
    due dates not before `on` are ignored. `limit` (the credit's balance) caps the amount
    owed, oldest instalments first: mora is never charged on more than is still owed.
    `holidays` defaults to the Colombian holidays of the years involved."""
    items = sorted((due, to_money(amount)) for due, amount in overdue
                   if due < on and to_money(amount) > 0)
    if not items:
        return OverdueArrears(0, Decimal("0.00"), Decimal("0.00"))
    if holidays is None:
        holidays = holidays_between(items[0][0], on)
    room = None if limit is None else max(to_money(limit), Decimal("0.00"))
    days, amount, owed = 0, Decimal("0.00"), Decimal("0.00")
    for due, unpaid in items:
        if room is not None:
            unpaid = min(unpaid, room)
            room -= unpaid
        if unpaid <= 0:
            continue
        late = arrears_on(unpaid, daily_rate, due, on, business_days, holidays)
        days, amount, owed = max(days, late.days), amount + late.amount, owed + unpaid
    return OverdueArrears(days, amount, owed)
