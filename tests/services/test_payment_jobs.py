"""The gateway's event goes through a real RQ worker over real HTTP to the merchant."""
import threading
from decimal import Decimal

import pytest
from rq import SimpleWorker
from rq.registry import ScheduledJobRegistry
from werkzeug.serving import make_server

from portal import queue
from portal.extensions import db
from portal.models import AffiliateCredit, GatewayEvent, Payment
from tests import payment_helpers as h
from tests.processes import portal_env


@pytest.fixture
def merchant(app):
    """The portal itself, listening on loopback for the acquirer's events."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    app.config["GATEWAY_EVENTS_URL"] = f"http://127.0.0.1:{server.port}/pagos-express/eventos"
    yield server
    server.shutdown()


def run_worker():
    queues = [queue.get_queue(name) for name in ("payments", "default")]
    SimpleWorker(queues, connection=queue.connection()).work(burst=True)


def pay_instalment(client):
    credit, query = h.instalment_checkout(client)
    h.pay_with_card(client, query)
    db.session.commit()
    return credit.id


def test_the_worker_delivers_the_signed_event_and_the_merchant_applies_it(client, merchant):
    credit_id = pay_instalment(client)
    assert queue.get_queue("payments").count == 1  # the event, ahead of the e-mails
    run_worker()
    db.session.expire_all()
    event = db.session.query(GatewayEvent).one()
    assert (event.status, event.last_status_code, event.attempts) == ("delivered", 200, 1)
    assert db.session.get(AffiliateCredit, credit_id).paid == Decimal("175277.00")
    assert db.session.query(Payment).one().applied_by == "event"


def test_a_refused_delivery_is_scheduled_for_retry_with_backoff(app, client):
    app.config["GATEWAY_EVENTS_URL"] = "http://127.0.0.1:9/pagos-express/eventos"  # nobody there
    app.config["GATEWAY_EVENT_RETRY_INTERVALS"] = [30, 60]
    credit_id = pay_instalment(client)
    run_worker()
    db.session.expire_all()
    event = db.session.query(GatewayEvent).one()
    assert (event.status, event.attempts) == ("pending", 1)
    assert ScheduledJobRegistry(queue=queue.get_queue("payments")).count == 1
    assert db.session.get(AffiliateCredit, credit_id).paid == 0


def test_worker_py_cron_reconciles_a_payment_whose_event_never_came(app, client, database_url, redis_url, tmp_path):
    import signal
    import subprocess
    import sys
    import time

    from portal.config import BASE_DIR

    app.config["GATEWAY_EVENTS_URL"] = None  # the event is lost
    pay_instalment(client)
    env = portal_env(database_url, redis_url, tmp_path, RECONCILE_EVERY_SECONDS="1")
    process = subprocess.Popen([sys.executable, str(BASE_DIR / "worker.py"), "-n", "1"], cwd=BASE_DIR, env=env)
    try:
        deadline = time.monotonic() + 120  # worker.py starts its workers and cron: slow on a busy machine
        while True:
            db.session.expire_all()
            payment = db.session.query(Payment).one()
            db.session.commit()
            if payment.applied_by:
                break
            assert time.monotonic() < deadline, "the cron never reconciled the payment"
            time.sleep(0.2)
        assert payment.applied_by == "reconcile" and payment.status == "approved"
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
