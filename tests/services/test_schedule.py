"""Scheduled work runs once per tick: the copy of a job that claims its tick in the
database runs it, every other copy (another worker.py's cron, another host) returns."""
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta

import pytest
from rq.cron import CronScheduler, get_cron_job_ids
from rq.job import Job

from portal import jobs, queue
from portal.config import BASE_DIR
from portal.domain import clock
from portal.extensions import db
from portal.models import ScheduledRun
from portal.services import schedule
from tests.processes import portal_env
from tests.services.test_batch_concurrency import race
from tests.test_worker import eventually

TICK = datetime(2026, 11, 30, 15, 0, 0)


def runs(name=None):
    db.session.expire_all()
    found = db.session.query(ScheduledRun).order_by(ScheduledRun.name, ScheduledRun.tick)
    return found.filter_by(name=name).all() if name else found.all()


def test_a_tick_is_claimed_once(app):
    assert schedule.claim("reconcile_payments", TICK)
    assert not schedule.claim("reconcile_payments", TICK)
    assert schedule.claim("reconcile_payments", TICK + timedelta(minutes=1))  # the next tick
    assert schedule.claim("settle_bank_debits", TICK)  # another job's tick
    assert [(r.name, r.tick, r.outcome) for r in runs()] == [
        ("reconcile_payments", TICK, "running"), ("reconcile_payments", TICK + timedelta(minutes=1), "running"),
        ("settle_bank_debits", TICK, "running")]


def test_copies_claiming_at_the_same_instant_run_once(app):
    db.session.remove()
    claims = race(app, lambda: schedule.claim("lapse_signatures", TICK), 8)
    assert sorted(claims) == [False] * 7 + [True]
    assert len(runs("lapse_signatures")) == 1


def test_a_run_is_recorded_and_its_tick_runs_once(app, frozen_clock):
    first = schedule.run("lapse_signatures")
    again = schedule.run("lapse_signatures")  # another cron's copy, the same minute
    frozen_clock.advance(60)
    next_minute = schedule.run("lapse_signatures")

    assert (first["ran"], again["ran"], next_minute["ran"]) == (True, False, True)
    assert first["tick"] == again["tick"] == "2026-05-26T20:00:00"
    assert [(r.tick, r.started_at, r.finished_at, r.outcome, r.error) for r in runs()] == [
        (datetime(2026, 5, 26, 20, 0), datetime(2026, 5, 26, 20, 0), datetime(2026, 5, 26, 20, 0), "ok", None),
        (datetime(2026, 5, 26, 20, 1), datetime(2026, 5, 26, 20, 1), datetime(2026, 5, 26, 20, 1), "ok", None)]
    assert runs()[0].process.endswith(f":{os.getpid()}")


def test_a_copy_runs_for_the_tick_its_cron_enqueued_it_in(app, frozen_clock):
    """Taken late by a busy worker, a copy still counts for its own minute."""
    minute = clock.utcnow()
    frozen_clock.advance(70)
    late = schedule.run("requeue_webhooks", enqueued_at=minute + timedelta(seconds=59))
    on_time = schedule.run("requeue_webhooks", enqueued_at=minute + timedelta(seconds=61))
    assert (late["tick"], late["ran"]) == (minute.isoformat(), True)
    assert (on_time["tick"], on_time["ran"]) == ((minute + timedelta(minutes=1)).isoformat(), True)


def test_a_failed_run_is_recorded_and_raises(app, frozen_clock, monkeypatch):
    def broken():
        raise ConnectionError("acquirer down")

    monkeypatch.setattr(jobs, "reconcile_payments", broken)
    with pytest.raises(ConnectionError):
        schedule.run("reconcile_payments")
    (run,) = runs()
    assert (run.outcome, run.error, run.finished_at) == ("failed", "ConnectionError: acquirer down", clock.utcnow())


def test_a_job_s_runs_older_than_a_week_are_dropped(app, frozen_clock):
    old = clock.utcnow() - schedule.KEEP - timedelta(minutes=1)
    schedule.claim("requeue_webhooks", old)
    schedule.claim("lapse_signatures", old)  # another job's: its own next run drops it
    schedule.run("requeue_webhooks")
    assert [(r.name, r.tick) for r in runs()] == [("lapse_signatures", old), ("requeue_webhooks", clock.utcnow())]


INTERVALS = [entry.every for entry in schedule.SCHEDULE if isinstance(entry.every, str)]


def test_two_worker_py_run_each_tick_of_each_job_once(app, database_url, redis_url, tmp_path):
    """Two worker.py (a worker and a cron each), every job due every second: both crons
    enqueue their copies, and each tick of each job runs in one of them."""
    env = portal_env(database_url, redis_url, tmp_path, **dict.fromkeys(INTERVALS, "1"))
    with open(tmp_path / "workers.log", "w") as log:
        processes = [subprocess.Popen([sys.executable, str(BASE_DIR / "worker.py"), "-n", "1"], cwd=BASE_DIR,
                                      env=env, stdout=log, stderr=subprocess.STDOUT) for _ in range(2)]
    try:
        eventually(lambda: len(CronScheduler.all(queue.connection())) == 2, timeout=30,
                   message="the two crons did not start")
        time.sleep(2.5)
    finally:
        stop(processes)
    assert [p.returncode for p in processes] == [0, 0], (tmp_path / "workers.log").read_text()

    for name in [entry.name for entry in schedule.SCHEDULE if entry.every]:
        copies = finished_copies(name)
        ran = sorted(copy["tick"] for copy in copies if copy["ran"])
        assert len(ran) == len(set(ran)), f"{name} ran twice in a tick"
        assert ran == [run.tick.isoformat() for run in runs(name)]
        assert len(copies) > len(ran), f"{name}: the other cron's copies were not seen"
        assert len(ran) >= (1 if name == "forget_idempotent_requests" else 2)
    assert len(runs("forget_idempotent_requests")) == 1  # every hour: once, though both crons start with it
    assert {(run.outcome, run.finished_at is not None) for run in runs()} == {("ok", True)}


def finished_copies(name):
    """What each copy of `name` the crons enqueued returned (the ones a worker finished)."""
    connection = queue.connection()
    found = Job.fetch_many(get_cron_job_ids(name, connection), connection=connection)
    return [value for value in (job.return_value() for job in found if job) if value is not None]


def stop(processes):
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
