"""Who gets in (/api/v1): the key, its revocation, its scopes and products, its rate,
its audit; errors as problem+json in Spanish; no session cookie."""
from portal.domain import api
from portal.extensions import db
from portal.models import ApiKey, AuditEvent, Product
from portal.services import api_keys
from tests import api_helpers, factories

PROBLEM = "application/problem+json"


def test_no_key_is_a_401_problem_in_spanish(client):
    response = client.get("/api/v1/products")
    assert response.status_code == 401
    assert response.content_type == PROBLEM
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in response.json["detail"]
    assert "Set-Cookie" not in response.headers


def test_a_key_lists_its_company_products_only(client):
    mine = api_helpers.keyed()
    other = api_helpers.keyed("otro", nit="800197268")
    response = client.get("/api/v1/products", headers=mine.headers())
    assert response.status_code == 200, response.json
    assert [p["id"] for p in response.json["data"]] == [mine.product.id]
    assert other.product.id not in [p["id"] for p in response.json["data"]]
    assert "Set-Cookie" not in response.headers


def test_a_wrong_secret_with_a_real_prefix_is_refused(client):
    mine = api_helpers.keyed()
    forged = mine.key.prefix + ".otra-cosa"
    response = client.get("/api/v1/products", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    assert "no es válida" in response.json["detail"]


def test_a_revoked_key_is_refused_from_its_next_request(client):
    mine = api_helpers.keyed()
    assert client.get("/api/v1/products", headers=mine.headers()).status_code == 200
    assert api_keys.revoke(mine.user, mine.key)
    assert not api_keys.revoke(mine.user, mine.key)  # once
    assert client.get("/api/v1/products", headers=mine.headers()).status_code == 401


def test_a_key_dies_with_its_members_account(client):
    mine = api_helpers.keyed()
    mine.user.is_active_account = False
    db.session.commit()
    assert client.get("/api/v1/products", headers=mine.headers()).status_code == 401


def test_a_key_limited_to_a_product_sees_only_it(client):
    mine = api_helpers.keyed()
    second = Product(company_id=mine.company.id, name="Clásica In", brand="Visa", bin="450715", named=False)
    db.session.add(second)
    db.session.commit()
    secret = api_helpers.another_key(mine, product_ids=[second.id])
    response = client.get("/api/v1/products", headers={"Authorization": f"Bearer {secret}"})
    assert [p["id"] for p in response.json["data"]] == [second.id]


def test_only_the_hash_is_stored(client):
    mine = api_helpers.keyed()
    row = db.session.get(ApiKey, mine.key.id)
    assert mine.secret not in (row.secret_hash, row.prefix)
    assert row.secret_hash == api.key_hash(mine.secret)


def test_every_use_is_audited_and_the_last_use_kept(client):
    mine = api_helpers.keyed()
    client.get("/api/v1/products", headers=mine.headers())
    event = db.session.query(AuditEvent).filter_by(action="api.request").one()
    assert event.subject == f"api_key:{mine.key.id}"
    assert event.actor_id == mine.user.id
    assert '"status": 200' in event.detail
    assert db.session.get(ApiKey, mine.key.id).last_used_at is not None


def test_a_key_cannot_have_more_than_its_member(client):
    user = factories.user("corporate", "limitado")
    company = factories.company()
    factories.member(user, company, can_upload=True, can_consult=True, can_master_account=False)
    membership = company_membership(user, company)
    try:
        api_keys.create(user, membership, "ERP", ["master_account"])
    except api_keys.KeyRefused as refused:
        assert "Cuenta maestra" in str(refused)
    else:
        raise AssertionError("a key got a permission its member lacks")


def company_membership(user, company):
    from portal.models import Membership
    return db.session.query(Membership).filter_by(user_id=user.id, company_id=company.id).one()


def test_the_rate_limit_answers_429_with_retry_after(app, client):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    mine = api_helpers.keyed()
    codes = [client.get("/api/v1/products", headers=mine.headers()).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = client.get("/api/v1/products", headers=mine.headers())
    assert response.content_type == PROBLEM
    assert 1 <= int(response.headers["Retry-After"]) <= 61
    other = api_helpers.another_key(mine)  # per key
    assert client.get("/api/v1/products", headers={"Authorization": f"Bearer {other}"}).status_code == 200


def test_unknown_api_path_is_a_404_problem(client):
    response = client.get("/api/v1/no-existe")
    assert response.status_code == 404
    assert response.content_type == PROBLEM


def test_the_document_is_openapi_3_1_with_the_key_and_problems(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"] == "3.1.0"
    assert doc["components"]["securitySchemes"]["llave"]["scheme"] == "bearer"
    operation = doc["paths"]["/api/v1/products"]["get"]
    assert PROBLEM in operation["responses"]["401"]["content"]
    assert "Retry-After" in operation["responses"]["429"]["headers"]


def test_the_document_describes_every_webhook_event(client):
    webhooks = client.get("/api/v1/openapi.json").json["webhooks"]
    assert set(webhooks) == {"batch.validated", "batch.invalid", "batch.processed", "order.created",
                             "order.paid", "order.annulled", "card.loaded"}
    headers = {p["name"] for p in webhooks["order.paid"]["post"]["parameters"]}
    assert "X-Portal-Signature" in headers


def test_the_docs_page_lists_the_operations(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "GET /api/v1/products" in page
    assert "Productos de la empresa" in page
    assert "X-Portal-Signature" in page and "card.loaded" in page


def test_the_cli_prints_a_working_key_once(app, client):
    user = factories.user("corporate", "erpcli")
    company = factories.company()
    factories.member(user, company, can_upload=True, can_consult=True, can_admin_company=True)
    result = app.test_cli_runner().invoke(args=["api", "llave", "--usuario", "erpcli", "--nit", company.nit])
    assert result.exit_code == 0, result.output
    secret = result.output.strip()
    assert client.get("/api/v1/products", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    refused = app.test_cli_runner().invoke(args=["api", "llave", "--usuario", "erpcli", "--nit", "1"])
    assert refused.exit_code != 0 and "no pertenece" in refused.output


def test_an_id_beyond_any_row_is_a_404_not_a_database_error(client):
    mine = api_helpers.keyed()
    response = client.get(f"/api/v1/batches/{2**63}", headers=mine.headers())
    assert response.status_code == 404 and response.content_type == PROBLEM


def test_a_date_filter_takes_only_a_calendar_day(client):
    mine = api_helpers.keyed()
    response = client.get("/api/v1/batches?to=0", headers=mine.headers())
    assert response.status_code == 422
    assert response.json["errors"] == [{"field": "to", "message": "debe ser una fecha AAAA-MM-DD"}]
    assert client.get("/api/v1/batches?to=2026-11-30", headers=mine.headers()).status_code == 200
