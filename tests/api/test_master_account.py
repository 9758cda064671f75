"""GET /api/v1/master-account and its movements (the Cuenta maestra report's rows), POST
/master-account/credits (several cards, one commission each, all or nothing, with a
description) and /debits: exact money, refusals as 422 problems in Spanish, a replayed
Idempotency-Key that moves money once, and (PostgreSQL) ten abonos at once."""
import os
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.domain import clock
from portal.extensions import db
from portal.models import CardOperation, LedgerEntry, MasterDeposit, Product
from portal.services import api_keys, conexion, ledger, reports
from portal.services.reports import criteria as report_criteria
from tests import api_helpers
from tests import card_helpers as h
from tests.services.test_batch_concurrency import race

D = Decimal
PROBLEM = "application/problem+json"


@pytest.fixture
def erp(app):
    """1,000.00 in the master account (transfer and debit fees 55.00) and two cards."""
    holder = api_helpers.keyed()
    access = conexion.access(holder.user, holder.company.id, holder.product.id)
    h.fund(access, "1000.00")
    first = h.card(access, balance="40.00")
    second = h.card(access, "5678", holder="222", name="PEDRO GOMEZ")
    return holder, access, first, second


def credit(client, holder, **body):
    headers = holder.headers(**({"Idempotency-Key": body.pop("key")} if "key" in body else {}))
    return client.post("/api/v1/master-account/credits", json=dict({"product_id": holder.product.id}, **body),
                       headers=headers)


def test_the_balance_and_the_deposited_total(client, erp):
    holder, access, _, _ = erp
    db.session.add(MasterDeposit(company_id=holder.company.id, product_id=holder.product.id, amount=D("250000.50"),
                                 bank_reference="CONS-1", deposited_on=clock.utcnow().date(), status="confirmed",
                                 registered_by_id=holder.user.id))
    db.session.commit()
    response = client.get(f"/api/v1/master-account?product_id={holder.product.id}", headers=holder.headers())
    assert response.status_code == 200, response.json
    assert response.json == {"product_id": holder.product.id, "balance": "1000.00", "deposited": "250000.50"}


def test_an_abono_to_several_cards_with_its_description(client, erp):
    holder, access, first, second = erp
    response = credit(client, holder, card_ids=[second.id, first.id], amount="100.50",
                      description="  Auxilio de\u200b alimentación   marzo ")  # a zero-width space left out
    assert response.status_code == 200, response.json
    body = response.json
    assert body["master_balance"] == "689.00"  # 1,000.00 − 2 × (100.50 + 55.00)
    assert body["description"] == "Auxilio de alimentación marzo"
    assert [(op["card_id"], op["amount"], op["commission"], op["card_balance"]) for op in body["operations"]] == [
        (first.id, "100.50", "55.00", "140.50"), (second.id, "100.50", "55.00", "100.50")]
    assert h.master_balance(access) == D("689.00") and h.card_balance(second) == D("100.50")
    texts = db.session.scalars(select(LedgerEntry.description).where(
        LedgerEntry.txn_id == body["operations"][0]["transaction_id"])).all()
    assert sorted(texts) == ["Auxilio de alimentación marzo", "Auxilio de alimentación marzo",
                             "Comisión abono a tarjeta 450714******1234", "Comisión abono a tarjeta 450714******1234"]
    assert ledger.differences() == []


def test_movements_are_the_reports_rows_cursor_paged(client, erp):
    holder, access, first, second = erp
    assert credit(client, holder, card_ids=[first.id], amount="10.00", description="Bono").status_code == 200
    assert client.post("/api/v1/master-account/debits", json={"card_id": first.id, "amount": "20.25"},
                       headers=holder.headers()).status_code == 200
    url = f"/api/v1/master-account/movements?product_id={holder.product.id}"
    page = client.get(url + "&limit=3", headers=holder.headers()).json
    rest = client.get(url + f"&limit=3&cursor={page['next_cursor']}", headers=holder.headers()).json
    assert rest["next_cursor"] is None
    rows = page["data"] + rest["data"]
    expected, _ = reports.master_page(access, report_criteria({}, clock.utcnow().date()), 1, 50)
    assert [(r["description"], r["reference"], r["charge"], r["credit"], r["balance"]) for r in rows] == [
        (line.description, line.reference, f"{line.charge:.2f}" if line.charge else None,
         f"{line.credit:.2f}" if line.credit else None, f"{line.balance:.2f}") for line in expected]
    assert [(r["description"], r["charge"], r["credit"], r["balance"]) for r in rows] == [
        ("Comisión cargo a tarjeta 450714******1234", "55.00", None, "900.25"),
        ("Cargo a tarjeta 450714******1234", None, "20.25", "955.25"),
        ("Bono", "10.00", None, "935.00"),
        ("Comisión abono a tarjeta 450714******1234", "55.00", None, "945.00"),
        ("Fondeo", None, "1000.00", "1000.00")]
    assert rows[0]["created_at"].endswith("-05:00") and rows[0]["reference"] == "Tarjeta 1234"
    tomorrow = (clock.utcnow() + timedelta(days=2)).date()
    assert client.get(url + f"&from={tomorrow}", headers=holder.headers()).json["data"] == []
    assert client.get(url + f"&from={tomorrow}&to=2026-01-01", headers=holder.headers()).json["data"] == []
    unknown = client.get(url + "&desde=2026-01-01", headers=holder.headers())
    assert unknown.status_code == 422 and unknown.json["errors"][0]["field"] == "desde"


