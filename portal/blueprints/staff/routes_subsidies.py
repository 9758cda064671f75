"""Órdenes de ADELANTO POR SUBSIDIOS (manual 002, the staff side; role «pagos», which also
decides the suppliers' PROVEEDORES requests): issue one for an affiliate and a supplier,
list and search them, print the PDF the affiliate takes to the supplier, annul with a reason."""
import io
from itertools import zip_longest

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from portal.adapters import pdf
from portal.authz import require
from portal.blueprints.staff import bp
from portal.domain import order_search as search
from portal.domain import paging
from portal.domain import subsidy_orders as rules
from portal.domain.formatting import today_bogota
from portal.services import subsidy_orders
from portal.web import render

ROLES = ("pagos",)
BLANK_ROWS = 3  # empty item rows offered below the typed ones


@bp.get("/subsidios/")
@require("staff", roles=ROLES)
def subsidy_orders_list():
    suppliers = subsidy_orders.suppliers()
    f = paging.Filters(request.args, estado=("",) + rules.STATES,
                       proveedor=("",) + tuple(str(s.id) for s in suppliers))
    criteria = search.parse(request.args, today_bogota())
    listing = subsidy_orders.listing(f, criteria)
    params = dict(f.link_params("pagina"), **{k: v for k, v in criteria.texts.items() if v})
    return render("staff/subsidy_orders.html", partial="staff/_subsidy_orders_table.html", listing=listing,
                  filters=f, params=params, suppliers=suppliers, labels=rules.LABELS), \
        422 if criteria.errors else 200


@bp.route("/subsidios/nueva", methods=["GET", "POST"])
@require("staff", roles=ROLES)
def new_subsidy_order():
    draft, outcome = _draft(), None
    if request.method == "POST" and "mas_items" not in request.form:
        outcome = subsidy_orders.issue(current_user, draft)
        if outcome.ok:
            flash(outcome.message, "success")
            return redirect(url_for("staff.subsidy_order", order_id=outcome.order.id), 303)
    rows = draft.rows + [("", "", "")] * (BLANK_ROWS if request.method == "POST" else 5)
    return render_template("staff/subsidy_order_new.html", draft=draft, rows=rows[:rules.MAX_ITEMS + BLANK_ROWS],
                           outcome=outcome, errors=outcome.errors if outcome else {},
                           known_name=subsidy_orders.affiliate_name(draft.cedula.strip()),
                           suppliers=subsidy_orders.suppliers()), 422 if outcome else 200


def _draft():
    form = request.form
    columns = (form.getlist("descripcion"), form.getlist("cantidad"), form.getlist("valor_unitario"))
    rows = [row for row in zip_longest(*columns, fillvalue="") if any(cell.strip() for cell in row)]
    return subsidy_orders.Draft(form.get("cedula", ""), form.get("nombre", ""), form.get("proveedor", ""),
                                form.get("vigente_hasta", ""), rows, form.get("clave") or subsidy_orders.new_key())


@bp.get("/subsidios/afiliado")
@require("staff", roles=ROLES)
def subsidy_affiliate():
    """The name field for the cédula typed (htmx): the fund's name when it knows the affiliate."""
    cedula = request.args.get("cedula", "").strip()
    return render_template("staff/_subsidy_affiliate.html", known_name=subsidy_orders.affiliate_name(cedula),
                           typed=request.args.get("nombre", ""), error=None)


@bp.get("/subsidios/<int:order_id>")
@require("staff", roles=ROLES)
def subsidy_order(order_id):
    return _detail(order_id)


def _detail(order_id, outcome=None, status=200):
    order = subsidy_orders.get(order_id) or abort(404)
    return render_template("staff/subsidy_order.html", found=subsidy_orders.view(order), outcome=outcome), status


@bp.get("/subsidios/<int:order_id>.pdf")
@require("staff", roles=ROLES)
def subsidy_order_pdf(order_id):
    order = subsidy_orders.get(order_id) or abort(404)
    name, data = subsidy_orders.render_pdf(current_user, order)
    return send_file(io.BytesIO(data), mimetype=pdf.MIME, as_attachment=True, download_name=name)


@bp.post("/subsidios/<int:order_id>/anular")
@require("staff", roles=ROLES)
def annul_subsidy_order(order_id):
    outcome = subsidy_orders.annul(current_user, order_id, request.form.get("motivo"))
    if outcome.order is None:
        abort(404)
    if not outcome.ok:
        return _detail(order_id, outcome, 422)
    flash(outcome.message, "success")
    return redirect(url_for("staff.subsidy_order", order_id=order_id), 303)
