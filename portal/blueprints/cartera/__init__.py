"""Estado de Cartera: employers settle their workers' libranza credits each period."""
from flask import Blueprint

bp = Blueprint("cartera", __name__)

from portal.blueprints.cartera import routes  # noqa: E402,F401
