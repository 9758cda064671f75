"""Conexión Empresas (manuals 003 and 004)."""
from flask import render_template
from flask_login import current_user

from portal.authz import require
from portal.blueprints.conexion import bp
from portal.services import conexion


@bp.get("/")
@require("corporate")
def home():
    """Chapter 3.1: the companies of the user and their products."""
    return render_template("conexion/home.html", companies=conexion.companies_for(current_user))
