"""Losing Redis loses nothing (#14). One setup for every kind of job, since worker.py is
slow to start: an Estado de Cartera upload, Conexión batches, a paid service order, a
Pagos Express payment (the sandbox acquirer's event), an SMS code and e-mails. Redis is
emptied before any worker has seen them (FLUSHALL), then stopped and started again empty
on the same socket while real worker.py processes work; worker.py's cron rebuilds every
job from the database and everything reaches its final state once. A message left
'sending' by a dead worker becomes 'unknown' and is never handed to the adapter again."""
import json
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
import redis
from sqlalchemy import func, select, union_all
from werkzeug.serving import make_server

from portal import embedded_redis
from portal.config import BASE_DIR
from portal.domain import clock
from portal.extensions import db
from portal.models import (
    AffiliateCredit,
    AuditEvent,
    Batch,
    BatchLine,
    Card,
    CarteraUpload,
    CarteraUploadLine,
    GatewayEvent,
    LedgerEntry,
    OutboxMessage,
    Payment,
    ServiceOrder,
)
from portal.services import batches, conexion, messaging, recovery
from tests import cartera_helpers as ch
from tests import factories
from tests import order_helpers as oh
from tests import payment_helpers as h
from tests.processes import portal_env, stop
from tests.test_worker import eventually

SETTINGS = {  # worker.py's cron looks every second; a job is lost after 2 s
    "RECOVER_JOBS_EVERY_SECONDS": "1", "JOB_LOST_AFTER_SECONDS": "2",
    "RECOVER_UPLOADS_EVERY_SECONDS": "1", "UPLOAD_QUEUED_TIMEOUT_SECONDS": "2",
    "ORDER_RECOVERY_EVERY_SECONDS": "1", "ORDER_PROCESSING_TIMEOUT_SECONDS": "2",
    "GATEWAY_EVENT_RETRY_INTERVALS": "60,60",  # a refused event's retry waits in Redis, to be lost
    "CARTERA_STATEMENTS_CRON": "0 6 29 2 *",  # no statements run (and e-mails) but on 29 Feb and 1 Mar of leap years
}
LEFT_SENDING = "Su código de ingreso es 654321"


@pytest.fixture
def private_redis(tmp_path):
    """A Redis of this test's own, to be stopped and started again."""
    directory = tmp_path / "redis"
    server = {}
    server["process"], server["url"] = embedded_redis.start(directory)

    def restart_empty():
        server["process"].terminate()
        server["process"].wait(10)
        server["process"], _ = embedded_redis.start(directory)  # no persistence: empty

    server["restart_empty"] = restart_empty
    yield server
    server["process"].terminate()
    server["process"].wait(10)


@pytest.fixture
def app_config(private_redis):
    return {"REDIS_URL": private_redis["url"]}


class Gate:
    """The merchant's event endpoint refuses (503) until opened."""

    def __init__(self, app):
        self.app, self.open = app, False

    def __call__(self, environ, start_response):
        if self.open:
            return self.app(environ, start_response)
        start_response("503 Service Unavailable", [("Content-Length", "0")])
        return [b""]


