from flask import Blueprint

bp = Blueprint("conexion", __name__)

from portal.blueprints.conexion import (  # noqa: E402,F401
    routes,
    routes_api_config,
    routes_autorizacion,
    routes_config,
    routes_innominadas,
    routes_lotes,
    routes_maestra,
    routes_ordenes,
    routes_pagar,
    routes_reportes,
    routes_tarjetas,
)
