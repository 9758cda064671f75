"""Logs: one JSON object per line on stderr (LOG_FORMAT=json, production's default) or
readable text (development), the same for gunicorn, the app and worker.py.

Every line goes through `redact` on its way out: card numbers keep their first 6 and
last 4 digits, bearer tokens and API keys lose their secret part. What the portal logs
on purpose (a request's line, a job's line) never holds a body, a query string or a
header, so passwords, codes and cédulas have no way in.
"""
import contextvars
import functools
import json
import logging
import re
import sys
import time

from portal.domain.api import KEY_PREFIX

# The request or job a record was logged in: {"request_id": …} or {"job_id": …}.
context = contextvars.ContextVar("portal.log_context", default=None)

_PAN = r"(?<!\w)(?:\d{13,}|\d{4}[ -]\d{4}[ -]\d{4}[ -]\d{1,7})(?!\w)"
_SECRETS = re.compile(
    rf"(?P<pan>{_PAN})"
    r"|(?P<bearer>\bBearer\s+)[^\s\"',;]+"
    rf"|(?P<key>\b{KEY_PREFIX}[0-9a-f]{{12}}\.)[A-Za-z0-9_-]+", re.IGNORECASE)
REDACTED = "[redactado]"


def _masked(match):
    if match.group("pan"):
        digits = re.sub(r"\D", "", match.group("pan"))
        return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]
    return (match.group("bearer") or match.group("key")) + REDACTED


def redact(text):
    """`text` without card numbers (13 digits or more, or 4-4-4-n groups), bearer tokens and API
    keys: what a log line must never carry, whatever a caller put in it."""
    return _SECRETS.sub(_masked, text)


class JsonFormatter(logging.Formatter):
    """{"ts", "level", "logger", "message", request_id or job_id, the record's `fields`,
    "exc"}: one line, UTC ISO timestamp."""

    def format(self, record):
        line = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{record.msecs:03.0f}Z",
                "level": record.levelname, "logger": record.name, "message": redact(record.getMessage())}
        line.update(context.get() or {})
        for name, value in (getattr(record, "fields", None) or {}).items():
            line[name] = value if name in SAFE else _clean(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = redact(record.exc_text)
        return _encode(line)


_encode = json.JSONEncoder(ensure_ascii=False).encode


# Fields whose values the portal makes itself (an id checked at the door, a URL rule, a
# status…): nothing to redact there, and a request's line stays cheap.
SAFE = frozenset({"method", "route", "status", "duration_ms", "user_kind", "user_id", "job_id", "job", "outcome",
                  "retries_left"})


def _clean(value):
    """A value as written: redacted before it is escaped (in JSON a newline before a card
    number would read «\\n4111…» and hide it from the pattern)."""
    if value is None or isinstance(value, float) or (isinstance(value, int) and abs(value) < 10**12):
        return value
    return redact(value if isinstance(value, str) else str(value))


class TextFormatter(logging.Formatter):
    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")

    def format(self, record):
        extra = {**(context.get() or {}), **(getattr(record, "fields", None) or {})}
        text = super().format(record)
        pairs = [f"{name}={value}" for name, value in extra.items() if value is not None]
        return redact(" ".join([text, *pairs]))


FORMATTERS = {"json": JsonFormatter, "text": TextFormatter}


class StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (a test runner swaps it)."""

    def __init__(self):
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


def configure(source):
    """The root logger writes every record (INFO and up) to stderr in LOG_FORMAT.
    `source` is the app, its config or the Config class; idempotent (every create_app
    calls it). Under tests no handler is added: pytest collects the records."""
    setting = _settings(source)
    formatter = FORMATTERS.get(setting("LOG_FORMAT", "json"))
    if formatter is None:
        raise RuntimeError(f"LOG_FORMAT={setting('LOG_FORMAT', None)!r}: use json or text")
    root = logging.getLogger()
    root.setLevel(min(root.level or logging.INFO, logging.INFO))
    # The app writes one line per request; werkzeug's own would repeat it with the query
    # string, and flask-limiter's «exceeded» lines name the limit's key (a cédula, a user
    # name): the request's 429 says as much.
    for noisy in ("werkzeug", "flask-limiter"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if hasattr(source, "logger"):  # Flask's plain handler, if it got there first
        from flask.logging import default_handler

        source.logger.removeHandler(default_handler)
    if setting("TESTING", False):
        return
    handler = next((h for h in root.handlers if isinstance(h, StderrHandler)), None)
    if handler is None:
        handler = StderrHandler()
        root.addHandler(handler)
    handler.setFormatter(formatter())


def _settings(source):
    config = getattr(source, "config", source)
    if isinstance(config, dict):
        return config.get
    return lambda name, default: getattr(config, name, default)


@functools.cache
def _gunicorn_logger():
    """gunicorn's `logger_class`: its own messages (workers booting, timeouts) in
    LOG_FORMAT; no access log (the app's request line replaces it)."""
    from gunicorn import glogging

    class GunicornLogger(glogging.Logger):
        def setup(self, cfg):
            super().setup(cfg)
            from portal.config import Config

            for handler in self.error_log.handlers:
                handler.setFormatter(FORMATTERS.get(Config.LOG_FORMAT, JsonFormatter)())

        def access(self, resp, req, environ, request_time):
            return None

    return GunicornLogger


def __getattr__(name):  # gunicorn's `logger_class = "portal.logs.GunicornLogger"`; gunicorn imported only then
    if name == "GunicornLogger":
        return _gunicorn_logger()
    raise AttributeError(name)
