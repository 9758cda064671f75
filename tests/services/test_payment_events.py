"""Every way an approval arrives applies it exactly once: the return, the signed event,
reconciliation — in any order, however often, even concurrently."""
import json
import threading
from decimal import Decimal

import pytest

from portal.domain import clock
from portal.extensions import db
from portal.models import AffiliateCredit, GatewayEvent, GatewayTransaction, Payment, PaymentReview
from portal.services import acquirer, payments
from tests import payment_helpers as h

EVENTS_URL = "http://127.0.0.1:9/pagos-express/eventos"  # stored only; tests post it themselves


@pytest.fixture
def app_config():
    return {"GATEWAY_EVENTS_URL": EVENTS_URL}


@pytest.fixture
def approved(client):
    """A card payment approved at the acquirer; the payer never came back."""
    credit, query = h.instalment_checkout(client)
    h.pay_with_card(client, query)
    return credit, db.session.query(Payment).one()


def event_body(tx_public_id):
    tx = acquirer.find(tx_public_id)
    event = db.session.query(GatewayEvent).filter_by(transaction_id=tx.id).one()
    return acquirer.signed_envelope(event)


def credit_paid(credit):
    db.session.expire_all()
    return db.session.get(AffiliateCredit, credit.id).paid


def test_the_event_alone_applies_the_payment(app, approved):
    credit, payment = approved
    tx = db.session.query(GatewayTransaction).one()
    response = app.test_client().post("/pagos-express/eventos", json=event_body(tx.public_id))
    assert response.status_code == 200
    assert credit_paid(credit) == Decimal("175277.00")
    assert db.session.get(Payment, payment.id).applied_by == "event"


def test_the_same_event_twenty_times_concurrently_applies_once(app, approved):
    credit, payment = approved
    credit = type("Ref", (), {"id": credit.id})
    body = event_body(db.session.query(GatewayTransaction).one().public_id)
    db.session.remove()
    statuses, barrier = [], threading.Barrier(20)

    def deliver():
        with app.app_context():
            client = app.test_client()
            barrier.wait()
            statuses.append(client.post("/pagos-express/eventos", json=body).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert statuses.count(200) == 20
    assert credit_paid(credit) == Decimal("175277.00")
    from portal.models import AuditEvent
    assert db.session.query(AuditEvent).filter_by(action="payment.applied").count() == 1


def test_return_event_and_reconciliation_in_any_order_apply_once(app, client, approved):
    credit, payment = approved
    tx = db.session.query(GatewayTransaction).one()
    body = event_body(tx.public_id)
    client.get(f"/pagos-express/pagos/{payment.reference}/resultado?id={tx.public_id}")
    app.test_client().post("/pagos-express/eventos", json=body)
    assert payments.reconcile() == {"checked": 0, "applied": 0}
    app.test_client().post("/pagos-express/eventos", json=body)
    assert credit_paid(credit) == Decimal("175277.00")
    assert db.session.get(Payment, payment.id).applied_by == "return"


def test_a_dropped_event_is_recovered_by_reconciliation_exactly_once(approved):
    credit, payment = approved
    db.session.query(GatewayEvent).delete()  # the event never arrives
    db.session.commit()
    assert payments.reconcile() == {"checked": 1, "applied": 1}
    assert payments.reconcile() == {"checked": 0, "applied": 0}
    assert credit_paid(credit) == Decimal("175277.00")
    assert db.session.get(Payment, payment.id).applied_by == "reconcile"


def test_a_pending_bank_settled_later_is_found_by_reconciliation(client):
    credit, query = h.instalment_checkout(client, option="saldo")
    h.pay_with_pse(client, query, bank="4")
    assert payments.reconcile() == {"checked": 1, "applied": 0}
    assert db.session.query(Payment).one().status == "pending"
    acquirer.settle(db.session.query(GatewayTransaction).one(), "APPROVED")
    assert payments.reconcile()["applied"] == 1
    assert credit_paid(credit) == Decimal("1752770.00")


@pytest.mark.parametrize("tamper", [
    lambda b: b["data"]["transaction"].update(amount_in_cents=1),
    lambda b: b["data"]["transaction"].update(status="DECLINED"),
    lambda b: b["signature"].update(checksum="f" * 64),
    lambda b: b.update(timestamp=b["timestamp"] + 1),
])
def test_forged_and_altered_events_change_nothing(app, approved, tamper):
    credit, _ = approved
    body = event_body(db.session.query(GatewayTransaction).one().public_id)
    tamper(body)
    assert app.test_client().post("/pagos-express/eventos", json=body).status_code == 400
    assert credit_paid(credit) == 0


def test_a_stale_event_changes_nothing(app, approved, frozen_clock):
    credit, _ = approved
    body = event_body(db.session.query(GatewayTransaction).one().public_id)
    frozen_clock.advance(301)
    response = app.test_client().post("/pagos-express/eventos", json=body)
    assert response.status_code == 400 and response.get_json()["reason"] == "stale"
    assert credit_paid(credit) == 0


def test_garbage_bodies_are_refused(app):
    client = app.test_client()
    assert client.post("/pagos-express/eventos", data="no json").status_code == 400
    assert client.post("/pagos-express/eventos", json=[1, 2]).status_code == 400


def test_an_amount_mismatch_goes_to_staff_review_and_applies_nothing(app, approved):
    credit, payment = approved
    tx = db.session.query(GatewayTransaction).one()
    tx.amount_in_cents = 100  # the acquirer reports another amount than we asked for
    db.session.commit()
    body = acquirer.signed_envelope(db.session.query(GatewayEvent).one())
    body["data"]["transaction"] = acquirer.as_api(tx)
    from portal.domain import gateway as contract
    body["signature"]["checksum"] = contract.event_checksum(
        body["data"], body["signature"]["properties"], body["timestamp"], app.config["GATEWAY_EVENTS_SECRET"])
    app.test_client().post("/pagos-express/eventos", json=body)
    review = db.session.query(PaymentReview).one()
    assert "amount_in_cents" in review.reason and review.status == "open"
    assert credit_paid(credit) == 0
    assert db.session.get(Payment, payment.id).status != "approved"


def test_event_delivery_signs_at_send_time_and_retries_on_failure(app, approved):
    event = db.session.query(GatewayEvent).one()
    sent = []

    def refuse(url, payload):
        sent.append(json.loads(payload))
        return 503

    with pytest.raises(acquirer.DeliveryFailed):
        acquirer.deliver_event(event.id, refuse)
    clock.freeze(clock.utcnow())
    clock.advance(600)
    accepted = acquirer.deliver_event(event.id, lambda url, payload: sent.append(json.loads(payload)) or 200)
    assert accepted == "delivered"
    assert sent[1]["timestamp"] - sent[0]["timestamp"] >= 600
    assert acquirer.deliver_event(event.id, refuse) == "skipped"
    assert db.session.get(GatewayEvent, event.id).attempts == 2
