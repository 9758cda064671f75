"""Webhooks (issue #12): the URLs a company registers in Configuración › API, its events
written for them, and their delivery.

    emit(company_id, "order.paid", {...})   # in the transaction that made the event
    db.session.commit()                      # the deliveries' jobs reach Redis here

An event exists only if what made it was committed: `emit` writes one WebhookDelivery per
active endpoint in the caller's transaction and queues its job after the commit (a
rollback drops both). The job (`deliver`) takes a try by a conditional UPDATE (the
delivery still pending, its try count unchanged, its time due; the try's lease written
in next_attempt_at), so two workers never post the same delivery at once; it posts the
signed body, keeps the try (status code, error, duration), marks the delivery delivered
once on a 2xx, and otherwise sets the next try's time and raises so that RQ retries with
the backoff (WEBHOOK_RETRY_INTERVALS); after the last retry the delivery is «Fallido».
`requeue_lost` (worker.py's cron) queues again the pending deliveries whose job was lost."""
import calendar
import secrets
import ssl
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from http.client import HTTPException

from flask import current_app
from sqlalchemy import insert, select, update
from sqlalchemy.orm import selectinload

from portal.adapters import http
from portal.domain import clock
from portal.domain import webhooks as wh
from portal.domain.formatting import local
from portal.extensions import db
from portal.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from portal.queue import enqueue_after_commit
from portal.services import audit, tables

JOB = "portal.jobs.deliver_webhook"
MAX_ENDPOINTS = 5  # active URLs per company
LEASE_MARGIN = 20  # seconds beyond the POST's timeout that a try holds its delivery
REQUEUE_BATCH = 1000


class Refused(Exception):
    """Said to the user as is; nothing was registered."""


class DeliveryFailed(Exception):
    """Not answered 2xx: RQ retries the job (its message names no secret)."""


@dataclass(frozen=True)
class Registered:
    endpoint: WebhookEndpoint
    secret: str  # shown once; kept to sign (a receiver needs the same one)


def _config(name):
    return current_app.config[name]


# --- Configuración › API: the URLs -----------------------------------------------------------

def register(user, company, url):
    """A new URL for the company's events and its signing secret; Refused names what is
    wrong (scheme, host, a private address). Audited; commits."""
    url = (url or "").strip()
    problem = wh.url_problem(url, _config("WEBHOOK_ALLOW_HTTP")) or _host_problem(url)
    if problem:
        raise Refused(problem)
    if len(active_endpoints(company.id)) >= MAX_ENDPOINTS:
        raise Refused(f"La empresa ya tiene {MAX_ENDPOINTS} webhooks activos: desactive uno antes de registrar otro.")
    secret = wh.SECRET_PREFIX + secrets.token_hex(24)
    endpoint = WebhookEndpoint(company_id=company.id, url=url, secret=secret, created_by_id=user.id,
                               created_at=clock.utcnow())
    db.session.add(endpoint)
    db.session.flush()
    audit.record("api.webhook_registered", user, subject=f"webhook:{endpoint.id}", company=company.id, url=url)
    db.session.commit()
    return Registered(endpoint, secret)


def _host_problem(url):
    """Why the URL's host may not be posted to (a private or loopback address: SSRF), or
    None; checked when it is registered and again before every try (a name may be
    pointed elsewhere after it was registered; between this check and the connection a
    name could still change: the check narrows that window, it does not close it)."""
    if _config("WEBHOOK_ALLOW_PRIVATE"):
        return None
    host = wh.host_of(url)
    literal = wh.literal_address(host)
    return wh.host_problem(host, [str(literal)] if literal else http.addresses(host))


def disable(user, endpoint):
    """Once: no event is written for it from now on, and its pending deliveries fail."""
    now = clock.utcnow()
    done = db.session.execute(update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint.id,
                                                            WebhookEndpoint.disabled_at.is_(None))
                              .values(disabled_at=now).execution_options(synchronize_session=False)).rowcount
    if done:
        db.session.execute(update(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id,
                                                         WebhookDelivery.status == wh.PENDING)
                           .values(status=wh.FAILED, next_attempt_at=None)
                           .execution_options(synchronize_session=False))
        audit.record("api.webhook_disabled", user, subject=f"webhook:{endpoint.id}", url=endpoint.url)
    db.session.commit()
    db.session.refresh(endpoint)
    return bool(done)


