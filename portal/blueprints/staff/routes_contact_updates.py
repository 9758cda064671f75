"""Datos de afiliados (manual 001's note): affiliates' requests to change mobile, e-mail or
address. Role «pagos»: the staff of Pagos Express, where affiliates sign in with the SMS
code these data carry (admin too, as everywhere)."""
import re

from flask import abort, flash, render_template, request, url_for
from flask_login import current_user

from portal.authz import require
from portal.blueprints.staff import bp
from portal.domain import contact_updates as rules
from portal.domain import order_search, paging
from portal.domain.formatting import today_bogota
from portal.services import contact_updates as updates
from portal.web import redirect_htmx_aware, render, safe_next

ROLES = ("pagos",)


def _criteria(args):
    f = paging.Filters(args, estado=updates.STATUS_FILTERS)
    f["cedula"] = re.sub(r"[^0-9]", "", args.get("cedula") or "")[:15]
    dates = order_search.parse(args, today_bogota())
    params = dict(f.link_params("pagina", "q"), **{k: v for k, v in dates.texts.items() if v})
    return f, dates, params


@bp.get("/datos-afiliados")
@require("staff", roles=ROLES)
def contact_updates():
    f, dates, params = _criteria(request.args)
    rows, page = updates.listing(f["estado"], dates.start, dates.end, f["cedula"], f["pagina"],
                                 f["por_pagina"])
    return render("staff/contact_updates.html", partial="staff/_contact_updates_table.html",
                  rows=rows, page=page, filters=f, dates=dates, params=params,
                  back=request.full_path.rstrip("?"), labels=rules.STATUS_LABELS,
                  field_labels=rules.LABELS), 422 if dates.errors else 200


@bp.post("/datos-afiliados/<int:request_id>/aprobar")
@require("staff", roles=ROLES)
def approve_contact_update(request_id):
    return _decided(updates.approve(current_user, request_id))


@bp.post("/datos-afiliados/<int:request_id>/rechazar")
@require("staff", roles=ROLES)
def reject_contact_update(request_id):
    return _decided(updates.reject(current_user, request_id, request.form.get("motivo")))


def _decided(decision):
    if decision.status == "not_found":
        abort(404)
    back = request.form.get("back", "")
    if request.htmx:
        return render_template("staff/_contact_update_row.html", req=decision.request, result=decision,
                               typed=request.form.get("motivo", ""), back=back, labels=rules.STATUS_LABELS,
                               field_labels=rules.LABELS), 200 if decision.ok else 422
    flash(decision.message, "success" if decision.ok else "error")
    return redirect_htmx_aware(safe_next(back) or url_for("staff.contact_updates"))