@pytest.mark.parametrize("change, message", [
    ({"amount": "930.00"}, "Saldo insuficiente en la cuenta maestra para abonar a tarjeta (se requieren $\xa0985,00)."),
    ({"blocked": True}, "La tarjeta 450714******5678 está bloqueada: no admite abonos ni cargos."),
    ({"maximum": "100.00", "amount": "70.00"}, "El abono supera el saldo máximo permitido por tarjeta ($\xa0100,00)"),
])
def test_a_refused_abono_moves_nothing_on_any_card(client, erp, change, message):
    holder, access, first, second = erp
    if change.get("blocked"):
        second.status = "blocked"
    if change.get("maximum"):
        access.product.max_card_balance = D(change["maximum"])
    db.session.commit()
    response = credit(client, holder, card_ids=[first.id, second.id], amount=change.get("amount", "50.00"))
    assert response.status_code == 422 and response.content_type == PROBLEM
    assert response.json["detail"].startswith(message), response.json["detail"]
    assert h.master_balance(access) == D("1000.00") and h.card_balance(first) == D("40.00")
    assert db.session.query(CardOperation).filter_by(status="done").count() == 0


def test_a_debit_and_its_refusal(client, erp):
    holder, access, first, _ = erp
    url = "/api/v1/master-account/debits"
    done = client.post(url, json={"card_id": first.id, "amount": "40.00"}, headers=holder.headers())
    assert done.status_code == 200, done.json
    assert done.json["master_balance"] == "985.00" and done.json["operations"][0]["card_balance"] == "0.00"
    short = client.post(url, json={"card_id": first.id, "amount": "0.01"}, headers=holder.headers())
    assert short.status_code == 422
    assert short.json["detail"] == ("Saldo insuficiente en la tarjeta 450714******1234 para el cargo "
                                    "(saldo disponible $\xa00,00).")
    assert h.master_balance(access) == D("985.00")
    bad = client.post(url, json={"amount": "1.00"}, headers=holder.headers())
    assert bad.status_code == 422 and bad.json["errors"] == [{"field": "card_id", "message": "es obligatorio"}]


def test_an_abono_replayed_with_its_idempotency_key_moves_money_once(client, erp):
    holder, access, first, _ = erp
    once = credit(client, holder, card_ids=[first.id], amount="100.00", key="abono-marzo-1")
    again = credit(client, holder, card_ids=[first.id], amount="100.00", key="abono-marzo-1")
    assert once.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true" and again.json == once.json
    other_body = credit(client, holder, card_ids=[first.id], amount="200.00", key="abono-marzo-1")
    assert other_body.status_code == 422
    assert h.master_balance(access) == D("845.00") and h.card_balance(first) == D("140.00")
    assert db.session.query(CardOperation).count() == 1
    refused = credit(client, holder, card_ids=[first.id], amount="900.00", key="abono-marzo-2")
    assert credit(client, holder, card_ids=[first.id], amount="900.00", key="abono-marzo-2").json == refused.json
    assert refused.status_code == 422 and db.session.query(CardOperation).count() == 2  # the refusal, once


@pytest.mark.parametrize("body, field, message", [
    ({"amount": 100.5}, "amount", "debe ser un valor en pesos"),
    ({"amount": "100.555"}, "amount", "admite máximo 2 decimales"),
    ({"amount": "1e5"}, "amount", "debe ser un valor en pesos"),
    ({"amount": "0"}, "amount", "debe ser mayor que 0"),
    ({"amount": "100000000.01"}, "amount", "debe ser menor o igual a 100000000"),
    ({"card_ids": []}, "card_ids", "debe tener al menos 1 elementos"),
    ({"card_ids": list(range(1, 102))}, "card_ids", "admite máximo 100 elementos"),
    ({"card_ids": "1"}, "card_ids", "debe ser una lista"),
    ({"description": "x" * 61}, "description", "admite máximo 60 caracteres"),
    ({"description": "<b>hola</b>"}, "description", "no tiene el formato esperado"),
    ({"cuenta": "1"}, "cuenta", "no es un campo de esta operación"),
    ({"product_id": None}, "product_id", "debe ser un número entero"),
])
def test_a_bad_body_is_a_422_naming_the_field_in_spanish(client, erp, body, field, message):
    holder, access, first, _ = erp
    response = credit(client, holder, **dict({"card_ids": [first.id], "amount": "10.00"}, **body))
    assert response.status_code == 422 and response.content_type == PROBLEM
    assert [e["field"] for e in response.json["errors"]] == [field], response.json
    assert message in response.json["errors"][0]["message"]
    assert h.master_balance(access) == D("1000.00")


