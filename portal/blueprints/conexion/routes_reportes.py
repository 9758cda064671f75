"""Conexión Empresas › Reportes (manual 003 ch. 6, manual 004 ch. 8): «Escoja de la lista
desplegable el reporte», then the report: its search criteria, an SVG chart drawn on the
server, the paged table and its downloads (.xlsx, PDF)."""
import io

from flask import abort, g, redirect, request, send_file, url_for
from flask_login import current_user

from portal.adapters import pdf, xlsx
from portal.blueprints.conexion import bp
from portal.blueprints.conexion.access import with_product
from portal.domain import paging
from portal.domain.formatting import today_bogota
from portal.services import report_exports, reports
from portal.web import render

REPORTES = "/<int:company_id>/productos/<int:product_id>/reportes"


def _report(slug):
    return reports.BY_SLUG.get(slug) or abort(404)


@bp.get(REPORTES + "/", endpoint="reports")
@with_product("consult")
def reports_page(company_id, product_id):
    """Paso 2: the drop-down of the catalogue; without JavaScript its «Ver reporte» submits
    here and is sent on to the report chosen."""
    chosen = request.args.get("reporte")
    if chosen in reports.BY_SLUG:
        return redirect(url_for("conexion.report", company_id=company_id, product_id=product_id, slug=chosen))
    return render("conexion/reportes/catalogo.html", access=g.access, catalogue=reports.CATALOGUE)


@bp.get(REPORTES + "/<slug>", endpoint="report")
@with_product("consult")
def report_page(company_id, product_id, slug):
    """6.1.1 Cuenta maestra: criteria, chart and the paged table; bad dates are named (422)."""
    report = _report(slug)
    found = reports.criteria(request.args, today_bogota())
    f = paging.Filters(request.args)
    lines, page = reports.master_page(g.access, found, f["pagina"], f["por_pagina"])
    params = dict(found.params, **f.link_params("pagina", "q"))
    body = render("conexion/reportes/cuenta_maestra.html", partial="conexion/reportes/_cuenta_maestra.html",
                  access=g.access, report=report, catalogue=reports.CATALOGUE, found=found, filters=f,
                  lines=lines, page=page, params=params, chart=reports.master_chart(g.access, found),
                  local_time=reports.local_time)
    return body, 422 if found.errors else 200


@bp.get(REPORTES + "/<slug>.<any(xlsx, pdf):kind>", endpoint="report_export")
@with_product("consult")
def report_export(company_id, product_id, slug, kind):
    """The report's range as .xlsx (streamed from the database) or PDF."""
    _report(slug)
    found = reports.criteria(request.args, today_bogota())
    if found.errors:
        return redirect(url_for("conexion.report", company_id=company_id, product_id=product_id, slug=slug,
                                **found.params))
    name = report_exports.file_stem(g.access, found)
    if kind == "xlsx":
        data = report_exports.master_xlsx(current_user, g.access, found)
        return send_file(data, mimetype=xlsx.MIME, as_attachment=True, download_name=f"{name}.xlsx")
    data = report_exports.master_pdf(current_user, g.access, found)
    return send_file(io.BytesIO(data), mimetype=pdf.MIME, as_attachment=True,
                     download_name=f"{name}.pdf")
