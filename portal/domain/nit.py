"""Colombian NIT (DIAN): the check digit and how a NIT is written.

The digit: weights 3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71 applied from
the rightmost digit of the base number; r = sum mod 11; the digit is r when r is 0 or 1,
else 11 − r. The base and its digit are stored apart; people write them «900291499-3»."""
import re

WEIGHTS = (3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71)
_WRITTEN = re.compile(r"^(\d{1,15})(?:-(\d))?$")


def check_digit(base):
    """The DIAN check digit of a NIT's base number (a string of digits)."""
    if not base.isdigit() or len(base) > len(WEIGHTS):
        raise ValueError(f"«{base}» no es la base de un NIT: hasta 15 dígitos")
    remainder = sum(int(digit) * weight for digit, weight in zip(reversed(base), WEIGHTS, strict=False)) % 11
    return remainder if remainder < 2 else 11 - remainder


def formatted(base):
    """«900291499» → «900291499-3»."""
    return f"{base}-{check_digit(base)}"


def parse(text):
    """(base, None) from «900291499-3», «900.291.499-7» or «900291499», or (None, reason in
    Spanish) when it is not a NIT or its check digit does not match."""
    cleaned = (text or "").strip().replace(".", "").replace(" ", "")
    match = _WRITTEN.match(cleaned)
    if not match:
        return None, f"«{text}» no es un NIT: escriba los números, con o sin el dígito de verificación (900291499-3)"
    base, digit = match.groups()
    if digit is not None and int(digit) != check_digit(base):
        return None, f"el dígito de verificación de {base} es {check_digit(base)}, no {digit}"
    return base, None
