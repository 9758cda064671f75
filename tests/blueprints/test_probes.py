"""/salud (alive) and /salud/listo (ready): database at the migrations' head, Redis, a
live RQ worker; a 503 naming each check that fails and why, fast even when Redis hangs."""
import socket
import time
from datetime import UTC, datetime, timedelta

from flask import current_app
from rq import SimpleWorker
from rq.utils import utcformat
from sqlalchemy import text

from portal import queue
from portal.extensions import db
from portal.services import readiness
from tests.conftest import make_app

seen_by_job = []


def readiness_inside_a_job():
    """Run by a real RQ worker: what /salud/listo says while that worker is busy."""
    seen_by_job.append(readiness.check(current_app))


def ready(client):
    response = client.get("/salud/listo")
    return response.status_code, response.get_json()["checks"]


def registered_worker():
    worker = SimpleWorker([queue.get_queue()], connection=queue.connection())
    worker.register_birth()  # RQ's own record: the worker's key with a fresh heartbeat
    return worker


def test_liveness_asks_nothing(client):
    response = client.get("/salud")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert "Set-Cookie" not in response.headers


def test_ready_only_with_a_worker_heard_from_lately(client, app):
    status, checks = ready(client)  # nobody works the queues
    assert status == 503
    assert checks["workers"].startswith("ningún worker de RQ dio señales en los últimos 60 s")
    assert {checks[name] for name in ("database", "migrations", "redis")} == {"ok"}

    worker = registered_worker()
    response = client.get("/salud/listo")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"status": "ok", "checks": {
        "database": "ok", "migrations": "ok", "redis": "ok", "workers": "ok"}}
    assert response.headers["Cache-Control"] == "no-store" and "Set-Cookie" not in response.headers

    stale = datetime.now(UTC) - timedelta(seconds=61)
    queue.connection().hset(worker.key, "last_heartbeat", utcformat(stale))
    status, checks = ready(client)
    assert status == 503 and "(1 registrados)" in checks["workers"]

    worker.register_death()
    queue.get_queue().enqueue("tests.blueprints.test_probes.readiness_inside_a_job")
    SimpleWorker([queue.get_queue()], connection=queue.connection()).work(burst=True)
    assert [c.problem for c in seen_by_job.pop()] == [None] * 4  # a real worker at work counts


def test_a_database_behind_the_migrations_is_not_ready(client, app):
    registered_worker()
    (head,) = readiness.migration_heads()
    db.session.execute(text("UPDATE alembic_version SET version_num = '7c4e2f9a1d35'"))
    db.session.commit()
    try:
        status, checks = ready(client)
    finally:
        db.session.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
        db.session.commit()
    assert status == 503
    assert checks["migrations"] == (f"la base de datos está en 7c4e2f9a1d35 y el código espera {head}: "
                                    "falta `flask db upgrade`")
    assert checks["database"] == checks["redis"] == checks["workers"] == "ok"


def test_without_redis_not_ready_and_fast(app, database_url, tmp_path, monkeypatch):
    monkeypatch.setattr(readiness, "TIMEOUT_SECONDS", 0.3)
    gone = make_app(database_url, f"unix://{tmp_path}/no-redis.sock", tmp_path)
    status, checks = ready(gone.test_client())
    assert status == 503
    assert checks["redis"] == "no responde (ConnectionError)"
    assert checks["workers"] == "sin verificar: Redis no responde"
    assert checks["database"] == checks["migrations"] == "ok"

    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        hung = make_app(database_url, f"redis://127.0.0.1:{silent.getsockname()[1]}/0", tmp_path)
        started = time.monotonic()
        status, checks = ready(hung.test_client())
        assert time.monotonic() - started < 1.5
    assert status == 503 and checks["redis"] == "no responde (TimeoutError)"
    for other in (gone, hung):
        with other.app_context():
            db.engine.dispose()
