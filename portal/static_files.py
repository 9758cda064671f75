"""Static files: the favicon at /favicon.ico for browsers that ask without reading the
page's <link rel="icon">."""
from datetime import timedelta

from flask import current_app, send_from_directory

FAVICON_MAX_AGE = int(timedelta(days=7).total_seconds())


def init_app(app):
    app.add_url_rule("/favicon.ico", "favicon", favicon)


def favicon():
    return send_from_directory(current_app.static_folder, "favicon.ico", max_age=FAVICON_MAX_AGE)
