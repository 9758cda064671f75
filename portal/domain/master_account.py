"""Rules of «Servicios › Cuenta maestra» (manual 003 §5.1; manual 004 «Transferencia
maestra»): what an amount typed in a form may be, and the date of a bank deposit."""
from datetime import date
from decimal import Decimal

from portal.domain.formatting import to_money, typed_day
from portal.domain.payments import PLAIN_NUMBER

DESCRIPTION_MAX = 100


def parse_amount(raw, field, maximum: Decimal):
    """es-CO money typed by a person (150000, 150.000 or 150.000,50): > 0, two decimals
    at most, ≤ `maximum`. Returns (amount, None) or (None, a Spanish message naming `field`)."""
    text = (raw or "").strip()
    if not text:
        return None, f"Ingrese el {field}."
    amount = read_amount(text)
    if amount is None:
        return None, f"El {field} debe ser un número, por ejemplo 150000 o 150.000,50."
    if amount.as_tuple().exponent < -2:
        return None, f"El {field} admite máximo dos decimales."
    if amount <= 0:
        return None, f"El {field} debe ser mayor que cero."
    if amount > maximum:
        return None, f"El {field} no puede superar {_plain(maximum)}."
    return to_money(amount), None


def read_amount(raw):
    """es-CO money as a person types it (150000, 150.000, 150.000,50, $ 150.000): the
    Decimal, or None when it is not a number (a sign included)."""
    text = (raw or "").strip().replace("$", "").replace(" ", "").replace("\u00a0", "")
    if "," in text:  # the comma marks the cents; dots group thousands
        text = text.replace(".", "").replace(",", ".")
    elif text.count(".") > 1 or (text.count(".") == 1 and len(text.split(".")[1]) == 3):
        text = text.replace(".", "")
    return Decimal(text) if PLAIN_NUMBER.match(text) else None


def _plain(amount):
    return "$ " + f"{amount:,.0f}".replace(",", ".")


def parse_description(raw, field="descripción"):
    text = " ".join((raw or "").split())
    if not text:
        return None, f"Ingrese la {field}."
    if len(text) > DESCRIPTION_MAX:
        return None, f"La {field} admite máximo {DESCRIPTION_MAX} caracteres."
    return text, None


def parse_deposit_date(raw, today: date):
    """«Fecha de consignación»: DD/MM/AAAA or AAAA-MM-DD, not in the future."""
    text = (raw or "").strip()
    if not text:
        return None, "Ingrese la fecha de consignación."
    day = typed_day(text)
    if day is None:
        return None, "La fecha de consignación debe tener el formato DD/MM/AAAA."
    if day > today:
        return None, "La fecha de consignación no puede ser posterior a hoy."
    return day, None
