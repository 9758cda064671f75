"""«Actualizar mis datos» (manual 001's note: an affiliate's contact data must be up to date).

An affiliate asks to change mobile, e-mail and/or address. A new mobile is confirmed first
by a code sent to it (the login's code rules, domain/otp); then staff approve or reject.

    awaiting_code ──(right code)──▶ pending ──▶ approved | rejected
    awaiting_code | pending ──(a newer request of the same affiliate)──▶ replaced

Pure: the typed values in, the changes and the Spanish messages by field out.
"""
import re
from dataclasses import dataclass, field

AWAITING_CODE, PENDING, APPROVED, REJECTED, REPLACED = (
    "awaiting_code", "pending", "approved", "rejected", "replaced")
STATUSES = (AWAITING_CODE, PENDING, APPROVED, REJECTED, REPLACED)
OPEN = (AWAITING_CODE, PENDING)  # at most one per affiliate (a partial unique index)
DECIDED = (APPROVED, REJECTED)
STATUS_LABELS = {AWAITING_CODE: "Falta confirmar el celular", PENDING: "En revisión",
                 APPROVED: "Aprobada", REJECTED: "Rechazada", REPLACED: "Reemplazada"}

FIELDS = ("mobile", "email", "address")
LABELS = {"mobile": "Celular", "email": "Correo electrónico", "address": "Dirección"}
ADDRESS_MIN, ADDRESS_MAX = 5, 200
EMAIL_MAX = 254
REASON_MIN, REASON_MAX = 5, 500

MOBILE_RE = re.compile(r"^3[0-9]{9}$")  # ASCII digits: \d also matches other scripts'
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
NO_CHANGE = "No cambió ningún dato: escriba el celular, el correo o la dirección nuevos."


@dataclass(frozen=True)
class Contact:
    mobile: str | None
    email: str | None
    address: str | None


@dataclass
class Check:
    changes: dict = field(default_factory=dict)  # field -> new value (only what differs)
    errors: dict = field(default_factory=dict)  # field (or "form") -> message

    @property
    def ok(self):
        return not self.errors


def normalize_mobile(raw):
    """Spaces, dots, dashes and a leading +57 / 57 dropped: «+57 300 123 4567» → 3001234567."""
    digits = re.sub(r"[\s.\-()]", "", raw or "")
    if digits.startswith("+57"):
        digits = digits[3:]
    elif len(digits) == 12 and digits.startswith("57"):
        digits = digits[2:]
    return digits


def _mobile(raw):
    value = normalize_mobile(raw)
    if not MOBILE_RE.match(value):
        return value, ("Celular: escriba un celular colombiano de 10 dígitos que empiece por 3, "
                       "por ejemplo 3001234567.")
    return value, None


def _email(raw):
    value = (raw or "").strip().lower()
    if len(value) > EMAIL_MAX or not EMAIL_RE.match(value):
        return value, f"Correo electrónico: «{value[:60]}» no es un correo válido (ejemplo: nombre@correo.com)."
    return value, None


def _address(raw):
    value = " ".join((raw or "").split())
    if not ADDRESS_MIN <= len(value) <= ADDRESS_MAX:
        return value, (f"Dirección: escriba entre {ADDRESS_MIN} y {ADDRESS_MAX} caracteres "
                       f"(escribió {len(value)}).")
    return value, None


PARSERS = {"mobile": _mobile, "email": _email, "address": _address}


def check(current: Contact, typed: dict) -> Check:
    """What the affiliate asks to change. A field left empty keeps its value only when
    there was none (a mobile is always needed; data on file is changed, not erased)."""
    result = Check()
    for name in FIELDS:
        raw = (typed.get(name) or "").strip()
        now = getattr(current, name)
        if not raw:
            if now:
                result.errors[name] = f"{LABELS[name]}: este campo es obligatorio."
            continue
        value, error = PARSERS[name](raw)
        if error:
            result.errors[name] = error
        elif value != _comparable(name, now):
            result.changes[name] = value
    if result.ok and not result.changes:
        result.errors["form"] = NO_CHANGE
    return result


def _comparable(name, value):
    if value is None:
        return None
    return value.lower() if name == "email" else value


def check_reason(raw):
    """(reason, None) or (None, a message naming the field) for «Rechazar»."""
    reason = " ".join((raw or "").split())
    if len(reason) < REASON_MIN:
        return None, f"Motivo: escriba por qué se rechaza (mínimo {REASON_MIN} caracteres); el afiliado lo verá."
    if len(reason) > REASON_MAX:
        return None, f"Motivo: escriba como máximo {REASON_MAX} caracteres."
    return reason, None


def masked_email(email):
    """«lu***@example.com»: enough for its owner to recognise it."""
    if not email or "@" not in email:
        return ""
    user, domain = email.split("@", 1)
    return f"{user[:2]}***@{domain}"
