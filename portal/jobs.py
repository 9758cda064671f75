"""RQ entry points. They take ids, never objects, run inside an app context and are
safe to run twice (RQ may retry a job whose worker died)."""
import functools

from flask import current_app, has_app_context

from portal import telemetry
from portal.adapters import http
from portal.domain.formatting import today_bogota
from portal.services import acquirer, batches, cartera_uploads, messaging, payments

_app = None


def use_app(app):
    """worker.py builds the app once per worker process; its forked jobs inherit it."""
    global _app
    _app = app


def _get_app():
    global _app
    if has_app_context():
        return current_app._get_current_object()
    if _app is None:
        from portal import create_app

        _app = create_app()
    return _app


def job(func):
    """Run `func` in a fresh app context, so it has its own database session; each run
    logged (one line: id, duration, outcome, retries) and timed (portal.telemetry)."""
    @functools.wraps(func)
    def run(*ids):
        with _get_app().app_context(), telemetry.job(func.__name__):
            return func(*ids)
    return run


@job
def run_scheduled(name):
    """What worker.py's cron enqueues for every scheduled job: the job `name` (a function
    of this module) if this copy claims its tick, else nothing (portal.services.schedule)."""
    from datetime import UTC

    from rq import get_current_job

    from portal.services import schedule

    copy = get_current_job()
    enqueued_at = copy.enqueued_at.astimezone(UTC).replace(tzinfo=None) if copy and copy.enqueued_at else None
    return schedule.run(name, enqueued_at)


@job
def deliver_message(message_id):
    return messaging.deliver(message_id)


@job
def deliver_gateway_event(event_id):
    """The sandbox acquirer's signed event to the merchant; RQ retries non-200s."""
    return acquirer.deliver_event(event_id, http.post_json)


@job
def deliver_webhook(delivery_id):
    """One try of a company's webhook: signed POST, the try kept; non-2xx raises so RQ
    retries with WEBHOOK_RETRY_INTERVALS (portal.services.webhooks)."""
    from portal.services import webhooks

    return webhooks.deliver(delivery_id)


@job
def requeue_webhooks():
    """Every WEBHOOK_REQUEUE_EVERY_SECONDS (worker.py's cron): pending deliveries whose
    job was lost queued again."""
    from portal.services import webhooks

    return webhooks.requeue_lost()


@job
def forget_idempotent_requests():
    """Every hour (worker.py's cron): the API's kept answers older than 24 hours go."""
    from portal.services import idempotency

    return idempotency.sweep()


@job
def reconcile_payments():
    """Every minute (worker.py's cron): ask the acquirer about payments still waiting."""
    return payments.reconcile()


@job
def process_cartera_upload(upload_id):
    """Check an Activos/Retirados file (or browser draft) whole: portal.services.cartera_uploads."""
    return cartera_uploads.process(upload_id)


@job
def process_batch(batch_id):
    """Check every line of a Conexión Empresas batch: portal.services.batches."""
    return batches.process(batch_id)


@job
def recover_paid_orders():
    """Every minute (worker.py's cron): paid orders whose processing stalled run again."""
    from portal.services import card_processor

    return card_processor.recover_stalled()


@job
def recover_stuck_uploads():
    """Every 30 s (worker.py's cron): uploads and batches left behind by a dead worker run again."""
    return cartera_uploads.recover_stuck() + batches.recover_stuck()


@job
def recover_lost_jobs():
    """Every RECOVER_JOBS_EVERY_SECONDS (worker.py's cron): outbox messages and gateway
    events whose job Redis lost queued again, messages left 'sending' settled
    (portal.services.recovery)."""
    from portal.services import recovery

    return recovery.run()


@job
def lapse_signatures():
    """Every LAPSE_SIGNATURES_EVERY_SECONDS (worker.py's cron): first signatures waiting
    past their time lapse, their batches back to «Confirmado», their signers told."""
    from portal.services import orders

    return orders.lapse_waiting()


@job
def settle_bank_debits():
    """Every SETTLE_BANK_EVERY_SECONDS (worker.py's cron): the bank's pending debits of
    «Pagar orden» settled and applied to their orders (portal.services.order_payments)."""
    from portal.services import order_payments

    return order_payments.settle()


@job
def process_order(order_id):
    """A paid service order's batches, line by line: the card processor
    (portal.services.card_processor), queued when the order is paid."""
    from portal.services import card_processor

    return card_processor.process(order_id)


@job
def build_monthly_statements(period=None):
    """The 1st of each month (worker.py's cron, Bogotá time): every approved employer's
    statements of the month (or of `period`, 'YYYY-MM'), their three files e-mailed once.
    Safe to retry: existing statements are kept, files already sent are not sent again;
    a branch that failed makes the job fail (after the others ran) so a retry finishes it."""
    from portal.services import statements

    today = today_bogota()
    result = statements.run_monthly(period or statements.period_of(today), today)
    if result.failed:
        raise RuntimeError(f"{result.failed} statement(s) of {result.period} failed: {result.errors}")
    return result.as_dict()


@job
def resend_entity_statements(entity_id, period, staff_user_id=None):
    """Staff's "Volver a generar y enviar": one employer's statements of `period`, built
    if missing, and their files e-mailed again."""
    from portal.extensions import db
    from portal.models import Entity, User
    from portal.services import statements

    entity = db.session.get(Entity, entity_id)
    if entity is None:
        return None
    actor = db.session.get(User, staff_user_id) if staff_user_id else None
    result = statements.run_monthly(period, today_bogota(), entity=entity, resend=True, actor=actor)
    if result.failed:
        raise RuntimeError(f"{result.failed} statement(s) of {entity.nit} {period} failed: {result.errors}")
    return result.as_dict()
