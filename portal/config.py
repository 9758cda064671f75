"""Every setting comes from the environment; the defaults are safe for a laptop."""
import os
import re
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PORTAL_VAR_DIR", BASE_DIR / "var"))


def _bool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _dev_secret_key():
    """A random key kept under var/ so dev sessions survive restarts; never in code."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _arrears_daily_rate():
    """Mora's daily rate (Decimal). CARTERA_ARREARS_DAILY_RATE, when set, is the daily rate
    itself (e.g. "0.0006115"); otherwise it is the daily equivalent, (1 + EA)^(1/365) − 1,
    of the effective annual rate CARTERA_ARREARS_ANNUAL_RATE (default 0.25, i.e. 25 % E.A.;
    Colombian law caps mora at the usury rate, so the fund sets this at or below it)."""
    from decimal import Decimal

    from portal.domain.arrears import DEFAULT_EFFECTIVE_ANNUAL_RATE, daily_rate_from_annual

    daily = (os.environ.get("CARTERA_ARREARS_DAILY_RATE") or "").strip()
    rate = (Decimal(daily) if daily else daily_rate_from_annual(
        Decimal(os.environ.get("CARTERA_ARREARS_ANNUAL_RATE") or DEFAULT_EFFECTIVE_ANNUAL_RATE)))
    if not rate.is_finite() or rate < 0:
        raise ValueError("CARTERA_ARREARS_DAILY_RATE / CARTERA_ARREARS_ANNUAL_RATE must be >= 0")
    return rate


def whole_number(name, default):
    """A whole number >= 0 from the environment, or a message naming the setting."""
    value = os.environ.get(name, "").strip() or str(default)
    if not value.isdigit():
        raise ValueError(f"{name}={value!r}: a whole number (0, 1, 2…) is expected")
    return int(value)


def _webhook_retries():
    """WEBHOOK_RETRY_INTERVALS ("30,120,…" seconds), else domain/api.WEBHOOK_RETRIES."""
    from portal.domain.api import WEBHOOK_RETRIES

    given = [int(x) for x in os.environ.get("WEBHOOK_RETRY_INTERVALS", "").split(",") if x.strip()]
    return given or list(WEBHOOK_RETRIES)


DEFAULT_REDIS_URL = f"unix://{VAR_DIR / 'redis.sock'}"  # bin/run's own Redis, development only
ENV_NAMES = ("production", "development", "test")  # test: the suite's worker.py and gunicorn


class Config:
    ENV_NAME = os.environ.get("PORTAL_ENV", "production")
    DEVELOPMENT = ENV_NAME == "development"
    # How many proxies stand in front of gunicorn, each adding itself to X-Forwarded-For
    # (and setting X-Forwarded-Proto, -Host, -Port, -Prefix): werkzeug's ProxyFix reads
    # that many. 0: the headers are a client's and are ignored.
    TRUSTED_PROXIES = whole_number("TRUSTED_PROXIES", 0)

    SECRET_KEY = os.environ.get("SECRET_KEY") or None  # filled in by load_config
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {}
    # A database server's connections: replaced when older than this (a proxy or firewall may
    # drop long-lived ones), pinged when taken from the pool after this long unused; no ping
    # on every request (portal/db_pool.py explains).
    DATABASE_POOL_RECYCLE_SECONDS = int(os.environ.get("DATABASE_POOL_RECYCLE_SECONDS", 1800))
    DATABASE_PING_AFTER_IDLE_SECONDS = int(os.environ.get("DATABASE_PING_AFTER_IDLE_SECONDS", 30))
    REDIS_URL = os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)
    # Workers take jobs in this order: payments (gateway events, reconciliation) first.
    RQ_QUEUES = ["payments", "default"]

    # Cookies and sessions: the cookie lives for the absolute limit, the server
    # record decides (idle 30 min, absolute 12 h, revoked on logout/lock/password change).
    SESSION_COOKIE_NAME = "portal_session"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", ENV_NAME == "production")
    # Browsers that saw the portal over HTTPS refuse plain HTTP to it for a year.
    STRICT_TRANSPORT_SECURITY = os.environ.get(
        "STRICT_TRANSPORT_SECURITY", "max-age=31536000" if ENV_NAME == "production" else "")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    # Set at sign-in, the cookie already lives for the absolute limit: re-signing and
    # re-sending it on every response would only cost time and ~250 bytes.
    SESSION_REFRESH_EACH_REQUEST = False
    SESSION_IDLE_TIMEOUT = timedelta(minutes=int(os.environ.get("SESSION_IDLE_MINUTES", 30)))
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)
    SESSION_WARNING_SECONDS = 120
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)

    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_MB", 10)) * 1024 * 1024
    # Flask-Compress leaves gzip out for streamed responses (static files); keep it in.
    COMPRESS_ALGORITHM_STREAMING = ["zstd", "br", "gzip", "deflate"]
    WTF_CSRF_TIME_LIMIT = 12 * 3600
    WTF_CSRF_HEADERS = ["X-CSRFToken"]

    # Login protection
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCK_MINUTES = 15
    RECOVERY_PASSWORD_HOURS = int(os.environ.get("RECOVERY_PASSWORD_HOURS", 24))
    OTP_TTL_SECONDS = 109
    OTP_MAX_SENDS_PER_HOUR = int(os.environ.get("OTP_MAX_SENDS_PER_HOUR", 10))  # per cédula
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI")
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_LOGIN_PER_IP = os.environ.get("RATELIMIT_LOGIN_PER_IP", "30 per minute")
    RATELIMIT_LOGIN_PER_ACCOUNT = os.environ.get("RATELIMIT_LOGIN_PER_ACCOUNT", "10 per minute")
    RATELIMIT_HEADERS_ENABLED = True
    # PROVEEDORES › CONSULTAR ORDEN (lookups and «Marcar como redimida»), per supplier entity:
    # order numbers cannot be enumerated.
    RATELIMIT_SUPPLIER_LOOKUP = os.environ.get("RATELIMIT_SUPPLIER_LOOKUP", "30 per minute;300 per day")
    # The ERP API: requests per key (429 with Retry-After beyond it).
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600 per minute")

    # Outbound messages
    MAIL_FROM = os.environ.get("MAIL_FROM", "Portal Cajacopi <no-responder@portal.local>")
    SMTP_HOST = os.environ.get("SMTP_HOST")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", 587))
    SMTP_USER = os.environ.get("SMTP_USER")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD")
    SMTP_STARTTLS = _bool("SMTP_STARTTLS", True)
    SMS_ADAPTER = os.environ.get("SMS_ADAPTER", "outbox")
    DEV_OUTBOX_ENABLED = _bool("DEV_OUTBOX_ENABLED", DEVELOPMENT)

    # Payment gateway: the built-in sandbox acquirer unless GATEWAY_ADAPTER says otherwise.
    # Keys and secrets come from the environment; in development they are derived from
    # SECRET_KEY (see load_config), never written in code.
    GATEWAY_ADAPTER = os.environ.get("GATEWAY_ADAPTER", "sandbox")
    GATEWAY_PUBLIC_KEY = os.environ.get("GATEWAY_PUBLIC_KEY")
    GATEWAY_PRIVATE_KEY = os.environ.get("GATEWAY_PRIVATE_KEY")
    GATEWAY_INTEGRITY_SECRET = os.environ.get("GATEWAY_INTEGRITY_SECRET")
    GATEWAY_EVENTS_SECRET = os.environ.get("GATEWAY_EVENTS_SECRET")
    GATEWAY_EVENTS_URL = os.environ.get("GATEWAY_EVENTS_URL")
    GATEWAY_ENVIRONMENT = os.environ.get("GATEWAY_ENVIRONMENT", "test")
    GATEWAY_EVENT_MAX_AGE = int(os.environ.get("GATEWAY_EVENT_MAX_AGE", 300))
    GATEWAY_EVENT_RETRY_INTERVALS = [
        int(x) for x in os.environ.get("GATEWAY_EVENT_RETRY_INTERVALS", "10,30,60,300,900").split(",")
    ]
    GATEWAY_MERCHANT_CODE = os.environ.get("GATEWAY_MERCHANT_CODE", "1706")
    GATEWAY_TERMINAL = os.environ.get("GATEWAY_TERMINAL", "000")
    GATEWAY_PAY_RATE_LIMIT = os.environ.get("GATEWAY_PAY_RATE_LIMIT", "20 per minute")  # per IP
    RECONCILE_EVERY_SECONDS = int(os.environ.get("RECONCILE_EVERY_SECONDS", 60))
    # An upload's job writes a heartbeat while it works; worker.py's cron looks for uploads
    # whose worker died (no heartbeat for UPLOAD_HEARTBEAT_TIMEOUT_SECONDS) or whose job was
    # lost (queued UPLOAD_QUEUED_TIMEOUT_SECONDS ago) and queues them again.
    RECOVER_UPLOADS_EVERY_SECONDS = int(os.environ.get("RECOVER_UPLOADS_EVERY_SECONDS", 30))
    UPLOAD_HEARTBEAT_TIMEOUT_SECONDS = int(os.environ.get("UPLOAD_HEARTBEAT_TIMEOUT_SECONDS", 60))
    UPLOAD_QUEUED_TIMEOUT_SECONDS = int(os.environ.get("UPLOAD_QUEUED_TIMEOUT_SECONDS", 300))
    # Conexión Empresas' batch files: the largest accepted, and the most lines in one.
    BATCH_MAX_BYTES = int(os.environ.get("BATCH_MAX_MB", 25)) * 1024 * 1024
    BATCH_MAX_LINES = int(os.environ.get("BATCH_MAX_LINES", 100_000))
    # Autorización with two signatures: a first signature left waiting this long lapses and
    # its batches go back to «Confirmado» (worker.py's cron checks every minute).
    SIGNATURE_LAPSE_HOURS = float(os.environ.get("SIGNATURE_LAPSE_HOURS", 24))
    LAPSE_SIGNATURES_EVERY_SECONDS = int(os.environ.get("LAPSE_SIGNATURES_EVERY_SECONDS", 60))
    GMF_RATE = os.environ.get("GMF_RATE", "0.004")  # 4×1000, where a company's configuration applies it
    UNNAMED_MAX_CARDS = int(os.environ.get("UNNAMED_MAX_CARDS", 500))  # per «Solicitud de innominadas»
    # «Pagar orden»: the company's account is debited through BANK_ADAPTER (adapters/bank.py);
    # the built-in sandbox bank is refused in production unless BANK_SANDBOX_ALLOWED says so.
    BANK_ADAPTER = os.environ.get("BANK_ADAPTER", "sandbox")
    BANK_SANDBOX_ALLOWED = _bool("BANK_SANDBOX_ALLOWED", False)
    # «Servicios › Cuenta maestra»: the most one PSE funding may add to a master account.
    MASTER_FUNDING_MAX = os.environ.get("MASTER_FUNDING_MAX", "500000000")
    ORDER_CODE_MINUTES = int(os.environ.get("ORDER_CODE_MINUTES", 10))  # the e-mailed code's life
    ORDER_CODE_RESEND_SECONDS = int(os.environ.get("ORDER_CODE_RESEND_SECONDS", 60))  # «Reenviar código»
    # worker.py's cron: the bank's pending debits settled and applied to their orders.
    SETTLE_BANK_EVERY_SECONDS = int(os.environ.get("SETTLE_BANK_EVERY_SECONDS", 60))
    # The card processor (services/card_processor.py): a paid order whose processing has not
    # progressed this long (its worker died, its job was lost) is queued again by worker.py's
    # cron every ORDER_RECOVERY_EVERY_SECONDS; one run works at most ORDER_JOB_SLICE_SECONDS,
    # then queues the rest (RQ's job timeout is 180 s).
    ORDER_PROCESSING_TIMEOUT_SECONDS = int(os.environ.get("ORDER_PROCESSING_TIMEOUT_SECONDS", 120))
    ORDER_RECOVERY_EVERY_SECONDS = int(os.environ.get("ORDER_RECOVERY_EVERY_SECONDS", 60))
    ORDER_JOB_SLICE_SECONDS = int(os.environ.get("ORDER_JOB_SLICE_SECONDS", 120))
    ORDER_STEP_LINES = int(os.environ.get("ORDER_STEP_LINES", 500))  # lines per commit: what a killed run loses
    # Webhooks (Configuración › API): http:// and private or loopback hosts (SSRF) are refused
    # unless allowed; unset, both are allowed in development and tests only (load_config).
    WEBHOOK_ALLOW_HTTP = _bool("WEBHOOK_ALLOW_HTTP", None)
    WEBHOOK_ALLOW_PRIVATE = _bool("WEBHOOK_ALLOW_PRIVATE", None)
    # Seconds before each retry of a delivery not answered 2xx (then it is «Fallido»).
    WEBHOOK_RETRY_INTERVALS = _webhook_retries()
    WEBHOOK_TIMEOUT_SECONDS = int(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", 10))
    # worker.py's cron, every WEBHOOK_REQUEUE_EVERY_SECONDS: a pending delivery this overdue
    # (its job was lost with Redis, its worker died) is queued again.
    WEBHOOK_REQUEUE_EVERY_SECONDS = int(os.environ.get("WEBHOOK_REQUEUE_EVERY_SECONDS", 60))
    WEBHOOK_LOST_AFTER_SECONDS = int(os.environ.get("WEBHOOK_LOST_AFTER_SECONDS", 300))
    # worker.py's cron, every RECOVER_JOBS_EVERY_SECONDS: an outbox message or a gateway event
    # waiting this long whose job Redis no longer holds is queued again; a message left
    # 'sending' this long with no job becomes 'unknown' (services/recovery.py).
    RECOVER_JOBS_EVERY_SECONDS = int(os.environ.get("RECOVER_JOBS_EVERY_SECONDS", 30))
    JOB_LOST_AFTER_SECONDS = int(os.environ.get("JOB_LOST_AFTER_SECONDS", 120))

    TIMEZONE = "America/Bogota"
    FUND_NAME = "CAJA DE COMPENSACIÓN FAMILIAR CAJACOPI ATLÁNTICO"
    FUND_NIT = "890102044-1"

    # Estado de Cartera. Mora = unpaid instalment × daily rate × days late (portal/domain/
    # arrears.py); no mora until the CARTERA_GRACE_BUSINESS_DAYS-th business day after the
    # 10th (Colombian holidays skipped). See _arrears_daily_rate for the rate's two forms.
    CARTERA_ARREARS_DAILY_RATE = _arrears_daily_rate()
    CARTERA_GRACE_BUSINESS_DAYS = int(os.environ.get("CARTERA_GRACE_BUSINESS_DAYS", 3))
    # When worker.py's cron builds the month's statements and e-mails their files
    # (cron syntax, read in America/Bogota time): the 1st of each month at 06:00.
    CARTERA_STATEMENTS_CRON = os.environ.get("CARTERA_STATEMENTS_CRON", "0 6 1 * *")

    # What operators see (portal/logs.py, portal/metrics.py, /salud/listo). Logs: one JSON
    # object per line, or readable text on a laptop.
    LOG_FORMAT = os.environ.get("LOG_FORMAT") or ("text" if DEVELOPMENT else "json")
    # /metrics answers a request carrying `Authorization: Bearer METRICS_TOKEN` or coming from
    # one of these networks (comma-separated CIDRs); anyone else gets a 404.
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN") or None
    METRICS_ALLOWED_NETWORKS = os.environ.get(
        "METRICS_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128" if DEVELOPMENT else "")
    # A worker host's own /metrics (its worker.py processes' job durations and failures):
    # "host:port" to listen on, same access rule; requires PROMETHEUS_MULTIPROC_DIR.
    WORKER_METRICS_BIND = os.environ.get("WORKER_METRICS_BIND") or None
    # /salud/listo: a worker counts when RQ heard from it this recently (worker.py's
    # workers beat at least twice within it).
    READINESS_HEARTBEAT_SECONDS = int(os.environ.get("READINESS_HEARTBEAT_SECONDS", 60))


def load_config(app, overrides=None):
    app.config.from_object(Config)
    if overrides:
        app.config.update(overrides)
    if app.config["ENV_NAME"] not in ENV_NAMES:
        raise RuntimeError(f"PORTAL_ENV={app.config['ENV_NAME']!r}: production or development "
                           "(test: the test suite's servers)")
    if app.config["ENV_NAME"] == "production" and not app.testing:
        refuse_unready(app.config)
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):  # a file needs none
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_recycle": app.config["DATABASE_POOL_RECYCLE_SECONDS"],
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"]}
    # SQL parameters (cédulas, hashes) stay out of error messages, hence out of the logs.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"hide_parameters": True,
                                               **app.config["SQLALCHEMY_ENGINE_OPTIONS"]}
    _check_observability(app)
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = limits_uri(app.config["REDIS_URL"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _dev_secret_key()
    if app.config["BANK_ADAPTER"] not in ("sandbox",):  # refused at start, not at the first payment
        raise RuntimeError(f"BANK_ADAPTER={app.config['BANK_ADAPTER']!r}: no such bank adapter")
    _derive_gateway_keys(app)
    for name in ("WEBHOOK_ALLOW_HTTP", "WEBHOOK_ALLOW_PRIVATE"):
        if app.config.get(name) is None:
            app.config[name] = app.config["ENV_NAME"] == "development" or app.testing


def refuse_unready(config):
    """Production without what it needs does not start: one RuntimeError that names every
    missing or wrong setting at once (create_app raises it, so gunicorn and worker.py refuse)."""
    problems = production_problems(config)
    if problems:
        raise RuntimeError("the portal does not start in production (PORTAL_ENV=production) without:\n"
                           + "\n".join(f"  - {problem}" for problem in problems))


def production_problems(config):
    """What production lacks, one line per setting."""
    problems = []
    if not config.get("SECRET_KEY"):
        problems.append("SECRET_KEY is not set: it signs sessions and tokens (a long random value, "
                        "the same on every host)")
    if not config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        problems.append("DATABASE_URL is not PostgreSQL (postgresql+psycopg://user:pw@host/portal): "
                        "SQLite is one machine's file")
    if config["REDIS_URL"] == DEFAULT_REDIS_URL:
        problems.append("REDIS_URL is not set (redis://host:6379/0, the Redis every host shares): "
                        "the socket under var/ is bin/run's own")
    if config["DEV_OUTBOX_ENABLED"]:
        problems.append("DEV_OUTBOX_ENABLED is on: the outbox page shows SMS codes and passwords")
    if config["BANK_ADAPTER"] == "sandbox" and not config["BANK_SANDBOX_ALLOWED"]:
        problems.append("BANK_ADAPTER is the sandbox, which debits no real account: set a real bank "
                        "adapter, or BANK_SANDBOX_ALLOWED=1 for a demonstration server")
    return problems


def check():
    """What gunicorn's master (gunicorn.conf.py) and worker.py's supervisor call before they
    start anything: the settings create_app would refuse, refused once and clearly. Returns
    a bare Flask app with the loaded configuration."""
    from flask import Flask

    app = Flask("portal")
    load_config(app)
    return app


def _check_observability(app):
    """METRICS_ALLOWED_NETWORKS and READINESS_HEARTBEAT_SECONDS refused at start, naming
    the setting (LOG_FORMAT: portal.logs.configure)."""
    import ipaddress

    networks = app.config["METRICS_ALLOWED_NETWORKS"]
    if isinstance(networks, str):
        networks = networks.split(",")
    try:
        app.config["METRICS_ALLOWED_NETWORKS"] = tuple(ipaddress.ip_network(str(n).strip(), strict=False)
                                                       for n in networks if str(n).strip())
    except ValueError as exc:
        raise RuntimeError(f"METRICS_ALLOWED_NETWORKS: {exc} (comma-separated CIDRs, "
                           "e.g. 10.0.5.0/24,127.0.0.1/32)") from None
    if app.config["READINESS_HEARTBEAT_SECONDS"] < 2:
        raise RuntimeError("READINESS_HEARTBEAT_SECONDS must be at least 2")
    bind = app.config["WORKER_METRICS_BIND"]
    if bind and (not re.fullmatch(r"[^\s:]+:\d{1,5}", bind) or not os.environ.get("PROMETHEUS_MULTIPROC_DIR")):
        raise RuntimeError(f"WORKER_METRICS_BIND={bind!r}: host:port (e.g. 0.0.0.0:9101), and "
                           "PROMETHEUS_MULTIPROC_DIR set, where worker.py's processes write their numbers")


def limits_uri(redis_url):
    """The `limits` library spells a unix-socket Redis as redis+unix://."""
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url[len("unix://"):]
    return redis_url


def _derive_gateway_keys(app):
    """Sandbox keys, stable per SECRET_KEY, for any key the environment did not set."""
    import hashlib
    import hmac

    def derive(label, prefix):
        digest = hmac.new(app.config["SECRET_KEY"].encode(), label.encode(), hashlib.sha256)
        return prefix + digest.hexdigest()[:32]

    for name, prefix in (("GATEWAY_PUBLIC_KEY", "pub_test_"), ("GATEWAY_PRIVATE_KEY", "prv_test_"),
                         ("GATEWAY_INTEGRITY_SECRET", "test_integrity_"),
                         ("GATEWAY_EVENTS_SECRET", "test_events_")):
        if not app.config.get(name):
            app.config[name] = derive(name, prefix)
