"""Helpers for bench scripts: run the real portal (gunicorn, embedded Redis, a temporary
SQLite database with the migrations and the demo data) and talk to it over loopback."""
import contextlib
import http.client
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
sys.path.insert(0, str(ROOT))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port, process, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


@contextlib.contextmanager
def running_portal(workers=2, database_url=None):
    """Yields (base_url, env); env["DATABASE_URL"] is `database_url`, else a temporary
    SQLite file."""
    from portal import embedded_redis

    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
        redis, redis_url = embedded_redis.start(Path(tmp) / "redis")
        env = dict(os.environ, PORTAL_ENV="development", PORTAL_VAR_DIR=tmp, FLASK_APP="wsgi.py",
                   DATABASE_URL=database_url or f"sqlite:///{tmp}/portal.db", REDIS_URL=redis_url)
        env.pop("SECRET_KEY", None)
        web = None
        try:
            flask = [str(VENV_BIN / "flask")]
            subprocess.run(flask + ["db", "upgrade"], cwd=ROOT, env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            env["PORTAL_DEMO"] = "1" if subprocess.run(
                flask + ["demo", "load"], cwd=ROOT, env=env,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0 else ""
            port = free_port()
            # The portal logs a line per request, as in production (its cost is measured),
            # into a file, not between the figures; a failed bench shows its end.
            with open(Path(tmp) / "portal.log", "ab") as log:
                web = gunicorn("wsgi:app", port, workers, cwd=ROOT, env=env, stderr=log)
            env["PORTAL_WEB_PID"] = str(web.pid)  # for bench/throughput's CPU figures
            try:
                yield f"http://127.0.0.1:{port}", env
            except BaseException:
                print((Path(tmp) / "portal.log").read_text(errors="replace")[-3000:], file=sys.stderr)
                raise
        finally:
            if web is not None:
                web.terminate()
                web.wait(30)
            redis.terminate()
            redis.wait(10)


def cpu_seconds(pids):
    """User + system CPU seconds used so far by these processes and their live children
    (gunicorn's master and its workers; a database server's backends)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, seen, todo = 0, set(), list(pids)
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            todo += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:  # ended meanwhile
            continue
        fields = stat.rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def gunicorn(app, port, workers=2, **popen):
    """gunicorn (sync workers) serving `app` on 127.0.0.1:port, once it accepts connections.
    From the project's root it reads gunicorn.conf.py, as in production; `workers=None`
    leaves their number to it (WEB_CONCURRENCY). No worker is recycled during a measure."""
    command = [str(VENV_BIN / "gunicorn"), "-b", f"127.0.0.1:{port}", "--max-requests", "0",
               "--log-level", "warning", app]
    if workers:
        command[1:1] = ["-w", str(workers)]
    process = subprocess.Popen(command, **popen)
    _wait_for_port(port, process)
    return process


class Browser:
    """A first visit: empty cache, its own cookies, counts the bytes on the wire."""

    ACCEPT_ENCODING = "gzip, br"

    def __init__(self, base_url):
        host, port = base_url.split("//")[1].split(":")
        self.host, self.port = host, int(port)
        self.cookies = {}

    def request(self, method, path, fields=None):
        """Returns (status, headers, raw body as sent, wire bytes incl. headers)."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        headers = {"Accept-Encoding": self.ACCEPT_ENCODING, "Accept": "text/html,*/*"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if fields is not None:
            from urllib.parse import urlencode

            body = urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = headers["Referer"] = f"http://{self.host}:{self.port}"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        raw = response.read()  # http.client does not decompress: these are wire bytes
        conn.close()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value
        header_bytes = len(f"HTTP/1.1 {response.status} {response.reason}\r\n") + sum(
            len(f"{k}: {v}\r\n") for k, v in response.getheaders()) + 2
        return response.status, response.headers, raw, len(raw) + header_bytes

    def text(self, headers, raw):
        encoding = headers.get("Content-Encoding")
        if encoding == "gzip":
            import gzip

            raw = gzip.decompress(raw)
        elif encoding == "br":
            import brotli

            raw = brotli.decompress(raw)
        return raw.decode("utf-8", "replace")


ASSET_RE = re.compile(r'<link[^>]+rel="(?:stylesheet|icon)"[^>]+href="([^"]+)"|<script[^>]+src="([^"]+)"')
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def assets(html):
    """Same-origin stylesheets, scripts and the icon a browser fetches for this page."""
    return [a or b for a, b in ASSET_RE.findall(html) if (a or b).startswith("/")]


def csrf_token(html):
    match = CSRF_RE.search(html)
    return match and (match.group(1) or match.group(2))


def follow(browser, status, headers):
    """Follow redirects like a browser (GET); returns the final path."""
    path = None
    while status in (301, 302, 303):
        path = headers["Location"].split("//", 1)[-1].partition("/")[2]
        path = "/" + path if not path.startswith("/") else path
        status, headers, _, _ = browser.request("GET", path)
    return path


def sign_in(base_url, login_path, username, password):
    """A new Browser signed in with a password; returns (browser, the page it landed on)."""
    browser = Browser(base_url)
    _, headers, raw, _ = browser.request("GET", login_path)
    fields = {"username": username, "password": password, "csrf_token": csrf_token(browser.text(headers, raw))}
    status, headers, _, _ = browser.request("POST", login_path, fields)
    if status not in (302, 303):
        raise RuntimeError(f"sign-in as {username} refused ({status})")
    return browser, follow(browser, status, headers)


# --- whole jobs against their floor (bench/cartera, bench/batches) ---------------------------

def peak_rss_mb():
    """This process's peak resident memory. /proc's VmHWM starts afresh at exec (and sees
    python-calamine's Rust allocations too); getrusage's ru_maxrss may carry the parent's
    peak over a fork + exec."""
    import resource

    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak_rss():
    """Starts VmHWM afresh at the current RSS (Linux ≥ 4.0), so what follows is measured
    alone: creating the app peaks higher than it stays (argon2's 64 MB dummy hash at
    import), which would hide a job's own peak. False where it cannot."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def scratch_database(tmp):
    """The URL of an empty database for a bench, dropped at the end: a SQLite file in
    `tmp`, or, when DATABASE_URL names a PostgreSQL server, a database of its own created
    on that server (the one DATABASE_URL names is never written)."""
    from portal.scratch_db import scratch_database as scratch

    return scratch(os.environ.get("DATABASE_URL", ""), tmp, "portal_bench")


def job_app(database_url, tmp, migrate=False):
    """The portal's app as a worker runs it, on `database_url` (its schema built by the
    migrations when `migrate`, quietly)."""
    os.environ["PORTAL_VAR_DIR"] = str(tmp)
    from portal import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": database_url,
                      "RATELIMIT_STORAGE_URI": None, "MAX_CONTENT_LENGTH": 20 * 1024 * 1024})
    if migrate:
        import io

        import flask_migrate

        with app.app_context(), contextlib.redirect_stderr(io.StringIO()):  # alembic's INFO lines
            flask_migrate.upgrade()
    return app


def database_label(url):
    return url.split(":", 1)[0].split("+", 1)[0].replace("postgresql", "PostgreSQL").replace("sqlite", "SQLite")
