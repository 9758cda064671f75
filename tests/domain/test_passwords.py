"""The password policy of manual 003 (2.2.1), as a table."""
import random

import pytest

from portal.domain import passwords as policy


def failing(password):
    return [rule.code for rule in policy.check(password) if not rule.ok]


@pytest.mark.parametrize("password,fails", [
    ("Clave#2024a", ["digits"]),    # 2, 0, 2, 4: four digits
    ("Clave#24ab", []),
    ("Ab1!efgh", []),               # exactly 8
    ("Ab1!efghijklmno", []),        # exactly 15
    ("Ab1!efg", ["length"]),        # 7
    ("Ab1!efghijklmnop", ["length"]),  # 16
    ("AB1!EFGH", ["lower"]),
    ("ab1!efgh", ["upper"]),
    ("Abc!efgh", ["digits"]),       # no digit
    ("Ab1234!efg", ["digits"]),     # 4 digits
    ("Ab123!efg", []),              # 3 digits
    ("Ab12cdefg", ["special"]),
    ("Ab1!eeefg", ["repeat"]),      # three equal in a row
    ("Ab1!eefgg", []),              # two equal is fine
    ("Ab1!111fg", ["digits", "repeat"]),
    ("Ab1! efgh", ["spaces"]),
    ("Año1¿efgh", []),              # accents and ¿ count
    ("", ["length", "lower", "upper", "digits", "special", "repeat", "spaces"]),
])
def test_policy_table(password, fails):
    assert failing(password) == fails


def test_rules_keep_the_manuals_order_and_labels():
    labels = [rule.label for rule in policy.check("x")]
    assert labels[:4] == ["De 8 a 15 caracteres", "Al menos una letra minúscula",
                          "Al menos una letra mayúscula", "De 1 a 3 números"]
    assert labels[5] == "No debe tener más de 2 caracteres iguales consecutivos"


def test_failures_lists_every_broken_rule():
    assert len(policy.failures("aaaa")) == 5


@pytest.mark.parametrize("seed", range(50))
def test_temporary_passwords_always_meet_the_policy(seed):
    assert policy.is_valid(policy.generate_temporary(random.Random(seed)))
