"""TRUSTED_PROXIES: behind that many proxies the client is the one they forwarded (its
address for the login rate limit, the audit and an API key's last use; its scheme, host,
port and mount point); with none, X-Forwarded-* are the client's own and ignored."""
import pytest
from flask import request

from portal.extensions import db
from portal.models import ApiKey, AuditEvent, UserSession
from tests import factories
from tests.api_helpers import keyed
from tests.conftest import LOGIN_PAGES, post

PROXY = {"REMOTE_ADDR": "10.0.0.2"}  # the proxy's address, as gunicorn sees it
LOGIN = LOGIN_PAGES["staff"]
FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "portal.caja.example", "X-Forwarded-Port": "443",
             "X-Forwarded-Prefix": "/portal"}


def seen_by_the_app(app, client, headers):
    app.add_url_rule("/_visto", "seen", lambda: {
        "ip": request.remote_addr, "scheme": request.scheme, "host": request.host, "root": request.script_root})
    return client.get("/_visto", headers=headers, environ_base=PROXY).get_json()


def sign_in(client, ip, password=factories.PASSWORD, username="ana"):
    return post(client, LOGIN, {"username": username, "password": password}, page=LOGIN,
                headers={"X-Forwarded-For": ip}, environ_base=PROXY)


def audited_ips(action):
    return [event.ip for event in db.session.query(AuditEvent).filter_by(action=action)]


@pytest.mark.parametrize("app_config", [{"TRUSTED_PROXIES": 1, "RATELIMIT_LOGIN_PER_IP": "2 per minute"}])
def test_behind_one_proxy_the_client_is_the_one_it_forwarded(app, client):
    # The client's own X-Forwarded-For (a spoof) comes first; the proxy appends what it saw.
    headers = {"X-Forwarded-For": "198.51.100.66, 203.0.113.9", **FORWARDED}
    assert seen_by_the_app(app, client, headers) == {
        "ip": "203.0.113.9", "scheme": "https", "host": "portal.caja.example", "root": "/portal"}

    factories.user("staff", "ana", roles="tarjetas")
    assert sign_in(client, "203.0.113.9").status_code == 303
    assert audited_ips("login.success") == ["203.0.113.9"]
    assert [s.ip for s in db.session.query(UserSession)] == ["203.0.113.9"]

    holder = keyed()
    assert client.get("/api/v1/products", headers={**holder.headers(), "X-Forwarded-For": "203.0.113.20"},
                      environ_base=PROXY).status_code == 200
    assert db.session.get(ApiKey, holder.key.id).last_used_ip == "203.0.113.20"

    # The login limit counts each client behind the proxy apart (203.0.113.9 signed in once).
    assert [sign_in(app.test_client(), "203.0.113.9", "mala").status_code for _ in range(2)] == [422, 429]
    assert sign_in(app.test_client(), "203.0.113.10", "mala").status_code == 422
    assert audited_ips("login.failed") == ["203.0.113.9", "203.0.113.10"]


@pytest.mark.parametrize("app_config", [{"TRUSTED_PROXIES": 0, "RATELIMIT_LOGIN_PER_IP": "2 per minute"}])
def test_with_no_proxy_declared_forwarded_headers_are_ignored(app, client):
    headers = {"X-Forwarded-For": "203.0.113.9", **FORWARDED}
    assert seen_by_the_app(app, client, headers) == {"ip": "10.0.0.2", "scheme": "http", "host": "localhost",
                                                     "root": ""}

    factories.user("staff", "ana", roles="tarjetas")
    # A client that makes up a new address each time gets no new allowance of tries.
    answers = [sign_in(app.test_client(), f"203.0.113.{n}", "mala").status_code for n in range(3)]
    assert answers == [422, 422, 429]
    assert audited_ips("login.failed") == ["10.0.0.2", "10.0.0.2"]
