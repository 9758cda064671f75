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
def running_portal(workers=2):
    """Yields (base_url, env); env["DATABASE_URL"] is the temporary SQLite file."""
    from portal import embedded_redis

    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
        redis, redis_url = embedded_redis.start(Path(tmp) / "redis")
        env = dict(os.environ, PORTAL_ENV="development", PORTAL_VAR_DIR=tmp, FLASK_APP="wsgi.py",
                   DATABASE_URL=f"sqlite:///{tmp}/portal.db", REDIS_URL=redis_url)
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
            web = subprocess.Popen([str(VENV_BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}",
                                    "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
            _wait_for_port(port, web)
            yield f"http://127.0.0.1:{port}", env
        finally:
            if web is not None:
                web.terminate()
                web.wait(30)
            redis.terminate()
            redis.wait(10)


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


ASSET_RE = re.compile(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"|<script[^>]+src="([^"]+)"')
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def assets(html):
    """Same-origin stylesheets and scripts a browser fetches for this page."""
    return [a or b for a, b in ASSET_RE.findall(html) if (a or b).startswith("/")]


def csrf_token(html):
    match = CSRF_RE.search(html)
    return match and (match.group(1) or match.group(2))
