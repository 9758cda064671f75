"""Personal › Lotes and Personal › Órdenes de servicio (role tarjetas): the staff home's
Conexión queues as tables of every company (the same items the home counts), a batch's
rejected lines with their reasons, and «Consultar al banco»: a pending debit settled by the
sandbox bank and applied to its order once, audited, with its CSRF token."""
import re

import pytest

from portal.extensions import db
from portal.models import AuditEvent, Batch, BatchLine, LedgerEntry, OrderPayment, ServiceOrder
from portal.services import order_payments
from tests.blueprints.test_staff_home import conexion_queues
from tests.conftest import post
from tests.services.test_order_payments import pay, signed_order

BATCHES, ORDERS = "/personal/lotes", "/personal/ordenes"


def body(response):
    return response.get_data(as_text=True)


def listed(page, attribute):
    return re.findall(rf'data-{attribute}="([^"]+)"', page)


@pytest.fixture
def tarjetas(auth):
    return auth.as_new("staff", "tarjetas", roles="tarjetas")


def test_other_roles_are_refused(client, auth):
    auth.as_new("staff", "otros", roles="pagos,cartera")
    for url in (BATCHES, f"{BATCHES}/1", ORDERS):
        assert client.get(url).status_code == 403, url
    assert post(client, f"{ORDERS}/debitos/1/consultar-banco").status_code == 403
    assert "Órdenes de servicio</a>" not in body(client.get("/personal/"))


@pytest.mark.parametrize("url,attribute,expected", [
    (BATCHES, "batch", ["1", "2"]),
    (f"{BATCHES}?estado=en_proceso", "batch", ["1", "2"]),
    (f"{BATCHES}?estado=rechazados", "batch", ["3"]),
    (f"{ORDERS}?estado=por_pagar", "order", ["1", "2"]),
    (f"{ORDERS}?estado=debito_fallido", "order", ["2"]),
    (f"{ORDERS}?estado=en_banco", "order", ["3"]),
])
def test_each_queue_lists_what_the_home_counts(client, tarjetas, url, attribute, expected):
    conexion_queues()
    assert sorted(listed(body(client.get(url)), attribute)) == expected


def test_the_home_links_each_conexion_queue_to_its_table(client, tarjetas):
    home = body(client.get("/personal/colas"))
    for link in ("/personal/lotes?estado=en_proceso", "/personal/lotes?estado=rechazados",
                 "/personal/ordenes?estado=por_pagar", "/personal/ordenes?estado=debito_fallido",
                 "/personal/ordenes?estado=en_banco"):
        assert f'href="{link}"' in home, link


def test_the_tables_show_company_product_counts_and_search(client, tarjetas):
    conexion_queues()
    page = body(client.get(f"{BATCHES}?estado=rechazados"))
    row = page[page.index('data-batch="3"'):]
    assert "JAHC TECHNOLOGIES" in row and "Clásica / Visa" in row and '<td class="num">2</td>' in row
    failed = body(client.get(f"{ORDERS}?estado=debito_fallido"))
    assert "Fallido" in failed and "Consultar al banco</button>" not in failed  # the last debit failed: nothing waits
    assert "Consultar al banco</button>" in body(client.get(f"{ORDERS}?estado=en_banco"))
    assert listed(body(client.get(ORDERS, query_string={"estado": "en_banco", "q": "3"})), "order") == ["3"]
    assert listed(body(client.get(ORDERS, query_string={"estado": "por_pagar", "q": "jahc"})), "order") == ["1", "2"]
    assert listed(body(client.get(ORDERS, query_string={"estado": "por_pagar", "q": "3"})), "order") == []
    assert listed(body(client.get(BATCHES, query_string={"q": "nadie"})), "batch") == []
    assert client.get(BATCHES, query_string={"estado": "otro", "pagina": "x"}).status_code == 200


def test_a_batchs_rejected_lines_with_their_reasons(client, tarjetas):
    conexion_queues()
    batch = db.session.query(Batch).filter_by(number="3").one()
    db.session.add(BatchLine(batch_id=batch.id, line_no=9, values_json="{}", outcome="rejected", id_type="CC",
                             id_number="1045678434", holder_name="MARÍA PÉREZ", outcome_reason="Tarjeta bloqueada"))
    db.session.commit()
    page = body(client.get(f"{BATCHES}/{batch.id}"))
    assert "Lote Nro. 3" in page and "Registros rechazados" in page
    assert "Tarjeta bloqueada" in page and "CC 1045678434" in page and "MARÍA PÉREZ" in page
    assert "de un total de 3 registro(s)" in page  # the rejected lines only
    other = db.session.query(Batch).filter_by(number="4").one()
    assert "El procesador no ha rechazado registros" in body(client.get(f"{BATCHES}/{other.id}"))
    assert client.get(f"{BATCHES}/999999").status_code == 404


def test_consultar_al_banco_settles_a_pending_debit_once(client, tarjetas):
    order, ana, access = signed_order(behaviour="pending")
    assert pay(order, ana, access).status == "pending"
    payment = db.session.query(OrderPayment).one()
    url = f"{ORDERS}/debitos/{payment.id}/consultar-banco"
    page = f"{ORDERS}?estado=en_banco"
    assert f'action="{url}"' in body(client.get(page))
    assert client.post(url).status_code == 400  # no CSRF token: nothing asked
    assert db.session.get(ServiceOrder, order.id).status == "paying"
    done = post(client, url, page=page)
    assert done.status_code == 303 and done.headers["Location"] == page
    shown = body(client.get(page))
    assert f"La orden de servicio Nro. {order.number} fue pagada" in shown and f'data-order="{order.number}"' not in shown
    db.session.expire_all()
    assert db.session.get(ServiceOrder, order.id).status == "paid"
    again = post(client, url, page=page)
    assert again.status_code == 303 and "ya tiene la respuesta del banco" in body(client.get(page))
    assert order_payments.settle() == 0  # the cron finds nothing left
    assert db.session.query(LedgerEntry).filter(LedgerEntry.amount < 0).count() == 1
    assert db.session.query(AuditEvent).filter_by(action="conexion.order_paid").count() == 1
    requeried = db.session.query(AuditEvent).filter_by(action="staff.order_payment_requeried").all()
    assert len(requeried) == 1 and requeried[0].actor_id == tarjetas.id and '"approved"' in requeried[0].detail
    assert post(client, f"{ORDERS}/debitos/999999/consultar-banco", page=page).status_code == 404


def test_a_debit_just_sent_is_left_to_its_request(client, tarjetas, monkeypatch):
    from portal.adapters import bank as banks

    order, ana, access = signed_order()
    monkeypatch.setattr(banks.SandboxBank, "debit", lambda self, *args: (_ for _ in ()).throw(ConnectionError()))
    assert pay(order, ana, access).status == "pending"  # the bank's answer was lost: «sent»
    monkeypatch.undo()
    payment = db.session.query(OrderPayment).one()
    post(client, f"{ORDERS}/debitos/{payment.id}/consultar-banco", page=ORDERS)
    assert "se está enviando al banco" in body(client.get(ORDERS))
    db.session.expire_all()
    assert db.session.get(OrderPayment, payment.id).status == "sent"
