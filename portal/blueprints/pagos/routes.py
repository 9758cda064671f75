"""Pagos Express (manual 001; 000 for employers)."""
from flask import render_template

from portal.authz import require
from portal.blueprints.pagos import bp


@bp.get("/")
@require("affiliate", "hanna")
def home():
    return render_template("pagos/home.html")
