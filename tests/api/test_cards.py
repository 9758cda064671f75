"""GET /api/v1/cards (masked numbers only, cursor pages), POST /cards/{id}/balance (its
commission debited from the master account) and /cards/{id}/block, and their refusals."""
import re
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import Batch, CardOperation, Product, ServiceOrder
from portal.services import api_keys, conexion
from tests import api_helpers
from tests import card_helpers as h

PROBLEM = "application/problem+json"


@pytest.fixture
def erp(app):
    """A key's company with 1,000.00 in the master account and a card holding 40.00 made
    by batch 260512340001."""
    holder = api_helpers.keyed()
    access = conexion.access(holder.user, holder.company.id, holder.product.id)
    h.fund(access, "1000.00")
    card = h.card(access, balance="40.00", batch_number="260512340001")
    return holder, access, card


def found(client, holder, query):
    response = client.get(f"/api/v1/cards?{query}", headers=holder.headers())
    assert response.status_code == 200, response.json
    return response


def test_the_search_by_each_criterion_shows_masked_numbers_only(client, erp):
    holder, access, card = erp
    other = h.card(access, "5678", holder="222", name="PEDRO GOMEZ")
    for query in ("document=1045678434", "batch=260512340001", "card=1234", "card=450714******1234",
                  f"document=1045678434&card=1234&product_id={holder.product.id}"):
        assert [c["id"] for c in found(client, holder, query).json["data"]] == [card.id], query
    response = found(client, holder, "limit=100")
    assert [c["id"] for c in response.json["data"]] == [other.id, card.id]  # newest first
    first = response.json["data"][1]
    assert first["number"] == "450714******1234" and first["account"] == "450714****1234"
    assert (first["holder_id_number"], first["holder_name"], first["status"], first["status_label"]) == (
        "1045678434", "MARIA PEREZ", "affiliated", "Afiliada")
    assert not re.search(r"\d{13,}", response.get_data(as_text=True))  # never a whole card number
    assert found(client, holder, "document=999").json == {"data": [], "next_cursor": None}


def test_the_search_by_order_and_the_cursor(client, erp):
    holder, access, card = erp
    cards = [h.card(access, f"{n:04d}", holder=f"10{n}") for n in range(3)]
    page = found(client, holder, "limit=2").json
    assert [c["id"] for c in page["data"]] == [cards[2].id, cards[1].id] and page["next_cursor"]
    rest = found(client, holder, f"limit=2&cursor={page['next_cursor']}").json
    assert [c["id"] for c in rest["data"]] == [cards[0].id, card.id] and rest["next_cursor"] is None
    batch = db.session.query(Batch).filter_by(number="260512340001").one()
    order = ServiceOrder(number=12400, company_id=holder.company.id, product_id=holder.product.id, kind="emission",
                         status="processed", total_price=0, total_distribution=0, commission=0, iva_rate=0, iva=0,
                         total=0, amount=0, gmf=0, to_pay=0, deposited=0, first_signer_id=holder.user.id)
    db.session.add(order)
    db.session.flush()
    batch.order_id = order.id
    db.session.commit()
    assert [c["id"] for c in found(client, holder, "order=12400").json["data"]] == [card.id]
    assert found(client, holder, "order=12401").json["data"] == []


@pytest.mark.parametrize("query, field", [("card=12", "card"), ("document=10.456", "document"), ("batch=L1", "batch"),
                                          ("order=abc", "order"), ("limit=500", "limit"), ("cursor=%25", "cursor")])
def test_a_bad_criterion_is_a_422_naming_it(client, erp, query, field):
    holder, _, _ = erp
    response = client.get(f"/api/v1/cards?{query}", headers=holder.headers())
    assert response.status_code == 422 and response.content_type == PROBLEM
    assert [e["field"] for e in response.json["errors"]] == [field]


def test_consultar_saldo_debits_its_commission_from_the_master_account(client, erp):
    holder, access, card = erp
    response = client.post(f"/api/v1/cards/{card.id}/balance", headers=holder.headers())
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["card_id"], body["number"], body["balance"], body["commission"]) == (
        card.id, "450714******1234", "40.00", "60.00")
    assert body["transaction_id"].startswith("cop-") and "$\xa040,00" in body["message"]
    op = db.session.get(CardOperation, body["operation_id"])
    assert op.kind == "balance" and op.status == "done" and op.user_id == holder.user.id
    assert h.master_balance(access) == Decimal("940.00") and h.card_balance(card) == Decimal("40.00")