@pytest.fixture
def merchant(app):
    gate = Gate(app)
    server = make_server("127.0.0.1", 0, gate, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    app.config["GATEWAY_EVENTS_URL"] = f"http://127.0.0.1:{server.port}/pagos-express/eventos"
    yield gate
    server.shutdown()


@pytest.fixture
def recording_worker_py(database_url, private_redis, tmp_path):
    """Starts `worker.py -n 2` with its cron and adapters that write down what they are handed."""
    recorded = tmp_path / "recorded.jsonl"
    env = portal_env(database_url, private_redis["url"], tmp_path, RECORDED_MESSAGES=str(recorded), **SETTINGS)
    started = []

    def start():
        with open(tmp_path / "worker.log", "w") as out:
            started.append(subprocess.Popen([sys.executable, "-m", "tests.recording_worker", "-n", "2"], cwd=BASE_DIR,
                                            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True))
        return started[-1]

    start.recorded = recorded
    yield start
    for process in started:
        stop(process, group=True)


# --- the work in flight --------------------------------------------------------------------------

def cartera_upload(client):
    ch.build(sign_in_client=client)
    response = ch.upload(client, "activos", ch.download(client, "activos"))
    assert response.status_code == 200, response.get_data(as_text=True)
    return db.session.scalars(select(CarteraUpload.id)).one()


def corporate():
    company = factories.company()
    user = factories.user("corporate", "jhomez")
    factories.member(user, company, can_upload=True, can_authorize=True)
    return company, user


def people(first, n):
    return [(f"{first + i}", f"{1000 + i}", "BARRANQUILLA") for i in range(n)]


def batch(company, user, rows):
    access = conexion.access(user, company.id, company.products[0].id)
    return batches.submit(user, access, "emission", f"E{len(rows)}.xlsx", oh.emission_file(rows)).id


def payment(app):
    """An affiliate signs in (an SMS code) and pays an instalment by card; the payer never
    comes back, so only the acquirer's event or the reconciliation applies it."""
    client = app.test_client()
    credit, query = h.instalment_checkout(client)
    h.pay_with_card(client, query)
    db.session.commit()
    return credit.id


def left_sending():
    """Claimed ten minutes ago by a worker that died before the provider answered."""
    message = OutboxMessage(channel="sms", recipient="3009990000", body=LEFT_SENDING, status="sending",
                            claimed_at=clock.utcnow() - timedelta(minutes=10))
    db.session.add(message)
    db.session.commit()
    return message.id


def fresh(statement):
    db.session.rollback()  # a new snapshot: the workers commit from other processes
    value = db.session.execute(statement).all()
    db.session.rollback()  # and no read left open (SQLite: the workers must write)
    return value


def unfinished():
    """What has not reached its final state yet (empty when all has)."""
    return fresh(union_all(
        select(CarteraUpload.status).where(CarteraUpload.status.in_(("queued", "processing"))),
        select(Batch.status).where(Batch.status.in_(("queued", "processing"))),
        select(ServiceOrder.status).where(ServiceOrder.status == "paid"),
        select(GatewayEvent.status).where(GatewayEvent.status == "pending"),
        select(Payment.status).where(Payment.applied_at.is_(None)),
        select(OutboxMessage.status).where(OutboxMessage.status.in_(("stored", "sending")))))


def count(model, *where):
    return fresh(select(func.count()).select_from(model).where(*where))[0][0]


def test_redis_emptied_twice_and_everything_reaches_its_final_state_once(app, client, private_redis, merchant,
                                                                         recording_worker_py):
    upload_id = cartera_upload(client)
    company, user = corporate()
    first_batch = batch(company, user, people(30000000, 3))
    order = oh.paid_order(user, [oh.confirmed_batch(user, company, "emission",
                                                    [["CC", "40000000", "PÉREZ", "", "MARÍA", "", "15/03/1985", "",
                                                      "3001234567", "Calle 1", "BARRANQUILLA", "", "1000"]])])
    credit_id = payment(app)
    messaging.send_email("ana@example.com", "Aviso", "Hola")
    db.session.commit()
    sending_id = left_sending()
    waiting = redis.Redis.from_url(private_redis["url"])
    assert waiting.llen("rq:queue:default") and waiting.llen("rq:queue:payments")

    waiting.flushall()  # every job lost before any worker saw it
    worker_py = recording_worker_py()

    # the event's first try is refused: its retry waits in Redis; the rest is rebuilt meanwhile
    eventually(lambda: count(GatewayEvent, GatewayEvent.attempts >= 1), timeout=90,
               message="the gateway event was never tried again")
    second_batch = batch(company, user, people(50000000, 2))
    messaging.send_email("beto@example.com", "Aviso", "Hola")
    db.session.commit()
    merchant.open = True  # the event's retry, 60 s away, is still in Redis
    private_redis["restart_empty"]()  # stopped, its data gone, started again on the same socket

    eventually(lambda: not unfinished(), timeout=90, message="not everything reached its final state")
    time.sleep(1)  # a copy of a job run late would show here
    assert worker_py.poll() is None, "worker.py gave up"
    worker_py.send_signal(signal.SIGTERM)
    assert worker_py.wait(30) == 0

    # uploads and batches checked once, their lines written once
    assert fresh(select(CarteraUpload.status).where(CarteraUpload.id == upload_id)) == [("processed",)]
    assert count(CarteraUploadLine, CarteraUploadLine.upload_id == upload_id) == 3
    for batch_id, lines in ((first_batch, 3), (second_batch, 2)):
        assert fresh(select(Batch.status, Batch.rows_total).where(Batch.id == batch_id)) == [("valid", lines)]
        assert count(BatchLine, BatchLine.batch_id == batch_id) == lines
    # the paid order's card issued and loaded once
    assert fresh(select(ServiceOrder.status).where(ServiceOrder.id == order.id)) == [("processed",)]
    assert count(Card) == 1
    assert count(LedgerEntry, LedgerEntry.txn_id.like("line-%")) == 2
    # the payment applied once, its event delivered
    assert count(AuditEvent, AuditEvent.action == "payment.applied") == 1
    assert fresh(select(AffiliateCredit.paid).where(AffiliateCredit.id == credit_id)) == [(Decimal("175277.00"),)]
    assert fresh(select(GatewayEvent.status)) == [("delivered",)]
    # the jobs were rebuilt by the recoveries, not by luck
    assert count(AuditEvent, AuditEvent.action == "cartera.upload_requeued") >= 1
    assert count(AuditEvent, AuditEvent.action == "conexion.batch_requeued") >= 1
    assert count(AuditEvent, AuditEvent.action == "conexion.order_requeued") >= 1

    # every message the adapters were handed, once; the one left 'sending' never
    outbox = fresh(select(OutboxMessage.id, OutboxMessage.channel, OutboxMessage.recipient, OutboxMessage.subject,
                          OutboxMessage.body, OutboxMessage.status, OutboxMessage.error))
    handed = Counter(tuple(json.loads(line)) for line in recording_worker_py.recorded.read_text().splitlines())
    sent = Counter((m.channel, m.recipient, m.body if m.channel == "sms" else m.subject)
                   for m in outbox if m.status == "sent")
    assert handed == sent  # what a provider got is what the outbox says was sent, each once
    assert {m.status for m in outbox if m.id != sending_id} == {"sent"}
    assert [(m.status, m.error) for m in outbox if m.id == sending_id] == [("unknown", recovery.UNKNOWN_REASON)]
    assert sum(channel == "sms" and "código" in text for channel, _, text in handed) == 1  # the affiliate's code
    assert {"ana@example.com", "beto@example.com"} <= {to for channel, to, _ in handed if channel == "email"}
