"""services/recovery.py against the tests' real Redis and a real RQ worker: a message or a
gateway event whose job Redis lost is queued again (a live job is left alone), a message
left 'sending' becomes 'unknown' and is never handed to the adapter, the month's
statements run whose job was lost is queued again. tests/services/test_redis_loss.py
runs the same with worker.py processes and Redis emptied under them."""
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from rq import SimpleWorker
from sqlalchemy import update

from portal import queue
from portal.domain import clock
from portal.domain.schedule import cron_tick
from portal.extensions import db
from portal.models import AuditEvent, GatewayEvent, GatewayTransaction, OutboxMessage
from portal.services import acquirer, messaging, recovery

LATER = timedelta(seconds=121)  # past JOB_LOST_AFTER_SECONDS (120)


@pytest.fixture(autouse=True)
def frozen(frozen_clock):
    """26 May: no statements tick (the 1st) within a day, whatever today is."""
    return frozen_clock


def run_worker():
    queues = [queue.get_queue(name) for name in ("payments", "default")]
    SimpleWorker(queues, connection=queue.connection()).work(burst=True)


def job_ids(name="default"):
    return queue.get_queue(name).job_ids


def status(model, row_id):
    db.session.expire_all()
    return db.session.get(model, row_id).status


def test_a_message_whose_job_was_lost_is_queued_again_and_sent_once(app, sms_sent):
    message_id = messaging.send_sms("3001234434", "hola").id
    db.session.commit()
    job_id = queue.job_id_for(messaging.JOB, message_id)
    assert job_ids() == [job_id]
    now = clock.utcnow() + LATER

    assert recovery.run(now)["outbox_messages"] == 0  # its job still waits: left alone
    queue.get_queue().empty()  # lost
    assert recovery.run(clock.utcnow() + timedelta(seconds=60))["outbox_messages"] == 0  # not long enough
    assert recovery.run(now)["outbox_messages"] == 1
    assert job_ids() == [job_id]
    assert recovery.run(now)["outbox_messages"] == 0  # queued again once: it is live now

    run_worker()
    assert status(OutboxMessage, message_id) == "sent" and sms_sent == [("3001234434", "hola")]
    assert recovery.run(now) == {"outbox_messages": 0, "gateway_events": 0, "unknown_messages": 0, "statements": 0}


class Died(BaseException):
    """The worker dies (SIGKILL, a lost host) while the provider answers."""


def claimed_then_died(message_id):
    def dies(message):
        raise Died

    real_send, messaging._adapter_send = messaging._adapter_send, dies
    try:
        with pytest.raises(Died):
            messaging.deliver(message_id)
    finally:
        messaging._adapter_send = real_send
    db.session.rollback()


def test_a_message_left_sending_becomes_unknown_and_is_never_sent_again(app, sms_sent):
    message_id = messaging.send_sms("3001234434", "Su código es 123456").id
    db.session.commit()
    queue.get_queue().empty()  # Redis lost its job
    claimed_then_died(message_id)
    assert status(OutboxMessage, message_id) == "sending"

    assert recovery.run(clock.utcnow() + timedelta(seconds=60))["unknown_messages"] == 0  # too soon
    assert recovery.run(clock.utcnow() + LATER)["unknown_messages"] == 1

    message = db.session.get(OutboxMessage, message_id)
    assert (message.status, message.error) == ("unknown", recovery.UNKNOWN_REASON)
    queue.get_queue().enqueue(messaging.JOB, message_id)  # a late copy of its job
    run_worker()
    assert status(OutboxMessage, message_id) == "unknown" and sms_sent == []
    assert recovery.run(clock.utcnow() + LATER) == {"outbox_messages": 0, "gateway_events": 0,
                                                    "unknown_messages": 0, "statements": 0}


def test_a_message_whose_job_is_running_is_left_sending(app, monkeypatch):
    message_id = messaging.send_sms("3001234434", "hola").id
    db.session.commit()
    seen = []

    def slow_provider(message):  # the recovery runs while the job talks to the provider
        seen.append(recovery.run(clock.utcnow() + LATER)["unknown_messages"])

    monkeypatch.setattr(messaging, "_adapter_send", slow_provider)
    run_worker()
    assert seen == [0] and status(OutboxMessage, message_id) == "sent"


