"""RQ workers for the portal: `python worker.py [-n N] [--burst] [--no-cron]`.

Starts N worker processes (RQ_WORKERS, default 2) on the queues in RQ_QUEUES, plus the
cron process, and the host's metrics server when WORKER_METRICS_BIND asks for one. Each
builds the app once and hands it to portal.jobs, so every job runs in its app context. SIGINT/SIGTERM: each worker finishes its current job, then they all exit.

This process supervises them. One that dies on its own (killed, crashed) is logged,
reaped with whatever it left in its process group (an RQ worker's scheduler) and started
again; more than RESTART_LIMIT deaths of one process within RESTART_WINDOW seconds is a
crash loop: everything stops and worker.py exits 1. In --burst mode nothing is restarted
and a failure stops the others.
"""
import argparse
import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import time
import uuid
from collections import deque
from multiprocessing.connection import wait

STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
RESTART_LIMIT = 5  # deaths of one process within RESTART_WINDOW seconds that we restart
RESTART_WINDOW = 60
POLL_SECONDS = 0.5  # how soon a dead child is noticed
SWEEP_GRACE = 3  # seconds a dead worker's scheduler gets to stop (and free its lock) before SIGKILL
PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER = 1, 36  # linux/prctl.h
SUPERVISOR_PID = os.getpid()  # as seen by the forked children

log = logging.getLogger("worker")


def run_worker(burst, rq_name):
    become_child()
    from rq import SimpleWorker

    from portal import create_app, jobs, queue

    app = create_app()
    jobs.use_app(app)
    queues = [queue.get_queue(name, app) for name in app.config["RQ_QUEUES"]]
    # The scheduler moves retried jobs (e.g. a gateway event's backoff) back to the queue.
    # SimpleWorker runs jobs in this process instead of forking one per job: a payment
    # event is applied ~100 ms sooner. Jobs are short, take ids and open their own context.
    SimpleWorker(queues, name=rq_name, connection=queue.connection(app),
                 worker_ttl=worker_ttl(app.config["READINESS_HEARTBEAT_SECONDS"])).work(
        burst=burst, logging_level="INFO", with_scheduler=True)


