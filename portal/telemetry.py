"""One log line and one latency observation per request and per job.

A request's line: request id (the proxy's `X-Request-Id` when it is short and safe,
else a new one; sent back in the response), method, route (the URL rule: ids stay out),
status, duration, and who asked (user kind and id, or the API key). Never the query
string, a header's value or a body. A job's line: job id, name, duration, outcome and
the retries RQ has left for it.
"""
import logging
import re
import time
import uuid
from contextlib import contextmanager

from flask import g, request

from portal import logs, metrics

REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}  # any other: "other" (bounded labels)
request_log = logging.getLogger("portal.request")
job_log = logging.getLogger("portal.job")


def init_app(app):
    """Registered before every other hook: the clock starts first and the line is
    written last (after_request hooks run in reverse order)."""
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_forget)


def request_id(given):
    """`given` when it is a short id of safe characters (not a card number), else a new one."""
    if given and REQUEST_ID.fullmatch(given) and logs.redact(given) == given:
        return given
    return uuid.uuid4().hex


def _start():
    g.request_started = time.perf_counter()
    g.request_id = request_id(request.headers.get("X-Request-Id"))
    logs.context.set({"request_id": g.request_id})


def _finish(response):
    started = g.get("request_started")
    if started is None:  # a hook before ours answered (tests clear g): nothing to time
        return response
    seconds = time.perf_counter() - started
    response.headers["X-Request-Id"] = g.request_id
    route = request.url_rule.rule if request.url_rule else "(sin ruta)"
    method = request.method if request.method in METHODS else "other"
    metrics.observe_request(route, method, response.status_code, seconds)
    kind, who = _principal()
    request_log.info("%s %s %s %.1f ms", method, route, response.status_code, seconds * 1000, extra={
        "fields": {"method": method, "route": route, "status": response.status_code,
                   "duration_ms": round(seconds * 1000, 3), "user_kind": kind, "user_id": who}})
    return response


def _principal():
    """(kind, id) of whoever made the request, as already loaded: flask-login's user
    (affiliate, hanna, corporate, staff), an API key, or nobody. Never loads one."""
    user = g.get("_login_user")
    if user is not None and getattr(user, "is_authenticated", False):
        return user.kind, user.id
    key = g.get("api_key_use")
    if key is not None:
        return "api_key", key[0]
    return None, None


def _forget(exc):
    logs.context.set(None)


@contextmanager
def job(name):
    """Around one run of an RQ job (or the same function run inline)."""
    from rq import get_current_job

    current = get_current_job()
    fields = {"job_id": current.id if current else None, "job": name}
    token = logs.context.set({**(logs.context.get() or {}), "job_id": fields["job_id"]})
    started, failed = time.perf_counter(), True
    try:
        yield
        failed = False
    finally:
        seconds = time.perf_counter() - started
        metrics.observe_job(name, seconds, failed)
        fields.update(duration_ms=round(seconds * 1000, 3), outcome="failed" if failed else "ok")
        if current is not None:  # RQ keeps no attempt number for a raised error's retries
            fields["retries_left"] = current.retries_left
        job_log.log(logging.WARNING if failed else logging.INFO, "job %s %s in %.1f ms", name,
                    fields["outcome"], seconds * 1000, extra={"fields": fields})
        logs.context.reset(token)
