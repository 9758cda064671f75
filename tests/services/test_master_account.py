"""Servicios › Cuenta maestra: a PSE funding is credited once whichever report arrives
first (the payer's return, the signed event, the reconciliation job) and however often;
a bank deposit is credited once, confirmed by a staff member other than who registered it;
every balance equals its entries."""
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import AuditEvent, LedgerEntry, MasterDeposit, MasterFunding, Payment
from portal.services import ledger, master_account, payments
from tests import factories
from tests import master_helpers as m
from tests import payment_helpers as h

EVENTS = "/pagos-express/eventos"


@pytest.fixture
def app_config():
    return {"GATEWAY_EVENTS_URL": "http://127.0.0.1:9/pagos-express/eventos"}


def credited_once(company, product, amount="250000.00"):
    assert m.master_balance(company, product) == Decimal(amount)
    funding = db.session.query(MasterFunding).one()
    assert funding.applied_at is not None and funding.ledger_txn == f"funding-{funding.id}"
    assert db.session.query(LedgerEntry).filter_by(txn_id=funding.ledger_txn).count() == 2
    assert db.session.query(AuditEvent).filter_by(action="payment.applied").count() == 1
    assert ledger.differences() == []


def test_return_first_then_event_and_reconciliation(app, client, auth):
    _, company, product, _, payment, voucher = m.funded_at_checkout(client, auth)
    body = m.event_body()
    page, _ = h.back_to_merchant(client, voucher)
    assert page.status_code == 200 and "Recarga aprobada" in page.get_data(as_text=True)
    assert app.test_client().post(EVENTS, json=body).status_code == 200
    assert payments.reconcile() == {"checked": 0, "applied": 0}
    credited_once(company, product)
    assert db.session.get(Payment, payment.id).applied_by == "return"


def test_event_first_then_return_and_replays(app, client, auth):
    _, company, product, _, payment, voucher = m.funded_at_checkout(client, auth)
    body = m.event_body()
    for _ in range(3):  # the acquirer delivers it again: a replay changes nothing
        assert app.test_client().post(EVENTS, json=body).status_code == 200
    h.back_to_merchant(client, voucher)
    payments.refresh(db.session.get(Payment, payment.id))
    credited_once(company, product)
    assert db.session.get(Payment, payment.id).applied_by == "event"


def test_reconciliation_first_when_the_event_is_lost_then_the_return(app, client, auth):
    _, company, product, _, payment, voucher = m.funded_at_checkout(client, auth)
    body = m.event_body()
    assert payments.reconcile() == {"checked": 1, "applied": 1}
    assert payments.reconcile() == {"checked": 0, "applied": 0}
    app.test_client().post(EVENTS, json=body)
    h.back_to_merchant(client, voucher)
    credited_once(company, product)
    assert db.session.get(Payment, payment.id).applied_by == "reconcile"


def test_a_declined_payment_credits_nothing(client, auth):
    _, company, product, _, payment, voucher = m.funded_at_checkout(client, auth, bank="2")
    page, _ = h.back_to_merchant(client, voucher)
    assert "Recarga no aprobada" in page.get_data(as_text=True)
    assert payments.reconcile()["applied"] == 0
    assert m.master_balance(company, product) == 0
    assert db.session.query(MasterFunding).one().applied_at is None


def test_the_applier_itself_credits_once(client, auth):
    """Called twice for the same payment (it is not, thanks to Payment.applied_at; this is
    the second lock): the funding's conditional UPDATE lets only the first post."""
    _, company, product, _, payment, _ = m.funded_at_checkout(client, auth, bank="4")
    assert payments.APPLIERS["master_funding"](payment) is None
    assert "ya estaba aplicada" in payments.APPLIERS["master_funding"](payment)
    db.session.commit()
    assert m.master_balance(company, product) == Decimal("250000.00")
    assert ledger.differences() == []


