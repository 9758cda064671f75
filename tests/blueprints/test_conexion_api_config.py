"""Conexión Empresas › Configuración › API (issue #12): the company's keys and webhooks —
what every member sees, what only an administrator does (with the password), the secrets
shown once, what is refused (403, 404, CSRF, a wrong password, a bad URL)."""
import json
import re

import pytest

from portal.extensions import db
from portal.models import ApiKey, AuditEvent, Membership, WebhookDelivery, WebhookEndpoint
from portal.queue import get_queue
from portal.services import webhooks
from tests import factories
from tests.blueprints.test_conexion_home import HTMX, setup_companies
from tests.conftest import csrf_token, post

SECRET = re.compile(r'id="secret" type="text" value="([^"]+)"')


@pytest.fixture
def companies(auth):
    """jhomez administers JAHC (upload and consult, no master account); in COOP he only looks."""
    jahc, coop, other = setup_companies(auth)
    membership = db.session.query(Membership).filter_by(company_id=jahc.id).one()
    membership.can_admin_company, membership.can_master_account = True, False
    db.session.commit()
    return jahc, coop, other


def page(company):
    return f"/empresas/configuracion/api/{company.id}"


def refusals(reason):
    return [json.loads(e.detail)["reason"] for e in db.session.query(AuditEvent).filter_by(
        action="conexion.access_refused")].count(reason)


def make_key(client, company, scopes=("upload", "consult"), password=factories.PASSWORD, **extra):
    url = f"{page(company)}/llaves/nueva"
    return post(client, url, {"nombre": "ERP nómina", "permisos": list(scopes), "password": password, **extra},
                page=url)


def test_the_menu_offers_api_and_the_page_lists_the_keys_to_every_member(client, companies):
    jahc, coop, _ = companies
    body = client.get("/empresas/").get_data(as_text=True)
    assert 'href="/empresas/configuracion/api/">API</a>' in body
    assert client.get("/empresas/configuracion/api/", query_string={"empresa": jahc.id}).headers["Location"] \
        == page(jahc)
    make_key(client, jahc)
    body = client.get(page(jahc)).get_data(as_text=True)
    assert "ERP nómina" in body and "Cargar y confirmar lotes; Consultar lotes, órdenes y tarjetas" in body
    assert "Crear llave" in body and "Revocar" in body and "Registrar webhook" in body
    looker = client.get(page(coop)).get_data(as_text=True)  # not an administrator of COOP
    assert "Llaves de API" in looker and "La empresa no tiene llaves de API." in looker
    assert "Crear llave" not in looker and "Registrar webhook" not in looker and "Ver entregas" not in looker
    assert "se necesita el permiso de administrar la empresa" in looker


def test_without_the_permission_every_action_is_403_and_audited(client, companies):
    _, coop, _ = companies
    token = csrf_token(client, page(coop))
    for url in ("/llaves/nueva", "/webhooks/nuevo", "/webhooks/entregas"):
        assert client.get(page(coop) + url).status_code == 403
    for url in ("/llaves/nueva", "/webhooks/nuevo"):
        response = client.post(page(coop) + url, data={"csrf_token": token, "nombre": "x", "permisos": "upload",
                                                       "url": "https://erp.example.com/", "password": factories.PASSWORD})
        assert response.status_code == 403
    assert refusals("forbidden") == 5
    assert db.session.query(ApiKey).count() == 0 and db.session.query(WebhookEndpoint).count() == 0


def test_another_companys_page_key_or_webhook_is_a_404(client, companies):
    jahc, _, other = companies
    stranger = factories.user("corporate", "ajeno")
    factories.member(stranger, other, can_admin_company=True)
    from portal.services import api_keys
    membership = db.session.query(Membership).filter_by(user_id=stranger.id).one()
    foreign_key = api_keys.create(stranger, membership, "Ajena", ["upload"]).key
    foreign_hook = webhooks.register(stranger, other, "https://otra.example.com/eventos").endpoint
    assert client.get(page(other)).status_code == 404
    assert client.get(f"{page(jahc)}/llaves/{foreign_key.id}/revocar").status_code == 404
    assert client.get(f"{page(jahc)}/webhooks/{foreign_hook.id}/desactivar").status_code == 404
    token = csrf_token(client, page(jahc))
    response = client.post(f"{page(jahc)}/llaves/{foreign_key.id}/revocar",
                           data={"csrf_token": token, "password": factories.PASSWORD})
    assert response.status_code == 404
    assert refusals("not_found") == 4
    assert db.session.get(ApiKey, foreign_key.id).revoked_at is None


def test_a_post_without_the_csrf_token_is_refused(client, companies):
    jahc, _, _ = companies
    response = client.post(f"{page(jahc)}/llaves/nueva", data={"nombre": "ERP", "permisos": "upload",
                                                               "password": factories.PASSWORD})
    assert response.status_code == 400 and db.session.query(ApiKey).count() == 0


