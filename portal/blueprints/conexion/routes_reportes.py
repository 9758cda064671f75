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
    """A report of the catalogue: criteria, chart and the paged table; bad dates are named (422)."""
    report = _report(slug)
    found = _criteria(slug)
    f = paging.Filters(request.args)
    params = dict(found.params, **f.link_params("pagina", "q"))
    context = dict(access=g.access, report=report, catalogue=reports.CATALOGUE, found=found, filters=f,
                   params=params)
    if slug == "cuenta-maestra":
        lines, page = reports.master_page(g.access, found, f["pagina"], f["por_pagina"])
        context.update(lines=lines, page=page, chart=reports.master_chart(g.access, found))
    elif slug == "lotes":
        groups = report_exports.batch_groups(g.access, found)
        page = paging.page_of(len(groups), f["pagina"], f["por_pagina"])
        context.update(groups=groups[page.offset:page.offset + page.per_page], page=page,
                       chart=reports.batches_chart(groups), totals=report_exports.batch_totals(groups))
    elif slug == "tarjetas":
        context.update(_cards_context(found, f))
    elif slug == "recargas":
        holders, page = reports.holders_page(g.access, found, f["pagina"], f["por_pagina"])
        context.update(holders=holders, page=page, chart=reports.holders_chart(g.access, found))
    else:
        months = reports.orders_by_month(g.access, found)
        page = paging.page_of(len(months), f["pagina"], f["por_pagina"])
        context.update(months=months[page.offset:page.offset + page.per_page], page=page,
                       chart=reports.orders_chart(months), totals=report_exports.orders_totals(months))
    template = slug.replace("-", "_")
    part = f"conexion/reportes/_{template}.html"
    body = render("conexion/reportes/report.html", partial=part, report_part=part, **context)
    return body, 422 if found.errors else 200


def _cards_context(found, f):
    groups = report_exports.card_groups(g.access, found)
    page = paging.page_of(len(groups), f["pagina"], f["por_pagina"])
    return dict(groups=groups[page.offset:page.offset + page.per_page], page=page,
                chart=reports.cards_chart(groups), totals=report_exports.card_totals(groups))


def _criteria(slug):
    days = reports.ORDERS_DAYS if slug in ("ordenes-de-servicio", "lotes") else reports.DEFAULT_DAYS
    return reports.criteria(request.args, today_bogota(), days)


@bp.get(REPORTES + "/<slug>.<any(xlsx, pdf):kind>", endpoint="report_export")
@with_product("consult")
def report_export(company_id, product_id, slug, kind):
    """The report's range as .xlsx (the Cuenta maestra's streamed from the database) or PDF."""
    _report(slug)
    found = _criteria(slug)
    if found.errors:
        return redirect(url_for("conexion.report", company_id=company_id, product_id=product_id, slug=slug,
                                **found.params))
    name = report_exports.file_stem(slug, g.access, found)
    if kind == "xlsx":
        data = report_exports.xlsx_of(slug, current_user, g.access, found)
        return send_file(data, mimetype=xlsx.MIME, as_attachment=True, download_name=f"{name}.xlsx")
    data = report_exports.pdf_of(slug, current_user, g.access, found)
    return send_file(io.BytesIO(data), mimetype=pdf.MIME, as_attachment=True, download_name=f"{name}.pdf")
