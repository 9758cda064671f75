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


def test_money_refuses_floats():
    with pytest.raises(TypeError):
        f.money(0.1)


def test_dates_are_shown_in_bogota():
    # 03:00 UTC on the 1st is still the previous day in Bogotá (UTC-5).
    assert f.day(datetime(2026, 3, 1, 3, 0)) == "28/02/2026"
    assert f.day(date(2026, 3, 1)) == "01/03/2026"
    assert f.day_time(datetime(2020, 5, 27, 0, 45, 52)) == "26/05/2020 7:45:52 p. m."
