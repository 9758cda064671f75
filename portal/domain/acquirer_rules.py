"""How the sandbox acquirer decides: test cards and test banks (like Wompi's sandbox)."""
from dataclasses import dataclass

APPROVED_CARD = "4242424242424242"
DECLINED_CARD = "4111111111111111"

# PSE banks of the sandbox: code → (name, outcome); None stays PENDING until settled.
PSE_BANKS = {
    "1": ("Banco que aprueba", "APPROVED"),
    "2": ("Banco que rechaza", "DECLINED"),
    "3": ("Banco que simula un error", "ERROR"),
    "4": ("Banco que deja pendiente", None),
}

RESPONSES = {  # status → (response code, Spanish description for the voucher)
    "APPROVED": ("00", "Aprobada"),
    "DECLINED": ("05", "Rechazada: fondos insuficientes o tarjeta no autorizada"),
    "ERROR": ("96", "Error en el procesamiento de la transacción"),
    "PENDING": ("", "Pendiente de confirmación del banco"),
    "VOIDED": ("12", "Anulada"),
}


@dataclass(frozen=True)
class CardCheck:
    digits: str
    error: str | None = None


def clean_card_number(raw):
    digits = "".join(ch for ch in (raw or "") if ch.isdigit())
    if (raw or "").strip() and any(not (ch.isdigit() or ch in " -") for ch in raw.strip()):
        return CardCheck("", "El número de tarjeta solo puede tener números.")
    if not 13 <= len(digits) <= 19:
        return CardCheck("", "El número de tarjeta debe tener entre 13 y 19 dígitos.")
    if not luhn_ok(digits):
        return CardCheck("", "El número de tarjeta no es válido; revíselo.")
    return CardCheck(digits)


def luhn_ok(digits):
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def card_outcome(digits):
    if digits == APPROVED_CARD:
        return "APPROVED"
    if digits == DECLINED_CARD:
        return "DECLINED"
    return "ERROR"


def card_brand(digits):
    if digits.startswith("4"):
        return "VISA"
    if digits[:2] in {"51", "52", "53", "54", "55"} or "2221" <= digits[:4] <= "2720":
        return "MASTERCARD"
    if digits[:2] in {"34", "37"}:
        return "AMEX"
    return "OTRA"


def expiry_error(month, year, today):
    """MM and YY; the card is valid through the end of its month."""
    if not (month.isdigit() and year.isdigit() and len(year) == 2 and 1 <= int(month) <= 12):
        return "Escriba la fecha de vencimiento como MM/AA."
    if (2000 + int(year), int(month)) < (today.year, today.month):
        return "La tarjeta está vencida."
    return None


def cvc_error(cvc):
    if not (cvc.isdigit() and len(cvc) in (3, 4)):
        return "El código de seguridad (CVC) tiene 3 o 4 números."
    return None
