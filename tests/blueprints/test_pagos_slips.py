"""JARDÍN (manual 001) and PAGAR LIBRANZA EMPRESAS (manual 000) in Pagos Express."""
from datetime import timedelta
from decimal import Decimal

import pytest

from portal.domain import clock
from portal.extensions import db
from portal.models import ApplicationRequest, Branch, KindergartenSlip, Payment, PaymentSlip
from tests import factories
from tests import payment_helpers as h
from tests.conftest import post


@pytest.fixture
def slip_482():
    slip = KindergartenSlip(number="VM-2021-1", child_id="1100223344", student_name="ESTUDIANTE GENERICO",
                            concept="VOLANTES DE MATRICULA", period="2021", amount=Decimal("482213.00"))
    db.session.add(slip)
    db.session.commit()
    return slip


def pay_slip(client, slip, child_id="1100223344"):
    """«Pagar» on the results of a search by the child's ID."""
    return post(client, f"/pagos-express/jardin/{slip.id}/pagar", {"child_id": child_id},
                page=f"/pagos-express/jardin?child_id={child_id}")


def test_child_id_lists_open_slips_and_pays_one(client, auth, slip_482):
    h.affiliate_with_credit()
    auth.affiliate()
    page = client.get("/pagos-express/jardin?child_id=1100223344").get_data(as_text=True)
    for text in ("Alumno", "Vigencia", "ESTUDIANTE GENERICO", "VOLANTES DE MATRICULA", "$\xa0482.213"):
        assert text in page
    start = pay_slip(client, slip_482)
    query = h.checkout_query(start.headers["Location"])
    assert h.query_value(query, "amount-in-cents") == "48221300"
    voucher = h.pay_with_pse(client, query, bank="1")
    h.back_to_merchant(client, voucher.headers["Location"])
    db.session.expire_all()
    assert db.session.get(KindergartenSlip, slip_482.id).status == "paid"
    assert "Ups! No se encontró nada." in client.get("/pagos-express/jardin?child_id=1100223344").get_data(as_text=True)
    assert pay_slip(client, slip_482).status_code == 404


def test_unknown_child_gets_the_manuals_advice(client, auth):
    h.affiliate_with_credit()
    auth.affiliate()
    body = client.get("/pagos-express/jardin?child_id=123456").get_data(as_text=True)
    assert "Ups! No se encontró nada." in body and "3491109 - 3714674" in body and "317 647 5902" in body


