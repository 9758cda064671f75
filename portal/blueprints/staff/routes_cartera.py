"""Staff: Estados de cartera — the employers' monthly statements and their e-mailed files,
with "Volver a generar y enviar" for one employer and period (an RQ job); and the queue of
the employers' uploaded Activos/Retirados files (Documentos Subidos)."""
import io

from flask import abort, flash, request, send_file, url_for
from flask_login import current_user

from portal.authz import require
from portal.blueprints.staff import bp
from portal.domain import paging
from portal.services import staff_cartera, statements
from portal.web import redirect_htmx_aware, render, safe_next

CARTERA = ("cartera",)  # plus admin (User.has_role treats admin as every role)
STATUS = {"todos": "all", "enviados": "sent", "pendientes": "pending"}
SORTS = ("nombre", "nit", "vigencia", "envio")


def _filters():
    args = request.args
    return {"estado": args.get("estado") if args.get("estado") in STATUS else "todos",
            "orden": args.get("orden") if args.get("orden") in SORTS else "nombre",
            "q": args.get("q", "").strip()[:100],
            "pagina": paging.parse_positive(args.get("pagina")),
            "por_pagina": paging.parse_per_page(args.get("por_pagina"))}


def _params(filters, *drop):
    defaults = {"estado": "todos", "orden": "nombre", "por_pagina": paging.DEFAULT_PER_PAGE}
    return {k: v for k, v in filters.items() if k not in drop and v and defaults.get(k) != v}


@bp.get("/cartera")
@require("staff", roles=CARTERA)
def cartera():
    f = _filters()
    listing = statements.employers(f["q"], STATUS[f["estado"]], f["orden"], f["pagina"], f["por_pagina"])
    return render("staff/cartera.html", partial="staff/_cartera_table.html", listing=listing, filters=f,
                  params=_params(f, "pagina"), back=request.full_path.rstrip("?"))


@bp.post("/cartera/<int:entity_id>/reenviar")
@require("staff", roles=CARTERA)
def resend_statements(entity_id):
    outcome = statements.request_resend(current_user, entity_id, request.form.get("vigencia"))
    if outcome.status == "not_found":
        abort(404)
    flash(outcome.message, "success" if outcome.ok else "error")
    return redirect_htmx_aware(safe_next(request.form.get("back")) or url_for("staff.cartera"))


# --- the uploads' queue (Documentos Subidos of every employer) ---------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload_filters():
    args = request.args
    return {"estado": args.get("estado") if args.get("estado") in staff_cartera.FILTERS else "todos",
            "q": args.get("q", "").strip()[:100],
            "pagina": paging.parse_positive(args.get("pagina")),
            "por_pagina": paging.parse_per_page(args.get("por_pagina"))}


@bp.get("/cartera/archivos")
@require("staff", roles=CARTERA)
def cartera_uploads():
    f = _upload_filters()
    listing = staff_cartera.uploads(f["q"], f["estado"], f["pagina"], f["por_pagina"])
    return render("staff/cartera_uploads.html", partial="staff/_cartera_uploads_table.html", listing=listing,
                  filters=f, params=_params(f, "pagina"), back=request.full_path.rstrip("?"))


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
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=name)
