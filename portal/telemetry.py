"""One log line and one latency observation per request and per job.

A request's line: request id (the proxy's `X-Request-Id` when it is short and safe,
else a new one; sent back in the response), method, route (the URL rule: ids stay out),
status, duration, and who asked (user kind and id, or the API key). Never the query
string, a header's value or a body. A job's line: job id, name, duration, outcome and
the retries RQ has left for it.
"""
import contextvars
import logging
import re
import secrets
import time
from contextlib import contextmanager

from flask import g, request

from portal import logs, metrics

REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}  # any other: "other" (bounded labels)
_started = contextvars.ContextVar("portal.request_started", default=None)
request_log = logging.getLogger("portal.request")
job_log = logging.getLogger("portal.job")


def init_app(app):
    """Registered before every other hook: the clock starts first and the line is
    written last (after_request hooks run in reverse order)."""
    app.before_request(_start)
    app.after_request(_finish)


def request_id(given):
    """`given` when it is a short id of safe characters (not a card number), else a new one."""
    if given and REQUEST_ID.fullmatch(given) and logs.redact(given) == given:
        return given
    return secrets.token_hex(16)


def _start():
    logs.context.set({"request_id": request_id(request.headers.get("X-Request-Id"))})
    _started.set(time.perf_counter())


def _finish(response):
    started, context = _started.get(), logs.context.get()
    if started is None or context is None:  # not a request _start saw
        return response
    seconds = time.perf_counter() - started
    response.headers["X-Request-Id"] = context["request_id"]
    current = request._get_current_object()
    route = current.url_rule.rule if current.url_rule else "(sin ruta)"
    method = current.method if current.method in METHODS else "other"
    status = response.status_code
    metrics.observe_request(route, method, status, seconds)
    if request_log.isEnabledFor(logging.INFO):  # the record made directly: no caller lookup
        kind, who = _principal(g._get_current_object())
        request_log.handle(request_log.makeRecord(
            request_log.name, logging.INFO, __file__, 0, "%s %s %s %.1f ms",
            (method, route, status, seconds * 1000), None, extra={"fields": {
                "method": method, "route": route, "status": status, "duration_ms": round(seconds * 1000, 3),
                "user_kind": kind, "user_id": who}}))
    _started.set(None)
    logs.context.set(None)  # what is logged between requests belongs to none
    return response


def _principal(g):
    """(kind, id) of whoever made the request, as already loaded: flask-login's user
    (affiliate, hanna, corporate, staff), an API key, or nobody. Never loads one."""
    user = g.get("_login_user")
    if user is not None and getattr(user, "is_authenticated", False):
        return user.kind, user.id
    key = g.get("api_key_use")
    if key is not None:
        return "api_key", key[0]
    return None, None


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
