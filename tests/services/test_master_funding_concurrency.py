"""The signed event and the reconciliation job applying the same approved PSE funding at
the same instant credit the master account once; two staff members confirming one deposit
at once credit it once (PostgreSQL in CI; SQLite serialises)."""
import itertools
import threading
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import AuditEvent, LedgerEntry, MasterDeposit, MasterFunding, User
from portal.services import ledger, master_account, payments
from tests import factories
from tests import master_helpers as m
from tests.services.test_batch_concurrency import race


@pytest.fixture
def app_config():
    return {"GATEWAY_EVENTS_URL": "http://127.0.0.1:9/pagos-express/eventos"}


def test_event_and_reconciliation_at_the_same_instant_credit_once(app, client, auth):
    _, company, product, _, _, _ = m.funded_at_checkout(client, auth)
    body = m.event_body()
    company, product = (type("Ref", (), {"id": row.id}) for row in (company, product))
    db.session.remove()
    turn, lock = itertools.count(), threading.Lock()

    def deliver_or_reconcile():
        with lock:
            mine = next(turn)
        if mine % 2:
            return app.test_client().post("/pagos-express/eventos", json=body).status_code
        with app.test_request_context():
            return payments.reconcile()["checked"]

    results = race(app, deliver_or_reconcile, 6)
    assert len(results) == 6 and results.count(200) == 3
    assert m.master_balance(company, product) == Decimal("250000.00")
    funding = db.session.query(MasterFunding).one()
    assert db.session.query(LedgerEntry).filter_by(txn_id=funding.ledger_txn).count() == 2
    assert db.session.query(AuditEvent).filter_by(action="payment.applied").count() == 1
    assert ledger.differences() == []


def test_two_staff_members_confirming_one_deposit_at_once_credit_it_once(app):
    ana = factories.user("staff", "ana", roles="tarjetas")
    deciders = [factories.user("staff", name, roles="tarjetas").id for name in ("luis", "marta", "pedro", "sara")]
    company = factories.company()
    product = company.products[0]
    assert master_account.register_deposit(ana, str(product.id), "700000", "CONS-5", "2026-03-02").ok
    deposit_id = db.session.query(MasterDeposit).one().id
    company, product = (type("Ref", (), {"id": row.id}) for row in (company, product))
    db.session.remove()
    turn, lock = itertools.count(), threading.Lock()

    def confirm():
        with lock:
            staff_id = deciders[next(turn)]
        return master_account.decide_deposit(db.session.get(User, staff_id), deposit_id, True).ok

    assert sorted(race(app, confirm, 4)) == [False, False, False, True]
    assert m.master_balance(company, product) == Decimal("700000.00")
    assert db.session.query(LedgerEntry).filter_by(txn_id=f"deposit-{deposit_id}").count() == 2
    assert ledger.differences() == []
