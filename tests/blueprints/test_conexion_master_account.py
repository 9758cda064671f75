"""Servicios › Cuenta maestra over HTTP (manual 003 §5.1): the page shows the balance,
«Monto depositado» and the latest movements; «Ingresa el monto y la descripción» sends the
user to the gateway's checkout; another company's product is not found, a user without
«master_account» is forbidden, every POST carries its CSRF token."""
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import AuditEvent, MasterDeposit, MasterFunding, Payment
from portal.services import master_account
from tests import factories
from tests import master_helpers as m
from tests import payment_helpers as h
from tests.conftest import menu_entries, post


@pytest.fixture
def signed_in(auth):
    user, company, product, url = m.master_user()
    auth.as_user(user)
    return user, company, product, url


def test_the_page_shows_the_balance_the_deposits_and_the_movements(app, client, signed_in):
    user, company, product, url = signed_in
    ana, luis = factories.user("staff", "ana", roles="tarjetas"), factories.user("staff", "luis", roles="tarjetas")
    master_account.register_deposit(ana, str(product.id), "300.000", "CONS-1", "2026-03-02")
    master_account.decide_deposit(luis, db.session.query(MasterDeposit).one().id, True)
    body = client.get(url).get_data(as_text=True)
    for text in ("Cuenta maestra", "Saldo de la cuenta maestra", "Monto depositado", "Últimos movimientos",
                 "Consignación bancaria CONS-1", "Monto", "Descripción", "Pagar con PSE"):
        assert text in body, text
    assert body.count("$\u00a0300.000,00") >= 3  # balance, deposited and the movement
    product_page = client.get(f"/empresas/{company.id}/productos/{product.id}/").get_data(as_text=True)
    assert "Servicios › Cuenta maestra" in menu_entries(product_page) and url in product_page


def test_funding_goes_to_the_checkout_and_comes_back_credited(client, signed_in):
    user, company, product, url = signed_in
    response = m.start_funding(client, url, "1.250.000,50", "Recarga de abril")
    assert response.status_code == 303
    query = h.checkout_query(response.headers["Location"])
    payment = db.session.query(Payment).one()
    assert payment.kind == "master_funding" and payment.amount == Decimal("1250000.50")
    assert payment.user_id == user.id and payment.payer_email == user.email
    assert "Recarga de abril" in payment.description
    assert db.session.get(MasterFunding, payment.target_id).company_id == company.id
    page, link = h.back_to_merchant(client, h.pay_with_pse(client, query).headers["Location"])
    assert f"{url}/pagos/{payment.reference}" in link
    assert "Recarga aprobada" in page.get_data(as_text=True)
    assert m.master_balance(company, product) == Decimal("1250000.50")
    assert "$\u00a01.250.000,50" in client.get(url).get_data(as_text=True)


@pytest.mark.parametrize("amount, message", [("0", "El monto debe ser mayor que cero."),
                                             ("12,345", "El monto admite máximo dos decimales."),
                                             ("600000000", "El monto no puede superar"),
                                             ("diez", "El monto debe ser un número")])
def test_a_bad_amount_shows_why_and_changes_nothing(client, signed_in, amount, message):
    url = signed_in[3]
    response = m.start_funding(client, url, amount)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.query(Payment).count() == 0 and db.session.query(MasterFunding).count() == 0


def test_an_empty_description_is_refused(client, signed_in):
    response = m.start_funding(client, signed_in[3], "1000", "  ")
    assert response.status_code == 422 and "Ingrese la descripción." in response.get_data(as_text=True)


def test_another_companys_product_and_payment_are_not_found(client, signed_in, auth):
    user, company, product, url = signed_in
    other = factories.company("890903938", "OTRA EMPRESA")
    foreign = f"/empresas/{other.id}/productos/{other.products[0].id}/servicios/cuenta-maestra"
    assert client.get(foreign).status_code == 404
    assert post(client, foreign, {"monto": "1000", "descripcion": "x"}, page=url).status_code == 404
    assert db.session.query(AuditEvent).filter_by(action="conexion.access_refused").count() == 2
    # a payment of this company opened by someone else's URL, or an unknown reference: 404
    m.start_funding(client, url)
    reference = db.session.query(Payment).one().reference
    factories.member(user, other, can_master_account=True)
    assert client.get(f"{foreign}/pagos/{reference}").status_code == 404
    assert client.get(f"{url}/pagos/PXNOEXISTE").status_code == 404
    assert db.session.query(Payment).count() == 1


def test_without_the_master_account_permission_it_is_forbidden(client, auth):
    user, company, product, url = m.master_user("carla", master=False)
    auth.as_user(user)
    assert client.get(url).status_code == 403
    page = f"/empresas/{company.id}/productos/{product.id}/"
    assert post(client, url, {"monto": "1000", "descripcion": "x"}, page=page).status_code == 403
    assert db.session.query(Payment).count() == 0
    body = client.get(page).get_data(as_text=True)
    assert "Servicios › Cuenta maestra" not in menu_entries(body) and url not in body  # no menu entry, no link


def test_a_post_without_its_csrf_token_changes_nothing(client, signed_in):
    response = client.post(signed_in[3], data={"monto": "1000", "descripcion": "x"})
    assert response.status_code == 400
    assert db.session.query(Payment).count() == 0 and db.session.query(MasterFunding).count() == 0


def test_a_declined_funding_can_be_tried_again_at_the_checkout(client, auth):
    user, company, product, url, payment, voucher = m.funded_at_checkout(client, auth, bank="2")
    page, _ = h.back_to_merchant(client, voucher)
    result = f"{url}/pagos/{payment.reference}"
    assert "Intentar de nuevo" in page.get_data(as_text=True)
    again = post(client, result + "/reintentar", page=result)
    assert again.status_code == 303 and again.headers["Location"].startswith("http://localhost/pasarela/checkout")
    query = h.checkout_query(again.headers["Location"])
    h.back_to_merchant(client, h.pay_with_pse(client, query).headers["Location"])
    assert m.master_balance(company, product) == Decimal("250000.00")
    assert db.session.query(MasterFunding).one().applied_at is not None
