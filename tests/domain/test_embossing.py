"""Tarjetas innominadas › Solicitud: the embossing alphabet, the quantity and the expiry."""
from datetime import date

import pytest

from portal.domain import embossing as e


@pytest.mark.parametrize("typed, expected", [
    ("Empresa Coop", "EMPRESA COOP"),
    ("9013434540", "9013434540"),
    ("  a   b  ", "A B"),
    ("O'Neil & Cia. S/A,2-B", "O'NEIL & CIA. S/A,2-B"),
    ("x" * 21, "X" * 21),
])
def test_a_line_of_the_alphabet_is_embossed_in_upper_case(typed, expected):
    assert e.emboss_line(typed, "Línea de embozo 1", required=True) == (expected, None)


@pytest.mark.parametrize("typed, reason", [
    ("", "«Línea de embozo 1» es obligatoria."),
    ("   ", "«Línea de embozo 1» es obligatoria."),
    ("x" * 22, "«Línea de embozo 1» tiene 22 caracteres; el máximo es 21."),
    ("Peña Gómez", "«Línea de embozo 1» no admite «Ñ», «Ó»: escriba solo letras sin tildes (A–Z), números, "
                   "espacios y . , - / & '."),
    ("A@B#A@", "«Línea de embozo 1» no admite «@», «#»: escriba solo letras sin tildes (A–Z), números, "
               "espacios y . , - / & '."),
    ("=1+1", "«Línea de embozo 1» no admite «=», «+»"),
])
def test_a_wrong_line_is_refused_naming_the_field_and_the_characters(typed, reason):
    value, message = e.emboss_line(typed, "Línea de embozo 1", required=True)
    assert value is None and message.startswith(reason)


def test_the_second_line_may_be_empty():
    assert e.emboss_line("", "Línea de embozo 2") == (None, None)
    assert e.emboss_line("ñ", "Línea de embozo 2")[1].startswith("«Línea de embozo 2» no admite «Ñ»")


@pytest.mark.parametrize("typed, expected", [("1", 1), ("10", 10), (" 500 ", 500), ("007", 7)])
def test_a_quantity_from_one_to_the_maximum(typed, expected):
    assert e.quantity(typed, 500) == (expected, None)


@pytest.mark.parametrize("typed, reason", [
    ("", "«Cantidad de tarjetas» es obligatoria."),
    ("0", "«Cantidad de tarjetas» debe ser de 1 a 500 tarjetas."),
    ("501", "«Cantidad de tarjetas» debe ser de 1 a 500 tarjetas."),
    ("9" * 40, "«Cantidad de tarjetas» debe ser de 1 a 500 tarjetas."),
    ("-3", "«Cantidad de tarjetas»: «-3» no es un número entero; escriba solo dígitos."),
    ("1.5", "«Cantidad de tarjetas»: «1.5» no es un número entero; escriba solo dígitos."),
    ("diez", "«Cantidad de tarjetas»: «diez» no es un número entero; escriba solo dígitos."),
    ("١٢", "«Cantidad de tarjetas»: «١٢» no es un número entero; escriba solo dígitos."),
])
def test_a_wrong_quantity_is_refused(typed, reason):
    assert e.quantity(typed, 500) == (None, reason)


def test_the_maximum_is_written_the_colombian_way():
    assert e.quantity("2000", 1500)[1] == "«Cantidad de tarjetas» debe ser de 1 a 1.500 tarjetas."


@pytest.mark.parametrize("today, months, expiry", [
    (date(2024, 2, 14), 36, "02/2027"),  # the manual's request: 02/2027
    (date(2026, 11, 30), 1, "12/2026"),
    (date(2026, 12, 1), 1, "01/2027"),
    (date(2026, 1, 31), 11, "12/2026"),
    (date(2026, 1, 31), 12, "01/2027"),
])
def test_the_expiry_is_the_products_months_from_today(today, months, expiry):
    assert e.card_expiry(today, months) == expiry


def test_a_request_reports_every_wrong_field_at_once():
    checked = e.check_request({"quantity": "0", "emboss_line1": "", "emboss_line2": "ñandú", "branch": "9"},
                              500, {"1"})
    assert not checked.ok and checked.values == {}
    assert set(checked.errors) == {"quantity", "emboss_line1", "emboss_line2", "branch"}
    assert checked.typed["emboss_line2"] == "ÑANDÚ"  # shown again as it will be embossed
    assert checked.errors["branch"] == "Seleccione la «Sucursal» de la lista."


def test_a_good_request_gives_its_values():
    checked = e.check_request({"quantity": "10", "emboss_line1": "Empresa Coop", "emboss_line2": "9013434540",
                               "branch": "1"}, 500, {"1"})
    assert checked.ok
    assert checked.values == {"quantity": 10, "emboss_line1": "EMPRESA COOP", "emboss_line2": "9013434540",
                              "branch": "1"}
