"""Tarjetas innominadas › Solicitud (manual 003 §3.4): what a request for unnamed cards
may say. Pure: no Flask, no database.

- Línea de embozo 1 and 2: the text embossed on the card, in the embosser's alphabet
  (A–Z, 0–9, space and . , - / & '), upper case, at most 21 characters each (the usual
  embossing line of an ID-1 card). Accented letters and Ñ are not in it: they are named
  in the message, never dropped or changed silently.
- Cantidad de tarjetas: a whole number from 1 to the portal's maximum per request.
- Fecha de vencimiento: set by the product (its months of validity from today), MM/AAAA.
"""
from datetime import date

from portal.domain.forms import Checked

LINE_MAX = 21
ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-/&'")
ALPHABET_TEXT = "letras sin tildes (A–Z), números, espacios y . , - / & '"
LABELS = {"quantity": "Cantidad de tarjetas", "emboss_line1": "Línea de embozo 1",
          "emboss_line2": "Línea de embozo 2", "branch": "Sucursal"}


def emboss_line(text, label, required=False):
    """(the line as embossed, None) or (None, reason naming `label`). Upper-cased, spaces
    at the ends dropped and runs of spaces made one; empty is None when not required."""
    line = " ".join(str(text or "").upper().split())
    if not line:
        return (None, f"«{label}» es obligatoria.") if required else (None, None)
    if len(line) > LINE_MAX:
        return None, f"«{label}» tiene {len(line)} caracteres; el máximo es {LINE_MAX}."
    wrong = list(dict.fromkeys(ch for ch in line if ch not in ALPHABET))
    if wrong:
        shown = ", ".join(f"«{ch}»" for ch in wrong)
        return None, f"«{label}» no admite {shown}: escriba solo {ALPHABET_TEXT}."
    return line, None


def quantity(text, maximum, label=LABELS["quantity"]):
    """(number of cards, None) or (None, reason): a whole number from 1 to `maximum`."""
    typed = str(text or "").strip()
    if not typed:
        return None, f"«{label}» es obligatoria."
    if not (typed.isascii() and typed.isdigit()):
        return None, f"«{label}»: «{typed[:20]}» no es un número entero; escriba solo dígitos."
    number = int(typed) if len(typed.lstrip("0")) <= 9 else maximum + 1  # no huge int from a long paste
    if not 1 <= number <= maximum:
        return None, f"«{label}» debe ser de 1 a {maximum:,} tarjetas.".replace(",", ".")
    return number, None


def card_expiry(today: date, months: int) -> str:
    """MM/YYYY of the month `months` after today's (the card is valid through it)."""
    index = today.year * 12 + today.month - 1 + months
    return f"{index % 12 + 1:02d}/{index // 12}"


def check_request(form, maximum, branch_codes):
    """Every field of «Solicitud de innominadas», every error: quantity, the two lines
    (the first required) and the branch (one of `branch_codes`)."""
    typed = {key: str(form.get(key) or "")[:200] for key in LABELS}
    values, errors = {}, {}
    values["quantity"], errors["quantity"] = quantity(typed["quantity"], maximum)
    for key, required in (("emboss_line1", True), ("emboss_line2", False)):
        values[key], errors[key] = emboss_line(typed[key], LABELS[key], required)
        typed[key] = typed[key].upper()
    branch = typed["branch"].strip()
    values["branch"], errors["branch"] = (branch, None) if branch in branch_codes else \
        (None, f"Seleccione la «{LABELS['branch']}» de la lista.")
    errors = {key: reason for key, reason in errors.items() if reason}
    return Checked(values if not errors else {}, typed, errors)
