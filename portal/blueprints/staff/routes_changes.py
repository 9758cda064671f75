"""Cambios por aprobar (four eyes, role «tarjetas»): changes proposed by one staff member —
a corporate user's permissions on a company, a product's tariffs — approved or rejected by another."""
from flask import abort, flash, render_template, request, url_for
from flask_login import current_user

from portal.authz import require
from portal.blueprints.staff import bp
from portal.domain import four_eyes as rules
from portal.domain import paging
from portal.services import four_eyes
from portal.web import redirect_htmx_aware, render, safe_next

ROLES = ("tarjetas",)


@bp.get("/cambios")
@require("staff", roles=ROLES)
def changes():
    f = paging.Filters(request.args, estado=four_eyes.STATUS_FILTERS)
    rows, page = four_eyes.listing(f)
    return render("staff/changes.html", partial="staff/_changes_table.html", rows=rows, page=page, filters=f,
                  params=f.link_params("pagina"), back=request.full_path.rstrip("?"), labels=rules.STATUS_LABELS,
                  kinds=rules.KINDS)


@bp.post("/cambios/<int:change_id>/aprobar")
@require("staff", roles=ROLES)
def approve_change(change_id):
    return _decided(four_eyes.decide(current_user, change_id, True))


@bp.post("/cambios/<int:change_id>/rechazar")
@require("staff", roles=ROLES)
def reject_change(change_id):
    return _decided(four_eyes.decide(current_user, change_id, False, request.form.get("motivo")))


def _decided(outcome):
    if outcome.status == "not_found":
        abort(404)
    back = request.form.get("back", "")
    if request.htmx:
        return render_template("staff/_change_row.html", row=four_eyes.get_row(outcome.change.id), result=outcome,
                               typed=request.form.get("motivo", ""), back=back, labels=rules.STATUS_LABELS,
                               kinds=rules.KINDS), 200 if outcome.ok else 422
    flash(outcome.message, "success" if outcome.ok else "error")
    return redirect_htmx_aware(safe_next(back) or url_for("staff.changes"))