def endpoints_of(company_id):
    return db.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.company_id == company_id)
                              .order_by(WebhookEndpoint.disabled_at.is_not(None), WebhookEndpoint.id.desc())).all()


def active_endpoints(company_id):
    return db.session.scalars(select(WebhookEndpoint.id).where(WebhookEndpoint.company_id == company_id,
                                                               WebhookEndpoint.disabled_at.is_(None))).all()


def endpoint_of(company_id, endpoint_id):
    return db.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id,
                                                            WebhookEndpoint.company_id == company_id)).first()


# --- Configuración › API: the deliveries -----------------------------------------------------

def deliveries(company_id, status, number, per_page):
    """A page of the company's deliveries, newest first, with their tries."""
    query = (select(WebhookDelivery).join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
             .where(WebhookEndpoint.company_id == company_id)
             .options(selectinload(WebhookDelivery.tries), selectinload(WebhookDelivery.endpoint)))
    if status in wh.STATUS_LABELS:
        query = query.where(WebhookDelivery.status == status)
    return tables.paged(query, number, per_page, WebhookDelivery.id.desc())


def delivery_of(company_id, delivery_id):
    return db.session.scalars(select(WebhookDelivery).join(WebhookEndpoint).where(
        WebhookDelivery.id == delivery_id, WebhookEndpoint.company_id == company_id)).first()


def retry(user, delivery):
    """«Reintentar» a failed delivery of an active URL: a new round of tries (the earlier
    ones stay listed). Once per failure (a conditional UPDATE); audited; commits."""
    if delivery.endpoint.disabled_at is not None:
        return False
    done = db.session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery.id,
                                                            WebhookDelivery.status == wh.FAILED)
                              .values(status=wh.PENDING, attempts=0, next_attempt_at=clock.utcnow())
                              .execution_options(synchronize_session=False)).rowcount
    if done:
        audit.record("api.webhook_retried", user, subject=f"webhook_delivery:{delivery.id}", event=delivery.event)
        enqueue_after_commit(JOB, delivery.id, retry_intervals=_config("WEBHOOK_RETRY_INTERVALS"), inline=False)
    db.session.commit()
    db.session.refresh(delivery)
    return bool(done)


# --- events ---------------------------------------------------------------------------------

def emit(company_id, event, data):
    """One event for every active URL of the company, in the caller's transaction (the
    caller commits); how many deliveries were written."""
    return emit_each(company_id, event, [data])


def emit_each(company_id, event, items):
    """One event per item of `items` (e.g. each card a step loaded): one read of the URLs,
    one INSERT; nothing at all for a company without webhooks."""
    endpoints = active_endpoints(company_id) if items else []
    if not endpoints:
        return 0
    now = clock.utcnow()
    rows = []
    for data in items:
        event_id = str(uuid.uuid4())
        body = wh.envelope(event_id, event, local(now), data).decode()
        rows += [{"endpoint_id": endpoint_id, "event_id": event_id, "event": event, "payload": body,
                  "status": wh.PENDING, "attempts": 0, "next_attempt_at": now, "created_at": now}
                 for endpoint_id in endpoints]
    ids = db.session.scalars(insert(WebhookDelivery).returning(WebhookDelivery.id, sort_by_parameter_order=True),
                             rows).all()
    for delivery_id in ids:
        enqueue_after_commit(JOB, delivery_id, retry_intervals=_config("WEBHOOK_RETRY_INTERVALS"), inline=False)
    return len(ids)


# --- the job --------------------------------------------------------------------------------

def deliver(delivery_id, post=None):
    """One try of a delivery (portal.jobs.deliver_webhook): "delivered", "skipped" (not
    pending, not due, or another worker's try), or DeliveryFailed for RQ to retry."""
    taken = _take(delivery_id)
    if taken is None:
        return "skipped"
    delivery, endpoint, attempts = taken
    body = delivery.payload.encode()
    started = time.monotonic()
    status, error = _post(post or http.post_json, delivery, endpoint, body)
    duration = int((time.monotonic() - started) * 1000)
    return _record(delivery.id, attempts, status, error, duration)


