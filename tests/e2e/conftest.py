"""Browser tests: the real app served from a thread, driven by Debian's Chromium through
Playwright (playwright's own browser download does not work on these machines).

Each test gets its own server and SQLite file, built by the migrations. No app context
stays pushed in the test thread while the server runs: `server.db()` opens one only
around setup and reads.
"""
import os
import re
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from rq import SimpleWorker
from rq.timeouts import TimerDeathPenalty
from werkzeug.serving import make_server

from tests.conftest import make_app

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
NO_CHROMIUM = f"{CHROMIUM} is missing: e2e tests need Debian's Chromium (bin/test installs it)"


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(reason=NO_CHROMIUM)
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.skip(NO_CHROMIUM)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS,
            "headless": True}


class LiveServer:
    def __init__(self, app):
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="e2e-server",
                                        daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)
        from portal.extensions import db
        with self.app.app_context():
            db.engine.dispose()

    @contextmanager
    def db(self):
        """An app context for setup and reads; closed before the browser goes on."""
        from portal.extensions import db
        with self.app.app_context():
            yield db.session
            db.session.remove()

    def last_sms_code(self, recipient):
        from portal.models import OutboxMessage
        with self.db() as session:
            message = (session.query(OutboxMessage)
                       .filter_by(channel="sms", recipient=recipient)
                       .order_by(OutboxMessage.id.desc()).first())
            assert message is not None, f"no SMS to {recipient}"
            return re.search(r"\b(\d{6})\b", message.body).group(1)


@pytest.fixture
def live_server_factory(redis_url, tmp_path):
    """live_server_factory(**config) → a started LiveServer with its own database."""
    import flask_migrate
    import redis

    servers = []

    def factory(**overrides):
        n = len(servers)
        var_dir = tmp_path / f"var{n}"
        var_dir.mkdir()
        app = make_app(f"sqlite:///{tmp_path / f'e2e{n}.db'}", redis_url, var_dir, **overrides)
        with app.app_context():
            flask_migrate.upgrade()
        redis.Redis.from_url(redis_url).flushdb()  # fresh rate-limit counters
        server = LiveServer(app).start()
        servers.append(server)
        return server

    yield factory
    for server in servers:
        server.stop()


@pytest.fixture
def live_server(live_server_factory):
    return live_server_factory()


@pytest.fixture
def shots(request):
    """page → screenshot, kept when E2E_SCREENSHOTS names a folder (to look at them)."""
    folder = os.environ.get("E2E_SCREENSHOTS")

    def take(page, name):
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{request.node.name}-{name}.png"),
                            full_page=True)

    return take


@pytest.fixture(scope="session")
def base_url():
    """Every test uses its own server's url (this also replaces pytest-playwright's
    deprecated class-method fixture)."""
    return None


@pytest.fixture
def js_errors():
    """watch(page) → page; `watch.errors` lists its script errors and console errors
    (a CSP violation shows up there). HTTP error statuses are expected in these flows."""
    errors = []

    def on_console(message):
        expected = ("Failed to load resource", "Response Status Error Code")  # 4xx, logged by htmx
        if message.type == "error" and not message.text.startswith(expected):
            errors.append(f"console: {message.text}")

    def watch(page):
        page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
        page.on("console", on_console)
        return page

    watch.errors = errors
    return watch


def menu(page, path):
    """Conexión Empresas' menu: «Lotes › Autorización» opens the «Lotes» drop-down, then
    follows its «Autorización»."""
    group, item = path.split(" › ", 1)
    nav = page.get_by_role("navigation", name="Menú Conexión Empresas")
    nav.locator("summary", has_text=group).click()
    nav.get_by_role("link", name=item, exact=True).click()


@pytest.fixture
def corporate(live_server, new_context, js_errors):
    """corporate(username, product=None) → a 1280 px page signed in to Conexión Empresas,
    on the product's page when its label («Clásica / Visa») is given; downloads allowed."""
    from playwright.sync_api import expect

    from tests import factories

    def sign_in(username, product=None, password=factories.PASSWORD):
        context = new_context(viewport={"width": 1280, "height": 900}, locale="es-CO", accept_downloads=True)
        page = js_errors(context.new_page())
        page.set_default_timeout(15_000)
        page.goto(live_server.url + "/empresas/ingresar")
        page.get_by_label("Usuario").fill(username)
        page.get_by_label("Contraseña", exact=True).fill(password)
        page.get_by_role("button", name="Ingresar").click()
        expect(page).to_have_url(re.compile(r"/empresas/$"))
        if product:
            page.get_by_role("link", name=product).click()
            expect(page.get_by_role("heading", name=product)).to_be_visible()
        return page

    return sign_in


class ThreadWorker(SimpleWorker):
    """A SimpleWorker for a non-main thread: no signal handlers, timeouts by a timer."""
    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self):
        pass


class BackgroundWorker:
    """Works the queues in bursts until stopped; `pause()` holds it between bursts, so
    a test can see a job still queued."""

    def __init__(self, app):
        from portal import queue

        self.queues = [queue.get_queue(name, app) for name in app.config["RQ_QUEUES"]]
        self.connection = queue.connection(app)
        self._gate = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="e2e-rq-worker", daemon=True)
        self.errors = []

    def _run(self):
        while not self._stop.is_set():
            with self._gate:
                try:
                    ThreadWorker(self.queues, connection=self.connection).work(burst=True, logging_level="WARNING")
                except Exception as exc:  # reported by the worker fixture
                    self.errors.append(repr(exc))
            self._stop.wait(0.1)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(30)

    def failed_jobs(self):
        return {q.name: q.failed_job_registry.get_job_ids() for q in self.queues
                if q.failed_job_registry.get_job_ids()}

    def pause(self):
        self._gate.acquire()

    def resume(self):
        self._gate.release()


@pytest.fixture
def worker(live_server, monkeypatch):
    """An RQ worker on the live server's app; the acquirer's events go to the live server."""
    from portal import jobs

    monkeypatch.setattr(jobs, "_app", live_server.app)
    live_server.app.config["GATEWAY_EVENTS_URL"] = live_server.url + "/pagos-express/eventos"
    background = BackgroundWorker(live_server.app).start()
    yield background
    background.stop()
    assert background.errors == []
    assert background.failed_jobs() == {}
