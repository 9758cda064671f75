from flask import Blueprint

bp = Blueprint("staff", __name__)

from portal.blueprints.staff import routes, routes_payments  # noqa: E402,F401
from portal.blueprints.staff import routes_cartera  # noqa: E402,F401
