"""Webhooks (services/webhooks.py): an event written only with the transaction that made it,
taken by a real RQ worker to a real HTTP receiver on loopback that checks the signature as
a company's server would, retried with backoff, each try kept, failed after the last; one
try at a time; the cron's recovery of a lost job; the events of the real flows."""
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from rq import SimpleWorker
from rq.registry import ScheduledJobRegistry

from portal import queue
from portal.domain import api, clock
from portal.extensions import db
from portal.models import AuditEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from portal.services import webhooks
from tests import factories


class Receiver:
    """A company's server: answers each POST with the next of `codes` (then 200), keeping
    what it got and whether the signature verified (domain/api.webhook_verified)."""

    def __init__(self, codes=()):
        self.codes, self.got, self.secret = list(codes), [], None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                verified = api.webhook_verified(receiver.secret, self.headers["X-Portal-Timestamp"], body,
                                                self.headers["X-Portal-Signature"], time.time())
                receiver.got.append({"headers": dict(self.headers), "body": body, "verified": verified})
                code = receiver.codes.pop(0) if receiver.codes else 200
                self.send_response(code if verified else 401)
                if 300 <= code < 400:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/portal/eventos"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def start(codes=()):
        made.append(Receiver(codes))
        return made[-1]

    yield start
    for server in made:
        server.stop()


@pytest.fixture
def company(app):
    company = factories.company()
    user = factories.user("corporate", "jhomez")
    factories.member(user, company, can_admin_company=True)
    company.admin = user
    return company


def register(company, url):
    registered = webhooks.register(company.admin, company, url)
    return registered


def run_worker():
    SimpleWorker([queue.get_queue("default")], connection=queue.connection()).work(burst=True)


def deliveries():
    db.session.expire_all()
    return db.session.query(WebhookDelivery).order_by(WebhookDelivery.id).all()


def test_an_event_is_written_only_when_its_transaction_commits(app, company):
    register(company, "https://erp.example.com/eventos")
    webhooks.emit(company.id, "order.paid", {"order_id": 1})
    db.session.rollback()
    assert deliveries() == [] and queue.get_queue("default").count == 0
    webhooks.emit(company.id, "order.paid", {"order_id": 1})
    assert queue.get_queue("default").count == 0  # not before the commit
    db.session.commit()
    assert len(deliveries()) == 1 and queue.get_queue("default").count == 1


def test_a_company_without_webhooks_writes_nothing(app, company):
    assert webhooks.emit(company.id, "order.paid", {"order_id": 1}) == 0
    other = factories.company("800191045", "OTRA")
    db.session.add(WebhookEndpoint(company_id=other.id, url="https://otra.example.com/", secret="s",
                                   created_by_id=company.admin.id))
    db.session.commit()
    assert webhooks.emit(company.id, "order.paid", {"order_id": 1}) == 0


def test_the_worker_posts_the_signed_event_and_the_receiver_verifies_it(app, company, receiver):
    server = receiver()
    server.secret = register(company, server.url).secret
    webhooks.emit(company.id, "order.paid", {"order_id": 7, "number": 12400, "to_pay": "1015.20"})
    db.session.commit()
    run_worker()
    [got] = server.got
    assert got["verified"]
    body = json.loads(got["body"])
    [delivery] = deliveries()
    assert body["type"] == "order.paid" and body["data"] == {"order_id": 7, "number": 12400, "to_pay": "1015.20"}
    assert body["id"] == delivery.event_id and body["created_at"].endswith("-05:00")
    assert got["headers"]["X-Portal-Event"] == "order.paid"
    assert got["headers"]["X-Portal-Delivery"] == str(delivery.id)
    assert got["body"] == delivery.payload.encode()
    assert (delivery.status, delivery.attempts) == ("delivered", 1) and delivery.delivered_at
    [attempt] = delivery.tries
    assert attempt.status_code == 200 and attempt.error is None and attempt.duration_ms >= 0


def test_a_forged_signature_fails_the_receivers_check(app, company, receiver):
    server = receiver()
    register(company, server.url)
    server.secret = "whsec_otro"  # the receiver holds another secret: 401, retried later
    app.config["WEBHOOK_RETRY_INTERVALS"] = [60]
    webhooks.emit(company.id, "order.paid", {"order_id": 7})
    db.session.commit()
    run_worker()
    assert [g["verified"] for g in server.got] == [False]
    assert deliveries()[0].tries[0].status_code == 401


def test_a_500_is_retried_with_the_backoff_then_delivered(app, company, receiver):
    app.config["WEBHOOK_RETRY_INTERVALS"] = [0, 0, 0]  # RQ enqueues a 0-second retry at once
    server = receiver(codes=[500, 503])
    server.secret = register(company, server.url).secret
    webhooks.emit(company.id, "batch.validated", {"batch_id": 1})
    db.session.commit()
    run_worker()
    [delivery] = deliveries()
    assert [t.status_code for t in delivery.tries] == [500, 503, 200]
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    assert len({g["headers"]["X-Portal-Delivery"] for g in server.got}) == 1  # the same delivery each time


