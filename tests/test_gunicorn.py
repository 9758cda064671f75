"""gunicorn.conf.py: the portal under a real gunicorn, as bin/run and production start it
(bench/_common.gunicorn, from the project's root): its workers from WEB_CONCURRENCY, no
scheme taken from a client's X-Forwarded-Proto, and on SIGTERM a request in flight is
answered before the server stops."""
import http.client
import re
import signal
import socket
import time

import psutil

from bench._common import free_port, gunicorn
from portal.config import BASE_DIR
from tests.conftest import LOGIN_PAGES
from tests.processes import portal_env

LOGIN = LOGIN_PAGES["staff"]


def test_gunicorn_serves_with_its_config_and_stops_gracefully(app, database_url, redis_url, tmp_path):
    env = portal_env(database_url, redis_url, tmp_path, WEB_CONCURRENCY="2", WEB_GRACEFUL_TIMEOUT_SECONDS="10", TRUSTED_PROXIES="0")
    port = free_port()
    with open(tmp_path / "gunicorn.log", "w") as log:
        web = gunicorn("wsgi:app", port, workers=None, cwd=BASE_DIR, env=env, stderr=log)
    try:
        assert get(port, "/salud") == (200, b'{"status":"ok"}\n')
        assert len(psutil.Process(web.pid).children()) == 2
        assert post_claiming_https(port) == 422  # not «https»: no Referer demanded; the form says «wrong»

        slow = socket.create_connection(("127.0.0.1", port), timeout=15)
        slow.sendall(b"GET /salud HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # the request's end still to come
        time.sleep(0.3)  # a worker has taken the connection
        web.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        slow.sendall(b"Connection: close\r\n\r\n")
        answer = slow.makefile("rb").read()
        assert answer.startswith(b"HTTP/1.1 200 OK") and answer.endswith(b'{"status":"ok"}\n')
        assert web.wait(15) == 0
    finally:
        if web.poll() is None:
            web.kill()
            web.wait()


def get(port, path):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    connection.request("GET", path)
    response = connection.getresponse()
    return response.status, response.read()


def post_claiming_https(port):
    """A login POST from a local client saying X-Forwarded-Proto: https, with no Referer.
    Were the scheme taken as https, Flask-WTF would refuse it (400): no Referer."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    connection.request("GET", LOGIN)
    page = connection.getresponse()
    cookie = page.getheader("Set-Cookie").split(";", 1)[0]
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page.read()).group(1).decode()
    connection.request("POST", LOGIN, body=f"csrf_token={token}&username=nadie&password=x",
                       headers={"Cookie": cookie, "X-Forwarded-Proto": "https",
                                "Content-Type": "application/x-www-form-urlencoded"})
    response = connection.getresponse()
    response.read()
    return response.status
