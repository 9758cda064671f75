"""GET /api/v1/orders, /orders/{id} and /orders/{id}/pdf: cursor pages newest first, every
amount of the PDF as exact strings, the portal's PDF, and the refusals (no key, revoked
key, another company's order, a product outside the key, no «consult», bad queries)."""
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import AuditEvent, OrderPayment, Product, ServiceOrder
from portal.services import api_keys, order_pdf, orders
from tests import api_helpers, factories
from tests import order_helpers as oh

PROBLEM = "application/problem+json"


def make_order(holder, people=(("1045678434", "1000", "BARRANQUILLA"), ("1045678435", "2500.50", "CALI"))):
    batch = oh.confirmed_emission(holder.user, holder.company, people, product=holder.product)
    signed = orders.sign(holder.user, oh.access_of(holder.user, holder.company, holder.product), [batch.id], "lote",
                         factories.PASSWORD)
    assert signed.ok, signed.message
    return signed.orders[0]


@pytest.fixture
def erp(app):
    """A company whose product charges 10.00 a record, 3,500.00 a delivered card, 12 % IVA
    and the 4×1000; one order of two cards (1,000.00 and 2,500.50)."""
    holder = api_helpers.keyed()
    holder.product.commission_per_record, holder.product.iva_rate = Decimal("10.00"), Decimal("0.12")
    holder.product.distribution_cost = Decimal("3500.00")
    holder.company.gmf_applies = True
    db.session.commit()
    return holder, make_order(holder)


def test_an_order_with_every_amount_its_pdf_shows(client, erp):
    holder, order = erp
    db.session.add(OrderPayment(order_id=order.id, user_id=holder.user.id, reference="OP-1", amount=order.to_pay,
                                status="declined", reason="Fondos insuficientes"))
    db.session.commit()
    response = client.get(f"/api/v1/orders/{order.id}", headers=holder.headers())
    assert response.status_code == 200, response.json
    body = response.json
    assert body["number"] == order.number and body["status"] == "pending_payment"
    assert body["status_label"] == "Pendiente de pago" and body["kind_label"] == "Emisión nominada"
    # 2 × 10.00 + 2 × 3,500.00 = 7,020.00; IVA 12 % = 842.40; GMF 3,500.50 × 0.004 = 14.00
    assert {k: body[k] for k in ("total_price", "total_distribution", "commission", "iva", "total", "amount", "gmf",
                                 "to_pay", "deposited")} == {
        "total_price": "20.00", "total_distribution": "7000.00", "commission": "7020.00", "iva": "842.40",
        "total": "7862.40", "amount": "3500.50", "gmf": "14.00", "to_pay": "11376.90", "deposited": "0.00"}
    assert body["iva_rate"] == "0.1200" and body["iva_label"] == "IVA (12.0%)" and body["signers"] == ["erp"]
    assert body["created_at"].endswith("-05:00")
    (batch,) = body["batches"]
    assert batch["records"] == 2 and batch["unit_price"] == "10.00" and batch["subtotal"] == "20.00"
    assert batch["amount"] == "3500.50" and batch["gmf"] == "14.00" and batch["uploaded_by"] == "erp"
    assert batch["number"] == order.batches[0].number and batch["status_label"] == "Autorizado"
    assert body["distribution"] == [
        {"destination": "BARRANQUILLA", "quantity": 1, "unit_cost": "3500.00", "cost": "3500.00"},
        {"destination": "CALI", "quantity": 1, "unit_cost": "3500.00", "cost": "3500.00"}]
    payment = body["payment"]
    assert payment["state"] == "pending" and payment["label"] == "Pendiente de pago" and payment["paid_at"] is None
    assert [(a["reference"], a["status"], a["amount"], a["reason"]) for a in payment["attempts"]] == [
        ("OP-1", "declined", "11376.90", "Fondos insuficientes")]
    paid = oh.pay(order)
    body = client.get(f"/api/v1/orders/{paid.id}", headers=holder.headers()).json
    assert body["payment"]["state"] == "paid" and body["payment"]["paid_at"] and body["status"] == "paid"


