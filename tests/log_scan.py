"""A pytest plugin (tests/conftest.py loads it): every log record of the run is written
the way production writes it (portal.logs.JsonFormatter, redaction included) and scanned
for what must never reach a log: card numbers, the demo and test passwords, bearer
tokens, API keys, the demo affiliates' cédulas, and each test's own SMS/e-mail codes and
temporary passwords (read from the outbox rows it wrote). Any hit fails the run: the
offending lines are printed at the end and the exit status is 1."""
import inspect
import logging
import re

import pytest
from sqlalchemy import event

from portal import logs
from portal.demo.accounts import DEMO_PASSWORD
from portal.demo.pagos import AFFILIATES
from portal.domain.api import KEY_PREFIX
from portal.models import OutboxMessage
from tests import factories

REDACTED = re.escape(logs.REDACTED)
CEDULAS = sorted({a.cedula for a in AFFILIATES} | {inspect.signature(factories.affiliate).parameters["cedula"].default})
FORBIDDEN = [
    ("número de tarjeta", re.compile(r"(?<!\w)(?:\d{13,19}|\d{4}[ -]\d{4}[ -]\d{4}[ -]\d{1,7})(?!\w)")),
    ("contraseña de demo o de prueba", re.compile("|".join(re.escape(p) for p in (DEMO_PASSWORD, factories.PASSWORD)))),
    ("token Bearer", re.compile(rf"Bearer\s+(?!{REDACTED})[^\s\"']+", re.I)),
    ("llave de la API", re.compile(rf"{KEY_PREFIX}[0-9a-f]{{12}}\.(?!{REDACTED})[A-Za-z0-9_-]+")),
    ("cédula completa", re.compile(rf"(?<!\w)(?:{'|'.join(CEDULAS)})(?!\w)")),
]
# What a message carries that only its reader may know: a 6-digit code, a temporary password.
SECRETS_IN_MESSAGES = [re.compile(r"c[óo]digo\b[^\n]*?\bes:?\s+(\d{6})(?!\d)", re.I),
                       re.compile(r"contraseña temporal\b[^:\n]*:\s*(\S+)", re.I)]


ESCAPE = re.compile(r'\\(?:[nrtbf"/\\]|u[0-9a-fA-F]{4})')


def secrets_in(body):
    return {m.group(1) for pattern in SECRETS_IN_MESSAGES for m in pattern.finditer(body or "")}


def offenses(text, secrets=()):
    """Why `text` (one line or many) must not be logged: the names of the patterns it
    matches, JSON's escapes read as a reader reads them («\\n4111…» is a card after a newline)."""
    text = ESCAPE.sub(" ", text)
    found = [name for name, pattern in FORBIDDEN if pattern.search(text)]
    if any(re.search(rf"(?<!\w){re.escape(s)}(?!\w)", text) for s in secrets):
        found.append("código o contraseña temporal enviado en un mensaje")
    return found


class Scanner(logging.Handler):
    """On the root logger for the whole run; checks each test's lines when it ends."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.setFormatter(logs.JsonFormatter())
        self.lines, self.secrets, self.hits = [], set(), []

    def emit(self, record):
        try:
            self.lines.append(self.format(record))
        except Exception:
            self.handleError(record)

    def check(self, where):
        """The lines logged since the last check: all at once, line by line only on a hit."""
        if self.lines and offenses("\n".join(self.lines), self.secrets):
            self.hits += [(where, reasons, line) for line in self.lines if (reasons := offenses(line, self.secrets))]
        self.lines.clear()
        self.secrets.clear()


scanner = Scanner()


@event.listens_for(OutboxMessage, "after_insert")
def _remember_secrets(mapper, connection, message):
    scanner.secrets |= secrets_in(message.body)


def pytest_sessionstart(session):
    logging.getLogger().addHandler(scanner)


def pytest_runtest_logfinish(nodeid, location):
    scanner.check(nodeid)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    logging.getLogger().removeHandler(scanner)
    scanner.check("(fuera de los tests)")
    if not scanner.hits:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    write = reporter.write_line if reporter else (lambda text, **markup: print(text))
    write(f"\nlog_scan: {len(scanner.hits)} línea(s) de log con datos que nunca deben registrarse:", red=True)
    for where, reasons, line in scanner.hits[:20]:
        write(f"  {where}: {', '.join(reasons)}: {line[:400]}")
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
