"""RQ entry points. They take ids, never objects, run inside an app context and are
safe to run twice (RQ may retry a job whose worker died)."""
import functools

from flask import current_app, has_app_context

from portal.services import messaging

_app = None


def use_app(app):
    """worker.py builds the app once per worker process; its forked jobs inherit it."""
    global _app
    _app = app


def _get_app():
    global _app
    if has_app_context():
        return current_app._get_current_object()
    if _app is None:
        from portal import create_app

        _app = create_app()
    return _app


def job(func):
    """Run `func` in a fresh app context, so it has its own database session."""
    @functools.wraps(func)
    def run(*ids):
        with _get_app().app_context():
            return func(*ids)
    return run


@job
def deliver_message(message_id):
    return messaging.deliver(message_id)
