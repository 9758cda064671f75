"""GET /metrics: closed to all but the operators (a 404 for anyone else), every family
there, requests, failed logins and locks counted where they happen; multiprocess mode."""
import os
import subprocess
import sys
import textwrap

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from portal import metrics
from portal.extensions import db
from portal.services import batches
from tests import card_helpers, factories
from tests.order_helpers import emission_file

TOKEN = "operadores-7f3a9c"
FAMILIES = ("portal_request_duration_seconds", "portal_job_duration_seconds", "portal_job_failures_total",
            "portal_logins_failed_total", "portal_accounts_locked_total", "portal_payments_applied_total",
            "portal_payments_sent_to_review_total", "portal_queue_jobs", "portal_queue_failed_jobs",
            "portal_batches", "portal_service_orders")


@pytest.fixture
def app_config():
    return {"METRICS_TOKEN": TOKEN, "METRICS_ALLOWED_NETWORKS": "198.51.100.0/24, 2001:db8::/32"}


def scrape(client, token=TOKEN, address="127.0.0.1"):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": address})


def sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0


def test_only_the_operators_reach_it(client):
    for token, address in ((None, "127.0.0.1"), ("otro-token", "127.0.0.1"), (TOKEN[:-1], "203.0.113.9"),
                           (None, "203.0.113.9"), (None, "::ffff:203.0.113.9")):
        response = scrape(client, token, address)
        assert response.status_code == 404, (token, address)
        assert "portal_" not in response.get_data(as_text=True)
    for token, address in ((TOKEN, "203.0.113.9"), (None, "198.51.100.20"), (None, "::ffff:198.51.100.20"),
                           (None, "2001:db8::5")):
        assert scrape(client, token, address).status_code == 200, (token, address)


def test_closed_by_default(client, app):
    app.config.update(METRICS_TOKEN=None, METRICS_ALLOWED_NETWORKS=())
    assert scrape(client).status_code == 404


def test_every_family_and_what_is_read_at_scrape_time(client):
    user, access, company = card_helpers.setup(can_upload=True)
    batches.submit(user, access, "emission", "E1.xlsx", emission_file([("1045678434", "1000", "BARRANQUILLA")]))
    db.session.commit()  # its check waits in the queue: no worker here

    response = scrape(client)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.content_type.startswith("text/plain; version=")
    for family in FAMILIES:
        assert f"# TYPE {family} " in body, family
    assert 'portal_queue_jobs{queue="default"} 1.0' in body
    assert 'portal_queue_failed_jobs{queue="payments"} 0.0' in body
    assert 'portal_batches{status="queued"} 1.0' in body and 'portal_batches{status="processed"} 0.0' in body
    assert 'portal_service_orders{status="paid"} 0.0' in body
    assert 'portal_logins_failed_total{kind="affiliate"}' in body  # every kind from the start


def test_a_request_is_timed_under_its_route(client):
    labels = {"route": "/personal/usuarios/<int:user_id>", "method": "GET", "status": "3xx"}
    before = sample("portal_request_duration_seconds_count", **labels)
    client.get("/personal/usuarios/4711")  # not signed in: to the login page
    assert sample("portal_request_duration_seconds_count", **labels) == before + 1
    assert 'route="/personal/usuarios/4711"' not in scrape(client).get_data(as_text=True)


def test_failed_logins_and_locks_are_counted_by_the_login_service(client, auth):
    factories.user("staff", "vigia")
    db.session.commit()
    failed, locked = sample("portal_logins_failed_total", kind="staff"), sample("portal_accounts_locked_total",
                                                                                 kind="staff")
    auth.login("staff", "nadie", "Clave#equivocada1")  # unknown user
    for _ in range(5):  # the fifth locks the account
        assert auth.login("staff", "vigia", "Clave#equivocada1").status_code != 303  # not signed in
    assert sample("portal_logins_failed_total", kind="staff") == failed + 6
    assert sample("portal_accounts_locked_total", kind="staff") == locked + 1


def test_counted_only_once_committed(app):
    before = sample("portal_payments_sent_to_review_total")
    db.session.execute(text("UPDATE users SET roles = 'x' WHERE id = 0"))  # a transaction that will not commit
    metrics.count_on_commit(metrics.PAYMENTS_REVIEWED)
    db.session.rollback()
    db.session.commit()
    assert sample("portal_payments_sent_to_review_total") == before
    metrics.count_on_commit(metrics.PAYMENTS_REVIEWED)
    db.session.commit()
    assert sample("portal_payments_sent_to_review_total") == before + 1


MULTIPROCESS = textwrap.dedent("""
    import os
    from portal import metrics
    assert metrics.MULTIPROCESS
    children = []
    for n in range(2):  # two gunicorn workers, say
        pid = os.fork()
        if pid == 0:
            metrics.LOGINS_FAILED.labels("staff").inc(n + 1)
            metrics.observe_request("/salud", "GET", 200, 0.002)
            os._exit(0)
        children.append(pid)
    for pid in children:
        os.waitpid(pid, 0)
        metrics.mark_process_dead(pid)
    print(metrics.exposition().decode())
""")


def test_multiprocess_mode_adds_up_every_process(tmp_path):
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", MULTIPROCESS], env=env, capture_output=True, text=True,
                         timeout=60, cwd=os.path.dirname(os.path.dirname(__file__)))
    assert out.returncode == 0, out.stderr
    assert 'portal_logins_failed_total{kind="staff"} 3.0' in out.stdout
    assert 'portal_request_duration_seconds_count{method="GET",route="/salud",status="2xx"} 2.0' in out.stdout

    env["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / "missing")
    out = subprocess.run([sys.executable, "-c", "import portal.metrics"], env=env, capture_output=True, text=True,
                         timeout=60, cwd=os.path.dirname(os.path.dirname(__file__)))
    assert out.returncode != 0 and "PROMETHEUS_MULTIPROC_DIR=" in out.stderr and "is not a directory" in out.stderr


def test_queue_failures_keep_the_scrape(client, app, monkeypatch):
    monkeypatch.setitem(app.extensions, "portal.redis_probe", None)
    app.config["REDIS_URL"] = "unix:///nonexistent/redis.sock"
    response = scrape(client)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "portal_queue_jobs" not in body and 'portal_batches{status="queued"} 0.0' in body
