from flask import Blueprint

bp = Blueprint("conexion", __name__)

from portal.blueprints.conexion import routes  # noqa: E402,F401
from portal.blueprints.conexion import routes_config  # noqa: E402,F401
