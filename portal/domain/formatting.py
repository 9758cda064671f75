"""es-CO formatting of money and dates (Babel), shown in America/Bogota."""
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from babel.numbers import format_currency

from portal.domain import clock

BOGOTA = ZoneInfo("America/Bogota")
CENT = Decimal("0.01")


def to_money(value) -> Decimal:
    """Any amount to a 2-place Decimal, half up; floats are refused."""
    if isinstance(value, float):
        raise TypeError("money must not be float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def money(value, cents=None) -> str:
    """$ 1.752.770, or $ 150.000,50 when there are centavos (never hidden by rounding);
    cents=True always shows them: $ 175.277,00."""
    if value is None:
        return ""
    amount = to_money(value)
    if cents is None:
        cents = amount != amount.to_integral_value()
    pattern = "¤ #,##0.00" if cents else "¤ #,##0"
    return format_currency(amount, "COP", locale="es_CO", format=pattern, currency_digits=False)


def today_bogota() -> date:
    """Today's date in Bogotá (the portal's periods and due dates are local)."""
    return local(clock.utcnow()).date()


def local(dt: datetime) -> datetime:
    """A stored naive-UTC time as Bogotá time."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(BOGOTA)


def day(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local(value)
    return value.strftime("%d/%m/%Y") if isinstance(value, date) else str(value)


def day_time(value: datetime | None) -> str:
    if value is None:
        return ""
    hour = local(value)
    suffix = "a. m." if hour.hour < 12 else "p. m."
    return f"{hour.strftime('%d/%m/%Y')} {hour.hour % 12 or 12}:{hour.strftime('%M:%S')} {suffix}"
