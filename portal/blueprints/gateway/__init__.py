"""The built-in sandbox acquirer (hosted checkout, voucher, API). It behaves like a
separate company's site: it knows nothing of the portal's users."""
from flask import Blueprint

bp = Blueprint("gateway", __name__)

from portal.blueprints.gateway import routes  # noqa: E402,F401
