"""Conexión Empresas (manuals 003 and 004): chapter 3.1, the company and the product."""
from flask import abort, g, redirect, render_template, request, url_for
from flask_login import current_user

from portal.authz import require
from portal.blueprints.conexion import bp
from portal.blueprints.conexion.access import with_product
from portal.services import conexion
from portal.web import render


@bp.get("/")
@require("corporate")
def home():
    """«Empresas»: the user's companies, searchable; each lists its products."""
    q = request.args.get("q", "")
    return render("conexion/home.html", partial="conexion/_companies.html",
                  companies=conexion.companies_for(current_user, q), q=q)


@bp.get("/<int:company_id>/")
@with_product()
def company(company_id):
    """«Productos» of one company."""
    return _page("conexion/company.html")


@bp.get("/<int:company_id>/productos/<int:product_id>/")
@with_product()
def product(company_id, product_id):
    """«Detalle del producto»: the product's menu."""
    return _page("conexion/product.html")


def _page(template, **context):
    """A page of one company (and product): with the side panel to switch."""
    return render_template(template, access=g.access, **context)


@bp.context_processor
def _side_panel():
    """Every Conexión page of a company shows the side panel (conexion/layout.html), not
    only this module's: its companies are read when the panel renders."""
    return {"switch_companies": lambda: conexion.companies_for(current_user)}


@bp.get("/seleccionar")
@require("corporate")
def choose():
    """The side panel «Selecciona una empresa / Selecciona un producto / Seleccionar»:
    without JavaScript it posts both ids here; with htmx, changing the company only
    refreshes the product list."""
    company_id, product_id = request.args.get("empresa", type=int), request.args.get("producto", type=int)
    found = conexion.access(current_user, company_id) if company_id else None
    if found is None:
        abort(404)
    if request.htmx and request.htmx.trigger_name == "empresa":
        return render_template("conexion/_product_options.html", company=found.company, selected=None)
    if product_id and conexion.access(current_user, company_id, product_id):
        return redirect(url_for("conexion.product", company_id=company_id, product_id=product_id), 303)
    return redirect(url_for("conexion.company", company_id=company_id), 303)
