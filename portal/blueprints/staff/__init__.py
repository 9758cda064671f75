from flask import Blueprint

bp = Blueprint("staff", __name__)

from portal.blueprints.staff import (  # noqa: E402,F401
    routes,
    routes_accounts,
    routes_card_queues,
    routes_cartera,  # noqa: E402,F401
    routes_changes,
    routes_companies,
    routes_contact_updates,
    routes_corporate_users,
    routes_master_deposits,
    routes_payments,
    routes_products,
    routes_subsidies,
)
