"""The four-eyes rule and the corporate user's form, without the app."""
from datetime import datetime, timedelta

import pytest

from portal.domain import corporate_users as users
from portal.domain import four_eyes as rules


def test_the_proposer_is_not_a_second_pair_of_eyes():
    assert rules.same_person(7, 7) and not rules.same_person(7, 8)
    assert "otra persona del personal" in rules.SAME_PERSON


@pytest.mark.parametrize("raw, ok", [("", False), ("  no ", False), ("No corresponde", True), ("x" * 501, False)])
def test_a_rejection_says_why(raw, ok):
    reason, error = rules.parse_reason(raw)
    assert (reason is not None, error is None) == (ok, ok)


def test_permissions_ticked_and_their_labels():
    values, error = rules.parse_permissions(["consult", "upload", "hack"])
    assert error is None and values == {"upload": True, "authorize": False, "consult": True,
                                        "master_account": False, "admin_company": False}
    assert rules.permission_labels(values) == "Cargar lotes, Consultar"
    assert rules.parse_permissions([]) == (None, "Permisos: seleccione al menos uno.")
    assert rules.permission_labels({}) == "Ninguno"
    assert rules.decode(rules.encode(values)) == values


@pytest.mark.parametrize("field, raw, message", [
    ("username", "", "Usuario: es obligatorio."),
    ("username", "abc", "Usuario: debe tener de 4 a 30 caracteres."),
    ("username", "josé.p", "Usuario: solo admite letras sin tilde"),
    ("username", ".pepe", "Usuario: solo admite"),
    ("first_name", "R2D2", "Nombres: solo admite letras"),
    ("last_name", "", "Apellidos: es obligatorio."),
    ("email", "pepe@", "Correo electrónico: «pepe@» no es un correo electrónico válido"),
])
def test_each_wrong_field_is_named(field, raw, message):
    form = {"username": "pperez", "first_name": "Pedro José", "last_name": "Pérez O'Neill",
            "email": "p@example.com", field: raw}
    checked = users.check(form)
    assert list(checked.errors) == [field] and checked.errors[field].startswith(message)


def test_a_good_form_is_normalised():
    checked = users.check({"username": " PPerez_2 ", "first_name": "  María  José ", "last_name": "Núñez-Ríos",
                           "email": "MJ@Empresa.COM"})
    assert checked.ok and checked.values == {"username": "pperez_2", "first_name": "María José",
                                             "last_name": "Núñez-Ríos", "email": "mj@empresa.com"}


def test_state_order():
    now = datetime(2026, 11, 30, 12)
    assert users.state(True, None, None, now) == users.ACTIVE
    assert users.state(True, None, now - timedelta(minutes=1), now) == users.ACTIVE
    assert users.state(True, None, now + timedelta(minutes=1), now) == users.LOCKED
    assert users.state(True, now, now + timedelta(minutes=1), now) == users.BLOCKED
    assert users.state(False, now, None, now) == users.INACTIVE
