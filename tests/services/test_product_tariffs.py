"""A product's tariffs under four eyes (services/products, services/four_eyes): a proposed
change is not what «Calcular orden de servicio» uses; once another staff member approves
it, the next calculation is."""
from decimal import Decimal

from portal.domain import four_eyes as changes
from portal.domain import products as rules
from portal.extensions import db
from portal.models import ChangeRequest, DistributionTariff, Tariff
from portal.services import four_eyes, orders, products
from tests import factories
from tests.order_helpers import access_of, confirmed_emission, signers

PW = factories.PASSWORD


def form_of(values, **commission):
    """The tariffs form for `values` (domain/products' shape) with some commissions changed."""
    form = {f"commission_{kind}": commission.get(kind, amount) for kind, amount in values["commission"].items()}
    form.update({key: values[key] for key in rules.FEES}, iva_rate=rules.percent_number(values["iva_rate"]))
    return form


def quote_of(user, company, batch):
    preview = orders.preview(user, access_of(user, company), [batch.id], "lote", PW)
    assert preview.ok, preview.message
    ((_, quote),) = preview.quotes
    return quote


def test_an_approved_tariff_is_what_the_next_calculation_uses_and_a_pending_one_is_not(app):
    company = factories.company()
    product = company.products[0]
    product.commission_per_record, product.iva_rate = Decimal("10.00"), Decimal("0.19")
    loader, ana, _ = signers(company, scheme=1)
    batch = confirmed_emission(loader, company, (("1045678434", "1000", "BARRANQUILLA"),
                                                 ("19933788", "0", "CALI")))
    before = quote_of(ana, company, batch)
    assert (before.total_price, before.total_distribution, before.iva) == (Decimal("20.00"), Decimal("0.00"),
                                                                           Decimal("3.80"))

    maker = factories.user("staff", "maker", roles="tarjetas")
    checker = factories.user("staff", "checker", roles="tarjetas")
    current = products.tariffs(product)
    form = dict(form_of(current, emission="25.00"), iva_rate="12", distribution_cost="6500")
    proposed = products.propose_tariffs(maker, product, form, ["Barranquilla"], ["0"])
    assert proposed.ok, proposed.errors
    change = db.session.query(ChangeRequest).one()
    assert change.kind == changes.PRODUCT_TARIFFS and change.status == "pending"

    pending = quote_of(ana, company, batch)  # nothing changed yet
    assert (pending.total_price, pending.total_distribution, pending.iva) == (before.total_price, Decimal("0.00"),
                                                                              before.iva)
    assert not four_eyes.decide(maker, change.id, True).ok  # the proposer cannot approve
    assert quote_of(ana, company, batch).total == before.total

    assert four_eyes.decide(checker, change.id, True).ok
    db.session.expire_all()
    after = quote_of(ana, company, batch)
    # 2 × 25.00; Barranquilla free, Cali the default 6,500; IVA 12 % of 6,550.00
    assert (after.total_price, after.total_distribution) == (Decimal("50.00"), Decimal("6500.00"))
    assert after.iva == Decimal("786.00") and after.iva_rate == Decimal("0.12")
    assert {d.destination: d.cost for d in db.session.query(DistributionTariff)} == {"BARRANQUILLA": Decimal("0.00")}
    assert db.session.query(Tariff).filter_by(product_id=product.id, kind="emission").one().commission == \
        Decimal("25.00")
    assert not four_eyes.decide(checker, change.id, True).ok  # once


def test_a_rejected_change_leaves_the_tariffs_in_force(app):
    company = factories.company()
    product = company.products[0]
    maker = factories.user("staff", "maker", roles="tarjetas")
    checker = factories.user("staff", "checker", roles="tarjetas")
    before = products.tariffs(product)
    assert products.propose_tariffs(maker, product, form_of(before, topup="3.00")).ok
    change = db.session.query(ChangeRequest).one()
    assert four_eyes.decide(checker, change.id, False, "No lo pidió la empresa").ok
    db.session.expire_all()
    assert products.tariffs(product) == before
