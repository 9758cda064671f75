"""Logs: one JSON object per line for every request (its id taken or made, and sent back)
and every job run, the app's own warnings too, in the web, gunicorn and worker.py alike
(tests/test_worker.py reads worker.py's); what must never be logged is masked on the way
out or caught by the run's scanner."""
import json
import logging

import pytest
from prometheus_client import REGISTRY
from rq import Retry, SimpleWorker

from portal import jobs, logs, queue
from portal.demo.accounts import DEMO_PASSWORD
from portal.extensions import db
from portal.models import OutboxMessage
from portal.services import affiliate_login, messaging
from tests import factories, log_scan
from tests.conftest import make_app


class Lines(logging.Handler):
    """The JSON lines of what is logged meanwhile, as production writes them."""

    def __init__(self):
        super().__init__()
        self.setFormatter(logs.JsonFormatter())
        self.all = []

    def emit(self, record):
        line = self.format(record)
        assert "\n" not in line
        self.all.append(json.loads(line))

    def of(self, logger):
        return [line for line in self.all if line["logger"] == logger]


@pytest.fixture
def lines(app):
    handler = Lines()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


@jobs.job
def exploding():
    raise RuntimeError("boom")


def record(message, *args):
    return logging.LogRecord("portal.prueba", logging.WARNING, __file__, 1, message, args, None)


def test_every_request_has_its_line(client, auth, lines):
    staff = auth.as_new("staff", "ana", roles="admin")
    response = client.get(f"/personal/usuarios/{staff.id}", headers={"X-Request-Id": "lb-7f3a.01"})
    assert response.status_code == 200 and response.headers["X-Request-Id"] == "lb-7f3a.01"
    line = lines.of("portal.request")[-1]
    assert line.pop("ts").endswith("Z") and line.pop("duration_ms") > 0
    assert line == {"level": "INFO", "logger": "portal.request", "request_id": "lb-7f3a.01", "method": "GET",
                    "route": "/personal/usuarios/<int:user_id>", "status": 200, "user_kind": "staff",
                    "user_id": staff.id, "message": line["message"]}
    assert line["message"].startswith("GET /personal/usuarios/<int:user_id> 200 ")

    for given in ("con espacio", "x" * 65, "4111111111111111", ""):
        response = client.get("/salud", headers={"X-Request-Id": given})
        made = response.headers["X-Request-Id"]
        assert made != given and len(made) == 32 and lines.of("portal.request")[-1]["request_id"] == made

    affiliate = factories.affiliate()
    db.session.commit()
    auth.affiliate(affiliate.cedula)
    client.get("/pagos-express/")
    line = lines.of("portal.request")[-1]
    assert (line["user_kind"], line["route"]) == ("affiliate", "/pagos-express/")
    assert not [line for line in lines.all if "?" in line.get("route", "")]


def test_the_apps_own_records_are_json_with_the_request_id(app, client, lines):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    def warn():
        logging.getLogger("portal.prueba").warning("aviso de %s", "prueba")
        return "ok"

    def fail():
        raise RuntimeError("tarjeta 4111111111111111")

    app.add_url_rule("/prueba/aviso", "aviso", warn)
    app.add_url_rule("/prueba/falla", "falla", fail)
    request_id = client.get("/prueba/aviso").headers["X-Request-Id"]
    (warning,) = lines.of("portal.prueba")
    assert (warning["level"], warning["message"], warning["request_id"]) == ("WARNING", "aviso de prueba", request_id)

    assert client.get("/prueba/falla").status_code == 500
    (error,) = [line for line in lines.of("portal") if line["level"] == "ERROR"]
    assert error["message"] == "Unhandled error on GET /prueba/falla"
    assert "RuntimeError: tarjeta 411111******1111" in error["exc"] and "4111111111111111" not in error["exc"]
    assert lines.of("portal.request")[-1]["status"] == 500


def test_every_job_run_has_its_line(app, lines):
    message = messaging.send_sms("3001234434", "Hola")
    db.session.commit()  # its delivery is queued
    failing = queue.get_queue().enqueue("tests.test_logs.exploding", retry=Retry(max=1))
    failures = REGISTRY.get_sample_value("portal_job_failures_total", {"job": "exploding"}) or 0
    SimpleWorker([queue.get_queue()], connection=queue.connection()).work(burst=True)

    delivered, *tries = lines.of("portal.job")
    assert db.session.get(OutboxMessage, message.id).status == "sent"
    assert delivered.pop("duration_ms") >= 0 and delivered.pop("job_id")
    assert {k: delivered[k] for k in ("job", "outcome", "retries_left", "level")} == {
        "job": "deliver_message", "outcome": "ok", "retries_left": None, "level": "INFO"}
    assert [(t["job_id"], t["outcome"], t["retries_left"], t["level"]) for t in tries] == [
        (failing.id, "failed", 1, "WARNING"), (failing.id, "failed", 0, "WARNING")]
    assert REGISTRY.get_sample_value("portal_job_failures_total", {"job": "exploding"}) == failures + 2
    assert queue.get_queue().failed_job_registry.count == 1


