"""domain/products: a product's card data and tariffs as the staff type them."""
from decimal import Decimal

import pytest

from portal.domain import products as p

TARIFFS = {"commission_emission": "10", "commission_topup": "2,50", "commission_affiliation": "0",
           "commission_unnamed_emission": "8.50", "iva_rate": "19,5", "balance_query_fee": "60",
           "transfer_fee": "55", "debit_fee": "55", "replacement_cost": "12.000", "distribution_cost": "$ 6.500,50"}


def test_tariffs_are_decimal_strings_ready_for_a_change_request():
    checked = p.check_tariffs(TARIFFS, [" bogotá  d.c. ", "", "Cali"], ["1.000", "", "0"])
    assert checked.ok, checked.errors
    values = checked.values
    assert values["commission"] == {"emission": "10.00", "topup": "2.50", "affiliation": "0.00",
                                    "unnamed_emission": "8.50"}
    assert (values["iva_rate"], values["replacement_cost"], values["distribution_cost"]) == ("0.1950", "12000.00",
                                                                                             "6500.50")
    assert values["distribution"] == {"BOGOTÁ D.C.": "1000.00", "CALI": "0.00"}


@pytest.mark.parametrize("field, typed, message", [
    ("commission_topup", "", "Comisión por registro: Recarga (Id persona): es obligatorio."),
    ("commission_topup", "-2", "no puede ser negativo"),
    ("transfer_fee", "1,555", "Comisión por transferencia (abono): admite máximo dos decimales."),
    ("debit_fee", "diez", "Comisión por cargo (débito): «diez» no es un valor en pesos"),
    ("iva_rate", "0.19", None),  # 0,19 % is a percentage too: allowed
    ("iva_rate", "101", "Tasa de IVA (%): escriba un porcentaje de 0 a 100"),
    ("iva_rate", "19,555", "Tasa de IVA (%)"),
    ("replacement_cost", "9999999999999", "Costo de reposición: no puede superar"),
])
def test_a_wrong_tariff_names_its_field(field, typed, message):
    checked = p.check_tariffs(dict(TARIFFS, **{field: typed}))
    if message is None:
        assert checked.ok
    else:
        assert message in checked.errors[field]


def test_card_data():
    ok = p.check_card({"name": " Bono  Navidad ", "brand": "Visa", "bin": "450714", "named": "innominada",
                       "card_validity_months": "48", "max_card_balance": ""})
    assert ok.values == {"name": "Bono Navidad", "brand": "Visa", "bin": "450714", "named": False,
                         "card_validity_months": 48, "max_card_balance": None}
    bad = p.check_card({"name": "<b>", "bin": "45071x", "card_validity_months": "121", "max_card_balance": "0"})
    assert set(bad.errors) == {"name", "brand", "bin", "named", "card_validity_months", "max_card_balance"}
    assert p.check_card(dict(ok.typed, max_card_balance="1.500.000")).values["max_card_balance"] == \
        Decimal("1500000.00")


def test_the_queue_shows_only_what_changes():
    before = p.check_tariffs(TARIFFS, ["CALI"], ["0"]).values
    after = p.check_tariffs(dict(TARIFFS, commission_topup="3"), ["MEDELLÍN"], ["100"]).values
    old, new = p.differences(before, after)
    general = "sin costo propio (el de otras ciudades, $\xa06.500,50)"
    assert old == ["Comisión por registro: Recarga (Id persona): $\xa02,50", "Distribución a CALI: $\xa00,00",
                   f"Distribución a MEDELLÍN: {general}"]
    assert new == ["Comisión por registro: Recarga (Id persona): $\xa03,00", "Distribución a MEDELLÍN: $\xa0100,00",
                   f"Distribución a CALI: {general}"]
    assert p.as_typed("6500.50") == "6.500,50" and p.check_tariffs(dict(TARIFFS, debit_fee=p.as_typed("6500.50"))
                                                                   ).values["debit_fee"] == "6500.50"
    assert p.percent(Decimal("0.1950")) == "19,5 %" and p.percent(Decimal("0.19")) == "19 %"
