"""Staff payment queues: mismatches to review, payments waiting for the bank."""
import pytest

from portal.extensions import db
from portal.models import AuditEvent, GatewayTransaction, Payment, PaymentReview
from tests import payment_helpers as h
from tests.conftest import post


@pytest.fixture
def pending_payment(client):
    """An affiliate paid by PSE with the test bank that leaves it pending."""
    h.instalment_checkout(client, bank="4")
    return db.session.query(Payment).one()


def test_pending_payment_is_listed_and_sandbox_settlement_applies_it(auth, pending_payment):
    desk = auth.new_client("staff", "pagos", roles="pagos")
    from tests.blueprints.test_staff_home import figures

    assert figures(desk)["payments_waiting"][0] == 1
    page = desk.get("/personal/pagos").get_data(as_text=True)
    assert pending_payment.reference in page and "Liquidar (sandbox)" in page
    tx = pending_payment.gateway_transaction_id
    post(desk, f"/personal/pagos/sandbox/{tx}/liquidar", {"status": "APPROVED"}, page="/personal/pagos")
    response = post(desk, f"/personal/pagos/{pending_payment.reference}/consultar", page="/personal/pagos")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Payment, pending_payment.id).status == "approved"
    actions = {e.action for e in db.session.query(AuditEvent)}
    assert {"gateway.sandbox_settled", "payment.refreshed_by_staff", "payment.applied"} <= actions


def test_a_second_settlement_changes_nothing(auth, pending_payment):
    desk = auth.new_client("staff", "pagos", roles="pagos")
    url = f"/personal/pagos/sandbox/{pending_payment.gateway_transaction_id}/liquidar"
    post(desk, url, {"status": "DECLINED"}, page="/personal/pagos")
    post(desk, url, {"status": "APPROVED"}, page="/personal/pagos")
    assert db.session.query(GatewayTransaction).one().status == "DECLINED"


def test_reviews_need_a_note_and_are_resolved_once(auth):
    review = PaymentReview(transaction_id="1706-1-00009", reason="amount_in_cents: se esperaba 100, llegó 1",
                           received_json="{}")
    db.session.add(review)
    db.session.commit()
    desk = auth.new_client("staff", "pagos", roles="pagos")
    assert "amount_in_cents" in desk.get("/personal/pagos").get_data(as_text=True)
    url = f"/personal/pagos/revisiones/{review.id}/resolver"
    refused = post(desk, url, {"note": ""}, page="/personal/pagos")
    assert "Escriba en la observación" in desk.get(refused.headers["Location"]).get_data(as_text=True)
    post(desk, url, {"note": "Se devolvió el valor al pagador"}, page="/personal/pagos")
    again = post(desk, url, {"note": "otra vez más"}, page="/personal/pagos")
    assert "ya estaba resuelta" in desk.get(again.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(PaymentReview, review.id).resolution_note == "Se devolvió el valor al pagador"


def test_only_the_pagos_role_sees_the_payment_queues(auth, pending_payment):
    desk = auth.new_client("staff", "cartera", roles="cartera")
    assert desk.get("/personal/pagos").status_code == 403
    url = f"/personal/pagos/sandbox/{pending_payment.gateway_transaction_id}/liquidar"
    assert post(desk, url, {"status": "APPROVED"}, page="/personal/").status_code == 403
    assert db.session.query(GatewayTransaction).one().status == "PENDING"


def test_search_filters_by_reference(auth, pending_payment):
    desk = auth.new_client("staff", "pagos", roles="pagos")
    found = desk.get(f"/personal/pagos?q={pending_payment.reference}", headers={"HX-Request": "true"})
    assert pending_payment.reference in found.get_data(as_text=True)
    assert "<html" not in found.get_data(as_text=True)
    assert pending_payment.reference not in desk.get("/personal/pagos?q=NOEXISTE").get_data(as_text=True)
