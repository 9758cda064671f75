"""The ERP API under /api/v1 (issue #12): JSON, a key per company, es-CO messages."""
from flask import Blueprint

from portal.blueprints.api import core

bp = Blueprint("api", __name__)
bp.url_value_preprocessor(core.ids_in_range)
bp.before_request(core.authenticate)
bp.after_request(core.record_use)
bp.record_once(lambda state: core.watch_claims())

from portal.blueprints.api import routes, routes_batches, routes_cards, routes_orders  # noqa: E402,F401