def test_a_wrong_password_makes_no_key_and_counts(client, companies):
    jahc, _, _ = companies
    response = make_key(client, jahc, password="Otra#99zz")
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "La contraseña no es correcta." in body
    assert 'value="ERP nómina"' in body  # what was typed stays
    assert db.session.query(ApiKey).count() == 0
    assert db.session.query(AuditEvent).filter_by(action="api.key_create_wrong_password").count() == 1


def test_five_wrong_passwords_lock_the_user_out(client, companies):
    jahc, _, _ = companies
    for _ in range(4):
        assert make_key(client, jahc, password="Otra#99zz").status_code == 422
    locked = make_key(client, jahc, password="Otra#99zz")
    assert locked.status_code == 303 and locked.headers["Location"].startswith("/empresas/ingresar")
    assert client.get(page(jahc)).status_code in (302, 303)  # the session is over
    assert db.session.query(ApiKey).count() == 0


def test_a_user_without_companies_is_told_so(client, auth):
    auth.as_new("corporate", "solo")
    body = client.get("/empresas/configuracion/api/").get_data(as_text=True)
    assert "Su usuario no tiene empresas asociadas." in body and "Crear llave" not in body


def test_the_key_is_shown_once_and_works_against_the_api(client, companies):
    jahc, _, _ = companies
    response = make_key(client, jahc)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "no se volverá a mostrar" in body
    secret = SECRET.search(body).group(1)
    key = db.session.query(ApiKey).one()
    assert secret.startswith(key.prefix + ".") and key.scopes == "consult upload"
    assert "no-store" in response.headers["Cache-Control"]
    assert secret not in client.get(page(jahc)).get_data(as_text=True)  # never again
    api = client.application.test_client()  # no session: the key alone
    listed = api.get("/api/v1/products", headers={"Authorization": f"Bearer {secret}"})
    assert listed.status_code == 200 and {p["id"] for p in listed.json["data"]} == {p.id for p in jahc.products}
    assert db.session.query(AuditEvent).filter_by(action="api.key_created").count() == 1


def test_htmx_gets_the_modal_and_the_key_in_it(client, companies):
    jahc, _, _ = companies
    form = client.get(f"{page(jahc)}/llaves/nueva", headers=HTMX).get_data(as_text=True)
    assert "<html" not in form and "<dialog open" in form and 'name="password"' in form
    assert 'value="upload"' in form and 'value="consult"' in form
    assert 'value="master_account"' not in form  # jhomez has no master account in JAHC
    url = f"{page(jahc)}/llaves/nueva"
    made = post(client, url, {"nombre": "ERP", "permisos": "upload", "password": factories.PASSWORD}, page=url,
                headers=HTMX)
    assert made.status_code == 200 and "<html" not in made.get_data(as_text=True)
    assert SECRET.search(made.get_data(as_text=True))


def test_a_scope_the_member_lacks_is_refused_by_name(client, companies):
    jahc, _, _ = companies
    response = make_key(client, jahc, scopes=("upload", "master_account"))
    assert response.status_code == 422
    assert "Cuenta maestra" in response.get_data(as_text=True) and db.session.query(ApiKey).count() == 0


def test_a_key_limited_to_a_product(client, companies):
    jahc, _, _ = companies
    second = jahc.products[1]
    body = make_key(client, jahc, productos=[str(second.id)]).get_data(as_text=True)
    secret = SECRET.search(body).group(1)
    listed = client.application.test_client().get("/api/v1/products", headers={"Authorization": f"Bearer {secret}"})
    assert [p["id"] for p in listed.json["data"]] == [second.id]
    assert "Clásica In / Visa" in client.get(page(jahc)).get_data(as_text=True)


