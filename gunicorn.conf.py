"""gunicorn's settings for the portal, in development (bin/run) and in production:

    gunicorn wsgi:app          # from the project's root: gunicorn reads ./gunicorn.conf.py

Every value comes from the environment (README, "Environment variables"); anything else
gunicorn offers can be given with GUNICORN_CMD_ARGS (e.g. "--log-level debug").

- Sync workers, one request at a time each, no threads: a request is CPU (Jinja, Python)
  and short queries, so threads would only share the GIL; slow clients (uploads on 3G) are
  absorbed by the proxy in front, which buffers requests and answers (nginx does by
  default). That is also why `keepalive` only matters with another worker class.
- No preload_app: each worker builds the app after the fork, so no database pool, Redis
  client or limiter connection is shared between processes, and `kill -HUP` loads new
  code (new workers start, the old ones finish their requests: a deploy drops nothing).
  The price is each worker's start (about a second of CPU); create_app's refusals (a
  production without its settings) are checked once by the master first (on_starting).
- X-Forwarded-* are read by the app alone (werkzeug's ProxyFix, TRUSTED_PROXIES): gunicorn
  trusts no peer with them, so with no proxy declared a client cannot fake https either.
"""
import os

from portal.config import whole_number  # a setting that is not a whole number is named

PRODUCTION = os.environ.get("PORTAL_ENV", "production") == "production"


def _cores():
    try:
        return len(os.sched_getaffinity(0))  # the CPUs this process may use (taskset, cpusets)
    except AttributeError:
        return os.cpu_count() or 1


# BIND (one or more addresses, comma-separated: "10.0.0.5:8000", "unix:/run/portal.sock"),
# else PORT on every interface in production (the proxy is on another host) and on
# loopback only elsewhere.
bind = [address.strip() for address in os.environ["BIND"].split(",")] if os.environ.get("BIND") else [
    f"{'0.0.0.0' if PRODUCTION else '127.0.0.1'}:{os.environ.get('PORT') or 5000}"]
# 2 × cores + 1 (gunicorn's advice), at most 12: beyond that a host is memory bound and more
# workers mean more database connections, not more answers.
workers = whole_number("WEB_CONCURRENCY", min(2 * _cores() + 1, 12))
worker_class = "sync"
# A request running longer than this is killed with its worker (and the worker replaced).
timeout = whole_number("WEB_TIMEOUT_SECONDS", 60)
# SIGTERM (a deploy, systemd stop): workers stop taking requests and finish the ones they
# hold for up to this long. Keep it below the service manager's own stop timeout.
graceful_timeout = whole_number("WEB_GRACEFUL_TIMEOUT_SECONDS", 30)
keepalive = 5  # seconds; the sync worker closes every connection after its answer
# A worker is replaced after about this many requests (jitter: not all at once), so a slow
# leak (a large export's memory kept by the allocator) never grows without bound. 0: never.
max_requests = whole_number("WEB_MAX_REQUESTS", 10000)
max_requests_jitter = max_requests // 10
# The workers' heartbeat files: in memory, so a slow or full disk does not get them killed.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

forwarded_allow_ips = ""
secure_scheme_headers = {}
forwarder_headers = ""

# The app logs every request (portal/logs.py, one JSON line each): no access log here.
# gunicorn's own messages (boot, worker timeouts) go to stderr in LOG_FORMAT too.
accesslog = None
errorlog = "-"
loglevel = "info"
logger_class = "portal.logs.GunicornLogger"


def on_starting(server):
    """In the master, before any worker: refuse a production without its settings in one
    clear message (gunicorn prints it and exits 1) instead of every worker failing to boot."""
    try:
        from portal import config

        app = config.check()
    except ValueError as unreadable:  # a setting that does not parse, named by config.py
        raise RuntimeError(str(unreadable)) from None
    from portal import logs

    logs.configure(app)


def child_exit(server, worker):
    """A worker that exited leaves its Prometheus files (multiprocess mode): its live gauges
    are dropped (portal/metrics.py)."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    from portal.metrics import mark_process_dead

    mark_process_dead(worker.pid)
