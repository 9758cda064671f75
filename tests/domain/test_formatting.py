from datetime import date, datetime
from decimal import Decimal

import pytest

from portal.domain import formatting as f


@pytest.mark.parametrize("value,cents,text", [
    (Decimal("1752770"), None, "$ 1.752.770"),
    (Decimal("150000.50"), None, "$ 150.000,50"),   # centavos are never hidden
    (Decimal("175277"), True, "$ 175.277,00"),
    (Decimal("0.005"), True, "$ 0,01"),             # half up
    (0, None, "$ 0"),
    (None, None, ""),
])
def test_money_es_co(value, cents, text):
    assert f.money(value, cents).replace("\xa0", " ") == text


# Byte for byte what Babel's es_CO patterns "¤ #,##0" / "¤ #,##0.00" gave: amounts are first
# rounded half up to centavos, then (cents=False) to pesos half even, like Babel did.
@pytest.mark.parametrize("value,cents,text", [
    (Decimal("0"), None, "$ 0"),
    (Decimal("0.00"), True, "$ 0,00"),
    (Decimal("1"), None, "$ 1"),
    (7, True, "$ 7,00"),
    ("12", None, "$ 12"),
    (Decimal("999"), None, "$ 999"),
    (Decimal("1000"), None, "$ 1.000"),
    (Decimal("100000000"), None, "$ 100.000.000"),
    (Decimal("1234567890123.45"), None, "$ 1.234.567.890.123,45"),
    (Decimal("1234567890123.45"), False, "$ 1.234.567.890.123"),
    (Decimal("0.5"), None, "$ 0,50"),
    (Decimal("0.01"), None, "$ 0,01"),
    (Decimal("175277.005"), None, "$ 175.277,01"),       # half up to centavos
    (Decimal("2.675"), None, "$ 2,68"),
    (Decimal("999.995"), None, "$ 1.000"),                # rounds up to whole pesos
    (Decimal("0.004"), None, "$ 0"),
    (Decimal("150000.50"), False, "$ 150.000"),           # whole pesos: half even
    (Decimal("150001.50"), False, "$ 150.002"),
    (Decimal("2.675"), False, "$ 3"),
    (Decimal("-1"), None, "-$ 1"),
    (Decimal("-1752770"), None, "-$ 1.752.770"),
    (Decimal("-1752770"), True, "-$ 1.752.770,00"),
    (Decimal("-175277.005"), None, "-$ 175.277,01"),
    (Decimal("-0.01"), None, "-$ 0,01"),
    (Decimal("-0.01"), False, "-$ 0"),
    (Decimal("-0.004"), None, "-$ 0"),
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
