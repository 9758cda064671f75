"""A card's number: the product's BIN, 16 digits, Luhn-valid, only first 6 / last 4 shown;
its expiry in months from today."""
from datetime import date

import pytest

from portal.domain import cards


@pytest.mark.parametrize(("pan", "valid"), [
    ("4111111111111111", True),  # the classic Visa test number
    ("4111111111111112", False),
    ("79927398713", True),  # Luhn's own example
    ("79927398710", False),
    ("4507140000000000", False),
    ("45071400000000a0", False),
    ("", False),
])
def test_luhn(pan, valid):
    assert cards.luhn_valid(pan) is valid


def test_a_new_pan_is_the_bins_16_luhn_valid_digits_with_a_random_middle():
    pans = {cards.new_pan("450714") for _ in range(200)}
    assert len(pans) == 200
    for pan in pans:
        assert len(pan) == 16 and pan.isdigit() and pan.startswith("450714")
        assert cards.luhn_valid(pan)


def test_the_middle_comes_from_the_random_source():
    pan = cards.new_pan("450714", randbelow=lambda n: 123456789)
    assert pan[:15] == "450714123456789" and cards.luhn_valid(pan)


@pytest.mark.parametrize("bin_", ["45071", "4507145", "45O714"])
def test_a_bin_is_six_digits(bin_):
    with pytest.raises(ValueError):
        cards.new_pan(bin_)


def test_only_first_six_and_last_four_are_kept_and_shown():
    first6, last4 = cards.parts("4507141234569053")
    assert (first6, last4) == ("450714", "9053")
    assert cards.masked(first6, last4) == "450714******9053"  # Número de tarjeta, No. TARJETA
    assert cards.account_mask(first6, last4) == "450714****9053"  # Número de cuenta, as the demo's


@pytest.mark.parametrize(("today", "months", "expires"), [
    (date(2026, 11, 30), 36, "11/2029"),
    (date(2026, 1, 1), 12, "01/2027"),
    (date(2026, 12, 31), 1, "01/2027"),
    (date(2026, 6, 15), 0, "06/2026"),
    (date(2026, 11, 1), 14, "01/2028"),
])
def test_expiry_counts_months_from_this_month(today, months, expires):
    assert cards.expiry(today, months) == expires
