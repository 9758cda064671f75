"""Configuración › Empresas (manual 003, 2.3): what a company's administrator may change —
its phones, its billing address and its contacts — and the rule of every value, with
Spanish messages that name the field. Pure: no Flask, no database.

Only the fields listed here are ever read from a form, so a posted NIT or razón social is
ignored by construction.

Phones: what a Colombian number looks like since the 2021 numbering plan — a mobile of 10
digits starting with 3, a landline of 10 digits starting with 60 (60 + the area's digit
+ 7 digits), or a local landline of 7 digits as companies still write it (the manual's
«4193333»). Spaces, hyphens, dots, parentheses and a leading +57 are accepted and
dropped."""
import re

from portal.domain.forms import Checked

COMPANY_FIELDS = ("phone1", "phone2", "phone3", "billing_address")
CONTACT_FIELDS = ("name", "role", "email", "phone")
LABELS = {"phone1": "Teléfono 1", "phone2": "Teléfono 2", "phone3": "Teléfono 3",
          "billing_address": "Dirección de facturación", "name": "Nombre", "role": "Cargo",
          "email": "Correo electrónico", "phone": "Teléfono"}
MAX_LENGTHS = {"billing_address": 200, "name": 120, "role": 80, "email": 254}
REQUIRED = {"phone1", "name"}
PHONES = {"phone1", "phone2", "phone3", "phone"}
MAX_CONTACTS = 20
PHONE_RULE = ("un celular de 10 dígitos que empiece por 3 (3001234567), un fijo de 10 que empiece "
              "por 60 (6014193333) o un fijo local de 7 (4193333)")

_SEPARATORS = re.compile(r"[\s.()\-]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")



def phone(text):
    """(digits, None) or (None, reason): a Colombian mobile or landline."""
    digits = _SEPARATORS.sub("", text)
    if digits.startswith("+57"):
        digits = digits[3:]
    elif digits.startswith("+"):
        return None, f"«{text}» no es un número de Colombia; escriba {PHONE_RULE}"
    if not digits.isdigit():
        return None, f"«{text}» solo admite números (puede separarlos con espacios o guiones)"
    if re.fullmatch(r"3\d{9}|60\d{8}|[2-8]\d{6}", digits):
        return digits, None
    return None, f"«{text}» no es un teléfono colombiano: escriba {PHONE_RULE}"


def _email(text):
    if _EMAIL.match(text):
        return text.lower(), None
    return None, f"«{text}» no es un correo electrónico válido (nombre@empresa.com)"


def check_value(key, raw):
    """(value or None, reason or None) for one field; the reason does not name it."""
    text = " ".join(str(raw or "").split())
    if not text:
        return None, ("es obligatorio" if key in REQUIRED else None)
    if _CONTROL.search(text):
        return None, "tiene caracteres no permitidos"
    limit = MAX_LENGTHS.get(key)
    if limit and len(text) > limit:
        return None, f"tiene {len(text)} caracteres; el máximo es {limit}"
    if key in PHONES:
        return phone(text)
    if key == "email":
        return _email(text)
    return text, None


def _check(form, keys):
    values, typed, errors = {}, {}, {}
    for key in keys:
        typed[key] = str(form.get(key) or "").strip()
        values[key], reason = check_value(key, typed[key])
        if reason:
            errors[key] = f"{LABELS[key]}: {reason}."
    return values, typed, errors


def check_company(form):
    """Teléfono 1 (required), Teléfono 2, Teléfono 3 and Dirección de facturación."""
    return Checked(*_check(form, COMPANY_FIELDS))


def check_contact(form):
    """Nombre (required), Cargo, Correo electrónico, Teléfono: a way to reach them, at least."""
    values, typed, errors = _check(form, CONTACT_FIELDS)
    if not values["email"] and not values["phone"] and "email" not in errors and "phone" not in errors:
        errors["email"] = f"{LABELS['email']}: escriba el correo electrónico o el teléfono del contacto."
    return Checked(values, typed, errors)


def changes(before, after):
    """{field: {"old": …, "new": …}} for the fields whose value differs."""
    return {key: {"old": before.get(key), "new": value} for key, value in after.items()
            if before.get(key) != value}


def formatted_phone(digits):
    """«3001234567» → «300 123 4567», «6014193333» → «601 419 3333», «4193333» → «419 3333»."""
    text = digits or ""
    if len(text) == 10:
        return f"{text[:3]} {text[3:6]} {text[6:]}"
    if len(text) == 7:
        return f"{text[:3]} {text[3:]}"
    return text
