from flask import Blueprint

bp = Blueprint("hanna", __name__)

from portal.blueprints.hanna import routes  # noqa: E402,F401