def test_a_redirect_is_not_followed(app, company, receiver):
    app.config["WEBHOOK_RETRY_INTERVALS"] = []
    server = receiver(codes=[302])
    server.secret = register(company, server.url).secret
    webhooks.emit(company.id, "order.paid", {"order_id": 1})
    db.session.commit()
    run_worker()
    [delivery] = deliveries()
    assert len(server.got) == 1 and delivery.tries[0].status_code == 302 and delivery.status == "failed"


def test_after_the_last_retry_the_delivery_fails(app, company, receiver):
    app.config["WEBHOOK_RETRY_INTERVALS"] = [0]
    server = receiver(codes=[500, 500, 500])
    server.secret = register(company, server.url).secret
    webhooks.emit(company.id, "batch.invalid", {"batch_id": 1})
    db.session.commit()
    run_worker()
    [delivery] = deliveries()
    assert (delivery.status, delivery.attempts, len(server.got)) == ("failed", 2, 2)
    assert delivery.next_attempt_at is None


def test_a_failed_try_is_scheduled_by_rq_with_its_interval(app, company):
    app.config["WEBHOOK_RETRY_INTERVALS"] = [30, 120]
    register(company, "http://127.0.0.1:9/nadie")  # nobody listens on the discard port
    webhooks.emit(company.id, "order.created", {"order_id": 1})
    db.session.commit()
    before = clock.utcnow()
    run_worker()
    [delivery] = deliveries()
    [attempt] = delivery.tries
    assert attempt.status_code is None and "rechazada" in attempt.error
    assert delivery.status == "pending" and delivery.attempts == 1
    assert timedelta(seconds=29) <= delivery.next_attempt_at - before <= timedelta(seconds=40)
    assert ScheduledJobRegistry(queue=queue.get_queue("default")).count == 1


def test_one_try_at_a_time(app, company):
    register(company, "https://erp.example.com/eventos")
    webhooks.emit(company.id, "order.paid", {"order_id": 1})
    db.session.commit()
    delivery_id = deliveries()[0].id
    first = webhooks._take(delivery_id)
    assert first is not None and first[2] == 1
    assert webhooks._take(delivery_id) is None  # another worker, meanwhile: its try is held
    assert webhooks.deliver(delivery_id, post=lambda *a, **k: pytest.fail("posted twice")) == "skipped"


def test_eight_workers_at_the_same_instant_post_once(app, company):
    from tests.services.test_batch_concurrency import race

    register(company, "https://erp.example.com/eventos")
    webhooks.emit(company.id, "order.paid", {"order_id": 1})
    db.session.commit()
    delivery_id = deliveries()[0].id
    posted = []
    db.session.remove()

    def deliver():
        return webhooks.deliver(delivery_id, post=lambda url, body, headers, timeout: posted.append(1) or 200)

    assert sorted(race(app, deliver, 8)) == ["delivered"] + ["skipped"] * 7
    assert len(posted) == 1 and db.session.query(WebhookAttempt).count() == 1


def test_a_delivered_delivery_is_never_posted_again(app, company):
    register(company, "https://erp.example.com/eventos")
    webhooks.emit(company.id, "order.paid", {"order_id": 1})
    db.session.commit()
    delivery_id = deliveries()[0].id
    assert webhooks.deliver(delivery_id, post=lambda url, body, headers, timeout: 204) == "delivered"
    assert webhooks.deliver(delivery_id, post=lambda *a, **k: pytest.fail("posted again")) == "skipped"
    assert db.session.query(WebhookAttempt).count() == 1


def test_the_cron_queues_again_a_delivery_whose_job_was_lost(app, company):
    register(company, "https://erp.example.com/eventos")
    webhooks.emit(company.id, "order.paid", {"order_id": 1})
    db.session.commit()
    queue.connection().flushdb()  # Redis emptied: the job is gone
    assert webhooks.requeue_lost() == 0  # not overdue yet
    later = clock.utcnow() + timedelta(seconds=app.config["WEBHOOK_LOST_AFTER_SECONDS"] + 1)
    assert webhooks.requeue_lost(now=later) == 1
    assert queue.get_queue("default").count == 1
    assert webhooks.requeue_lost(now=later) == 0  # once per period


