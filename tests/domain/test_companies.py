"""The staff's rules for a company's fields, its signature settings and its sucursales."""
import pytest

from portal.domain import companies as rules


@pytest.mark.parametrize("written, expected", [
    ("800191045-1", ("800191045", None)),
    ("890.903.938-8", ("890903938", None)),
    (" 901343454-0 ", ("901343454", None)),
    ("901343454-1", (None, "NIT: el dígito de verificación de 901343454 es 0, no 1.")),
    ("901343454", (None, "NIT: escriba también el dígito de verificación (901343454-0).")),
    ("", (None, "NIT: es obligatorio.")),
])
def test_a_new_nit_is_written_with_its_check_digit(written, expected):
    assert rules.parse_nit(written) == expected


@pytest.mark.parametrize("kind, number, expected", [
    ("ahorros", "418-000482-1", ("AHORROS 418-000482-1", None)),
    ("CORRIENTE", " 2100044557 ", ("CORRIENTE 2100044557", None)),
    ("", "", (None, None)),
    ("", "418-000482-1", (None, "Cuenta a debitar: seleccione el tipo (ahorros o corriente).")),
    ("AHORROS", "12345", (None, "Cuenta a debitar: «12345» no es una cuenta; escriba " + rules.ACCOUNT_RULE + ".")),
    ("AHORROS", "418--0004821", (None, "Cuenta a debitar: «418--0004821» no es una cuenta; escriba "
                                 + rules.ACCOUNT_RULE + ".")),
    ("AHORROS", "-418000482", (None, "Cuenta a debitar: «-418000482» no es una cuenta; escriba "
                               + rules.ACCOUNT_RULE + ".")),
])
def test_the_debit_account(kind, number, expected):
    assert rules.debit_account(kind, number) == expected
    if expected[0]:
        assert " ".join(rules.split_account(expected[0])) == expected[0]


@pytest.mark.parametrize("form, expected", [
    ({"signature_scheme": "2"}, ({"signature_scheme": 2, "uploader_may_sign": False}, None)),
    ({"signature_scheme": "1", "uploader_may_sign": "1"}, ({"signature_scheme": 1, "uploader_may_sign": True}, None)),
    ({"signature_scheme": "3"}, (None, "Esquema de firmas: seleccione una o dos firmas.")),
    ({}, (None, "Esquema de firmas: seleccione una o dos firmas.")),
])
def test_signature_settings(form, expected):
    assert rules.parse_signatures(form) == expected


@pytest.mark.parametrize("raw, code", [("002", "2"), ("2", "2"), ("000", "0"), ("1234567890", "1234567890"),
                                       ("12345678901", None), ("A1", None), ("", None), ("٣", None)])
def test_a_branch_code_is_the_files_sucursal_without_leading_zeros(raw, code):
    assert rules.branch_code(raw) == code


def test_a_branch_names_every_wrong_field():
    checked = rules.check_branch({"code": "x", "name": " ", "city": "c" * 61})
    assert checked.errors == {"code": "Código: escriba " + rules.CODE_RULE + ".", "name": "Nombre: es obligatorio.",
                              "city": "Ciudad: tiene 61 caracteres; el máximo es 60."}
    assert rules.check_branch({"code": "007", "name": "Norte", "city": "Medellín"}).values == {
        "code": "7", "name": "Norte", "city": "MEDELLÍN"}