def test_the_list_is_cursor_paged_newest_first_and_filtered(client, erp):
    holder, first = erp
    second = make_order(holder, people=(("1045678436", "10", "CALI"),))
    third = make_order(holder, people=(("1045678437", "10", "CALI"),))
    now = datetime.utcnow().replace(microsecond=0)
    first.created_at, second.created_at, third.created_at = now - timedelta(days=3), now, now  # a tie: by id
    db.session.commit()
    page = client.get("/api/v1/orders?limit=2", headers=holder.headers()).json
    assert [o["id"] for o in page["data"]] == [third.id, second.id] and page["next_cursor"]
    assert page["data"][0]["to_pay"] == "3941.24"  # (10.00 + 3,500.00) × 1.12 + 10.00 + 0.04
    rest = client.get(f"/api/v1/orders?limit=2&cursor={page['next_cursor']}", headers=holder.headers()).json
    assert [o["id"] for o in rest["data"]] == [first.id] and rest["next_cursor"] is None
    today = (now - timedelta(hours=5)).date()
    recent = client.get(f"/api/v1/orders?from={today - timedelta(days=1)}&to={today}&product_id={holder.product.id}",
                        headers=holder.headers()).json
    assert {o["id"] for o in recent["data"]} == {second.id, third.id}
    everything = client.get("/api/v1/orders?from=0001-01-01&to=9999-12-31", headers=holder.headers()).json
    assert len(everything["data"]) == 3  # the calendar's ends, not an overflow
    backwards = client.get(f"/api/v1/orders?from={today}&to={today - timedelta(days=1)}", headers=holder.headers())
    assert backwards.status_code == 200 and backwards.json["data"] == []  # an empty range, as in SQL
    oh.pay(second)
    paid = client.get("/api/v1/orders?status=paid", headers=holder.headers()).json
    assert [o["id"] for o in paid["data"]] == [second.id]


@pytest.mark.parametrize("query, field, message", [
    ("cursor=no-es-un-cursor", "cursor", "no es un cursor de esta lista"),
    ("cursor=WyJhIiwxXQ", "cursor", "no es un cursor de esta lista"),  # ["a",1]: ours in form only
    ("limit=0", "limit", "debe ser mayor o igual a 1"),
    ("limit=101", "limit", "debe ser menor o igual a 100"),
    ("status=pagada", "status", "debe ser uno de"),
    ("from=31/02/2026", "from", "debe ser una fecha AAAA-MM-DD"),
    ("to=0", "to", "debe ser una fecha AAAA-MM-DD"),  # not 1970-01-01
    ("estado=paid", "estado", "no es un campo de esta operación"),
])
def test_a_bad_query_is_a_422_naming_the_field(client, erp, query, field, message):
    holder, _ = erp
    response = client.get(f"/api/v1/orders?{query}", headers=holder.headers())
    assert response.status_code == 422 and response.content_type == PROBLEM
    assert response.json["errors"][0]["field"] == field and message in response.json["errors"][0]["message"]


def test_the_pdf_is_the_portals(client, erp):
    holder, order = erp
    response = client.get(f"/api/v1/orders/{order.id}/pdf", headers=holder.headers())
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert order_pdf.file_name(order) in response.headers["Content-Disposition"]
    event = db.session.query(AuditEvent).filter_by(action="conexion.order_pdf").one()
    assert event.subject == f"order:{order.id}" and event.actor_id == holder.user.id


def test_refusals_no_key_revoked_other_company_product_outside_key_and_scope(client, erp):
    holder, order = erp
    paths = (f"/api/v1/orders/{order.id}", f"/api/v1/orders/{order.id}/pdf", "/api/v1/orders")
    assert all(client.get(path).status_code == 401 for path in paths)
    other = api_helpers.keyed("otro", nit="800197268")
    for path in paths[:2]:  # another company's order: as if it did not exist
        response = client.get(path, headers=other.headers())
        assert response.status_code == 404 and response.content_type == PROBLEM
    assert client.get(f"/api/v1/orders?product_id={holder.product.id}", headers=other.headers()).status_code == 404
    assert client.get("/api/v1/orders", headers=other.headers()).json["data"] == []
    second = Product(company_id=holder.company.id, name="Clásica In", brand="Visa", bin="450715", named=False)
    db.session.add(second)
    db.session.commit()
    narrow = {"Authorization": f"Bearer {api_helpers.another_key(holder, product_ids=[second.id])}"}
    assert client.get(paths[0], headers=narrow).status_code == 404  # its product is outside the key
    assert client.get("/api/v1/orders", headers=narrow).json["data"] == []
    uploads = {"Authorization": f"Bearer {api_helpers.another_key(holder, scopes=['upload'])}"}
    forbidden = client.get(paths[0], headers=uploads)
    assert forbidden.status_code == 403 and "Consultar lotes, órdenes y tarjetas" in forbidden.json["detail"]
    assert client.get(paths[2], headers=uploads).status_code == 403
    api_keys.revoke(holder.user, holder.key)
    assert client.get(paths[0], headers=holder.headers()).status_code == 401
    assert db.session.get(ServiceOrder, order.id).status == "pending_payment"


def test_ids_beyond_the_database_are_not_found(client, erp):
    holder, _ = erp
    assert client.get("/api/v1/orders/99999999999", headers=holder.headers()).status_code == 404
    assert client.get("/api/v1/orders?product_id=99999999999", headers=holder.headers()).status_code == 422
