"""es-CO formatting of money and dates, shown in America/Bogota."""
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from portal.domain import clock

BOGOTA = ZoneInfo("America/Bogota")
CENT = Decimal("0.01")
PESO = Decimal("1")
ES_CO_SEPARATORS = str.maketrans(",.", ".,")


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
    # The output of Babel's es_CO "¤ #,##0(.00)" patterns (half even to whole pesos, "-$ 0"
    # for a negative zero), built with Python's own formatting: Babel took ~70 µs a call.
    shown = amount.quantize(CENT if cents else PESO, rounding=ROUND_HALF_EVEN)
    digits = f"{abs(shown):,.{2 if cents else 0}f}".translate(ES_CO_SEPARATORS)
    # A no-break space: «$» never wraps away from its number.
    return f"{'-' if shown.is_signed() else ''}$\u00a0{digits}"


def cents_in(*groups) -> bool:
    """Whether any amount of these (values or iterables of values) has centavos: a table
    shows all its amounts one way, «$ 6.173.384,00» beside «$ 6.181.846,39»."""
    for group in groups:
        for value in group if isinstance(group, (list, tuple)) or hasattr(group, "__next__") else (group,):
            if value is not None and to_money(value) != to_money(value).to_integral_value():
                return True
    return False


def today_bogota() -> date:
    """Today's date in Bogotá (the portal's periods and due dates are local)."""
    return local(clock.utcnow()).date()


def local(dt: datetime) -> datetime:
    """A stored naive-UTC time as Bogotá time."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(BOGOTA)


def day(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local(value)
    return value.strftime("%d/%m/%Y") if isinstance(value, date) else str(value)


def typed_day(text) -> date | None:
    """A day typed in a form: DD/MM/AAAA, or AAAA-MM-DD (what a date input sends); None
    for anything else."""
    for layout in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, layout).date()
        except (TypeError, ValueError):
            continue
    return None


def day_time(value: datetime | None) -> str:
    if value is None:
        return ""
    hour = local(value)
    suffix = "a. m." if hour.hour < 12 else "p. m."
    return f"{hour.strftime('%d/%m/%Y')} {hour.hour % 12 or 12}:{hour.strftime('%M:%S')} {suffix}"


def ago(then: datetime | None, now: datetime) -> str:
    """How long ago, in Spanish: «hace 5 min», «hace 3 h», «hace 1 día», «hace 2 días»."""
    if then is None:
        return ""
    minutes = int((now - then).total_seconds() // 60)
    if minutes < 1:
        return "hace menos de 1 min"
    if minutes < 60:
        return f"hace {minutes} min"
    if minutes < 24 * 60:
        return f"hace {minutes // 60} h"
    days = minutes // (24 * 60)
    return f"hace {days} día" if days == 1 else f"hace {days} días"
