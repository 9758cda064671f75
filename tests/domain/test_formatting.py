from datetime import date, datetime
from decimal import Decimal

import pytest

from portal.domain import formatting as f


@pytest.mark.parametrize("value,cents,text", [
    (Decimal("1752770"), None, "$\xa01.752.770"),
    (Decimal("150000.50"), None, "$\xa0150.000,50"),   # centavos are never hidden
    (Decimal("175277"), True, "$\xa0175.277,00"),
    (Decimal("0.005"), True, "$\xa00,01"),             # half up
    (0, None, "$\xa00"),
    (None, None, ""),
])
def test_money_es_co(value, cents, text):
    assert f.money(value, cents) == text  # a no-break space: «$» never wraps away from its number


@pytest.mark.parametrize("groups,expected", [
    (([Decimal("6173384"), Decimal("6181846.39")],), True), (([Decimal("6173384"), Decimal("1")],), False),
    ((Decimal("0.5"),), True), ((iter([Decimal("2"), None]), [Decimal("3.10")]), True), (([],), False),
])
def test_one_format_per_table(groups, expected):
    assert f.cents_in(*groups) is expected


# Byte for byte what Babel's es_CO patterns "¤ #,##0" / "¤ #,##0.00" gave: amounts are first
# rounded half up to centavos, then (cents=False) to pesos half even, like Babel did.
@pytest.mark.parametrize("value,cents,text", [
    (Decimal("0"), None, "$\xa00"),
    (Decimal("0.00"), True, "$\xa00,00"),
    (Decimal("1"), None, "$\xa01"),
    (7, True, "$\xa07,00"),
    ("12", None, "$\xa012"),
    (Decimal("999"), None, "$\xa0999"),
    (Decimal("1000"), None, "$\xa01.000"),
    (Decimal("100000000"), None, "$\xa0100.000.000"),
    (Decimal("1234567890123.45"), None, "$\xa01.234.567.890.123,45"),
    (Decimal("1234567890123.45"), False, "$\xa01.234.567.890.123"),
    (Decimal("0.5"), None, "$\xa00,50"),
    (Decimal("0.01"), None, "$\xa00,01"),
    (Decimal("175277.005"), None, "$\xa0175.277,01"),       # half up to centavos
    (Decimal("2.675"), None, "$\xa02,68"),
    (Decimal("999.995"), None, "$\xa01.000"),                # rounds up to whole pesos
    (Decimal("0.004"), None, "$\xa00"),
    (Decimal("150000.50"), False, "$\xa0150.000"),           # whole pesos: half even
    (Decimal("150001.50"), False, "$\xa0150.002"),
    (Decimal("2.675"), False, "$\xa03"),
    (Decimal("-1"), None, "-$\xa01"),
    (Decimal("-1752770"), None, "-$\xa01.752.770"),
    (Decimal("-1752770"), True, "-$\xa01.752.770,00"),
    (Decimal("-175277.005"), None, "-$\xa0175.277,01"),
    (Decimal("-0.01"), None, "-$\xa00,01"),
    (Decimal("-0.01"), False, "-$\xa00"),
    (Decimal("-0.004"), None, "-$\xa00"),
])
def test_money_table(value, cents, text):
    assert f.money(value, cents) == text


def test_money_refuses_floats():
    with pytest.raises(TypeError):
        f.money(0.1)


def test_dates_are_shown_in_bogota():
    # 03:00 UTC on the 1st is still the previous day in Bogotá (UTC-5).
    assert f.day(datetime(2026, 3, 1, 3, 0)) == "28/02/2026"
    assert f.day(date(2026, 3, 1)) == "01/03/2026"
    assert f.day_time(datetime(2020, 5, 27, 0, 45, 52)) == "26/05/2020 7:45:52 p. m."
