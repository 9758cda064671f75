from flask import Blueprint

bp = Blueprint("pagos", __name__)

from portal.blueprints.pagos import routes  # noqa: E402,F401