def test_without_money_for_the_commission_the_query_is_refused(client, erp):
    holder, access, card = erp
    access.product.balance_query_fee = Decimal("1000.01")
    db.session.commit()
    response = client.post(f"/api/v1/cards/{card.id}/balance", headers=holder.headers())
    assert response.status_code == 422 and response.content_type == PROBLEM
    assert response.json["detail"].startswith("Saldo insuficiente en la cuenta maestra")
    assert h.master_balance(access) == Decimal("1000.00")


def test_block_with_a_reason_once(client, erp):
    holder, access, card = erp
    target = f"/api/v1/cards/{card.id}/block"
    bad = client.post(target, json={"reason": "perdio"}, headers=holder.headers())
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "reason"
    assert "perdida" in bad.json["errors"][0]["message"]
    missing = client.post(target, json={}, headers=holder.headers())
    assert missing.status_code == 422 and missing.json["errors"][0] == {"field": "reason", "message": "es obligatorio"}
    done = client.post(target, json={"reason": "robo"}, headers=holder.headers())
    assert done.status_code == 200, done.json
    assert done.json["card"]["status"] == "blocked" and done.json["card"]["blocked_reason"] == "robo"
    assert "quedó bloqueada por robo" in done.json["message"]
    again = client.post(target, json={"reason": "robo"}, headers=holder.headers())
    assert again.status_code == 422 and again.json["detail"] == "La tarjeta 450714******1234 ya está bloqueada."


def test_refusals_no_key_revoked_other_company_product_outside_key_and_scope(client, erp):
    holder, access, card = erp
    balance, block = f"/api/v1/cards/{card.id}/balance", f"/api/v1/cards/{card.id}/block"
    assert client.get("/api/v1/cards").status_code == 401
    assert client.post(balance).status_code == 401
    other = api_helpers.keyed("otro", nit="800197268")
    assert client.post(balance, headers=other.headers()).status_code == 404
    assert client.post(block, json={"reason": "robo"}, headers=other.headers()).status_code == 404
    assert client.get(f"/api/v1/cards?product_id={holder.product.id}", headers=other.headers()).status_code == 404
    assert client.get("/api/v1/cards", headers=other.headers()).json["data"] == []
    second = Product(company_id=holder.company.id, name="Clásica In", brand="Visa", bin="450715", named=False)
    db.session.add(second)
    db.session.commit()
    narrow = {"Authorization": f"Bearer {api_helpers.another_key(holder, product_ids=[second.id])}"}
    assert client.post(balance, headers=narrow).status_code == 404
    consult = {"Authorization": f"Bearer {api_helpers.another_key(holder, scopes=['consult'])}"}
    forbidden = client.post(balance, headers=consult)
    assert forbidden.status_code == 403 and forbidden.content_type == PROBLEM
    assert client.post(block, json={"reason": "robo"}, headers=consult).status_code == 403
    money_only = {"Authorization": f"Bearer {api_helpers.another_key(holder, scopes=['master_account'])}"}
    assert client.get("/api/v1/cards", headers=money_only).status_code == 403
    api_keys.revoke(holder.user, holder.key)
    assert client.post(balance, headers=holder.headers()).status_code == 401
    assert db.session.query(CardOperation).count() == 0 and h.master_balance(access) == Decimal("1000.00")


def test_another_companys_card_with_an_idempotency_key_is_a_404_problem_kept_for_the_retry(client, erp):
    holder, _, card = erp
    other = api_helpers.keyed("otro", nit="800197268")
    headers = other.headers(**{"Idempotency-Key": "saldo-1"})
    first = client.post(f"/api/v1/cards/{card.id}/balance", headers=headers)
    again = client.post(f"/api/v1/cards/{card.id}/balance", headers=headers)
    assert first.status_code == again.status_code == 404
    assert first.content_type == again.content_type == PROBLEM and again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json and "no es de su empresa" in first.json["detail"]
