"""Staff: Estados de cartera — the employers' monthly statements and their e-mailed files,
with "Volver a generar y enviar" for one employer and period (an RQ job); and the queue of
the employers' uploaded Activos/Retirados files (Documentos Subidos)."""

from flask import abort, flash, request, url_for
from flask_login import current_user

from portal.authz import require
from portal.blueprints.staff import bp
from portal.domain import paging
from portal.services import staff_cartera, staff_statements
from portal.web import redirect_htmx_aware, render, safe_next, send_xlsx

CARTERA = ("cartera",)  # plus admin (User.has_role treats admin as every role)
STATUS = {"todos": "all", "enviados": "sent", "pendientes": "pending"}
SORTS = ("nombre", "nit", "vigencia", "envio")


@bp.get("/cartera")
@require("staff", roles=CARTERA)
def cartera():
    f = paging.Filters(request.args, estado=tuple(STATUS), orden=SORTS)
    listing = staff_statements.employers(f["q"], STATUS[f["estado"]], f["orden"], f["pagina"],
                                         f["por_pagina"])
    return render("staff/cartera.html", partial="staff/_cartera_table.html", listing=listing, filters=f,
                  params=f.link_params("pagina"), back=request.full_path.rstrip("?"))


@bp.post("/cartera/<int:entity_id>/reenviar")
@require("staff", roles=CARTERA)
def resend_statements(entity_id):
    outcome = staff_statements.request_resend(current_user, entity_id, request.form.get("vigencia"))
    if outcome.status == "not_found":
        abort(404)
    flash(outcome.message, "success" if outcome.ok else "error")
    return redirect_htmx_aware(safe_next(request.form.get("back")) or url_for("staff.cartera"))


# --- the uploads' queue (Documentos Subidos of every employer) ---------------------------



@bp.get("/cartera/archivos")
@require("staff", roles=CARTERA)
def cartera_uploads():
    f = paging.Filters(request.args, estado=tuple(staff_cartera.FILTERS))
    listing = staff_cartera.uploads(f["q"], f["estado"], f["pagina"], f["por_pagina"])
    return render("staff/cartera_uploads.html", partial="staff/_cartera_uploads_table.html", listing=listing,
                  filters=f, params=f.link_params("pagina"), back=request.full_path.rstrip("?"))


@bp.get("/cartera/archivos/<int:upload_id>")
@require("staff", roles=CARTERA)
def cartera_upload(upload_id):
    found = staff_cartera.view(current_user, upload_id) or abort(404)
    row, errors = found
    back = safe_next(request.args.get("back")) or url_for("staff.cartera_uploads")
    return render("staff/cartera_upload.html", row=row, upload=row.upload, errors=errors, back=back)


@bp.get("/cartera/archivos/<int:upload_id>/errores.xlsx")
@require("staff", roles=CARTERA)
def cartera_upload_errors_file(upload_id):
    name, data = staff_cartera.error_file(current_user, upload_id) or abort(404)
    return send_xlsx(name, data)
