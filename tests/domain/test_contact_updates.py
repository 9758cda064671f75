"""«Actualizar mis datos»: what a typed form asks to change, and what is wrong with it."""
import pytest

from portal.domain import contact_updates as rules

ON_FILE = rules.Contact("3001234434", "maria@example.com", "Calle 30 # 20-15")


@pytest.mark.parametrize("typed,changes", [
    ({"mobile": "3109876543"}, {"mobile": "3109876543"}),
    ({"mobile": "+57 310 987 6543"}, {"mobile": "3109876543"}),
    ({"mobile": "573109876543"}, {"mobile": "3109876543"}),
    ({"mobile": "310-987-6543"}, {"mobile": "3109876543"}),
    ({"email": "Nuevo.Correo@Example.com"}, {"email": "nuevo.correo@example.com"}),
    ({"address": "  Carrera 54   # 72-80 "}, {"address": "Carrera 54 # 72-80"}),
    ({"mobile": "3109876543", "email": "otro@example.co", "address": "Calle 1 # 2-3"},
     {"mobile": "3109876543", "email": "otro@example.co", "address": "Calle 1 # 2-3"}),
])
def test_changes(typed, changes):
    values = {"mobile": ON_FILE.mobile, "email": ON_FILE.email, "address": ON_FILE.address, **typed}
    found = rules.check(ON_FILE, values)
    assert found.ok and found.changes == changes


@pytest.mark.parametrize("name,value,message", [
    ("mobile", "2001234567", "Celular: escriba un celular colombiano de 10 dígitos que empiece por 3"),
    ("mobile", "300123443", "Celular:"),
    ("mobile", "30012344341", "Celular:"),
    ("mobile", "３００１２３４４３４", "Celular:"),  # full-width digits are not ASCII digits
    ("email", "maria@", "Correo electrónico: «maria@» no es un correo válido"),
    ("email", "maria example.com", "Correo electrónico:"),
    ("email", "a@b", "Correo electrónico:"),
    ("address", "Cl 1", "Dirección: escriba entre 5 y 200 caracteres (escribió 4)"),
    ("address", "x" * 201, "Dirección: escriba entre 5 y 200 caracteres"),
    ("mobile", "", "Celular: este campo es obligatorio."),
    ("email", " ", "Correo electrónico: este campo es obligatorio."),
])
def test_refusals_name_the_field(name, value, message):
    values = {"mobile": ON_FILE.mobile, "email": ON_FILE.email, "address": ON_FILE.address, name: value}
    found = rules.check(ON_FILE, values)
    assert not found.ok and found.errors[name].startswith(message) and found.changes.get(name) is None


def test_nothing_changed_is_refused():
    same = {"mobile": "300 123 4434", "email": "MARIA@example.com", "address": "Calle 30 # 20-15"}
    assert rules.check(ON_FILE, same).errors == {"form": rules.NO_CHANGE}


def test_a_value_never_on_file_may_stay_empty():
    found = rules.check(rules.Contact("3001234434", None, None), {"mobile": "3001234434", "email": "n@x.co"})
    assert found.ok and found.changes == {"email": "n@x.co"}


@pytest.mark.parametrize("raw,reason,error", [
    ("  Cédula   no coincide ", "Cédula no coincide", None),
    ("no", None, "Motivo: escriba por qué se rechaza (mínimo 5 caracteres); el afiliado lo verá."),
    ("x" * 501, None, "Motivo: escriba como máximo 500 caracteres."),
])
def test_reason(raw, reason, error):
    assert rules.check_reason(raw) == (reason, error)
