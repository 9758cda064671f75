"""The NIT's check digit (DIAN weights), worked examples from DESIGN §9 and the manual."""
import pytest

from portal.domain import nit


@pytest.mark.parametrize("base,digit", [
    ("800191045", 1), ("890903938", 8), ("860034313", 7), ("901343454", 0), ("900291499", 3),
    ("890102044", 1),  # the fund's own NIT
    ("1", 8), ("0", 0),
])
def test_check_digit(base, digit):
    assert nit.check_digit(base) == digit
    assert nit.formatted(base) == f"{base}-{digit}"


@pytest.mark.parametrize("text,base", [
    ("900291499-3", "900291499"), ("900.291.499-3", "900291499"), (" 900291499 ", "900291499"),
    ("9013434540"[:-1] + "-0", "901343454"),
])
def test_parse_accepts_the_ways_people_write_it(text, base):
    assert nit.parse(text) == (base, None)


@pytest.mark.parametrize("text,reason", [
    ("900291499-7", "el dígito de verificación de 900291499 es 3, no 7"),
    ("", "no es un NIT"), ("90029A499", "no es un NIT"), ("900291499-77", "no es un NIT"),
    ("1234567890123456", "no es un NIT"),
])
def test_parse_names_what_is_wrong(text, reason):
    base, problem = nit.parse(text)
    assert base is None and reason in problem


@pytest.mark.parametrize("base", ["", "12a", "1" * 16])
def test_check_digit_refuses_what_is_not_a_base(base):
    with pytest.raises(ValueError):
        nit.check_digit(base)
