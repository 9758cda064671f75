"""Pagos Express with the sandbox acquirer: pay anything, exactly once."""
import re
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import AffiliateCredit, AuditEvent, GatewayTransaction, OutboxMessage, Payment
from tests import payment_helpers as h
from tests.conftest import post


@pytest.fixture
def paying_affiliate(auth):
    affiliate, credit = h.affiliate_with_credit()
    auth.affiliate()
    return affiliate, credit


def start_credit_payment(client, credit, option="cuota", other=""):
    url = f"/pagos-express/creditos/{credit.id}/pagar"
    return post(client, url, {"option": option, "other": other}, page=url)


def test_credits_table_shows_the_manuals_columns(client, paying_affiliate):
    body = client.get("/pagos-express/creditos").get_data(as_text=True)
    for label in ("Dcto", "Concepto", "Deuda", "Pagado", "Saldo", "Cuota", "LI-38", "$\xa01.752.770", "$\xa0175.277"):
        assert label in body


def test_instalment_by_card_is_applied_once(client, paying_affiliate):
    _, credit = paying_affiliate
    start = start_credit_payment(client, credit)
    assert start.status_code == 303
    query = h.checkout_query(start.headers["Location"])
    assert h.query_value(query, "amount-in-cents") == "17527700"
    page = client.get(start.headers["Location"]).get_data(as_text=True)
    assert "Total a Pagar: $\xa0175.277,00" in page
    voucher = h.pay_with_card(client, query)
    assert voucher.status_code == 303
    body = client.get(voucher.headers["Location"]).get_data(as_text=True)
    for label in ("Comercio", "NIT", "Código Único", "Terminal", "# Transacción", "Fecha y Hora", "Moneda",
                  "IVA", "Base devolución IVA", "Número de Cuotas", "Código de Error",
                  "Resultado de la Autorización", "Descripción Respuesta", "IP Usuario", "Aprobada", "Imprimir"):
        assert label in body, label
    assert "424242******4242" in body and "4242424242424242" not in body
    status_page, link = h.back_to_merchant(client, voucher.headers["Location"])
    assert "Pago aprobado" in status_page.get_data(as_text=True)
    for _ in range(3):  # the payer reloads the return page
        client.get(link)
    db.session.expire_all()
    credit = db.session.get(AffiliateCredit, credit.id)
    assert credit.paid == Decimal("175277.00") and credit.balance == Decimal("1577493.00")
    payment = db.session.query(Payment).one()
    assert payment.status == "approved" and payment.applied_by == "return"
    receipts = db.session.query(OutboxMessage).filter(OutboxMessage.subject.like("Comprobante%")).count()
    assert receipts == 1


def test_whole_balance_and_other_value_by_pse(client, paying_affiliate):
    _, credit = paying_affiliate
    start = start_credit_payment(client, credit, "otro", "150.000,50")
    query = h.checkout_query(start.headers["Location"])
    assert h.query_value(query, "amount-in-cents") == "15000050"
    voucher = h.pay_with_pse(client, query, bank="1")
    h.back_to_merchant(client, voucher.headers["Location"])
    db.session.expire_all()
    assert db.session.get(AffiliateCredit, credit.id).balance == Decimal("1602769.50")
    start = start_credit_payment(client, credit, "saldo")
    assert h.query_value(h.checkout_query(start.headers["Location"]), "amount-in-cents") == "160276950"


@pytest.mark.parametrize("other,message", [
    ("", "Escriba el valor a pagar."), ("0", "mayor que cero"), ("abc", "debe ser un número"),
    ("1752770,01", "no puede ser mayor que el saldo"), ("-1", "mayor que cero"),
])
def test_other_value_errors_change_nothing(client, paying_affiliate, other, message):
    _, credit = paying_affiliate
    response = start_credit_payment(client, credit, "otro", other)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.query(Payment).count() == 0


