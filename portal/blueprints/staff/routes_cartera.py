"""Staff: Estados de cartera — the employers' monthly statements and their e-mailed files,
with "Volver a generar y enviar" for one employer and period (an RQ job)."""
from flask import abort, flash, request, url_for
from flask_login import current_user

from portal.authz import require
from portal.blueprints.staff import bp
from portal.domain import paging
from portal.services import statements
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
