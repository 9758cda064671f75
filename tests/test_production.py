"""Production refuses to start without what it needs, naming every missing setting in one
message: create_app (so every gunicorn and worker.py process) and, before they start
anything, gunicorn's master and worker.py's supervisor."""
import os
import subprocess
import sys

import pytest
from flask import Flask

from portal.config import BASE_DIR, DEFAULT_REDIS_URL, load_config

READY = {"ENV_NAME": "production", "SECRET_KEY": "k" * 32, "REDIS_URL": "redis://redis.internal:6379/0",
         "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://portal@db.internal/portal",
         "DEV_OUTBOX_ENABLED": False, "BANK_SANDBOX_ALLOWED": False, "BANK_ADAPTER": "sandbox"}


def refusal(**settings):
    with pytest.raises(RuntimeError) as refused:
        load_config(Flask("portal"), {**READY, "BANK_SANDBOX_ALLOWED": True, **settings})
    return str(refused.value)


@pytest.mark.parametrize("settings,named", [
    ({"SECRET_KEY": None}, "SECRET_KEY is not set"),
    ({"SQLALCHEMY_DATABASE_URI": "sqlite:////srv/portal/var/portal.db"}, "DATABASE_URL is not PostgreSQL"),
    ({"REDIS_URL": DEFAULT_REDIS_URL}, "REDIS_URL is not set"),
    ({"DEV_OUTBOX_ENABLED": True}, "DEV_OUTBOX_ENABLED is on"),
    ({"BANK_SANDBOX_ALLOWED": False}, "BANK_ADAPTER is the sandbox"),
])
def test_production_names_what_it_lacks(settings, named):
    message = refusal(**settings)
    assert message.startswith("the portal does not start in production")
    assert [line for line in message.splitlines() if line.startswith("  - ")] == [
        next(line for line in message.splitlines() if named in line)]


def test_production_names_everything_it_lacks_at_once():
    message = refusal(SECRET_KEY=None, SQLALCHEMY_DATABASE_URI="sqlite:///portal.db", REDIS_URL=DEFAULT_REDIS_URL,
                      BANK_SANDBOX_ALLOWED=False)
    named = [line.split()[1] for line in message.splitlines()[1:]]
    assert named == ["SECRET_KEY", "DATABASE_URL", "REDIS_URL", "BANK_ADAPTER"]


def test_production_with_its_settings_starts_and_elsewhere_nothing_is_required():
    app = Flask("portal")
    load_config(app, {**READY, "BANK_SANDBOX_ALLOWED": True})
    assert app.config["SECRET_KEY"] == "k" * 32
    for env in ("development", "test"):  # the defaults of a laptop
        load_config(Flask("portal"), {**READY, "ENV_NAME": env, "SECRET_KEY": None, "REDIS_URL": DEFAULT_REDIS_URL,
                                      "SQLALCHEMY_DATABASE_URI": "sqlite:///portal.db"})
    with pytest.raises(RuntimeError, match="PORTAL_ENV='produccion'"):
        load_config(Flask("portal"), {**READY, "ENV_NAME": "produccion"})  # a typo is not «not production»


def bare_production(tmp_path, **settings):
    env = {k: v for k, v in os.environ.items()
           if k not in {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "BANK_SANDBOX_ALLOWED", "DEV_OUTBOX_ENABLED"}}
    return {**env, "PORTAL_ENV": "production", "PORTAL_VAR_DIR": str(tmp_path), **settings}


@pytest.mark.parametrize("command", [
    [sys.executable, "worker.py", "-n", "1"],
    [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", "127.0.0.1:0", "wsgi:app"],
], ids=["worker.py", "gunicorn"])
def test_worker_py_and_gunicorn_refuse_before_starting_anything(command, tmp_path):
    done = subprocess.run(command, cwd=BASE_DIR, env=bare_production(tmp_path, BANK_SANDBOX_ALLOWED="1"),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    for named in ("SECRET_KEY is not set", "DATABASE_URL is not PostgreSQL", "REDIS_URL is not set"):
        assert done.stderr.count(named) == 1, done.stderr  # said once, by the parent
    assert "Booting worker" not in done.stderr and "Traceback" not in done.stderr


def test_a_bad_count_of_proxies_is_named(tmp_path):
    done = subprocess.run([sys.executable, "worker.py"], cwd=BASE_DIR, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PORTAL_VAR_DIR": str(tmp_path), "TRUSTED_PROXIES": "uno"})
    assert done.returncode == 1
    assert "TRUSTED_PROXIES='uno': a whole number" in done.stderr