def test_another_affiliates_credit_is_404(client, paying_affiliate):
    from tests import factories
    other = factories.affiliate(cedula="22334455", mobile="3009998877")
    foreign = AffiliateCredit(affiliate_id=other.id, number="LI-99", debt=Decimal("100"), paid=0,
                              balance=Decimal("100"), instalment=Decimal("10"))
    db.session.add(foreign)
    db.session.commit()
    assert client.get(f"/pagos-express/creditos/{foreign.id}/pagar").status_code == 404


@pytest.mark.parametrize("number,bank,status,word", [
    (h.DECLINED, None, "DECLINED", "Rechazada"),
    (h.OTHER, None, "ERROR", "Error"),
    (None, "2", "DECLINED", "Rechazada"),
    (None, "3", "ERROR", "Error"),
])
def test_declines_and_errors_then_retry_with_another_method(client, paying_affiliate, number, bank, status, word):
    _, credit = paying_affiliate
    query = h.checkout_query(start_credit_payment(client, credit).headers["Location"])
    first = h.pay_with_card(client, query, number) if number else h.pay_with_pse(client, query, bank)
    voucher = client.get(first.headers["Location"]).get_data(as_text=True)
    assert word in voucher and "Intentar con otro medio de pago" in voucher
    h.back_to_merchant(client, first.headers["Location"])
    payment = db.session.query(Payment).one()
    assert payment.status == status.lower()
    retry = post(client, f"/pagos-express/pagos/{payment.reference}/reintentar",
                 page=f"/pagos-express/pagos/{payment.reference}/resultado")
    second = h.pay_with_card(client, h.checkout_query(retry.headers["Location"]))
    h.back_to_merchant(client, second.headers["Location"])
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == "approved"
    assert db.session.get(AffiliateCredit, credit.id).paid == Decimal("175277.00")
    assert db.session.query(GatewayTransaction).filter_by(reference=payment.reference).count() == 2


def test_a_pending_bank_waits_and_blocks_a_second_attempt(client, paying_affiliate):
    _, credit = paying_affiliate
    query = h.checkout_query(start_credit_payment(client, credit).headers["Location"])
    voucher = h.pay_with_pse(client, query, bank="4")
    assert "aún no confirma" in client.get(voucher.headers["Location"]).get_data(as_text=True)
    status_page, _ = h.back_to_merchant(client, voucher.headers["Location"])
    assert 'hx-trigger="every 2s"' in status_page.get_data(as_text=True)
    assert h.pay_with_card(client, query).status_code == 409
    payment = db.session.query(Payment).one()
    retry = post(client, f"/pagos-express/pagos/{payment.reference}/reintentar",
                 page=f"/pagos-express/pagos/{payment.reference}/resultado")
    assert "/pasarela/" not in retry.headers["Location"]


@pytest.mark.parametrize("tamper,message", [
    (lambda q: q.replace("amount-in-cents=17527700", "amount-in-cents=100"), "firma de integridad"),
    (lambda q: q.replace("currency=COP", "currency=USD"), "moneda"),
    (lambda q: re.sub(r"signature%3Aintegrity=\w+", "signature%3Aintegrity=abc", q), "firma de integridad"),
    (lambda q: q.replace("reference=PX", "reference=PY"), "firma de integridad"),
    (lambda q: q.replace("public-key=", "public-key=x"), "llave pública"),
])
def test_tampered_checkouts_are_refused(client, paying_affiliate, tamper, message):
    _, credit = paying_affiliate
    query = tamper(h.checkout_query(start_credit_payment(client, credit).headers["Location"]))
    response = client.get(f"/pasarela/checkout?{query}")
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert h.pay_with_card(client, query).status_code == 400
    assert db.session.query(GatewayTransaction).count() == 0


