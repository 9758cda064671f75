"""Extensions are created unbound here and bound in create_app()."""
from flask import request
from flask_compress import Compress
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    # Named constraints, so migrations can alter them (SQLite batch mode needs names).
    metadata = MetaData(naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


def client_ip():
    return request.remote_addr or "unknown"


db = SQLAlchemy(model_class=Base)
compress = Compress()
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
htmx = Htmx()
limiter = Limiter(key_func=client_ip, default_limits=[])


def drop_idle_rate_limit_check(app):
    """Flask-Limiter checks, before every request, the limits that apply to every route:
    default, application, blueprint and meta limits, and the in-memory fallback's. The
    portal has none (each limit decorates its view, and the decorator's wrapper checks it),
    so that check looked up the view and found nothing on every request: it goes, unless
    such a limit appears. Call after the blueprints are registered."""
    manager = limiter.limit_manager
    if (manager.default_limits or manager.application_limits or limiter._meta_limits
            or limiter._in_memory_fallback
            or any(manager.blueprint_limits(app, name) for name in app.blueprints)):
        return
    app.before_request_funcs[None].remove(limiter._check_request_limit)
