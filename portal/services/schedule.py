"""Scheduled work runs once per tick, however many worker.py processes (each with its cron)
run on however many hosts.

Every worker.py's cron (RQ's CronScheduler) enqueues its own copy of each job in SCHEDULE,
as `portal.jobs.run_scheduled(name)`. The copy that runs first claims the job's tick in the
database — the truth every host shares, which outlives a lost Redis — and runs the job; the
copies that come after find the tick taken and return at once. The claim is here, in `run`,
for every scheduled job; the jobs themselves know nothing of it (and can still be called
directly, e.g. by the tests).

A tick (portal/domain/schedule.py) is, for a job every N seconds, the N-second window of
wall-clock time in which a cron enqueued the copy; for a job on a cron expression (the
month's statements), the expression's latest occurrence then. So a job every 60 s runs at
most once for 10:00:00–10:00:59, and the statements once for «the 1st at 06:00», whichever
cron enqueued them and however late a worker took them. The enqueuing moment, not the
running one: one cron's copies are N seconds apart, so none of them lands in the window of
the one before when a busy queue delays one more than the next.

The claim is one INSERT of (name, tick), the primary key of scheduled_runs, with ON
CONFLICT DO NOTHING RETURNING: the copy that loses gets no row back and no error
(PostgreSQL makes it wait on the index until the winner commits, SQLite's single writer
does the same). It is
committed before the job runs, so no copy waits for a job. Chosen over a conditional UPDATE
of one row per job («last started at least N seconds ago»): one statement serves interval
and cron jobs alike, no slack has to absorb the queue's delays, and the claimed row is the
run's record for operators (and metrics): started, finished, outcome — ok, failed (with the
error), or running with no end when its worker died (the next tick runs anyway). A job's
rows older than KEEP are deleted by its next run.

Hosts keep their clocks by NTP (sessions and codes already count on it): a skew can only
move a run into the next window, never make two runs in one.
"""
import os
import socket
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite

from portal.domain import clock
from portal.domain.schedule import cron_tick, interval_tick
from portal.extensions import db
from portal.models import ScheduledRun

KEEP = timedelta(days=7)
RUNNING, OK, FAILED = "running", "ok", "failed"


@dataclass(frozen=True)
class Scheduled:
    """A job of portal.jobs (`name`, called without arguments) on `queue`, every `every`
    seconds (a number, or the setting that holds it) or on the cron expression held by the
    setting `cron`."""
    name: str
    queue: str
    every: str | int | None = None
    cron: str | None = None

    def timing(self, config):
        """RQ CronScheduler.register's keyword: interval=… or cron=…."""
        if self.cron:
            return {"cron": config[self.cron]}
        return {"interval": config[self.every] if isinstance(self.every, str) else self.every}

    def tick(self, now, config):
        if self.cron:
            return cron_tick(now, config[self.cron], config["TIMEZONE"])
        return interval_tick(now, self.timing(config)["interval"])


SCHEDULE = (
    Scheduled("reconcile_payments", "payments", every="RECONCILE_EVERY_SECONDS"),
    Scheduled("settle_bank_debits", "payments", every="SETTLE_BANK_EVERY_SECONDS"),
    Scheduled("recover_stuck_uploads", "default", every="RECOVER_UPLOADS_EVERY_SECONDS"),
    Scheduled("lapse_signatures", "default", every="LAPSE_SIGNATURES_EVERY_SECONDS"),
    Scheduled("recover_paid_orders", "default", every="ORDER_RECOVERY_EVERY_SECONDS"),
    Scheduled("requeue_webhooks", "default", every="WEBHOOK_REQUEUE_EVERY_SECONDS"),
    Scheduled("recover_lost_jobs", "default", every="RECOVER_JOBS_EVERY_SECONDS"),
    Scheduled("forget_idempotent_requests", "default", every=3600),
    Scheduled("build_monthly_statements", "default", cron="CARTERA_STATEMENTS_CRON"),
)
BY_NAME = {entry.name: entry for entry in SCHEDULE}


def run(name, enqueued_at=None):
    """`name`'s run for the tick of `enqueued_at` (naive UTC; else now), if this copy claims
    it. Returns the tick (ISO), whether it ran here and, if so, the job's result; a failing
    job is recorded, then raises."""
    from portal import jobs

    tick = BY_NAME[name].tick(enqueued_at or clock.utcnow(), current_app.config)
    if not claim(name, tick):
        return {"tick": tick.isoformat(), "ran": False}
    try:
        result = getattr(jobs, name)()  # in its own app context and database session
    except Exception as exc:
        finish(name, tick, FAILED, f"{type(exc).__name__}: {exc}")
        raise
    finish(name, tick, OK)
    return {"tick": tick.isoformat(), "ran": True, "result": result}


def claim(name, tick):
    """True for the one caller that records (name, tick); committed at once."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    claimed = db.session.execute(dialect.insert(ScheduledRun).values(
        name=name, tick=tick, started_at=clock.utcnow(), outcome=RUNNING, process=_process(),
    ).on_conflict_do_nothing().returning(ScheduledRun.name)).first() is not None
    db.session.commit()
    return claimed


def finish(name, tick, outcome, error=None):
    """The run's end and outcome; the job's runs older than KEEP go."""
    db.session.execute(update(ScheduledRun).where(ScheduledRun.name == name, ScheduledRun.tick == tick)
                       .values(finished_at=clock.utcnow(), outcome=outcome, error=error and error[:255]))
    db.session.execute(delete(ScheduledRun).where(ScheduledRun.name == name, ScheduledRun.tick < tick - KEEP))
    db.session.commit()


def _process():
    return f"{socket.gethostname()}:{os.getpid()}"[:80]
