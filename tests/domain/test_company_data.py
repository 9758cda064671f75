"""Configuración › Empresas: the rule of every editable value, messages naming the field."""
import pytest

from portal.domain import company_data as cd


@pytest.mark.parametrize("typed,stored", [
    ("4193333", "4193333"),  # the manual's Teléfono 1: a local landline
    ("419 3333", "4193333"),
    ("601 419 3333", "6014193333"),  # landline with the 2021 plan's 60 + area digit
    ("(605) 385-6000", "6053856000"),
    ("300 123 4567", "3001234567"),
    ("+57 300 123 4567", "3001234567"),
    ("+57.601.419.3333", "6014193333"),
])
def test_colombian_phones_are_kept_as_digits(typed, stored):
    assert cd.phone(typed) == (stored, None)


@pytest.mark.parametrize("typed,reason", [
    ("12345", "no es un teléfono colombiano"),  # too short
    ("14193333", "no es un teléfono colombiano"),  # the old area digit without 60
    ("0314193333", "no es un teléfono colombiano"),
    ("30012345678", "no es un teléfono colombiano"),  # 11 digits
    ("1234567", "no es un teléfono colombiano"),  # a local number does not start with 1
    ("+1 305 555 0100", "no es un número de Colombia"),
    ("300-ABC-4567", "solo admite números"),
    ("4193333 ext 12", "solo admite números"),
])
def test_other_phones_are_refused_saying_what_to_write(typed, reason):
    value, message = cd.phone(typed)
    assert value is None and reason in message and f"«{typed}»" in message
    assert "3001234567" in message or "solo admite números" in message


def test_the_company_form_names_every_wrong_field():
    checked = cd.check_company({"phone1": "", "phone2": "12", "phone3": "3001234567",
                                "billing_address": "x" * 201})
    assert not checked.ok
    assert checked.errors == {
        "phone1": "Teléfono 1: es obligatorio.",
        "phone2": f"Teléfono 2: «12» no es un teléfono colombiano: escriba {cd.PHONE_RULE}.",
        "billing_address": "Dirección de facturación: tiene 201 caracteres; el máximo es 200.",
    }
    assert checked.typed["phone2"] == "12" and checked.values["phone3"] == "3001234567"


def test_only_the_editable_fields_are_read():
    checked = cd.check_company({"phone1": "4193333", "nit": "111", "legal_name": "OTRA", "name": "X"})
    assert checked.ok
    assert set(checked.values) == {"phone1", "phone2", "phone3", "billing_address"}
    assert checked.values == {"phone1": "4193333", "phone2": None, "phone3": None, "billing_address": None}


def test_text_is_trimmed_and_spaces_collapsed():
    checked = cd.check_company({"phone1": " 4193333 ", "billing_address": "  Calle 72   # 54-35 "})
    assert checked.values["billing_address"] == "Calle 72 # 54-35"


@pytest.mark.parametrize("form,errors", [
    ({"name": "", "email": "a@b.co"}, {"name": "Nombre: es obligatorio."}),
    ({"name": "Ana", "email": "ana@"}, {"email": "Correo electrónico: «ana@» no es un correo electrónico válido "
                                                 "(nombre@empresa.com)."}),
    ({"name": "Ana"}, {"email": "Correo electrónico: escriba el correo electrónico o el teléfono del contacto."}),
    ({"name": "Ana", "phone": "12"}, {"phone": f"Teléfono: «12» no es un teléfono colombiano: escriba "
                                                f"{cd.PHONE_RULE}."}),
    ({"name": "A" * 121, "role": "B" * 81, "phone": "3001234567"},
     {"name": "Nombre: tiene 121 caracteres; el máximo es 120.",
      "role": "Cargo: tiene 81 caracteres; el máximo es 80."}),
    ({"name": "Ana\x07", "phone": "3001234567"}, {"name": "Nombre: tiene caracteres no permitidos."}),
    ({"name": "Ana", "email": "a@" + "b" * 250 + ".co"},
     {"email": "Correo electrónico: tiene 255 caracteres; el máximo es 254."}),
])
def test_contact_messages_name_the_field(form, errors):
    assert cd.check_contact(form).errors == errors


def test_a_good_contact():
    checked = cd.check_contact({"name": "Luisa Pérez", "role": "Nómina", "email": "Luisa@Empresa.CO", "phone": ""})
    assert checked.ok
    assert checked.values == {"name": "Luisa Pérez", "role": "Nómina", "email": "luisa@empresa.co", "phone": None}


def test_changes_list_old_and_new_values():
    assert cd.changes({"phone1": "4193333", "phone2": None}, {"phone1": "4193333", "phone2": "3001234567"}) == {
        "phone2": {"old": None, "new": "3001234567"}}


@pytest.mark.parametrize("digits,shown", [("3001234567", "300 123 4567"), ("6014193333", "601 419 3333"),
                                          ("4193333", "419 3333"), (None, ""), ("12", "12")])
def test_phones_are_shown_in_groups(digits, shown):
    assert cd.formatted_phone(digits) == shown