@pytest.mark.parametrize("raw, message", [
    ("", "Ingrese el monto."), ("0", "El monto debe ser mayor que cero."), ("-5", "mayor que cero"),
    ("10,555", "El monto admite máximo dos decimales."), ("abc", "El monto debe ser un número"),
    ("500000000,01", "El monto no puede superar $ 500.000.000."),
])
def test_bad_amounts_are_refused_with_the_field_named(app, raw, message):
    user, company, product, _ = m.master_user()
    access = type("Access", (), {"company": company, "product": product})
    with app.test_request_context():
        payment, errors = master_account.start_funding(user, access, raw, "Recarga")
    assert payment is None and message in errors["monto"]
    assert db.session.query(MasterFunding).count() == 0 and db.session.query(Payment).count() == 0


def test_the_maximum_is_configurable(app):
    user, company, product, _ = m.master_user()
    access = type("Access", (), {"company": company, "product": product})
    app.config["MASTER_FUNDING_MAX"] = "1000"
    with app.test_request_context():
        assert master_account.start_funding(user, access, "1000,01", "x")[1]["monto"] == \
            "El monto no puede superar $ 1.000."
        payment, errors = master_account.start_funding(user, access, "1.000", "x")
    assert errors == {} and payment.amount == Decimal("1000.00")


# --- bank deposits: four eyes ------------------------------------------------------------------

def registered_deposit(amount="1.500.000,50"):
    ana = factories.user("staff", "ana", roles="tarjetas")
    luis = factories.user("staff", "luis", roles="tarjetas")
    company = factories.company()
    product = company.products[0]
    outcome = master_account.register_deposit(ana, str(product.id), amount, "CONS-778", "2026-03-02")
    assert outcome.ok, outcome
    return ana, luis, company, product, db.session.query(MasterDeposit).one()


def test_a_deposit_is_credited_once_when_another_staff_member_confirms_it(app):
    ana, luis, company, product, deposit = registered_deposit()
    refused = master_account.decide_deposit(ana, deposit.id, True)
    assert not refused.ok and "otra persona" in refused.message
    assert m.master_balance(company, product) == 0
    assert master_account.decide_deposit(luis, deposit.id, True).ok
    again = master_account.decide_deposit(luis, deposit.id, True)
    assert not again.ok and "ya fue decidida" in again.message
    assert not master_account.decide_deposit(luis, deposit.id, False).ok
    db.session.expire_all()
    deposit = db.session.get(MasterDeposit, deposit.id)
    assert deposit.status == "confirmed" and deposit.decided_by_id == luis.id and deposit.ledger_txn == f"deposit-{deposit.id}"
    assert m.master_balance(company, product) == Decimal("1500000.50")
    assert master_account.deposited_total(company.id, product.id) == Decimal("1500000.50")
    assert db.session.query(AuditEvent).filter_by(action="staff.master_deposit_confirmed").count() == 1
    assert ledger.differences() == []


def test_a_rejected_deposit_credits_nothing(app):
    ana, luis, company, product, deposit = registered_deposit()
    assert master_account.decide_deposit(luis, deposit.id, False, "No aparece en el extracto").ok
    assert not master_account.decide_deposit(ana, deposit.id, True).ok
    assert m.master_balance(company, product) == 0
    assert master_account.deposited_total(company.id, product.id) == 0
    assert db.session.get(MasterDeposit, deposit.id).status == "rejected"


@pytest.mark.parametrize("field, values, message", [
    ("monto", {"raw_amount": "0"}, "El monto debe ser mayor que cero."),
    ("fecha", {"raw_date": "2999-01-01"}, "posterior a hoy"),
    ("fecha", {"raw_date": "32/13/2026"}, "DD/MM/AAAA"),
    ("referencia", {"raw_reference": "  "}, "referencia bancaria"),
    ("producto", {"product_id": "999999"}, "Seleccione la empresa"),
])
def test_a_bad_deposit_is_refused_naming_the_field(app, field, values, message):
    ana = factories.user("staff", "ana", roles="tarjetas")
    product = factories.company().products[0]
    data = {"product_id": str(product.id), "raw_amount": "1000", "raw_reference": "R-1", "raw_date": "02/03/2026",
            **values}
    outcome = master_account.register_deposit(ana, **data)
    assert not outcome.ok and message in outcome.errors[field]
    assert db.session.query(MasterDeposit).count() == 0
