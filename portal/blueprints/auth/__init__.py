from flask import Blueprint

bp = Blueprint("auth", __name__)

from portal.blueprints.auth import routes_account, routes_affiliate, routes_password  # noqa: E402,F401
