"""Conexión Empresas › Consultas › Órdenes de servicio (manual 003 ch. 4): the list and its
search (4.1), an order's batches and their records (4.2), the PDF (4.3) and «Anular
orden» with the password (4.4)."""
import io

from flask import flash, g, request, send_file, url_for
from flask_login import current_user

from portal.blueprints.conexion import bp
from portal.blueprints.conexion.access import not_found, with_product
from portal.domain import order_search, paging
from portal.domain import orders as o
from portal.domain.formatting import local, today_bogota
from portal.services import order_pdf, service_orders
from portal.web import redirect_htmx_aware, render

ORDENES = "/<int:company_id>/productos/<int:product_id>/ordenes"


def _here(endpoint, **values):
    return url_for(endpoint, company_id=g.access.company.id, product_id=g.access.product.id, **values)


@bp.get(ORDENES + "/")
@with_product("consult")
def orders_page(company_id, product_id):
    """4.1: «Criterio de búsqueda» and the orders found, paged; bad dates are named (422)."""
    criteria = order_search.parse(request.args, today_bogota())
    f = paging.Filters(request.args)
    rows, page = service_orders.listing(g.access, criteria, f["pagina"], f["por_pagina"])
    params = dict(criteria.params, **f.link_params("pagina", "q"))
    body = render("conexion/ordenes/lista.html", partial="conexion/ordenes/_list.html", access=g.access,
                  rows=rows, page=page, criteria=criteria, filters=f, params=params,
                  statuses=[(s, o.ORDER.label(s)) for s in o.ORDER.statuses],
                  can_annul=g.access.may("authorize"), can_pay=g.access.may("authorize"))
    return body, 422 if criteria.errors else 200


@bp.get(ORDENES + "/<int:order_id>/")
@with_product("consult")
def order_detail(company_id, product_id, order_id):
    """4.2: the order's batches, its signers, dates and totals."""
    order = service_orders.order_of(g.access, order_id) or not_found()
    return render("conexion/ordenes/detalle.html", access=g.access, order=order, records_of=service_orders.records_of,
                  signers=service_orders.signers_of(order), status_label=o.ORDER.label(order.status))


@bp.get(ORDENES + "/<int:order_id>/lotes/<int:batch_id>")
@with_product("consult")
def order_batch_lines(company_id, product_id, order_id, batch_id):
    """4.2 «Registros del lote»: DNI, Nombre y apellido, Estado; paged and searchable."""
    order = service_orders.order_of(g.access, order_id) or not_found()
    batch = service_orders.batch_of(order, batch_id) or not_found()
    f = paging.Filters(request.args)
    lines, page = service_orders.batch_lines(batch, f["q"], f["pagina"], f["por_pagina"])
    return render("conexion/ordenes/registros.html", partial="conexion/ordenes/_registros.html", access=g.access,
                  order=order, batch=batch, lines=lines, page=page, filters=f, params=f.link_params("pagina"),
                  line_state=service_orders.line_state)


@bp.get(ORDENES + "/<int:order_id>.pdf", endpoint="order_pdf")
@with_product("consult")
def order_pdf_download(company_id, product_id, order_id):
    """4.3: the order as a PDF (audited)."""
    order = service_orders.order_of(g.access, order_id) or not_found()
    name, data = order_pdf.render(current_user, order)
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True, download_name=name)


@bp.route(ORDENES + "/<int:order_id>/anular", methods=["GET", "POST"])
@with_product("authorize")
def order_annul(company_id, product_id, order_id):
    """4.4: the password modal of «Anular orden» (a page without JavaScript)."""
    order = service_orders.order_of(g.access, order_id) or not_found()
    if request.method == "GET":
        return _annul_form(order)
    decision = service_orders.annul(current_user, order, request.form.get("password", ""))
    if decision.locked:
        flash("Por seguridad su usuario quedó bloqueado por 15 minutos.", "error")
        return redirect_htmx_aware(url_for("auth.corporate_login"))
    if not decision.ok:
        return _annul_form(order, error=decision.message), 422
    flash(decision.message, "success")
    return redirect_htmx_aware(_here("conexion.orders_page"))


def _annul_form(order, error=None):
    return render("conexion/ordenes/anular.html", partial="conexion/ordenes/_anular.html", access=g.access,
                  order=order, error=error, pending=order.status == o.PENDING_PAYMENT)


@bp.app_template_filter("order_time")
def order_time(moment):
    """DD/MM/AAAA HH:MM:SS in Bogotá, as the orders' «Fecha» column."""
    return f"{local(moment):%d/%m/%Y %H:%M:%S}" if moment else ""


@bp.app_template_global()
def order_status(status):
    return o.ORDER.label(status)



@bp.app_template_global()
def order_kind(kind):
    """«Tipo» of an order's batch, as the manual's order reads it («Emisión nominada»)."""
    return order_pdf.kind_label(kind)
