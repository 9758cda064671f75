from flask import Blueprint

bp = Blueprint("pagos", __name__)

from portal.blueprints.pagos import routes, routes_datos  # noqa: E402,F401