def test_revoke_with_the_password_once(client, companies):
    jahc, _, _ = companies
    secret = SECRET.search(make_key(client, jahc).get_data(as_text=True)).group(1)
    key = db.session.query(ApiKey).one()
    url = f"{page(jahc)}/llaves/{key.id}/revocar"
    wrong = post(client, url, {"password": "Otra#99zz"}, page=url)
    assert wrong.status_code == 422 and db.session.get(ApiKey, key.id).revoked_at is None
    done = post(client, url, {"password": factories.PASSWORD}, page=url)
    assert done.status_code == 303 and done.headers["Location"] == page(jahc)
    db.session.expire_all()
    assert db.session.get(ApiKey, key.id).revoked_at is not None
    api = client.application.test_client()
    assert api.get("/api/v1/products", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert "ya está revocada" in client.get(url).get_data(as_text=True)
    again = post(client, url, {"password": factories.PASSWORD}, page=page(jahc))
    assert again.status_code == 303
    assert db.session.query(AuditEvent).filter_by(action="api.key_revoked").count() == 1
    assert "Revocada el" in client.get(page(jahc)).get_data(as_text=True)


# --- webhooks --------------------------------------------------------------------------------

def register(client, company, url, password=factories.PASSWORD):
    form = f"{page(company)}/webhooks/nuevo"
    return post(client, form, {"url": url, "password": password}, page=form)


@pytest.mark.parametrize("url,allow_http,allow_private,message", [
    ("", True, True, "Escriba la URL"),
    ("erp.example.com/eventos", True, True, "debe empezar por https://"),
    ("http://erp.example.com/eventos", False, True, "debe empezar por https://"),
    ("https://usuario:clave@erp.example.com/", True, True, "no debe llevar usuario ni contraseña"),
    ("https://erp.example.com:puerto/", True, True, "revise el puerto"),
    ("https://127.0.0.1/eventos", True, False, "SSRF"),
    ("https://localhost:8443/eventos", True, False, "dirección interna o privada"),
    ("https://10.0.0.5/eventos", True, False, "SSRF"),
    ("https://169.254.169.254/latest/meta-data", True, False, "SSRF"),
    ("https://[::1]/eventos", True, False, "SSRF"),
])
def test_a_bad_url_is_refused_with_its_reason(app, client, companies, url, allow_http, allow_private, message):
    jahc, _, _ = companies
    app.config.update(WEBHOOK_ALLOW_HTTP=allow_http, WEBHOOK_ALLOW_PRIVATE=allow_private)
    response = register(client, jahc, url)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.query(WebhookEndpoint).count() == 0


def test_a_public_https_url_is_registered_its_secret_shown_once(app, client, companies):
    jahc, _, _ = companies
    app.config.update(WEBHOOK_ALLOW_HTTP=False, WEBHOOK_ALLOW_PRIVATE=False)
    response = register(client, jahc, "https://8.8.8.8/portal/eventos")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "no se volverá a mostrar" in body
    secret = SECRET.search(body).group(1)
    endpoint = db.session.query(WebhookEndpoint).one()
    assert secret == endpoint.secret and secret.startswith("whsec_")
    listed = client.get(page(jahc)).get_data(as_text=True)
    assert "https://8.8.8.8/portal/eventos" in listed and secret not in listed
    assert db.session.query(AuditEvent).filter_by(action="api.webhook_registered").count() == 1


def test_a_wrong_password_registers_nothing(client, companies):
    jahc, _, _ = companies
    response = register(client, jahc, "https://erp.example.com/eventos", password="Otra#99zz")
    assert response.status_code == 422 and "La contraseña no es correcta." in response.get_data(as_text=True)
    assert db.session.query(WebhookEndpoint).count() == 0


def test_disable_with_the_password(client, companies):
    jahc, _, _ = companies
    register(client, jahc, "https://erp.example.com/eventos")
    endpoint = db.session.query(WebhookEndpoint).one()
    url = f"{page(jahc)}/webhooks/{endpoint.id}/desactivar"
    done = post(client, url, {"password": factories.PASSWORD}, page=url)
    assert done.status_code == 303
    db.session.expire_all()
    assert db.session.get(WebhookEndpoint, endpoint.id).disabled_at is not None
    assert "Desactivado el" in client.get(page(jahc)).get_data(as_text=True)


def test_the_deliveries_are_paged_with_their_tries_and_a_failed_one_retried(app, client, companies):
    jahc, _, _ = companies
    app.config["WEBHOOK_RETRY_INTERVALS"] = []
    register(client, jahc, "https://erp.example.com/eventos")
    for n in range(12):
        webhooks.emit(jahc.id, "order.paid", {"order_id": n})
    db.session.commit()
    first = db.session.query(WebhookDelivery).order_by(WebhookDelivery.id).first()
    with pytest.raises(webhooks.DeliveryFailed):
        webhooks.deliver(first.id, post=lambda url, body, headers, timeout: 500)
    get_queue("default").empty()
    url = f"{page(jahc)}/webhooks/entregas"
    body = client.get(url).get_data(as_text=True)
    assert "de un total de 12 registro(s)" in body and body.count('id="delivery-') == 10
    second = client.get(url, query_string={"pagina": 2}, headers=HTMX).get_data(as_text=True)
    assert "<html" not in second and f'id="delivery-{first.id}"' in second
    assert "HTTP 500" in second and "Fallido" in second and "Reintentar" in second
    only_failed = client.get(url, query_string={"estado": "failed"}).get_data(as_text=True)
    assert only_failed.count('id="delivery-') == 1
    retried = post(client, f"{url}/{first.id}/reintentar", {"volver": url + "?pagina=2"}, page=url)
    assert retried.status_code == 303 and retried.headers["Location"] == url + "?pagina=2"
    db.session.expire_all()
    assert db.session.get(WebhookDelivery, first.id).status == "pending" and get_queue("default").count == 1
    assert db.session.query(AuditEvent).filter_by(action="api.webhook_retried").count() == 1
