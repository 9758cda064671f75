"""The fund's staff: work queues."""
from flask import render_template

from portal.authz import require
from portal.blueprints.staff import bp


@bp.get("/")
@require("staff")
def home():
    return render_template("staff/home.html")