def test_gunicorn_writes_the_same_json_and_no_access_log(capsys):
    from gunicorn.config import Config

    logger = logs.GunicornLogger(Config())
    logger.info("Booting worker with pid: %s", 4242)
    logger.access(None, None, {}, 0.01)
    (line,) = capsys.readouterr().err.splitlines()
    assert {k: v for k, v in json.loads(line).items() if k != "ts"} == {
        "level": "INFO", "logger": "gunicorn.error", "message": "Booting worker with pid: 4242"}


def test_text_for_a_laptop_and_bad_settings_refused(database_url, redis_url, tmp_path):
    token = logs.context.set({"request_id": "abc123"})
    try:
        text = logs.TextFormatter().format(record("pago de %s", "4111 1111 1111 1111"))
    finally:
        logs.context.reset(token)
    assert text.endswith("WARNING portal.prueba: pago de 411111******1111 request_id=abc123")
    with pytest.raises(RuntimeError, match="LOG_FORMAT='xml': use json or text"):
        make_app(database_url, redis_url, tmp_path, LOG_FORMAT="xml")
    with pytest.raises(RuntimeError, match="METRICS_ALLOWED_NETWORKS: .*10.0.0.0/33"):
        make_app(database_url, redis_url, tmp_path, METRICS_ALLOWED_NETWORKS="10.0.0.0/33")
    # a worker host's metrics need the processes' shared directory (unset in the tests)
    with pytest.raises(RuntimeError, match="WORKER_METRICS_BIND='0.0.0.0:9101'.*PROMETHEUS_MULTIPROC_DIR"):
        make_app(database_url, redis_url, tmp_path, WORKER_METRICS_BIND="0.0.0.0:9101")
    with pytest.raises(RuntimeError, match="WORKER_METRICS_BIND='9101'"):
        make_app(database_url, redis_url, tmp_path, WORKER_METRICS_BIND="9101")


@pytest.mark.parametrize("leaked, redacted, reason", [
    ("4111111111111111", "411111******1111", "número de tarjeta"),
    ("5500-0000-0000-0004", "550000******0004", "número de tarjeta"),
    ("línea\n4111111111111111", "línea\n411111******1111", "número de tarjeta"),  # escaped in JSON: «\\n4111…»
    ("Authorization: Bearer abc.def-123", "Bearer [redactado]", "token Bearer"),
    ("llave pk_0123456789ab.s3cr3t-Token_x", "pk_0123456789ab.[redactado]", "llave de la API"),
    (DEMO_PASSWORD, None, "contraseña de demo o de prueba"),
    (factories.PASSWORD, None, "contraseña de demo o de prueba"),
    ("cédula 72145338", None, "cédula completa"),
])
def test_the_scanner_flags_what_must_not_be_logged(leaked, redacted, reason):
    assert log_scan.offenses(json.dumps({"message": leaked})) == [reason]
    line = logs.JsonFormatter().format(record("dato: %s", leaked))
    if redacted:  # masked on the way out: what is written passes
        assert redacted in json.loads(line)["message"] and log_scan.offenses(line) == []
    else:  # only the scanner stops it: a run that logged it fails
        scanner = log_scan.Scanner()
        scanner.handle(record("dato: %s", leaked))
        scanner.check("este test")
        assert [(where, reasons) for where, reasons, _ in scanner.hits] == [("este test", [reason])]


def test_the_scanner_knows_each_tests_codes(app):
    affiliate = factories.affiliate()
    db.session.commit()
    assert affiliate_login.request_code(affiliate.cedula).status == "sent"
    body = db.session.query(OutboxMessage).filter_by(channel="sms").one().body
    (code,) = log_scan.secrets_in(body)
    assert code in body and code in log_scan.scanner.secrets
    line = logs.JsonFormatter().format(record("código %s", code))
    assert log_scan.offenses(line, {code}) == ["código o contraseña temporal enviado en un mensaje"]
    assert log_scan.offenses(line.replace(code, "123-456"), {code}) == []
