"""«Criterio de búsqueda» of Consultas › Órdenes de servicio (domain/order_search.py)."""
from datetime import date, datetime

import pytest

from portal.domain import order_search as s

TODAY = date(2026, 5, 26)


@pytest.mark.parametrize("days, start", [("5", date(2026, 5, 22)), ("10", date(2026, 5, 17))])
def test_quick_ranges_end_today_and_show_their_dates(days, start):
    found = s.parse({"dias": days, "fecha_inicial": "basura"}, TODAY)
    assert (found.start, found.end, found.errors) == (start, TODAY, {})
    assert found.params == {"fecha_inicial": f"{start:%d/%m/%Y}", "fecha_final": "26/05/2026"}


@pytest.mark.parametrize("args, field, words", [
    ({"fecha_inicial": "32/01/2026"}, "fecha_inicial", ("Fecha inicial", "«32/01/2026»", "DD/MM/AAAA")),
    ({"fecha_final": "2026-05-01"}, "fecha_final", ("Fecha final", "«2026-05-01»", "DD/MM/AAAA")),
    ({"fecha_inicial": "10/05/2026", "fecha_final": "01/05/2026"}, "fecha_inicial",
     ("Fecha inicial", "anterior o igual a la Fecha final")),
])
def test_bad_dates_are_named_and_search_nothing_by_date(args, field, words):
    found = s.parse(args, TODAY)
    assert set(found.errors) == {field}
    assert all(word in found.errors[field] for word in words), found.errors
    assert found.start is None and found.end is None
    assert found.texts[field] == args[field]  # shown again as typed


def test_dates_and_status_pass_and_an_unknown_status_is_all():
    found = s.parse({"fecha_inicial": "01/05/2026", "fecha_final": "01/05/2026", "estado": "annulled"}, TODAY)
    assert (found.start, found.end, found.status, found.errors) == (date(2026, 5, 1), date(2026, 5, 1), "annulled", {})
    assert s.parse({"estado": "x"}, TODAY).status == ""
    assert s.parse({}, TODAY).params == {}


def test_bogota_days_become_utc_bounds():
    since, before = s.utc_bounds(date(2026, 5, 1), date(2026, 5, 2))
    assert since == datetime(2026, 5, 1, 5, 0) and before == datetime(2026, 5, 3, 5, 0)
    assert s.utc_bounds(None, None) == (None, None)
    assert s.utc_bounds(date.max, date.max) == (datetime(9999, 12, 31, 5, 0), None)  # the last day: no overflow