def test_a_private_address_is_not_posted_to_when_not_allowed(app, company):
    register(company, "https://erp.example.com/eventos")
    endpoint = db.session.query(WebhookEndpoint).one()
    endpoint.url = "https://127.0.0.1/eventos"  # e.g. a name pointed at loopback after it was registered
    db.session.commit()
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    webhooks.emit(company.id, "order.paid", {"order_id": 1})
    db.session.commit()
    with pytest.raises(webhooks.DeliveryFailed):
        webhooks.deliver(deliveries()[0].id, post=lambda *a, **k: pytest.fail("posted to loopback"))
    assert "interna o privada" in deliveries()[0].tries[0].error


def test_disabling_a_webhook_stops_its_events_and_fails_its_pending_ones(app, company):
    register(company, "https://erp.example.com/eventos")
    webhooks.emit(company.id, "order.paid", {"order_id": 1})
    db.session.commit()
    endpoint = db.session.query(WebhookEndpoint).one()
    assert webhooks.disable(company.admin, endpoint) and not webhooks.disable(company.admin, endpoint)
    assert deliveries()[0].status == "failed"
    assert webhooks.emit(company.id, "order.paid", {"order_id": 2}) == 0
    assert db.session.query(AuditEvent).filter_by(action="api.webhook_disabled").count() == 1


def test_a_failed_delivery_retried_gets_a_new_round(app, company):
    app.config["WEBHOOK_RETRY_INTERVALS"] = []
    register(company, "https://erp.example.com/eventos")
    webhooks.emit(company.id, "order.paid", {"order_id": 1})
    db.session.commit()
    delivery_id = deliveries()[0].id
    with pytest.raises(webhooks.DeliveryFailed):
        webhooks.deliver(delivery_id, post=lambda url, body, headers, timeout: 500)
    queue.connection().flushdb()
    delivery = deliveries()[0]
    assert delivery.status == "failed"
    assert webhooks.retry(company.admin, delivery) and not webhooks.retry(company.admin, delivery)
    assert queue.get_queue("default").count == 1
    assert webhooks.deliver(delivery_id, post=lambda url, body, headers, timeout: 200) == "delivered"
    assert [t.status_code for t in deliveries()[0].tries] == [500, 200]


# --- the events of the real flows ------------------------------------------------------------

def events():
    return [(d.event, json.loads(d.payload)["data"]) for d in deliveries()]


def test_a_checked_batch_emits_validated_or_invalid(app, company):
    from portal.models import Batch
    from portal.services import batches
    from tests import order_helpers as oh

    register(company, "https://erp.example.com/eventos")
    batch = oh.confirmed_emission(company.admin, company)
    access = oh.access_of(company.admin, company)
    bad = batches.submit(company.admin, access, "emission", "malo.xlsx", oh.emission_file([("12ab", "1000", "X")]))
    assert batches.process(bad.id) == "invalid"
    [(event, data), (bad_event, bad_data)] = events()
    assert (event, data["batch_id"], data["number"], data["status"]) == ("batch.validated", batch.id, batch.number,
                                                                         "valid")
    assert data["total_amount"] == "1000.00" and data["valid_lines"] == 1
    assert (bad_event, bad_data["status"], bad_data["error_lines"]) == ("batch.invalid", "invalid", 1)
    assert db.session.get(Batch, bad.id).status == "invalid"


def test_an_order_emits_created_paid_card_loaded_and_processed(app, company):
    from portal.services import card_processor
    from portal.services import order_payments as op
    from tests.services.test_order_payments import last_code, signed_order

    register(company, "https://erp.example.com/eventos")
    order, ana, access = signed_order(company=company)
    op.request_code(ana, access, order)
    assert op.pay(ana, access, order, last_code(ana)).status == "approved"
    assert card_processor.process(order.id) == "processed"
    by_event = {}
    for event, data in events():
        by_event.setdefault(event, []).append(data)
    [created], [paid] = by_event["order.created"], by_event["order.paid"]
    assert (created["order_id"], created["status"], created["to_pay"]) == (order.id, "pending_payment", "1015.20")
    assert (paid["status"], paid["paid_amount"]) == ("paid", "1015.20")
    [loaded] = by_event["card.loaded"]
    assert loaded["amount"] == "1000.00" and loaded["order_id"] == order.id
    assert loaded["card"][:6] == "450714" and "******" in loaded["card"] and len(loaded["card"]) == 16
    [processed] = by_event["batch.processed"]
    assert (processed["status"], processed["processed_lines"], processed["deposited"]) == ("processed", 1, "1000.00")


def test_an_annulled_order_emits_order_annulled(app, company):
    from portal.services import service_orders
    from tests.services.test_order_payments import signed_order

    register(company, "https://erp.example.com/eventos")
    order, ana, _ = signed_order(company=company)
    assert service_orders.annul(ana, order, factories.PASSWORD).ok
    annulled = [data for event, data in events() if event == "order.annulled"]
    assert [(d["order_id"], d["status"]) for d in annulled] == [(order.id, "annulled")]
