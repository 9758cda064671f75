"""Cross-cutting promises: CSRF on every state change, Spanish error pages without
tracebacks, headers, and forms that survive an expired session."""
import json
import re

import pytest
from flask import render_template_string, request

from portal.authz import require
from portal.extensions import db
from portal.models import AuditEvent, PendingForm
from tests import factories

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
# Server-to-server endpoints authenticated by a signature instead of a CSRF token.
SIGNED_WEBHOOKS = {"/pagos-express/eventos"}
# The ERP API: a key in a header, never a cookie, so nothing for a forged form to ride on.
API_PREFIX = "/api/"


def _sample_url(rule):
    values = {}
    for name, converter in rule._converters.items():
        kind = type(converter).__name__
        values[name] = 1 if kind in ("IntegerConverter", "NumberConverter") else "active" if kind == "FileKind" \
            else min(converter.items) if kind == "AnyConverter" else "x"
    return rule.build(values, append_unknown=False)[1]


def test_every_state_changing_route_refuses_a_request_without_csrf_token(app, client, auth):
    auth.as_new("staff", "admin", roles="admin")
    rules = [r for r in app.url_map.iter_rules()
             if STATE_CHANGING & set(r.methods) and r.rule not in SIGNED_WEBHOOKS
             and not r.rule.startswith(API_PREFIX)]
    assert len(rules) >= 10
    before = db.session.query(AuditEvent).count()
    for rule in rules:
        url = _sample_url(rule)
        for method in sorted(STATE_CHANGING & set(rule.methods)):
            response = client.open(url, method=method, data={"x": "1"})
            assert response.status_code == 400, f"{method} {url} answered {response.status_code}"
            assert "La página expiró" in response.get_data(as_text=True)
            htmx = client.open(url, method=method, data={"x": "1"}, headers={"HX-Request": "true"})
            assert htmx.status_code == 400, f"{method} {url} (htmx) answered {htmx.status_code}"
    assert db.session.query(AuditEvent).count() == before


def test_every_state_changing_api_route_refuses_a_signed_in_browser_without_a_key(app, client, auth):
    """A staff or company session cookie is not an API credential: 401, nothing done."""
    auth.as_new("corporate", "jhomez")
    rules = [r for r in app.url_map.iter_rules() if STATE_CHANGING & set(r.methods) and r.rule.startswith(API_PREFIX)]
    assert len(rules) >= 8
    before = db.session.query(AuditEvent).count()
    for rule in rules:
        url = _sample_url(rule)
        for method in sorted(STATE_CHANGING & set(rule.methods)):
            response = client.open(url, method=method, json={"x": "1"})
            assert response.status_code == 401, f"{method} {url} answered {response.status_code}"
    assert db.session.query(AuditEvent).count() == before


def test_signed_webhooks_refuse_unsigned_requests(client):
    for url in SIGNED_WEBHOOKS:
        response = client.post(url, json={"event": "transaction.updated", "data": {}})
        assert response.status_code == 400


