"""Prometheus metrics, read at GET /metrics by the operators (a token or their network).

Counted as things happen: request latency per route (the URL rule, never the path), job
durations and failures, failed logins and locked accounts, payments applied and sent to
review (these once their transaction commits: `count_on_commit`). Read at scrape time:
queue depths from Redis, batches and service orders by state from the database.

Under gunicorn, set PROMETHEUS_MULTIPROC_DIR (an empty directory, before the processes
start): every process writes its numbers there and any one of them answers for all.
gunicorn's `child_exit` hook calls `mark_process_dead(worker.pid)`. A worker host (jobs
only, no gunicorn) answers for its worker.py processes on WORKER_METRICS_BIND
(worker.py's metrics process, `workers_server`), with the same access rule.
"""
import hmac
import ipaddress
import logging
import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
CONTENT_TYPE = CONTENT_TYPE_LATEST
MULTIPROCESS = getattr(values.ValueClass, "_multiprocess", False)
if MULTIPROCESS and not os.path.isdir(os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")):
    raise RuntimeError(f"PROMETHEUS_MULTIPROC_DIR={os.environ.get('PROMETHEUS_MULTIPROC_DIR')!r} "
                       "is not a directory: create it (empty) before starting the portal")

REQUEST_SECONDS = Histogram(
    "portal_request_duration_seconds", "Time to answer a request, by URL rule, method and status class.",
    ["route", "method", "status"])
JOB_SECONDS = Histogram(
    "portal_job_duration_seconds", "Time an RQ job ran, by job.", ["job"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 180, float("inf")))
JOB_FAILURES = Counter("portal_job_failures", "RQ job runs that raised, by job.", ["job"])
LOGINS_FAILED = Counter("portal_logins_failed", "Sign-ins refused for a wrong password or code, by user kind.",
                        ["kind"])
ACCOUNTS_LOCKED = Counter("portal_accounts_locked", "Accounts locked by repeated wrong passwords or codes.",
                          ["kind"])
PAYMENTS_APPLIED = Counter("portal_payments_applied", "Approved payments applied (once each), by kind.", ["kind"])
PAYMENTS_REVIEWED = Counter("portal_payments_sent_to_review", "Payment reviews opened for the staff.")
USER_KINDS = ("affiliate", "hanna", "corporate", "staff")
for _kind in USER_KINDS:  # every series exists from the start, at 0
    LOGINS_FAILED.labels(_kind)
    ACCOUNTS_LOCKED.labels(_kind)
PAYMENTS_REVIEWED.inc(0)
_PENDING = "portal.pending_metrics"


def observe_request(route, method, status, seconds):
    REQUEST_SECONDS.labels(route, method, f"{status // 100}xx").observe(seconds)


def observe_job(name, seconds, failed):
    JOB_SECONDS.labels(name).observe(seconds)
    if failed:
        JOB_FAILURES.labels(name).inc()


def count_on_commit(counter, *labels):
    """One more, once the current database transaction commits (a rollback drops it)."""
    from portal.extensions import db

    db.session.info.setdefault(_PENDING, []).append((counter, labels))


@event.listens_for(Session, "after_commit")
def _count_committed(session):
    if session.in_nested_transaction():
        return
    for counter, labels in session.info.pop(_PENDING, []):
        (counter.labels(*labels) if labels else counter).inc()


@event.listens_for(Session, "after_transaction_end")
def _drop_rolled_back(session, transaction):
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def mark_process_dead(pid):
    """gunicorn's child_exit (and worker.py for its children): the dead process's live
    gauges go; its counters and histograms stay in the totals."""
    if MULTIPROCESS:
        multiprocess.mark_process_dead(pid)


def allowed(request, config):
    """The operators: the bearer METRICS_TOKEN (constant-time compare) or an address in
    METRICS_ALLOWED_NETWORKS (the client's, as ProxyFix gives it behind the proxy)."""
    token = config["METRICS_TOKEN"]
    if token and hmac.compare_digest(request.headers.get("Authorization", "").encode(),
                                     f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    address = getattr(address, "ipv4_mapped", None) or address
    return any(address in network for network in config["METRICS_ALLOWED_NETWORKS"])


def exposition(app=None):
    """The text Prometheus reads: this process's numbers (or every process's, in
    multiprocess mode) and, given the app, what is read at scrape time."""
    registry = CollectorRegistry(auto_describe=False)
    if MULTIPROCESS:
        multiprocess.MultiProcessCollector(registry)
    if app is not None:
        registry.register(_Scraped(app))
    counted = b"" if MULTIPROCESS else generate_latest(REGISTRY)
    return counted + generate_latest(registry)


def workers_server(config):
    """worker.py's metrics process: a server of GET /metrics on WORKER_METRICS_BIND, the
    job durations and failures its siblings wrote to PROMETHEUS_MULTIPROC_DIR (queue depths
    and states come from the web hosts' /metrics)."""
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from werkzeug.wrappers import Request, Response

    @Request.application
    def answer(request):
        if request.path != "/metrics" or request.method != "GET" or not allowed(request, config):
            return Response("No encontrado", status=404)
        return Response(exposition(), content_type=CONTENT_TYPE)

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):  # wsgiref's own line per request: not JSON, not wanted
            pass

    host, port = config["WORKER_METRICS_BIND"].rsplit(":", 1)
    server = make_server(host, int(port), answer, handler_class=Quiet)
    log.info("worker metrics on http://%s:%s/metrics", host, server.server_port)
    return server


class _Scraped:
    """Gauges read when Prometheus asks: one pipelined Redis round trip for the queues,
    one GROUP BY each for batches and service orders. A part that does not answer is
    left out of this scrape (and logged), the rest still comes."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        for read in (self._queues, self._states):
            try:
                yield from read()
            except Exception as exc:  # a scrape must not fail for one part
                log.warning("metrics: %s unavailable (%s)", read.__name__.strip("_"), type(exc).__name__)

    def _queues(self):
        from rq import Queue

        from portal.services import readiness

        client = readiness.redis_client(self.app)
        queues = [Queue(name, connection=client) for name in self.app.config["RQ_QUEUES"]]
        pipe = client.pipeline(transaction=False)
        for queue in queues:
            pipe.llen(queue.key)
            pipe.zcard(queue.failed_job_registry.key)
        counts = pipe.execute()
        waiting = GaugeMetricFamily("portal_queue_jobs", "Jobs waiting in each RQ queue.", labels=["queue"])
        failed = GaugeMetricFamily("portal_queue_failed_jobs", "Jobs in each RQ queue's failed registry.",
                                   labels=["queue"])
        for index, queue in enumerate(queues):
            waiting.add_metric([queue.name], counts[2 * index])
            failed.add_metric([queue.name], counts[2 * index + 1])
        return [waiting, failed]

    def _states(self):
        from sqlalchemy import func, select

        from portal.extensions import db
        from portal.models import Batch, ServiceOrder
        from portal.models.batches import BATCH_STATUSES
        from portal.models.orders import ORDER_STATUSES

        families = []
        for model, statuses, name, text in (
                (Batch, BATCH_STATUSES, "portal_batches", "Conexión Empresas batches by state."),
                (ServiceOrder, ORDER_STATUSES, "portal_service_orders", "Service orders by state.")):
            counts = dict.fromkeys(statuses, 0)
            counts.update(db.session.execute(select(model.status, func.count()).group_by(model.status)).all())
            family = GaugeMetricFamily(name, text, labels=["status"])
            for status, count in counts.items():
                family.add_metric([status], count)
            families.append(family)
        return families