def _take(delivery_id):
    """(the delivery, its endpoint, this try's number) if this run takes the try, else None."""
    now = clock.utcnow()
    row = db.session.execute(select(WebhookDelivery, WebhookEndpoint)
                             .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                             .where(WebhookDelivery.id == delivery_id)).first()
    if row is None or row.WebhookDelivery.status != wh.PENDING:
        db.session.rollback()
        return None
    delivery, seen = row.WebhookDelivery, row.WebhookDelivery.attempts
    lease = now + timedelta(seconds=_config("WEBHOOK_TIMEOUT_SECONDS") + LEASE_MARGIN)
    due = WebhookDelivery.next_attempt_at.is_(None) | (WebhookDelivery.next_attempt_at <= now)
    taken = db.session.execute(update(WebhookDelivery).where(
        WebhookDelivery.id == delivery_id, WebhookDelivery.status == wh.PENDING, WebhookDelivery.attempts == seen, due)
        .values(attempts=seen + 1, next_attempt_at=lease).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return (delivery, row.WebhookEndpoint, seen + 1) if taken else None


def _post(post, delivery, endpoint, body):
    """(status code, None) or (None, what went wrong): nothing is posted to a private address."""
    if _host_problem(endpoint.url):
        return None, "La URL apunta a una dirección interna o privada: no se envió."
    timestamp = calendar.timegm(clock.utcnow().timetuple())
    headers = wh.headers(endpoint.secret, delivery.event, delivery.id, timestamp, body)
    timeout = _config("WEBHOOK_TIMEOUT_SECONDS")
    try:
        return post(endpoint.url, body, headers=headers, timeout=timeout), None
    except (OSError, HTTPException) as exc:  # refused, timed out, TLS, not HTTP at all
        return None, _describe(exc, timeout)


def _describe(exc, timeout):
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, TimeoutError):
        return f"Sin respuesta en {timeout} s."
    if isinstance(reason, ConnectionRefusedError):
        return "Conexión rechazada por el servidor."
    if isinstance(reason, ssl.SSLError):
        return f"Error de TLS: {reason.reason or type(reason).__name__}."[:wh.ERROR_MAX]
    return f"Error de conexión: {reason}"[:wh.ERROR_MAX]


def _record(delivery_id, attempts, status, error, duration):
    """The try kept; the delivery delivered (once), due again later, or failed."""
    now = clock.utcnow()
    db.session.add(WebhookAttempt(delivery_id=delivery_id, at=now, status_code=status, error=error,
                                  duration_ms=duration))
    mine = (WebhookDelivery.id == delivery_id, WebhookDelivery.status == wh.PENDING,
            WebhookDelivery.attempts == attempts)
    if wh.succeeded(status):
        db.session.execute(update(WebhookDelivery).where(*mine).values(
            status=wh.DELIVERED, delivered_at=now, next_attempt_at=None).execution_options(synchronize_session=False))
        db.session.commit()
        return wh.DELIVERED
    wait = wh.retry_in(attempts, _config("WEBHOOK_RETRY_INTERVALS"))
    after = {"status": wh.FAILED, "next_attempt_at": None} if wait is None \
        else {"next_attempt_at": now + timedelta(seconds=wait)}
    db.session.execute(update(WebhookDelivery).where(*mine).values(**after)
                       .execution_options(synchronize_session=False))
    db.session.commit()
    raise DeliveryFailed(f"webhook delivery {delivery_id}, try {attempts}: {status or error}")


def requeue_lost(now=None):
    """worker.py's cron: pending deliveries overdue by WEBHOOK_LOST_AFTER_SECONDS (their job
    was lost with Redis, or their worker died mid-try) queued again with the retries they
    have left, each once per that time (a conditional UPDATE); how many were."""
    now = now or clock.utcnow()
    cutoff = now - timedelta(seconds=_config("WEBHOOK_LOST_AFTER_SECONDS"))
    intervals = _config("WEBHOOK_RETRY_INTERVALS")
    queued = 0
    for delivery_id, attempts in db.session.execute(
            select(WebhookDelivery.id, WebhookDelivery.attempts).where(
                WebhookDelivery.status == wh.PENDING, WebhookDelivery.next_attempt_at < cutoff)
            .order_by(WebhookDelivery.id).limit(REQUEUE_BATCH)).all():
        if db.session.execute(update(WebhookDelivery).where(
                WebhookDelivery.id == delivery_id, WebhookDelivery.status == wh.PENDING,
                WebhookDelivery.attempts == attempts, WebhookDelivery.next_attempt_at < cutoff)
                .values(next_attempt_at=now).execution_options(synchronize_session=False)).rowcount:
            enqueue_after_commit(JOB, delivery_id, retry_intervals=list(intervals[attempts:]) or None,
                                 inline=False)
            queued += 1
    db.session.commit()
    return queued