def test_bad_child_id_is_named_and_htmx_gets_the_partial(client, auth):
    h.affiliate_with_credit()
    auth.affiliate()
    response = client.get("/pagos-express/jardin?child_id=abc", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert "<html" not in body and "Escriba solo los números" in body


def test_paying_the_same_slip_twice_reuses_one_payment(client, auth, slip_482):
    h.affiliate_with_credit()
    auth.affiliate()
    pay_slip(client, slip_482)
    first = db.session.query(Payment).one()
    h.pay_with_card(client, h.checkout_query(
        post(client, f"/pagos-express/pagos/{first.reference}/reintentar",
             page="/pagos-express/").headers["Location"]), h.DECLINED)
    pay_slip(client, slip_482)
    assert db.session.query(Payment).count() == 1


@pytest.mark.parametrize("child_id", ["", "9999999", "1100223345"])
def test_a_slip_is_paid_only_after_looking_it_up_by_the_childs_id(client, auth, slip_482, child_id):
    h.affiliate_with_credit()
    auth.affiliate()
    response = post(client, f"/pagos-express/jardin/{slip_482.id}/pagar", {"child_id": child_id},
                    page="/pagos-express/jardin")
    assert response.status_code == 404
    assert db.session.query(Payment).count() == 0


def test_a_payment_belongs_to_who_started_it(app, client, auth, slip_482):
    """A second affiliate paying the same slip gets a payment of their own: never the
    first one's reference, and no payer's data in the checkout's URL."""
    h.affiliate_with_credit()
    auth.affiliate()
    first = pay_slip(client, slip_482).headers["Location"]
    factories.affiliate(cedula="1100998877", mobile="3157770001", first="JUAN", last="ROJAS")
    second_client = app.test_client()
    auth.affiliate("1100998877", client=second_client)
    second = pay_slip(second_client, slip_482).headers["Location"]
    payments = db.session.query(Payment).order_by(Payment.id).all()
    assert [p.payer_first_name for p in payments] == ["MARIA", "JUAN"]
    assert payments[0].reference in first and payments[1].reference in second
    for url in (first, second):
        for value in ("MARIA", "PEREZ", "JUAN", "ROJAS", "1045678434", "1100998877", "3001234434", "3157770001"):
            assert value not in url
    assert second_client.get(f"/pagos-express/pagos/{payments[0].reference}/resultado").status_code == 404


def test_anothers_payment_with_the_bank_holds_the_slip(app, client, auth, slip_482):
    h.affiliate_with_credit()
    auth.affiliate()
    query = h.checkout_query(pay_slip(client, slip_482).headers["Location"])
    h.back_to_merchant(client, h.pay_with_pse(client, query, bank="4").headers["Location"])  # the bank waits
    factories.affiliate(cedula="1100998877", mobile="3157770001")
    second_client = app.test_client()
    auth.affiliate("1100998877", client=second_client)
    response = pay_slip(second_client, slip_482)
    assert response.status_code == 303 and "/pasarela/" not in response.headers["Location"]
    page = second_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "VM-2021-1 tiene un pago en proceso" in page
    assert db.session.query(Payment).count() == 1


# --- employers -----------------------------------------------------------------------------

@pytest.fixture
def employer(auth):
    entity = factories.entity()
    branch = Branch(entity_id=entity.id, code="01", name="Principal")
    db.session.add(branch)
    db.session.flush()
    user = factories.user("hanna", "empleador@example.com", entity=entity)
    db.session.add(ApplicationRequest(user_id=user.id, entity_id=entity.id, application="EMPRESAS", status="approved"))
    slip = PaymentSlip(number="EL-3", entity_id=entity.id, branch_id=branch.id, period="2020-04",
                       amount=Decimal("200.00"), expires_at=clock.utcnow() + timedelta(hours=4))
    db.session.add(slip)
    db.session.commit()
    auth.as_user(user)
    return user, slip


PAYER = {"first_name": "Ana", "last_name": "Gómez", "email": "ana@empresa.co", "mobile": "3001112233",
         "address": "Calle 1 # 2-3"}


def test_employer_pays_a_slip_with_the_payer_registration(client, employer):
    _, slip = employer
    page = client.get("/pagos-express/libranza").get_data(as_text=True)
    for text in ("PAGAR LIBRANZA EMPRESAS", "Docto", "Vigencia", "IdPago", "Valor a Pagar", "EL-3", "2020-04", "$\xa0200"):
        assert text in page
    url = f"/pagos-express/libranza/{slip.id}/pagar"
    assert "Registro de Clientes" in client.get(url).get_data(as_text=True)
    start = post(client, url, PAYER, page=url)
    query = h.checkout_query(start.headers["Location"])
    assert "Total a Pagar: $\xa0200,00" in client.get(start.headers["Location"]).get_data(as_text=True)
    assert not any(value in start.headers["Location"] for value in ("ana", "empresa.co", "3001112233", "mez"))
    voucher = h.pay_with_card(client, query)
    h.back_to_merchant(client, voucher.headers["Location"])
    db.session.expire_all()
    assert db.session.get(PaymentSlip, slip.id).status == "paid"
    assert db.session.query(Payment).one().payer_last_name == "Gómez"


@pytest.mark.parametrize("field,value,message", [
    ("first_name", "", "obligatorio"), ("email", "ana@", "correo electrónico válido"),
    ("mobile", "12345", "celular colombiano"), ("address", "", "obligatorio"),
])
def test_payer_registration_errors(client, employer, field, value, message):
    _, slip = employer
    url = f"/pagos-express/libranza/{slip.id}/pagar"
    response = post(client, url, {**PAYER, field: value}, page=url)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.query(Payment).count() == 0


def test_an_expired_slip_cannot_be_paid_and_says_how_to_regenerate(client, employer):
    _, slip = employer
    slip.expires_at = clock.utcnow() - timedelta(seconds=1)
    db.session.commit()
    url = f"/pagos-express/libranza/{slip.id}/pagar"
    response = post(client, url, PAYER, page="/pagos-express/libranza")
    body = response.get_data(as_text=True)
    assert response.status_code == 409 and "venció" in body and "Generar volante de pago" in body
    assert db.session.query(Payment).count() == 0


def test_the_checkout_expires_with_the_slip(client, employer):
    _, slip = employer
    clock.freeze(clock.utcnow())
    slip.expires_at = clock.utcnow() + timedelta(seconds=60)
    db.session.commit()
    url = f"/pagos-express/libranza/{slip.id}/pagar"
    query = h.checkout_query(post(client, url, PAYER, page=url).headers["Location"])
    assert client.get(f"/pasarela/checkout?{query}").status_code == 200
    clock.advance(61)
    assert client.get(f"/pasarela/checkout?{query}").status_code == 400


def test_another_entitys_slip_is_404_and_unapproved_users_get_403(app, auth, employer):
    other = factories.entity(nit="811000111", name="OTRA S.A.S.")
    branch = Branch(entity_id=other.id, code="01", name="Única")
    db.session.add(branch)
    db.session.flush()
    foreign = PaymentSlip(number="EL-9", entity_id=other.id, branch_id=branch.id, period="2020-04",
                          amount=Decimal("10.00"), expires_at=clock.utcnow() + timedelta(hours=4))
    db.session.add(foreign)
    db.session.commit()
    client = app.test_client()
    auth.login("hanna", "empleador@example.com", client=client)
    assert client.get(f"/pagos-express/libranza/{foreign.id}/pagar").status_code == 404
    stranger = auth.new_client("hanna", "nuevo@example.com", entity=other)
    assert stranger.get("/pagos-express/libranza").status_code == 403


def test_affiliates_cannot_open_employer_pages_and_vice_versa(client, employer):
    assert client.get("/pagos-express/creditos").status_code == 403
    assert client.get("/pagos-express/jardin").status_code == 403


def test_a_retry_after_the_slip_expired_is_refused(client, employer):
    _, slip = employer
    url = f"/pagos-express/libranza/{slip.id}/pagar"
    query = h.checkout_query(post(client, url, PAYER, page=url).headers["Location"])
    h.back_to_merchant(client, h.pay_with_card(client, query, h.DECLINED).headers["Location"])
    payment = db.session.query(Payment).one()
    slip.expires_at = clock.utcnow() - timedelta(seconds=1)
    db.session.commit()
    retry = post(client, f"/pagos-express/pagos/{payment.reference}/reintentar",
                 page=f"/pagos-express/pagos/{payment.reference}/resultado")
    assert retry.status_code == 409 and "venció" in retry.get_data(as_text=True)
    assert db.session.get(Payment, payment.id).attempts == 1


def test_a_retry_before_expiry_keeps_the_slips_deadline(client, employer):
    _, slip = employer
    url = f"/pagos-express/libranza/{slip.id}/pagar"
    query = h.checkout_query(post(client, url, PAYER, page=url).headers["Location"])
    h.back_to_merchant(client, h.pay_with_card(client, query, h.DECLINED).headers["Location"])
    reference = db.session.query(Payment).one().reference
    retry = post(client, f"/pagos-express/pagos/{reference}/reintentar",
                 page=f"/pagos-express/pagos/{reference}/resultado")
    expiration = h.query_value(h.checkout_query(retry.headers["Location"]), "expiration-time")
    assert expiration.startswith(slip.expires_at.isoformat(timespec="seconds"))
