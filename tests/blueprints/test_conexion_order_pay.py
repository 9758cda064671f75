"""«Pagar orden» over HTTP (manual 003 §3.3 pasos 5–6): opening it e-mails the code, «Aceptar»
with it pays; another company's order is not found, a user without «authorize» is
forbidden, every POST carries its CSRF token."""
import pytest

from portal.extensions import db
from portal.models import AuditEvent, OutboxMessage, ServiceOrder
from tests import factories
from tests.conftest import post
from tests.services.test_order_payments import last_code, signed_order

HTMX = {"HX-Request": "true"}


@pytest.fixture
def paying(auth):
    """(order, ana signed in, its pay URL, a page to read the CSRF token from)."""
    order, ana, access = signed_order()
    auth.as_user(ana)
    base = f"/empresas/{access.company.id}/productos/{access.product.id}"
    return order, ana, f"{base}/ordenes/{order.id}/pagar", f"{base}/"


def status_of(order):
    db.session.expire_all()
    return db.session.get(ServiceOrder, order.id).status


def test_opening_it_emails_the_code_and_shows_what_will_be_debited(client, paying):
    order, ana, url, page = paying
    response = client.get(url, headers=HTMX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<dialog open" in body
    for text in ("Pagar Orden de Servicio", "Ingrese el código de verificación enviado a tu correo",
                 "TOTAL A PAGAR", "$\u00a01.015,20", "AHORROS ****4821", "Cancelar", "Aceptar", "Reenviar código"):
        assert text in body, text
    assert "<html" not in body
    mails = db.session.query(OutboxMessage).filter(OutboxMessage.recipient == ana.email,
                                                   OutboxMessage.subject.like("Código para pagar%")).all()
    assert len(mails) == 1 and str(order.number) in mails[0].subject
    assert f'hx-post="{url}"' in body  # the modal's form swaps the modal
    full = client.get(url).get_data(as_text=True)  # a page (no JavaScript, a reload): a plain form
    assert f'action="{url}"' in full and f'hx-post="{url}"' not in full
    assert "<html" in full and "Pagar Orden de Servicio" in full and "<dialog open aria-labelledby=\"pay-title\"" not in full


def test_the_right_code_pays_and_a_wrong_one_says_how_many_tries_are_left(client, paying):
    order, ana, url, page = paying
    client.get(url, headers=HTMX)
    code = last_code(ana)
    wrong = post(client, url, {"codigo": f"{(int(code) + 1) % 1_000_000:06d}"}, page=page, headers=HTMX)
    assert wrong.status_code == 422 and "Le quedan 4 intentos" in wrong.get_data(as_text=True)
    paid = post(client, url, {"codigo": code}, page=page, headers=HTMX)
    body = paid.get_data(as_text=True)
    assert paid.status_code == 200 and "fue pagada" in body and paid.headers["HX-Trigger"] == "ordenes-changed"
    assert status_of(order) == "paid"
    again = post(client, url, {"codigo": code}, page=page, headers=HTMX)
    assert again.status_code == 200 and "ya fue pagada" in again.get_data(as_text=True)


def test_without_javascript_the_result_is_a_page_with_the_way_back(client, paying):
    order, ana, url, page = paying
    client.get(url)
    response = post(client, url, {"codigo": last_code(ana), "volver": "/empresas/"}, page=page)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in body and "fue pagada" in body
    assert 'href="/empresas/"' in body
    hostile = post(client, url, {"codigo": "123456", "volver": "https://evil.example/"}, page=page)
    assert "evil.example" not in hostile.get_data(as_text=True)


def test_resend_is_limited(client, paying):
    order, ana, url, page = paying
    client.get(url, headers=HTMX)
    response = post(client, url + "/reenviar", page=page, headers=HTMX)
    assert response.status_code == 422 and "Podrá pedir otro en" in response.get_data(as_text=True)


def test_another_companys_order_is_not_found(client, paying, auth):
    order, ana, url, page = paying
    other = factories.company("890903938", "OTRA EMPRESA")
    factories.member(ana, other, can_authorize=True)
    foreign = f"/empresas/{other.id}/productos/{other.products[0].id}/ordenes/{order.id}/pagar"
    assert client.get(foreign).status_code == 404
    assert post(client, foreign, {"codigo": "123456"}, page=page).status_code == 404
    assert post(client, foreign + "/reenviar", page=page).status_code == 404
    assert db.session.query(AuditEvent).filter_by(action="conexion.access_refused").count() == 3
    assert db.session.query(OutboxMessage).filter(OutboxMessage.subject.like("Código%")).count() == 0
    assert client.get(url.replace(f"/{order.id}/", "/999999/")).status_code == 404


def test_without_the_authorize_permission_it_is_forbidden(client, paying, auth):
    order, ana, url, page = paying
    carla = factories.user("corporate", "carla")
    factories.member(carla, order.company, can_upload=True, can_authorize=False)
    auth.logout()
    auth.as_user(carla)
    assert client.get(url).status_code == 403
    assert post(client, url, {"codigo": "123456"}, page=page).status_code == 403
    assert db.session.query(OutboxMessage).filter(OutboxMessage.subject.like("Código%")).count() == 0


def test_a_post_without_its_csrf_token_changes_nothing(client, paying):
    order, ana, url, page = paying
    client.get(url, headers=HTMX)
    response = client.post(url, data={"codigo": last_code(ana)}, headers=HTMX)
    assert response.status_code == 400
    assert status_of(order) == "pending_payment"
