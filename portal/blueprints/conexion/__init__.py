from flask import Blueprint

bp = Blueprint("conexion", __name__)

from portal.blueprints.conexion import routes, routes_config, routes_lotes  # noqa: E402,F401
