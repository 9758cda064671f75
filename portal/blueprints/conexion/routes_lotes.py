"""Conexión Empresas › Lotes › Carga de lotes (manual 003 ch. 3.2) and the batch detail
(ch. 4.2): load, watch the check, confirm or delete with the password."""
import io

from flask import (
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user

from portal.blueprints.conexion import bp
from portal.blueprints.conexion.access import not_found, with_product
from portal.domain import batch_layouts as bl
from portal.domain import batches as b
from portal.domain import paging
from portal.extensions import limiter
from portal.services import batches
from portal.web import redirect_htmx_aware, render

LOTES = "/<int:company_id>/productos/<int:product_id>/lotes"


def _here(endpoint, **values):
    return url_for(endpoint, company_id=g.access.company.id, product_id=g.access.product.id, **values)


def _kinds():
    """The batch types this product takes (named or unnamed cards)."""
    named = g.access.product.named
    return [spec for spec in bl.LAYOUTS.values() if spec.needs_named_product in (None, named)]


def _page(**context):
    f = paging.Filters(request.args)
    rows, page = batches.pending(g.access, f["q"], f["pagina"], f["por_pagina"])
    return render("conexion/lotes/carga.html", partial="conexion/lotes/_pending.html", access=g.access,
                  kinds=_kinds(), rows=rows, page=page, filters=f, params=f.link_params("pagina"),
                  max_mb=_max_mb(), **context)


def _max_mb():
    return current_app.config["BATCH_MAX_BYTES"] // (1024 * 1024)


@bp.get(LOTES + "/")
@with_product("upload")
def batches_page(company_id, product_id):
    return _page()


@bp.post(LOTES + "/")
@limiter.limit("60 per hour")
@with_product("upload")
def batch_upload(company_id, product_id):
    request.max_content_length = current_app.config["BATCH_MAX_BYTES"] + 64 * 1024
    upload = request.files.get("archivo")
    kind = request.form.get("tipo", "")
    try:
        if upload is None or not upload.filename:
            raise batches.BatchRefused("Seleccione el archivo del lote.")
        batch = batches.submit(current_user, g.access, kind, upload.filename, upload.read())
    except batches.BatchRefused as refusal:
        if request.htmx:  # only the form, with the reason; nothing was stored
            return render_template("conexion/lotes/_form.html", access=g.access, kinds=_kinds(), error=str(refusal),
                                   chosen=kind, max_mb=_max_mb()), 422
        return _page(error=str(refusal), chosen=kind), 422
    if not request.htmx:
        flash(f"Lote cargado exitosamente (Nro. {batch.number}). La validación de los registros está en proceso.",
              "success")
        return redirect(_here("conexion.batches_page"), 303)
    response = make_response(render_template("conexion/lotes/_loaded.html", access=g.access, batch=batch,
                                             kinds=_kinds(), max_mb=_max_mb()))
    response.headers["HX-Trigger"] = "lotes-changed"
    return response


@bp.get(LOTES + "/<int:batch_id>/fila")
@with_product("upload")
def batch_row(company_id, product_id, batch_id):
    """Polled while the batch is checked: its row, until VALIDO or CON ERRORES."""
    batch = batches.batch_of(g.access, batch_id) or not_found()
    return render_template("conexion/lotes/_row.html", access=g.access, batch=batch)


@bp.get(LOTES + "/<int:batch_id>/")
@with_product(("upload", "authorize"))
def batch_detail(company_id, product_id, batch_id):
    """4.2 «Detalle de lote»: its lines with their state and errors, paged and searchable
    (also for whoever authorizes it: «Autorización» links here)."""
    batch = batches.batch_of(g.access, batch_id) or not_found()
    f = paging.Filters(request.args, estado=("", "errores"))
    lines, page = batches.lines(batch, f["q"], False if f["estado"] == "errores" else None, f["pagina"],
                                 f["por_pagina"])
    return render("conexion/lotes/detalle.html", partial="conexion/lotes/_lines.html", access=g.access,
                  batch=batch, lines=lines, page=page, filters=f, params=f.link_params("pagina"),
                  general=batches.general_errors(batch))


@bp.get(LOTES + "/<int:batch_id>/rechazadas")
@with_product("upload")
def batch_rejected(company_id, product_id, batch_id):
    batch = batches.batch_of(g.access, batch_id) or not_found()
    name, data, mimetype = batches.rejected_file(current_user, batch) or abort(404)
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)


@bp.route(LOTES + "/<int:batch_id>/confirmar", methods=["GET", "POST"], defaults={"action": "confirmar"})
@bp.route(LOTES + "/<int:batch_id>/eliminar", methods=["GET", "POST"], defaults={"action": "eliminar"})
@with_product("upload")
def batch_decision(company_id, product_id, batch_id, action):
    """The password modal of ✓ «Confirmar» and of «Eliminar» (a page without JavaScript)."""
    batch = batches.batch_of(g.access, batch_id) or not_found()
    if request.method == "GET":
        return _decision_form(batch, action)
    if action == "confirmar":
        decision = batches.confirm(current_user, batch, request.form.get("password", ""),
                                   same_content_ok=request.form.get("mismo_contenido") == "si")
    else:
        decision = batches.delete(current_user, batch, request.form.get("password", ""))
    if decision.locked:
        flash("Por seguridad su usuario quedó bloqueado por 15 minutos.", "error")
        return redirect_htmx_aware(url_for("auth.corporate_login"))
    if not decision.ok:
        return _decision_form(batch, action, error=decision.message), 422
    flash(decision.message, "success")
    return redirect_htmx_aware(_here("conexion.batches_page"))


def _decision_form(batch, action, error=None):
    return render("conexion/lotes/decision.html", partial="conexion/lotes/_decision.html", access=g.access,
                  batch=batch, action=action, error=error, earlier=batches.same_content_before(batch),
                  label=b.BATCH.label)


@bp.app_template_global()
def batch_label(kind):
    return bl.label(kind)


@bp.app_template_global()
def batch_status(status):
    return b.BATCH.label(status)