def test_a_late_answer_does_not_undo_unknown(app, monkeypatch):
    message_id = messaging.send_sms("3001234434", "hola").id
    db.session.commit()

    def settled_meanwhile(message):
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id).values(status="unknown"))
        db.session.commit()

    monkeypatch.setattr(messaging, "_adapter_send", settled_meanwhile)
    assert messaging.deliver(message_id)
    assert status(OutboxMessage, message_id) == "unknown"


def pending_event(app, attempts=0):
    tx = GatewayTransaction(public_id="1706-1-00001", reference="PX1", amount_in_cents=100, currency="COP",
                            status="APPROVED", payment_method_type="CARD")
    db.session.add(tx)
    db.session.flush()
    event = GatewayEvent(transaction_id=tx.id, url="http://127.0.0.1:9/eventos", body=acquirer_body(tx),
                         attempts=attempts)
    db.session.add(event)
    db.session.commit()
    return event.id


def acquirer_body(tx):
    import json

    return json.dumps(acquirer.as_api(tx))


def test_an_event_whose_retry_was_lost_is_queued_again_with_the_retries_it_has_left(app):
    app.config["GATEWAY_EVENT_RETRY_INTERVALS"] = [10, 30, 60]
    event_id = pending_event(app, attempts=1)  # its first try failed; its retry was in Redis

    assert recovery.run(clock.utcnow() + LATER)["gateway_events"] == 1

    (job,) = queue.get_queue("payments").jobs
    assert job.id == queue.job_id_for(acquirer.EVENT_JOB, event_id)
    assert (job.retries_left, job.retry_intervals) == (2, [30, 60])


def test_two_copies_of_an_event_job_never_make_the_same_try(app):
    event_id = pending_event(app)
    as_both_read_it = SimpleNamespace(id=event_id, attempts=0)
    tries = []

    def post(url, payload):
        tries.append(url)
        assert not acquirer._take_try(as_both_read_it)  # the other copy, a moment late
        return 200

    assert acquirer.deliver_event(event_id, post) == "delivered"
    assert len(tries) == 1 and status(GatewayEvent, event_id) == "delivered"
    assert db.session.get(GatewayEvent, event_id).attempts == 1
    assert acquirer.deliver_event(event_id, post) == "skipped" and len(tries) == 1


def statements_run(at):
    db.session.add(AuditEvent(action="cartera.statements_run", subject="period:2026-12", created_at=at))
    db.session.commit()


def test_the_months_statements_run_whose_job_was_lost_is_queued_again(app):
    tick = datetime(2026, 12, 1, 11, 0)  # the 1st, 06:00 in Bogotá (CARTERA_STATEMENTS_CRON)
    now = tick + timedelta(hours=1)
    cutoff = now - timedelta(seconds=120)
    assert cron_tick(now, "0 6 1 * *", "America/Bogota") == tick  # the tick recovery looks at

    assert recovery.requeue_monthly_statements(tick + timedelta(seconds=60), tick) == 0  # not late yet
    assert recovery.requeue_monthly_statements(now, cutoff) == 1
    (job,) = queue.get_queue().jobs
    assert (job.id, job.args) == (queue.job_id_for(recovery.STATEMENTS_JOB, "2026-12"), ("2026-12",))
    assert recovery.requeue_monthly_statements(now, cutoff) == 0  # its job waits

    queue.get_queue().empty()
    statements_run(tick - timedelta(days=30))  # last month's run does not count
    assert recovery.requeue_monthly_statements(now, cutoff) == 1
    queue.get_queue().empty()
    statements_run(tick + timedelta(minutes=5))
    assert recovery.requeue_monthly_statements(now, cutoff) == 0  # it ran
    db.session.query(AuditEvent).delete()
    db.session.commit()
    later = tick + timedelta(days=2)  # a tick older than a day is left to staff
    assert recovery.requeue_monthly_statements(later, later - timedelta(seconds=120)) == 0


@pytest.mark.parametrize("app_config", [{"REDIS_URL": "unix:///nonexistent/redis.sock"}])
def test_without_redis_nothing_is_decided(app, caplog):
    message = OutboxMessage(channel="sms", recipient="3001234434", body="x", status="sending",
                            claimed_at=clock.utcnow() - timedelta(hours=1))
    db.session.add(message)
    db.session.commit()
    assert recovery.run() == {}
    assert status(OutboxMessage, message.id) == "sending"  # its worker may still be talking to the provider
    assert "Redis unavailable" in caplog.text