def test_a_card_repeated_is_refused(client, erp):
    holder, _, first, _ = erp
    response = credit(client, holder, card_ids=[first.id, first.id], amount="10.00")
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "card_ids"


def test_refusals_no_key_revoked_other_company_product_outside_key_and_scope(client, erp):
    holder, access, first, _ = erp
    other = api_helpers.keyed("otro", nit="800197268")
    stranger = h.card(conexion.access(other.user, other.company.id, other.product.id), "9999", holder="333")
    assert client.get(f"/api/v1/master-account?product_id={holder.product.id}").status_code == 401
    assert credit(client, holder, card_ids=[first.id, stranger.id], amount="1.00").status_code == 404
    assert client.post("/api/v1/master-account/debits", json={"card_id": stranger.id, "amount": "1.00"},
                       headers=holder.headers()).status_code == 404
    for path in ("/api/v1/master-account", "/api/v1/master-account/movements"):
        assert client.get(f"{path}?product_id={holder.product.id}", headers=other.headers()).status_code == 404
    assert credit(client, other, product_id=holder.product.id, card_ids=[first.id], amount="1.00").status_code == 404
    second = Product(company_id=holder.company.id, name="Clásica In", brand="Visa", bin="450715", named=False)
    db.session.add(second)
    db.session.commit()
    narrow = {"Authorization": f"Bearer {api_helpers.another_key(holder, product_ids=[second.id])}"}
    assert client.get(f"/api/v1/master-account?product_id={holder.product.id}", headers=narrow).status_code == 404
    consult = {"Authorization": f"Bearer {api_helpers.another_key(holder, scopes=['consult'])}"}
    forbidden = client.post("/api/v1/master-account/credits", headers=consult,
                            json={"product_id": holder.product.id, "card_ids": [first.id], "amount": "1.00"})
    assert forbidden.status_code == 403 and "Cuenta maestra" in forbidden.json["detail"]
    assert client.get(f"/api/v1/master-account?product_id={holder.product.id}", headers=consult).status_code == 403
    api_keys.revoke(holder.user, holder.key)
    assert credit(client, holder, card_ids=[first.id], amount="1.00").status_code == 401
    assert h.master_balance(access) == D("1000.00") and db.session.query(CardOperation).count() == 0


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                    reason="writers at once: on PostgreSQL (SQLite has one writer)")
def test_ten_abonos_at_once_succeed_as_far_as_the_money_goes(app, erp):
    holder, access, first, _ = erp
    cards = [first.id] + [h.card(access, f"{n:04d}", holder=f"10{n}").id for n in range(9)]
    product_id, headers, company = holder.product.id, holder.headers(), access.company
    product = access.product
    db.session.remove()
    turn = iter(range(10))

    def abono():
        n = next(turn)
        response = app.test_client().post("/api/v1/master-account/credits", headers=dict(
            headers, **{"Idempotency-Key": f"abono-{n}"}), json={"product_id": product_id, "card_ids": [cards[n]],
                                                                 "amount": "100.00"})
        return response.status_code, response.json.get("detail")

    results = race(app, abono, 10)
    assert sorted(code for code, _ in results) == [200] * 6 + [422] * 4  # 6 × 155.00 = 930.00 ≤ 1,000.00
    assert all(detail.startswith("Saldo insuficiente en la cuenta maestra") for code, detail in results if code == 422)
    master = ledger.company_account("master", db.session.merge(company), db.session.merge(product))
    entries = db.session.scalar(select(func.sum(LedgerEntry.amount)).where(LedgerEntry.account_id == master.id))
    assert ledger.balance(master) == D("70.00") == D(entries)
    assert ledger.differences() == []


def test_a_body_that_is_not_json_is_a_415(client, erp):
    holder, access, first, _ = erp
    for path in ("/api/v1/master-account/debits", "/api/v1/master-account/credits", f"/api/v1/cards/{first.id}/block"):
        response = client.post(path, data={"card_id": str(first.id), "amount": "1.00"}, headers=holder.headers())
        assert response.status_code == 415 and response.content_type == PROBLEM, path
    assert h.master_balance(access) == D("1000.00") and h.card_balance(first) == D("40.00")
