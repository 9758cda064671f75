"""RQ workers for the portal: `python worker.py [-n N] [--burst]`.

Starts N worker processes (RQ_WORKERS, default 2) on the queues in RQ_QUEUES. Each
builds the app once and hands it to portal.jobs, so every job runs in its app context.
SIGINT/SIGTERM: each worker finishes its current job, then they all exit.
"""
import argparse
import multiprocessing
import os
import signal
import sys
from multiprocessing.connection import wait

STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def run_worker(burst):
    # Until RQ installs its own handlers (warm shutdown), a stop signal simply ends us.
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    from rq import SimpleWorker

    from portal import create_app, jobs, queue

    app = create_app()
    jobs.use_app(app)
    queues = [queue.get_queue(name, app) for name in app.config["RQ_QUEUES"]]
    # The scheduler moves retried jobs (e.g. a gateway event's backoff) back to the queue.
    # SimpleWorker runs jobs in this process instead of forking one per job: a payment
    # event is applied ~100 ms sooner. Jobs are short, take ids and open their own context.
    SimpleWorker(queues, connection=queue.connection(app)).work(burst=burst, logging_level="INFO",
                                                          with_scheduler=True)


def run_cron():
    """Periodic jobs: payment reconciliation every RECONCILE_EVERY_SECONDS (60)."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    from rq.cron import CronScheduler

    from portal import create_app, jobs, queue

    app = create_app()
    scheduler = CronScheduler(connection=queue.connection(app), logging_level="INFO")
    scheduler.register(jobs.reconcile_payments, "payments",
                       interval=app.config["RECONCILE_EVERY_SECONDS"])
    scheduler.register(jobs.recover_stuck_uploads, "default", interval=app.config["RECOVER_UPLOADS_EVERY_SECONDS"])
    # The month's statements and their e-mailed files (the 1st, 06:00 Bogotá by default).
    # RQ reads cron strings in the process's local time: make it the portal's time zone.
    use_local_time(app.config["TIMEZONE"])
    scheduler.register(jobs.build_monthly_statements, "default", cron=app.config["CARTERA_STATEMENTS_CRON"])
    scheduler.start()


def use_local_time(zone):
    """This process's local time becomes `zone` (only the cron process calls it)."""
    import time

    os.environ["TZ"] = zone
    time.tzset()


def main():
    parser = argparse.ArgumentParser(description="The portal's RQ workers.")
    parser.add_argument("-n", "--workers", type=int, default=int(os.environ.get("RQ_WORKERS", 2)))
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    parser.add_argument("--no-cron", action="store_true", help="do not run the periodic jobs")
    args = parser.parse_args()

    children = []
    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        if not stopping:
            stopping = True
            for child in children:
                if child.is_alive():
                    os.kill(child.pid, signal.SIGTERM)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)  # held until every worker exists
    fork = multiprocessing.get_context("fork")
    for n in range(args.workers):
        children.append(fork.Process(target=run_worker, args=(args.burst,), name=f"rq-worker-{n}"))
        children[-1].start()
    if not args.burst and not args.no_cron:
        children.append(fork.Process(target=run_cron, name="rq-cron"))
        children[-1].start()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)

    # A worker failing on its own (not asked to stop) takes the others down: fail loudly.
    failed = False
    while alive := [child for child in children if child.is_alive()]:
        wait([child.sentinel for child in alive])
        if not stopping and any(c.exitcode not in (None, 0) for c in children):
            failed = True
            stop(signal.SIGTERM, None)
    for child in children:
        child.join()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
