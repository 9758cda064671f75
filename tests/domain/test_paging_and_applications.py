"""Pure rules: staff-table pagination and the Hanna applications' rules (no app)."""
import pytest

from portal.domain import applications as apps
from portal.domain import paging


@pytest.mark.parametrize("total,number,per_page,expected", [
    (0, 1, 10, (1, 1, 0, 0, False, False)),
    (12, 1, 10, (1, 2, 1, 10, False, True)),
    (12, 2, 10, (2, 2, 11, 12, True, False)),
    (12, 99, 10, (2, 2, 11, 12, True, False)),  # past the end: the last page
    (12, -3, 10, (1, 2, 1, 10, False, True)),
    (10, 1, 10, (1, 1, 1, 10, False, False)),
    (11, 1, 0, (1, 2, 1, 10, False, True)),  # a nonsense size falls back to 10
])
def test_page_of(total, number, per_page, expected):
    page = paging.page_of(total, number, per_page)
    assert (page.number, page.pages, page.first, page.last, page.has_prev, page.has_next) == expected


def test_summary_uses_the_manuals_wording():
    assert paging.page_of(23, 3).summary == \
        "Mostrando registro(s) del 21 al 23 de un total de 23 registro(s)"


@pytest.mark.parametrize("raw,expected", [("2", 2), (" 3 ", 3), ("0", 1), ("-1", 1), ("x", 1), (None, 1)])
def test_parse_positive(raw, expected):
    assert paging.parse_positive(raw) == expected


@pytest.mark.parametrize("raw,expected", [("25", 25), ("100", 100), ("7", 10), ("1000", 10), (None, 10)])
def test_parse_per_page_only_offers_the_choices(raw, expected):
    assert paging.parse_per_page(raw) == expected


@pytest.mark.parametrize("raw,normal,valid", [
    ("800.100.200", "800100200", True), (" 800100200 ", "800100200", True),
    ("800100200-1", "800100200-1", False), ("80A100200", "80A100200", False),
    ("1234", "1234", False), ("1" * 16, "1" * 16, False), ("", "", False),
])
def test_nit_rules(raw, normal, valid):
    assert apps.normalize_nit(raw) == normal
    assert apps.nit_is_valid(apps.normalize_nit(raw)) is valid


class Staff:
    def __init__(self, *roles):
        self.roles = set(roles)

    def has_role(self, *roles):
        return "admin" in self.roles or bool(self.roles.intersection(roles))


@pytest.mark.parametrize("roles,expected", [
    (("admin",), ("EMPRESAS", "PROVEEDORES")), (("cartera",), ("EMPRESAS",)),
    (("pagos",), ("PROVEEDORES",)), (("cartera", "pagos"), ("EMPRESAS", "PROVEEDORES")),
    (("tarjetas",), ()), ((), ()),
])
def test_who_reviews_which_application(roles, expected):
    assert apps.reviewable_by(Staff(*roles)) == expected


@pytest.mark.parametrize("status,allowed", [(None, True), ("rejected", True), ("pending", False),
                                            ("approved", False)])
def test_a_request_may_be_repeated_only_after_a_rejection(status, allowed):
    assert apps.can_request(status) is allowed


@pytest.mark.parametrize("args,expected", [
    ({}, {"estado": "todos", "q": "", "pagina": 1, "por_pagina": 10}),
    ({"estado": "enviados", "q": "  clínica ", "pagina": "3", "por_pagina": "25"},
     {"estado": "enviados", "q": "clínica", "pagina": 3, "por_pagina": 25}),
    ({"estado": "<script>", "pagina": "-2", "por_pagina": "7"}, {"estado": "todos", "q": "", "pagina": 1,
                                                                "por_pagina": 10}),
    ({"q": "x" * 300}, {"estado": "todos", "q": "x" * 100, "pagina": 1, "por_pagina": 10}),
])
def test_a_tables_filters_fall_back_to_their_defaults(args, expected):
    assert paging.Filters(args, estado=("todos", "enviados")) == expected


def test_link_params_leave_out_defaults_empties_and_the_page():
    f = paging.Filters({"estado": "enviados", "pagina": "2", "por_pagina": "10"}, estado=("todos", "enviados"))
    assert f.link_params("pagina") == {"estado": "enviados"}
    assert paging.Filters({}, estado=("todos", "enviados")).link_params() == {"pagina": 1}
