"""The RQ queue, and jobs that are enqueued only once their rows are committed.

    enqueue_after_commit("portal.jobs.deliver_message", message.id)
    db.session.commit()   # the job reaches Redis here; a rollback drops it

If Redis cannot be reached the job runs inline after the commit (with a warning), so
a user's action never fails because the queue is down.

A job enqueued `findable` gets an id made of what it does and to which row (job_id_for), so
that it can be looked for in Redis afterwards: lost_jobs tells a recovery which rows' jobs
Redis lost.
"""
import logging

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.job import Job, JobStatus
from rq.utils import import_attribute
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.extensions import db

log = logging.getLogger(__name__)
_PENDING = "portal.pending_jobs"
# A job in any other status (queued, scheduled for a retry, started, …) may still run.
_OVER = {s.value for s in (JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED)}


def connection(app=None):
    """One Redis client per app; REDIS_URL may be redis://, rediss:// or unix://."""
    app = app or current_app
    client = app.extensions.get("portal.redis")
    if client is None:
        client = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=10)
        app.extensions["portal.redis"] = client
    return client


def get_queue(name="default", app=None):
    return Queue(name, connection=connection(app))


def enqueue_after_commit(func, *ids, retry_intervals=None, queue_name="default", inline=True, findable=False):
    """`func` is a dotted path or a function of portal.jobs; ids only, never objects.
    `retry_intervals` (seconds) makes RQ retry a failing job with that backoff.
    `inline=False`: with Redis down the job is not run here but left to its recovery
    (a webhook's POST must not hold the user's request). `findable`: its id is
    job_id_for(func, *ids), for lost_jobs and live_jobs."""
    job_id = job_id_for(func, *ids) if findable else None
    db.session.info.setdefault(_PENDING, []).append((func, ids, retry_intervals, queue_name, inline, job_id))


def job_id_for(func, *ids):
    """The id of the job `func(*ids)` (a dotted path), e.g. deliver_message-42 (RQ allows
    letters, digits, _ and - only)."""
    return "-".join((func.rsplit(".", 1)[-1], *map(str, ids)))


def lost_jobs(func, ids, app=None):
    """Those of `ids` whose findable job `func(id)` Redis no longer holds (live_jobs)."""
    live = live_jobs([job_id_for(func, one) for one in ids], app)
    return [one for one in ids if job_id_for(func, one) not in live]


def live_jobs(job_ids, app=None):
    """Those of `job_ids` whose job Redis still holds waiting, scheduled (a retry's backoff)
    or running, in one round trip; raises RedisError when Redis cannot be reached."""
    pipe = connection(app).pipeline(transaction=False)
    for job_id in job_ids:
        pipe.hget(Job.key_for(job_id), "status")
    return {job_id for job_id, status in zip(job_ids, pipe.execute(), strict=True)
            if status and status.decode() not in _OVER}


@event.listens_for(Session, "after_commit")
def _enqueue_pending(session):
    if session.in_nested_transaction():  # a savepoint: wait for the real commit
        return
    for func, ids, retry_intervals, queue_name, inline, job_id in session.info.pop(_PENDING, []):
        retry = Retry(max=len(retry_intervals), interval=retry_intervals) if retry_intervals else None
        try:
            get_queue(queue_name).enqueue(func, *ids, retry=retry, job_id=job_id)
        except RedisError as exc:
            log.warning("Redis unavailable (%s): %s %s%r", type(exc).__name__,
                        "running inline" if inline else "left to its recovery:", func, ids)
            if inline:
                _run_inline(func, ids)


@event.listens_for(Session, "after_transaction_end")
def _drop_pending(session, transaction):
    # After a commit the list is already empty; anything left was rolled back.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def _run_inline(func, ids):
    func = import_attribute(func) if isinstance(func, str) else func
    try:
        func(*ids)
    except Exception:  # the user's commit already happened; never undo it with an error
        log.exception("inline job %s%r failed", func, ids)
