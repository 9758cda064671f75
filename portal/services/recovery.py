"""Losing Redis loses nothing: every job can be rebuilt from the database.

Whatever waits for a job says so in its own row, and worker.py's cron queues the job
again when Redis no longer has it; the job's own claim (a conditional UPDATE) makes a
second copy harmless. Each kind, and who rebuilds it:

- Estado de Cartera uploads and Conexión batches: 'queued' too long (the job was lost)
  or 'processing' without a heartbeat (its worker died): upload_jobs.recover.
- paid service orders whose cards are not loaded: card_processor.recover_stalled.
- company webhooks: pending deliveries overdue: webhooks.requeue_lost.
- Pagos Express payments: the acquirer is asked about those still waiting: payments.reconcile.
- outbox messages ('stored') and the sandbox acquirer's events ('pending'): here. A row
  waiting longer than JOB_LOST_AFTER_SECONDS whose job (its id from queue.job_id_for)
  Redis no longer holds — neither queued, nor scheduled for a retry, nor running — is
  queued again (an event with the retries it has left).
- the month's statements (CARTERA_STATEMENTS_CRON): a tick of the last day, older than
  JOB_LOST_AFTER_SECONDS, whose whole run has not finished since (its audit
  `cartera.statements_run`, written by the cron's job, no actor) and whose job Redis no
  longer holds (the cron's own, or one queued here) is queued again; the run is safe to
  repeat (statements built once, files e-mailed once). An older tick is left to staff's
  «Volver a generar y enviar», so that a new installation does not mail a month unasked.
  That button's own job, lost, is simply pressed again: the page shows no new sending date.
- a message left 'sending' that long with no job (its worker died, or Redis vanished,
  between the claim and the provider's answer): nobody knows whether the provider took
  it, and neither the outbox adapters nor SMTP can be asked. It becomes 'unknown', a
  final state with its reason, and is never sent again: an SMS code is not sent twice
  (codes expire; the affiliate asks for another), and staff see it in «Mensajes».
"""
import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from redis.exceptions import RedisError
from rq.cron import get_cron_job_ids
from sqlalchemy import exists, func, select, update

from portal.domain import clock
from portal.domain.formatting import local
from portal.domain.schedule import cron_tick
from portal.extensions import db
from portal.models import AuditEvent, GatewayEvent, OutboxMessage
from portal.queue import connection, enqueue_after_commit, job_id_for, live_jobs, lost_jobs
from portal.services import acquirer, messaging, statements

log = logging.getLogger(__name__)
BATCH = 1000  # rows looked at per kind and run; the next run takes the rest
UNKNOWN = "unknown"
UNKNOWN_REASON = "Sin confirmación del proveedor (el envío se interrumpió); no se reenvía."
STATEMENTS_JOB = "portal.jobs.build_monthly_statements"
STATEMENTS_ENTRY = "build_monthly_statements"  # its name in services/schedule.SCHEDULE (the cron's history)
STATEMENTS_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class Waiting:
    """A kind of row that waits for a job: the job, its queue, and the retries it has left."""
    model: type
    job: str
    condition: object  # SQL: the row waits for its job
    queue_name: str = "default"
    retries: object = None  # (the row's attempts) → the RQ retry intervals left, or None


def _kinds():
    return (Waiting(OutboxMessage, messaging.JOB, OutboxMessage.status == "stored"),
            Waiting(GatewayEvent, acquirer.EVENT_JOB, GatewayEvent.status == "pending", "payments",
                    retries=lambda attempts: current_app.config["GATEWAY_EVENT_RETRY_INTERVALS"][attempts:] or None))


def run(now=None):
    """worker.py's cron, every RECOVER_JOBS_EVERY_SECONDS: {what: how many} queued again
    or settled; nothing at all while Redis cannot be asked."""
    now = now or clock.utcnow()
    cutoff = now - timedelta(seconds=current_app.config["JOB_LOST_AFTER_SECONDS"])
    try:
        done = {kind.model.__tablename__: requeue_lost(kind, cutoff) for kind in _kinds()}
        done["unknown_messages"] = settle_unconfirmed(cutoff)
        done["statements"] = requeue_monthly_statements(now, cutoff)
    except RedisError as exc:
        db.session.rollback()
        log.warning("job recovery skipped: Redis unavailable (%s)", type(exc).__name__)
        return {}
    if any(done.values()):
        log.warning("job recovery: %s", done)
    return done


def requeue_lost(kind, cutoff):
    """The rows of `kind` waiting since before `cutoff` whose job Redis lost, queued again
    (with the same job id, so the next run sees it); how many."""
    model = kind.model
    rows = db.session.execute(select(model.id, *([model.attempts] if kind.retries else []))
                              .where(kind.condition, model.created_at < cutoff).order_by(model.id).limit(BATCH)).all()
    lost = set(lost_jobs(kind.job, [row.id for row in rows]))
    lost = [row for row in rows if row.id in lost]
    for row in lost:
        enqueue_after_commit(kind.job, row.id, findable=True, queue_name=kind.queue_name,
                             retry_intervals=kind.retries(row.attempts) if kind.retries else None, inline=False)
    db.session.commit()  # the jobs reach Redis here
    return len(lost)


def settle_unconfirmed(cutoff):
    """Messages claimed before `cutoff`, still 'sending', whose job is gone: 'unknown'
    (a conditional UPDATE: a job that answers meanwhile wins); how many."""
    claimed = func.coalesce(OutboxMessage.claimed_at, OutboxMessage.created_at)
    ids = db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.status == "sending", claimed < cutoff)
                             .order_by(OutboxMessage.id).limit(BATCH)).all()
    settled = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id.in_(lost_jobs(messaging.JOB, ids)),
                                    OutboxMessage.status == "sending")
        .values(status=UNKNOWN, error=UNKNOWN_REASON).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return settled


def requeue_monthly_statements(now, cutoff):
    """The statements run of the cron's last tick, lost: queued again (1), else 0."""
    tick = cron_tick(now, current_app.config["CARTERA_STATEMENTS_CRON"], current_app.config["TIMEZONE"])
    if not now - STATEMENTS_WINDOW < tick < cutoff:
        return 0
    period = statements.period_of(local(tick).date())
    if db.session.scalar(select(exists().where(
            AuditEvent.action == "cartera.statements_run", AuditEvent.subject == f"period:{period}",
            AuditEvent.actor_type.is_(None), AuditEvent.created_at >= tick))):
        return 0
    ours = job_id_for(STATEMENTS_JOB, period)
    if live_jobs([ours, *get_cron_job_ids(STATEMENTS_ENTRY, connection())]):
        return 0
    enqueue_after_commit(STATEMENTS_JOB, period, findable=True, inline=False)
    db.session.commit()
    return 1