def test_the_csrf_token_in_the_htmx_header_is_accepted(client):
    token = re.search(r'"X-CSRFToken": "([^"]+)"', client.get("/").get_data(as_text=True)).group(1)
    response = client.post("/contrasena/reglas", data={"new_password": "x"},
                           headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 200


@pytest.mark.parametrize("url,code,title", [
    ("/no-existe", 404, "Página no encontrada"),
    ("/personal/", 403, "Acceso no permitido"),
])
def test_error_pages_are_spanish(client, auth, url, code, title):
    auth.as_new("corporate", "jhomez")
    response = client.get(url)
    assert response.status_code == code
    body = response.get_data(as_text=True)
    assert title in body and 'lang="es-CO"' in body


def test_method_not_allowed_is_spanish(client):
    """The 405 page in Spanish, for a page and for htmx alike: htmx does not swap an error
    in, app.js shows the page's `main h1` and the paragraph after it."""
    for headers in ({}, {"HX-Request": "true"}):
        response = client.delete("/", headers=headers)
        assert response.status_code == 405, headers
        assert response.mimetype == "text/html"
        body = response.get_data(as_text=True)
        assert 'lang="es-CO"' in body and "<title>Operación no permitida" in body
        main = re.search(r"<main[^>]*>(.*)</main>", body, re.S).group(1)
        assert re.search(r"<h1>Operación no permitida</h1>\s*<p>Esta página no admite esa operación\.</p>", main)
        assert "Error 405" in main
        for unwanted in ("Method Not Allowed", "The method is not allowed", "Traceback", 'File "'):
            assert unwanted not in body, (headers, unwanted)


def test_an_unexpected_error_shows_no_traceback(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/explota")
    def explode():
        raise RuntimeError("secreto interno")

    response = app.test_client().get("/explota")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Error en el servidor" in body
    assert "secreto interno" not in body and "Traceback" not in body


def test_security_headers_and_vary(client):
    response = client.get("/empresas/ingresar")
    assert "HX-Request" in response.headers["Vary"]
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_session_cookie_flags(auth):
    factories.user("staff", "analista")
    response = auth.login("staff", "analista")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_htmx_request_without_session_gets_hx_redirect(client):
    response = client.get("/personal/", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/personal/ingresar")


def test_secure_cookie_is_the_production_default():
    from portal.config import Config

    assert Config.SESSION_COOKIE_SECURE is (Config.ENV_NAME == "production")
    assert Config.MAX_CONTENT_LENGTH and Config.PERMANENT_SESSION_LIFETIME.total_seconds() == 12 * 3600


# --- nothing typed is lost -------------------------------------------------------------

NOTE_PAGE = """{% extends "base.html" %}{% block content %}
<form method="post" action="/personal/nota"><input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
<input name="observacion"><input name="valor"><input type="password" name="password"><button>Guardar</button></form>
{% endblock %}"""


@pytest.fixture
def note_page(app):
    saved = []

    @require("staff")
    def page():
        if request.method == "POST":
            saved.append(request.form["observacion"])
            return "guardado"
        return render_template_string(NOTE_PAGE)

    app.add_url_rule("/personal/nota", "nota", page, methods=["GET", "POST"])
    return saved


def test_a_form_posted_after_the_session_expired_comes_back_filled(client, auth, note_page, frozen_clock):
    auth.as_new("staff", "analista")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/personal/nota").get_data(as_text=True)).group(1)
    frozen_clock.advance(31 * 60)
    response = client.post("/personal/nota", data={"csrf_token": token, "observacion": "Pago parcial de mayo",
                                                   "valor": "175277", "password": "secreta"},
                           headers={"Referer": "http://localhost/personal/nota"})
    assert response.status_code == 303
    assert note_page == []
    stored = db.session.query(PendingForm).one()
    assert "secreta" not in stored.fields_json and "csrf" not in stored.fields_json
    after = auth.login("staff", "analista")
    assert after.headers["Location"] == "/personal/nota"
    page = client.get("/personal/nota").get_data(as_text=True)
    restored = json.loads(re.search(r'id="restored-form">(.*?)</script>', page).group(1))
    assert restored == {"observacion": ["Pago parcial de mayo"], "valor": ["175277"]}
    assert db.session.query(PendingForm).count() == 0  # shown once
    assert "restored-form" not in client.get("/personal/nota").get_data(as_text=True)


def test_someone_else_signing_in_does_not_get_the_stashed_form(client, auth, note_page, frozen_clock):
    auth.as_new("staff", "analista")
    factories.user("staff", "otro", email="otro@example.com")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/personal/nota").get_data(as_text=True)).group(1)
    frozen_clock.advance(31 * 60)
    client.post("/personal/nota", data={"csrf_token": token, "observacion": "privado"},
                headers={"Referer": "http://localhost/personal/nota"})
    assert auth.login("staff", "otro").headers["Location"] == "/personal/"
    assert "privado" not in client.get("/personal/nota").get_data(as_text=True)


def test_keep_alive_extends_the_idle_deadline(client, auth, frozen_clock):
    auth.as_new("staff", "analista")
    token = re.search(r'"X-CSRFToken": "([^"]+)"', client.get("/personal/").get_data(as_text=True)).group(1)
    frozen_clock.advance(28 * 60)
    response = client.post("/sesion/renovar", headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 200 and response.get_json()["seconds"] == 30 * 60
    frozen_clock.advance(29 * 60)
    assert client.get("/personal/").status_code == 200


def test_background_polls_do_not_keep_an_idle_session_alive(client, auth, frozen_clock):
    auth.as_new("staff", "analista")
    for _ in range(4):
        frozen_clock.advance(10 * 60)
        client.get("/personal/", headers={"X-Portal-Poll": "1"})
    assert client.get("/personal/").status_code == 303


@pytest.mark.parametrize("app_config,expected", [
    ({"STRICT_TRANSPORT_SECURITY": "max-age=31536000"}, "max-age=31536000"),
    ({"STRICT_TRANSPORT_SECURITY": ""}, None),
])
def test_strict_transport_security_in_production_only(client, app_config, expected):
    assert client.get("/").headers.get("Strict-Transport-Security") == expected
    assert client.get("/no-existe").headers.get("Strict-Transport-Security") == expected


@pytest.mark.parametrize("env,expected", [("production", "max-age=31536000"), ("development", "")])
def test_production_sends_strict_transport_security_by_default(env, expected):
    import os
    import subprocess
    import sys

    environ = {k: v for k, v in os.environ.items() if k != "STRICT_TRANSPORT_SECURITY"}
    shown = subprocess.run(
        [sys.executable, "-c", "from portal.config import Config; print(Config.STRICT_TRANSPORT_SECURITY)"],
        env={**environ, "PORTAL_ENV": env}, capture_output=True, text=True, check=True).stdout
    assert shown.strip() == expected