def worker_ttl(window):
    """RQ's worker_ttl that makes an idle worker beat twice within /salud/listo's window
    (RQ beats every worker_ttl − 15 s; its default, 420, would beat every 6¾ minutes)."""
    return max(window // 2, 1) + 15


def run_cron():
    """Enqueues the scheduled jobs (portal.services.schedule.SCHEDULE) on time: payment
    reconciliation, the bank's pending debits, uploads and batches left by a dead worker,
    lapsed first signatures, stalled paid orders, lost webhook deliveries, outbox messages
    and gateway events whose job Redis lost, the API's old idempotent answers, the month's
    statements. Every worker.py on every host may run its cron: each tick of a job runs
    once, in the copy that claims it in the database."""
    become_child()
    from rq.cron import CronScheduler

    from portal import create_app, jobs, queue
    from portal.services import schedule

    app = create_app()
    scheduler = CronScheduler(connection=queue.connection(app), logging_level="INFO")
    # RQ reads cron strings in the process's local time: make it the portal's time zone.
    use_local_time(app.config["TIMEZONE"])
    for entry in schedule.SCHEDULE:
        scheduler.register(jobs.run_scheduled, entry.queue, args=(entry.name,), name=entry.name,
                           **entry.timing(app.config))
    scheduler.start()


def run_metrics():
    """This host's job metrics (WORKER_METRICS_BIND): the worker processes' numbers, read
    from PROMETHEUS_MULTIPROC_DIR, for the operators (portal.metrics.workers_server)."""
    become_child()
    from portal import create_app, metrics

    metrics.workers_server(create_app().config).serve_forever()


def become_child():
    """First thing in a forked child. Its own process group, so that what it leaves behind
    if it dies (an RQ worker's scheduler) can be swept as one. Being outside our group,
    it no longer dies with it (bin/run sweeps our group): SIGTERM when we die instead.
    Until RQ installs its own handlers (warm shutdown), a stop signal simply ends it."""
    os.setpgid(0, 0)
    prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != SUPERVISOR_PID:  # it died before prctl could take effect
        sys.exit(1)
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


def prctl(option, value):
    """Linux's prctl(2); elsewhere nothing (workers are still restarted and swept)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


def use_local_time(zone):
    """This process's local time becomes `zone` (only the cron process calls it)."""
    os.environ["TZ"] = zone
    time.tzset()


class RestartBudget:
    """At most `limit` restarts within any `window` seconds."""

    def __init__(self, limit=RESTART_LIMIT, window=RESTART_WINDOW):
        self.limit, self.window = limit, window
        self.times = deque()

    def spend(self):
        """One more restart; False when it would be one too many."""
        now = time.monotonic()
        while self.times and now - self.times[0] > self.window:
            self.times.popleft()
        self.times.append(now)
        return len(self.times) <= self.limit


class Child:
    """A supervised process: an RQ worker (a new RQ name each start) or the cron."""

    def __init__(self, name, target, *args):
        self.name, self.target, self.args = name, target, args
        self.restarts = RestartBudget()
        self.process = self.rq_name = None

    def start(self):
        if self.process is not None:
            self.process.close()  # the previous one, reaped: free its sentinel
        args = self.args
        if self.target is run_worker:
            self.rq_name = f"{self.name}-{uuid.uuid4().hex}"
            args = (*args, self.rq_name)
        self.process = multiprocessing.get_context("fork").Process(target=self.target, args=args, name=self.name)
        self.process.start()


def describe_exit(code):
    if code >= 0:
        return f"exited with code {code}"
    return "was killed by " + {s.value: s.name for s in signal.Signals}.get(-code, f"signal {-code}")


def sweep_group(pgid):
    """Stop what a dead process left in its group: SIGTERM (an RQ scheduler then frees
    its lock for the next one at once), SIGKILL after SWEEP_GRACE seconds. As subreaper
    we inherited those orphans: reap them too."""
    for signum, grace in ((signal.SIGTERM, SWEEP_GRACE), (signal.SIGKILL, 1)):
        try:
            os.killpg(pgid, signum)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while group_exists(pgid) and time.monotonic() < deadline:
            time.sleep(0.05)
    if group_exists(pgid):
        log.error("process group %d outlived SIGKILL", pgid)


def group_exists(pgid):
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-pgid, os.WNOHANG)[0]:
            pass
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def forget_rq_worker(rq_name):
    """RQ would list the dead worker until its key expires (~8 minutes): register its
    death now. Its job, if any, is RQ's abandoned job (the upload's own recovery re-runs it)."""
    from redis import Redis, RedisError
    from rq import SimpleWorker

    from portal.config import Config

    connection = Redis.from_url(Config.REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        dead = SimpleWorker.find_by_key(SimpleWorker.redis_worker_namespace_prefix + rq_name, connection=connection)
        if dead is not None:
            dead.register_death()
    except RedisError as exc:
        log.warning("could not unregister RQ worker %s: %s", rq_name, exc)
    finally:
        connection.close()


def forget_metrics(pid):
    """A dead child's live Prometheus gauges go (multiprocess mode), as gunicorn's child_exit does."""
    from portal import metrics

    metrics.mark_process_dead(pid)


@contextlib.contextmanager
def stop_signals_held():
    """A stop signal waits until the children being started exist (then stops them too)."""
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


class Supervisor:
    def __init__(self, children, restart):
        self.children, self.restart = children, restart
        self.stopping = self.failed = False

    def stop(self, signum=None, frame=None):
        if not self.stopping:
            self.stopping = True
            for child in self.children:
                if child.process.is_alive():
                    os.kill(child.process.pid, signal.SIGTERM)

    def run(self):
        prctl(PR_SET_CHILD_SUBREAPER, 1)  # a dead worker's scheduler is reparented to us, to reap
        signal.signal(signal.SIGINT, self.stop)
        signal.signal(signal.SIGTERM, self.stop)
        with stop_signals_held():
            for child in self.children:
                child.start()
        running = list(self.children)
        while running:
            for child in self.exited(running):
                running.remove(child)
                if child.process.exitcode:
                    sweep_group(child.process.pid)
                forget_metrics(child.process.pid)
                if self.should_restart(child):
                    with stop_signals_held():
                        if not self.stopping:
                            child.start()
                            running.append(child)
        return 1 if self.failed else 0

    @staticmethod
    def exited(running):
        """The children that have exited, reaped. Their sentinels alone do not tell: an RQ
        worker's scheduler inherits the pipe and keeps it open after the worker died."""
        wait([child.process.sentinel for child in running], timeout=POLL_SECONDS)
        return [child for child in running if not child.process.is_alive()]

    def should_restart(self, child):
        code = child.process.exitcode
        if self.stopping or (code == 0 and not self.restart):  # asked to stop, or a burst done
            return False
        log.log(logging.WARNING if self.restart else logging.ERROR, "%s (pid %d) %s",
                child.name, child.process.pid, describe_exit(code))
        if child.rq_name:
            forget_rq_worker(child.rq_name)
        if not self.restart:
            return self.give_up()
        if not child.restarts.spend():
            log.error("%s died more than %d times within %d s: stopping everything",
                      child.name, child.restarts.limit, child.restarts.window)
            return self.give_up()
        log.warning("starting another %s", child.name)
        return True

    def give_up(self):
        self.failed = True
        self.stop()
        return False


def main():
    parser = argparse.ArgumentParser(description="The portal's RQ workers.")
    parser.add_argument("-n", "--workers", type=int, default=int(os.environ.get("RQ_WORKERS", 2)))
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    parser.add_argument("--no-cron", action="store_true", help="do not run the periodic jobs")
    args = parser.parse_args()
    from portal import logs
    from portal.config import Config

    logs.configure(Config)  # LOG_FORMAT, as the web's; the children keep it
    try:
        # Once here, before the fork: a production without its settings is refused in one
        # message (not by every child, restarted until the crash-loop limit), and the app's
        # modules are loaded: each child's create_app, a restarted one's too, takes ~0.1 s
        # instead of ~2 s.
        from portal import create_app

        config = create_app().config
    except (RuntimeError, ValueError) as refused:
        log.error("%s", refused)
        return 1

    children = [Child(f"rq-worker-{n}", run_worker, args.burst) for n in range(args.workers)]
    if not args.burst and not args.no_cron:
        children.append(Child("rq-cron", run_cron))
    if config["WORKER_METRICS_BIND"]:
        children.append(Child("metrics", run_metrics))
    return Supervisor(children, restart=not args.burst).run()


if __name__ == "__main__":
    sys.exit(main())
