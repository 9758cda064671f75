"""Static files under versioned URLs: /static/app.css?v=<content hash>, cached by the
browser for a year (a new file gets a new URL), compressed once per process, and served
without any session work: no cookie read or set, no session record looked up."""
import gzip
import hashlib
import mimetypes
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

import brotli
from flask import abort, current_app, request, url_for
from flask.sessions import SecureCookieSessionInterface

YEAR = int(timedelta(days=365).total_seconds())
FAVICON_MAX_AGE = int(timedelta(days=7).total_seconds())
# Endpoints whose requests must not touch the session (web.py's hooks skip them too).
ENDPOINTS = {"static", "favicon"}
COMPRESSIBLE = ("text/", "application/javascript", "image/svg+xml")


def init_app(app):
    """Hash every file once at startup; the template global `static_url` puts the hash
    in the URL."""
    folder = Path(app.static_folder)
    app.extensions["static_versions"] = {
        path.relative_to(folder).as_posix(): _digest(path)
        for path in sorted(folder.rglob("*")) if path.is_file()
    }
    app.extensions["static_urls"] = {}
    app.view_functions["static"] = serve
    app.add_url_rule("/favicon.ico", "favicon", favicon)
    app.add_template_global(static_url)
    app.session_interface = SessionInterface()


def static_url(filename):
    """The versioned URL, built once per file (every page asks for four)."""
    urls, key = current_app.extensions["static_urls"], (request.script_root, filename)
    if key not in urls:
        version = current_app.extensions["static_versions"].get(filename)
        urls[key] = url_for("static", filename=filename, v=version)
    return urls[key]


def serve(filename):
    version = current_app.extensions["static_versions"].get(filename) or abort(404)
    response = _send(filename, version)
    if request.args.get("v") == version:
        response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    else:  # no version or an old one: the current file, checked again next time
        response.headers["Cache-Control"] = "no-cache"
        response.set_etag(version)
        response.make_conditional(request)
    return response


def favicon():
    """For browsers that ask without reading the page's <link rel="icon">."""
    response = _send("favicon.ico", current_app.extensions["static_versions"]["favicon.ico"])
    response.headers["Cache-Control"] = f"public, max-age={FAVICON_MAX_AGE}"
    return response


def _send(filename, version):
    encoding = _encoding(filename)
    body = _body(current_app.static_folder, filename, version, encoding)
    response = current_app.response_class(body, mimetype=_mimetype(filename))
    if encoding:
        response.headers["Content-Encoding"] = encoding
    response.vary.add("Accept-Encoding")
    return response


def _encoding(filename):
    if not _mimetype(filename).startswith(COMPRESSIBLE):
        return None
    accepted = request.accept_encodings
    return next((name for name in ("br", "gzip") if accepted[name]), None)


@lru_cache(maxsize=256)
def _body(folder, filename, version, encoding):
    """The file's bytes as sent, compressed at the highest level once per process
    (version is part of the key: a changed file is read again)."""
    data = (Path(folder) / filename).read_bytes()
    if encoding == "br":
        return brotli.compress(data, quality=11)
    if encoding == "gzip":
        return gzip.compress(data, 9, mtime=0)
    return data


def _mimetype(filename):
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def is_static_path(app, path):
    return path.startswith(app.static_url_path + "/") or path == "/favicon.ico"


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, except that static files get none: the cookie is
    not read, no Set-Cookie is sent and no `Vary: Cookie` is added."""

    def open_session(self, app, request):
        if is_static_path(app, request.path):
            return None  # Flask then uses a null session, which is never saved
        return super().open_session(app, request)
