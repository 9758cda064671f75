"""The service order's arithmetic (domain/orders.py) as a table, and its invariants."""
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.domain import orders as o

RATES_12 = o.Rates(commission={"emission": D("10.00"), "topup": D("2.50")}, iva_rate=D("0.12"))


@pytest.mark.parametrize(("batches", "rates", "commission", "iva", "total", "amount", "gmf", "to_pay"), [
    # The manual's order (§3.3 paso 3): one record at 10.00, IVA 12 %.
    ([o.BatchIn(1, "emission", 1, D(0))], RATES_12, "10.00", "1.20", "11.20", "0.00", "0.00", "11.20"),
    # Three unnamed cards with no tariff of their own: 0.
    ([o.BatchIn(1, "unnamed_emission", 3, D(0))], RATES_12, "0.00", "0.00", "0.00", "0.00", "0.00", "0.00"),
    # A top-up of 4 records loading 1,000,000.50 at 19 % with GMF 4×1000.
    ([o.BatchIn(1, "topup", 4, D("1000000.50"))],
     o.Rates({"topup": D("2.50")}, D("0.19"), gmf_applies=True), "10.00", "1.90", "11.90", "1000000.50",
     "4000.00", "1004012.40"),
    # GMF half up per batch: 0.004 × 1.25 = 0.005 → 0.01.
    ([o.BatchIn(1, "topup", 1, D("1.25")), o.BatchIn(2, "topup", 1, D("1.25"))],
     o.Rates({"topup": D(0)}, D("0.19"), gmf_applies=True), "0.00", "0.00", "0.00", "2.50", "0.02", "2.52"),
    # IVA half up on the SubTotal: 3 × 3.35 = 10.05; × 0.19 = 1.9095 → 1.91.
    ([o.BatchIn(1, "emission", 3, D(0))], o.Rates({"emission": D("3.35")}, D("0.19")), "10.05", "1.91", "11.96",
     "0.00", "0.00", "11.96"),
])
def test_order_arithmetic(batches, rates, commission, iva, total, amount, gmf, to_pay):
    quote = o.quote(batches, rates)
    assert (quote.commission, quote.iva, quote.total, quote.amount, quote.gmf, quote.to_pay) == tuple(
        D(v) for v in (commission, iva, total, amount, gmf, to_pay))


def test_distribution_per_destination_is_its_own_line():
    rates = o.Rates({"emission": D("1")}, D("0.19"), distribution={"BOGOTA": D("5000")},
                    default_distribution=D("7500"))
    quote = o.quote([o.BatchIn(1, "emission", 3, D(0), (("bogota", 2), ("Barranquilla", 1))),
                     o.BatchIn(2, "emission", 1, D(0), (("BOGOTA ", 1),))], rates)
    assert [(d.destination, d.quantity, d.unit_cost, d.cost) for d in quote.distribution] == [
        ("BARRANQUILLA", 1, D("7500.00"), D("7500.00")), ("BOGOTA", 3, D("5000.00"), D("15000.00"))]
    assert quote.total_price == D("4.00") and quote.commission == D("22504.00")


def test_groups_per_batch_or_per_type():
    a, b, c = (o.BatchIn(i, kind, 1, D(0)) for i, kind in ((1, "topup"), (2, "emission"), (3, "topup")))
    assert o.groups([a, b, c], o.PER_BATCH) == [[a], [b], [c]]
    assert o.groups([a, b, c], o.PER_KIND) == [[a, c], [b]]
    with pytest.raises(ValueError):
        o.groups([a], "otro")


def test_iva_label_as_the_pdf_prints_it():
    assert o.iva_label(D("0.12")) == "IVA (12.0%)" and o.iva_label(D("0.19")) == "IVA (19.0%)"


def test_order_states():
    assert o.ORDER.can(o.PENDING_PAYMENT, o.ANNULLED) and not o.ORDER.can(o.PAID, o.ANNULLED)
    assert o.ORDER.sources(o.PAID) == (o.PENDING_PAYMENT, o.PAYING)


money = st.decimals(min_value=0, max_value=10_000_000, places=2, allow_nan=False, allow_infinity=False)
batch = st.builds(o.BatchIn, st.integers(), st.sampled_from(["emission", "topup"]), st.integers(0, 100_000), money,
                  st.lists(st.tuples(st.sampled_from(["BOGOTA", "CALI", "MEDELLIN"]), st.integers(1, 50)),
                           max_size=3).map(tuple))
rates = st.builds(o.Rates, st.fixed_dictionaries({"emission": money, "topup": money}),
                  st.sampled_from([D("0.12"), D("0.19"), D("0")]), st.booleans(),
                  st.just({"BOGOTA": D("5000")}), money)


@given(st.lists(batch, min_size=1, max_size=8), rates)
def test_totals_are_the_sums_of_their_lines_to_the_cent(batches, rates):
    quote = o.quote(batches, rates)
    assert quote.total_price == sum(c.price for c in quote.batches)
    assert quote.total_distribution == sum(d.cost for d in quote.distribution)
    assert quote.total == quote.commission + quote.iva
    assert quote.to_pay == quote.total + sum(c.amount for c in quote.batches) + sum(c.gmf for c in quote.batches)
    for value in (quote.commission, quote.iva, quote.gmf, quote.to_pay):
        assert value == value.quantize(D("0.01"))
