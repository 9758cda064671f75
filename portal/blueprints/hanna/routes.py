"""Plataforma Hanna (manuals 000 and 002)."""
from flask import render_template

from portal.authz import require
from portal.blueprints.hanna import bp


@bp.get("/")
@require("hanna")
def home():
    return render_template("hanna/home.html")


@bp.route("/registro", methods=["GET", "POST"])
def register():
    return render_template("hanna/register.html")