def test_a_paid_reference_cannot_be_paid_again(client, paying_affiliate):
    _, credit = paying_affiliate
    query = h.checkout_query(start_credit_payment(client, credit).headers["Location"])
    h.pay_with_card(client, query)
    response = client.get(f"/pasarela/checkout?{query}")
    assert response.status_code == 400 and "ya fue pagada" in response.get_data(as_text=True)
    assert h.pay_with_card(client, query).status_code == 400


def test_an_expired_checkout_is_refused(client, paying_affiliate, frozen_clock):
    _, credit = paying_affiliate
    query = h.checkout_query(start_credit_payment(client, credit).headers["Location"])
    frozen_clock.advance(31 * 60)
    response = client.get(f"/pasarela/checkout?{query}")
    assert response.status_code == 400 and "venció" in response.get_data(as_text=True)


@pytest.mark.parametrize("field,value,message", [
    ("number", "4242 4242 4242 4241", "no es válido"), ("number", "abcd", "solo puede tener números"),
    ("expiry", "13/30", "MM/AA"), ("expiry", "01/20", "vencida"), ("cvc", "12", "CVC"),
    ("holder", "", "obligatorio"),
])
def test_card_form_errors_name_the_field(client, paying_affiliate, field, value, message):
    _, credit = paying_affiliate
    query = h.checkout_query(start_credit_payment(client, credit).headers["Location"])
    response = h.pay_with_card(client, query, **{field: value})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.query(GatewayTransaction).count() == 0


def test_cvc_is_never_stored_or_logged(client, paying_affiliate, caplog):
    _, credit = paying_affiliate
    query = h.checkout_query(start_credit_payment(client, credit).headers["Location"])
    h.pay_with_card(client, query, cvc="987")
    tx = db.session.query(GatewayTransaction).one()
    # Ids and times are made of digits too; every other column must not hold the CVC.
    stored = [str(getattr(tx, c.name)) for c in tx.__table__.columns
              if c.name not in ("id", "public_id", "created_at", "finalized_at", "authorization_code")]
    assert not any("987" in value for value in stored)
    assert all("987" not in (e.detail or "").replace(tx.public_id, "") for e in db.session.query(AuditEvent))
    assert "cvc" not in caplog.text.lower()


def test_the_voucher_is_only_shown_in_the_browser_that_paid(app, client, paying_affiliate):
    _, credit = paying_affiliate
    query = h.checkout_query(start_credit_payment(client, credit).headers["Location"])
    location = h.pay_with_card(client, query).headers["Location"]
    assert app.test_client().get(location).status_code == 404


def test_a_forged_return_id_changes_nothing(client, paying_affiliate):
    _, credit = paying_affiliate
    start_credit_payment(client, credit)
    payment = db.session.query(Payment).one()
    client.get(f"/pagos-express/pagos/{payment.reference}/resultado?id=1706-1-00001")
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == "created"
    assert db.session.get(AffiliateCredit, credit.id).paid == 0


def test_many_payments_keep_the_session_cookie_small(client, paying_affiliate):
    _, credit = paying_affiliate
    credit.balance = credit.debt = Decimal("100000000.00")
    db.session.commit()
    vouchers = []
    for _ in range(12):
        query = h.checkout_query(start_credit_payment(client, credit).headers["Location"])
        vouchers.append(h.pay_with_card(client, query).headers["Location"])
    assert len(client.get_cookie("portal_session").value) < 2500
    assert client.get(vouchers[-1]).status_code == 200
    assert client.get(vouchers[0]).status_code == 404  # only the last few stay viewable


@pytest.mark.parametrize("app_config", [{"GATEWAY_PAY_RATE_LIMIT": "2 per minute"}])
def test_the_checkout_rate_limit_is_a_setting(client, paying_affiliate, app_config):
    _, credit = paying_affiliate
    query = h.checkout_query(start_credit_payment(client, credit).headers["Location"])
    statuses = [h.pay_with_card(client, query, number="abc").status_code for _ in range(3)]
    assert statuses == [422, 422, 429]
