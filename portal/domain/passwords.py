"""The password policy of Conexión Empresas (manual 003, 2.2.1), used for every user.

Requisitos para crear la contraseña:
- De 8 a 15 caracteres
- Al menos una letra minúscula
- Al menos una letra mayúscula
- De 1 a 3 números
- Al menos un carácter especial (ej: !@*~?¡¿+ / . , _ #)
- No debe tener más de 2 caracteres iguales consecutivos
"""
import re
import secrets
import string
from dataclasses import dataclass

MIN_LENGTH, MAX_LENGTH = 8, 15
MIN_DIGITS, MAX_DIGITS = 1, 3
HISTORY_SIZE = 5  # the last 5 passwords (the current one included) cannot be reused
SPECIAL_EXAMPLES = "!@*~?¡¿+/.,_#"


@dataclass(frozen=True)
class Rule:
    code: str
    label: str
    ok: bool


def _is_special(ch):
    return not ch.isalnum() and not ch.isspace()


def check(password: str) -> list[Rule]:
    """Every rule with whether `password` meets it, in the manual's order."""
    pw = password or ""
    digits = sum(ch.isdigit() for ch in pw)
    return [
        Rule("length", "De 8 a 15 caracteres", MIN_LENGTH <= len(pw) <= MAX_LENGTH),
        Rule("lower", "Al menos una letra minúscula", any(ch.islower() for ch in pw)),
        Rule("upper", "Al menos una letra mayúscula", any(ch.isupper() for ch in pw)),
        Rule("digits", "De 1 a 3 números", MIN_DIGITS <= digits <= MAX_DIGITS),
        Rule(
            "special",
            "Al menos un carácter especial (ej: ! @ * ~ ? ¡ ¿ + / . , _ #)",
            any(_is_special(ch) for ch in pw),
        ),
        Rule(
            "repeat",
            "No debe tener más de 2 caracteres iguales consecutivos",
            bool(pw) and re.search(r"(.)\1\1", pw) is None,
        ),
        Rule("spaces", "Sin espacios", bool(pw) and not any(ch.isspace() for ch in pw)),
    ]


def is_valid(password: str) -> bool:
    return all(rule.ok for rule in check(password))


def failures(password: str) -> list[str]:
    return [rule.label for rule in check(password) if not rule.ok]


_SYSTEM_RANDOM = secrets.SystemRandom()


def generate_temporary(rng=_SYSTEM_RANDOM) -> str:
    """A random password that meets the policy, for recovery e-mails."""
    while True:
        letters = [rng.choice(string.ascii_lowercase) for _ in range(5)]
        letters += [rng.choice(string.ascii_uppercase) for _ in range(3)]
        chars = letters + [rng.choice("23456789") for _ in range(2)] + [rng.choice("!@*?#_")]
        rng.shuffle(chars)
        candidate = "".join(chars)
        if is_valid(candidate):
            return candidate
