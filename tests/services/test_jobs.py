"""Jobs against the tests' real Redis: a message is delivered after the commit, once."""
import signal
import subprocess
import sys
import time

import psutil
import pytest
from rq import SimpleWorker

from bench._common import free_port
from portal import jobs, queue
from portal.adapters import sms
from portal.config import BASE_DIR
from portal.extensions import db
from portal.models import OutboxMessage
from portal.services import messaging
from tests.processes import portal_env


def run_worker():
    SimpleWorker([queue.get_queue()], connection=queue.connection()).work(burst=True)


def status(message_id):
    db.session.expire_all()
    value = db.session.get(OutboxMessage, message_id).status
    db.session.commit()  # end the read so another process can write (SQLite)
    return value


def test_a_message_is_delivered_once_even_if_enqueued_twice(app, sms_sent):
    message_id = messaging.send_sms("3001234434", "Su código es 123456").id
    queue.enqueue_after_commit(jobs.deliver_message, message_id)
    assert queue.get_queue().count == 0  # nothing reaches Redis before the commit
    db.session.commit()
    assert queue.get_queue().count == 2
    assert status(message_id) == "stored"

    run_worker()

    assert status(message_id) == "sent"
    assert sms_sent == [("3001234434", "Su código es 123456")]
    assert db.session.get(OutboxMessage, message_id).sent_at is not None


def test_a_job_enqueued_in_a_rolled_back_transaction_never_runs(app, sms_sent):
    messaging.send_email("ana@example.com", "Asunto", "Cuerpo")
    db.session.rollback()
    db.session.commit()  # a later commit must not carry the dropped job
    assert queue.get_queue().count == 0
    run_worker()
    assert sms_sent == [] and db.session.query(OutboxMessage).count() == 0


def test_a_failing_adapter_marks_the_message_failed(app, monkeypatch):
    class BrokenSms:
        def send(self, to, text):
            raise ConnectionRefusedError

    monkeypatch.setitem(sms.ADAPTERS, "outbox", BrokenSms)
    message_id = messaging.send_sms("3001234434", "hola").id
    db.session.commit()
    run_worker()
    message = db.session.get(OutboxMessage, message_id)
    assert (message.status, message.error) == ("failed", "ConnectionRefusedError")


@pytest.mark.parametrize("app_config", [{"REDIS_URL": "unix:///nonexistent/redis.sock"}])
def test_without_redis_the_message_is_delivered_inline(app, sms_sent, caplog):
    message_id = messaging.send_sms("3001234434", "hola").id
    db.session.commit()
    assert status(message_id) == "sent" and len(sms_sent) == 1
    assert "Redis unavailable" in caplog.text


def test_worker_py_delivers_and_stops_cleanly_on_sigterm(app, database_url, redis_url, tmp_path):
    """…and a worker host's metrics process answers the operators with its jobs' numbers."""
    port = free_port()
    (tmp_path / "prometheus").mkdir()
    env = portal_env(database_url, redis_url, tmp_path, PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prometheus"), WORKER_METRICS_BIND=f"127.0.0.1:{port}",
               METRICS_TOKEN="ficha-de-operador", METRICS_ALLOWED_NETWORKS="192.0.2.0/24")
    process = subprocess.Popen([sys.executable, str(BASE_DIR / "worker.py"), "-n", "2"],
                               cwd=BASE_DIR, env=env)
    try:
        message_id = messaging.send_sms("3001234434", "hola").id
        db.session.commit()
        deadline = time.monotonic() + 30
        while status(message_id) != "sent":
            assert time.monotonic() < deadline, "worker.py did not deliver the message"
            time.sleep(0.1)
        assert 'portal_job_duration_seconds_count{job="deliver_message"} 1.0' in scraped(port, "ficha-de-operador")
        assert scraped(port, "otra") is None and scraped(port, None) is None  # 404: not the operators
        workers = psutil.Process(process.pid).children()
        assert len(workers) == 4  # two RQ workers, the cron scheduler and the metrics server
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
        assert not [w for w in workers if w.is_running() and w.status() != psutil.STATUS_ZOMBIE]
    finally:
        if process.poll() is None:
            for leftover in psutil.Process(process.pid).children(recursive=True):
                leftover.kill()
            process.kill()
            process.wait()


def scraped(port, token):
    """worker.py's /metrics as text, or None when refused (404); waits for it to listen."""
    import urllib.error
    import urllib.request

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    deadline = time.monotonic() + 15
    while True:
        try:
            with urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/metrics",
                                                               headers=headers), timeout=5) as response:
                return response.read().decode()
        except urllib.error.HTTPError as refused:
            assert refused.code == 404
            return None
        except OSError:
            assert time.monotonic() < deadline, "worker.py's metrics server did not listen"
            time.sleep(0.1)
