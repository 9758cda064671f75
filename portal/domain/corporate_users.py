"""A corporate user as the fund's staff create one (manual 004: «los accesos al sistema son
creados por personal autorizado»): usuario, nombres, apellidos, correo. Pure: the typed
values in, the values to keep and one Spanish message per wrong field out.

The username is kept in lower case (the sign-in compares it as stored, so the e-mail tells
the user exactly what to type)."""
import re

from portal.domain.forms import Checked

FIELDS = ("username", "first_name", "last_name", "email")
LABELS = {"username": "Usuario", "first_name": "Nombres", "last_name": "Apellidos",
          "email": "Correo electrónico"}
USERNAME_MIN, USERNAME_MAX = 4, 30
NAME_MAX, EMAIL_MAX = 80, 254

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")  # ASCII only: no look-alike letters
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
_NAME = re.compile(r"^[^\W\d_]+(?:[ '.-][^\W\d_]+)*\.?$")  # letters (accents too), spaces, ' . -


def _username(text):
    text = text.lower()
    if not USERNAME_MIN <= len(text) <= USERNAME_MAX:
        return None, f"debe tener de {USERNAME_MIN} a {USERNAME_MAX} caracteres"
    if not _USERNAME.match(text):
        return None, ("solo admite letras sin tilde, números, punto, guion y guion bajo, "
                      "y empieza por una letra o un número")
    return text, None


def _name(text):
    if len(text) > NAME_MAX:
        return None, f"tiene {len(text)} caracteres; el máximo es {NAME_MAX}"
    if not _NAME.match(text):
        return None, "solo admite letras, espacios, apóstrofo, punto y guion"
    return text, None


def _email(text):
    if len(text) > EMAIL_MAX or not _EMAIL.match(text):
        return None, f"«{text[:60]}» no es un correo electrónico válido (nombre@empresa.com)"
    return text.lower(), None


CHECKS = {"username": _username, "first_name": _name, "last_name": _name, "email": _email}


def check(form):
    """Every field of the new user's form, checked; `form` is any mapping."""
    values, typed, errors = {}, {}, {}
    for key in FIELDS:
        typed[key] = " ".join(str(form.get(key) or "").split())
        if not typed[key]:
            errors[key] = f"{LABELS[key]}: es obligatorio."
            continue
        values[key], reason = CHECKS[key](typed[key])
        if reason:
            errors[key] = f"{LABELS[key]}: {reason}."
    return Checked(values, typed, errors)


def taken_message(username):
    return f"Usuario: «{username}» ya existe; escriba otro."


# --- a user's state, as the staff see it ------------------------------------------------------

ACTIVE, BLOCKED, LOCKED, INACTIVE = "active", "blocked", "locked", "inactive"
STATE_LABELS = {ACTIVE: "Activo", BLOCKED: "Bloqueado por la Caja", LOCKED: "Bloqueado por intentos fallidos",
                INACTIVE: "Inactivo"}
STATE_FILTERS = {"": None, "activos": ACTIVE, "bloqueados": BLOCKED, "inactivos": INACTIVE}


def state(is_active, blocked_at, locked_until, now):
    """Inactive wins over a lock of the staff, which wins over one of failed sign-ins."""
    if not is_active:
        return INACTIVE
    if blocked_at is not None:
        return BLOCKED
    if locked_until is not None and locked_until > now:
        return LOCKED
    return ACTIVE
