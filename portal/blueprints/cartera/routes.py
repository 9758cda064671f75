"""Hanna › EMPRESAS › CRÉDITOS › Estado De Cartera (manual 000)."""
import json
from decimal import Decimal
from types import SimpleNamespace

from flask import abort, current_app, flash, g, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from portal.authz import with_branch
from portal.blueprints.cartera import bp
from portal.domain import cartera_layout as layout
from portal.domain import cartera_steps as steps
from portal.domain import clock, paging
from portal.domain import uploads as upload_states
from portal.extensions import limiter
from portal.services import cartera, upload_jobs
from portal.services import cartera_drafts as drafts
from portal.services import cartera_slips as slips
from portal.services import cartera_uploads as uploads
from portal.web import redirect_htmx_aware, render, send_xlsx


@bp.get("/")
@with_branch
def index():
    statements = cartera.statements_of(g.branch)
    period = request.args.get("vigencia") or (statements[0].period if statements else None)
    return _period_page(statements, period)


@bp.get("/<period>")
@with_branch
def period(period):
    return _period_page(cartera.statements_of(g.branch), period)


def _period_page(statements, period):
    statement = next((s for s in statements if s.period == period), None)  # the branch's own only
    if period and statement is None:
        abort(404)
    context = dict(statements=statements, statement=statement, branch=g.branch,
                   entity=current_user.entity,
                   download_available="cartera.download" in current_app.view_functions)
    if statement is not None:
        asked = layout.by_slug(request.args.get("archivo"))  # ?archivo=retirados: the panel shown
        kind = asked.kind if asked is not None and asked.kind in layout.UPLOADABLE else layout.ACTIVE
        # The period's volantes and processed uploads, read once for every section.
        period_slips, processed = cartera.slips_of(statement), cartera.processed_uploads(statement)
        context["to_pay"] = cartera.to_pay(statement)
        context.update(_summary_context(statement, discount=context["to_pay"].discount,
                                        period_slips=period_slips, processed=processed))
        context.update(_panel_context(statement, kind, period_slips=period_slips))
        context.update(_slip_context(statement, period_slips=period_slips, processed=processed))
        context.update(step=_step(statement, context), STEPS=steps.STEPS)
    return render("cartera/index.html", partial="cartera/_period.html", **context)


def _step(statement, context):
    """The manual's step the employer is on (domain/cartera_steps)."""
    last = context["last_slip"]
    return steps.current_step(steps.Progress(
        downloaded=cartera.downloaded(statement), uploading=uploads.unresolved(statement),
        to_pay=bool(context["pending"] or context["slip"] or context["in_flight"]),
        paid=bool(last and last.status == "paid")))


def _summary_context(statement, discount=None, period_slips=None, processed=None):
    applied = slips.applied_by_line(statement)
    rows, total = slips.differences(statement, applied=applied)
    applied_total = sum((Decimal(by_line[0]) for by_line in applied.values()), Decimal(0))
    period_slips = cartera.slips_of(statement) if period_slips is None else period_slips
    return dict(processed=cartera.processed(statement, period_slips, processed),
                balance=cartera.balance_check(statement, discount, applied=applied_total),
                differences=rows, differences_total=total)


@bp.get("/<period>/resumen")
@with_branch
def summary(period):
    """Documentos Procesados and Cuadre Cartera, refreshed after an upload or a payment."""
    statement = _statement_or_404(period)
    return render_template("cartera/_summary.html", statement=statement, **_summary_context(statement))


@bp.get("/<period>/archivos/<file_kind:kind>.xlsx")
@with_branch
def download(period, kind):
    statement = cartera.statement_of(g.branch, period)
    if statement is None:
        abort(404)
    name, data = cartera.statement_file(current_user, statement, kind)
    return send_xlsx(name, data)


# --- Documentos Subidos: a file, or the browser draft, checked by an RQ job --------------

def _statement_or_404(period):
    return cartera.statement_of(g.branch, period) or abort(404)


@bp.app_template_global("cartera_uploads_url")
def uploads_url(period, kind):
    """The period's page open on this file's Documentos Subidos (?archivo=activos: the
    file's word in the URL, as users bookmark it)."""
    return url_for("cartera.period", period=period, archivo=layout.layout(kind).slug, _anchor="subidos")


def _uploadable_or_404(period, kind):
    """The branch's statement for an Activos/Retirados route (Detalle is never uploaded)."""
    if kind not in layout.UPLOADABLE:
        abort(404)
    return _statement_or_404(period)


def _panel_context(statement, kind, upload=None, error=None, period_slips=None):
    upload = upload or uploads.latest_upload(statement, kind)
    return dict(statement=statement, kind=kind, error=error, upload=upload,
                upload_view=_upload_view(upload, period_slips) if upload else None,
                drafts=drafts.count(statement, kind),
                max_mb=current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024))


def _panel(statement, kind, upload=None, error=None, status=200):
    context = _panel_context(statement, kind, upload, error)
    if request.htmx:
        return render_template("cartera/_upload_panel.html", **context), status
    if error:
        flash(error, "error")
    return redirect(uploads_url(statement.period, kind), 303)


@bp.get("/<period>/subidos/<file_kind:kind>")
@with_branch
def upload_panel(period, kind):
    return _panel(_uploadable_or_404(period, kind), kind)


@bp.post("/<period>/subidos/<file_kind:kind>")
@limiter.limit("60 per hour")  # each file is stored and checked by a job
@with_branch
def upload_file(period, kind):
    statement = _uploadable_or_404(period, kind)
    sent = request.files.get("archivo")
    if sent is None or not sent.filename:
        return _panel(statement, kind, error="Seleccione el archivo de Excel (.xlsx) que descargó y diligenció.",
                      status=422)
    try:
        upload = uploads.submit_file(current_user, statement, kind, sent.filename, sent.read())
    except uploads.UploadRefused as refused:
        return _panel(statement, kind, error=str(refused), status=422)
    return _panel(statement, kind, upload=upload)


@bp.errorhandler(413)
def too_big(_error):
    """Werkzeug refuses a body above MAX_CONTENT_LENGTH while the CSRF check reads it,
    before the session is loaded: answer with the bare panel (no data of the branch)."""
    args = request.view_args or {}
    limit = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
    message = f"El archivo supera el tamaño máximo permitido de {limit} MB. No se cargó nada."
    if args.get("kind") not in layout.UPLOADABLE or "period" not in args:
        return render_template("errors/error.html", title="Archivo demasiado grande", message=message), 413
    if not request.htmx:
        flash(message, "error")
        return redirect(uploads_url(args["period"], args["kind"]), 303)
    return render_template("cartera/_upload_panel.html", statement=SimpleNamespace(period=args["period"]),
                           kind=args["kind"], error=message, upload=None, drafts=0, max_mb=limit), 422


@bp.get("/<period>/subidos/<int:upload_id>/estado")
@with_branch
def upload_status(period, upload_id):
    """Polled by the progress bar (X-Portal-Poll). When the job ends, the page's
    summary and volante sections are told to refresh (HX-Trigger)."""
    statement = _statement_or_404(period)
    upload = uploads.upload_of(statement, upload_id) or abort(404)
    response = make_response(render_template("cartera/_upload.html", statement=statement, upload=upload,
                                             upload_view=_upload_view(upload)))
    if upload.status not in upload_states.WORKING:
        _tell_the_page(response, upload)
    return response


def _tell_the_page(response, upload):
    """The summary and volante sections refresh; a processed file makes «Generar el
    volante» the next step (app.js opens it)."""
    opened = "paso-3" if upload.status == upload_states.PROCESSED else None
    response.headers["HX-Trigger"] = json.dumps({"cartera-changed": None, "open-step": opened})


def _upload_view(upload, period_slips=None):
    """What _upload.html shows of an upload beyond its columns (read here, not from the
    template); `period_slips`: cartera.slips_of its period, when read already."""
    return dict(progress=upload_jobs.progress(upload), errors=uploads.errors_of(upload),
                paid_by=uploads.paid_slip_of(upload, period_slips)
                if upload.status == upload_states.PROCESSED else None,
                previous=uploads.previous_processed(upload) if upload.status == upload_states.DUPLICATE else None)


@bp.post("/<period>/subidos/<int:upload_id>/<answer>")
@with_branch
def upload_answer(period, upload_id, answer):
    statement = _statement_or_404(period)
    upload = uploads.upload_of(statement, upload_id) or abort(404)
    error = None
    try:
        if answer == "confirmar":
            uploads.confirm_duplicate(current_user, upload)
        elif answer == "cancelar":
            uploads.cancel_duplicate(current_user, upload)
        else:
            abort(404)
    except uploads.UploadRefused as refused:
        error = str(refused)
    response = _panel(statement, upload.kind, upload=upload, error=error,
                      status=422 if error else 200)
    if request.htmx and not error:
        response = make_response(response)
        _tell_the_page(response, upload)
    return response


@bp.get("/<period>/subidos/<int:upload_id>/errores.xlsx")
@with_branch
def upload_errors_file(period, upload_id):
    statement = _statement_or_404(period)
    upload = uploads.upload_of(statement, upload_id) or abort(404)
    found = uploads.error_file(current_user, upload) or abort(404)
    name, data = found
    return send_xlsx(name, data)


# --- Volante de pago -------------------------------------------------------------------

def _slip_context(statement, error=None, period_slips=None, processed=None):
    period_slips = cartera.slips_of(statement) if period_slips is None else period_slips
    slip = slips.open_slip(statement, period_slips)
    left = int((slip.expires_at - clock.utcnow()).total_seconds()) if slip else 0
    return dict(statement=statement, slip=slip, seconds_left=max(left, 0), slip_error=error,
                last_slip=slips.last_slip(statement, period_slips),
                pending=slips.pending_uploads(statement, period_slips, processed),
                in_flight=uploads.payment_in_flight(statement, period_slips))


def _slip_section(statement, error=None, status=200):
    context = _slip_context(statement, error)
    if request.htmx:
        return render_template("cartera/_slip.html", **context), status
    if error:
        flash(error, "error")
    return redirect(url_for("cartera.period", period=statement.period, _anchor="volante"), 303)


@bp.post("/<period>/volante")
@with_branch
def generate_slip(period):
    statement = _statement_or_404(period)
    try:
        slips.generate(current_user, statement)
    except uploads.UploadRefused as refused:
        return _slip_section(statement, error=str(refused), status=422)
    return _slip_section(statement)


@bp.get("/<period>/volante")
@with_branch
def slip_section(period):
    return _slip_section(_statement_or_404(period))


# --- Editing in the browser (a draft, saved row by row) --------------------------------

def _draft_context(statement, kind):
    query = request.args.get("q", "").strip()[:80]
    number = paging.parse_positive(request.args.get("pagina"))
    per_page = paging.parse_per_page(request.args.get("por_pagina", 25))
    rows, page = drafts.page_of_rows(statement, kind, query, number, per_page)
    return dict(statement=statement, kind=kind, rows=rows, page=page, q=query, per_page=per_page,
                drafts=drafts.count(statement, kind))


@bp.get("/<period>/editar/<file_kind:kind>")
@with_branch
def draft(period, kind):
    statement = _uploadable_or_404(period, kind)
    return render("cartera/draft.html", partial="cartera/_draft_table.html",
                  branch=g.branch, entity=current_user.entity, **_draft_context(statement, kind))


@bp.post("/<period>/editar/<file_kind:kind>/fila")
@with_branch
def draft_row(period, kind):
    statement = _uploadable_or_404(period, kind)
    credit = request.form.get("credito", "")
    row, errors = drafts.save_row(current_user, statement, kind, credit,
                                         request.form.get("aplica_mora", ""), request.form.get("valor", ""))
    if row is None:
        abort(404)
    if not request.htmx:
        for column, reason in errors:
            flash(f"Crédito {credit}, «{column}»: {reason}", "error")
        return redirect(request.referrer or url_for("cartera.draft", period=period, kind=kind), 303)
    typed = {"aplica_mora": request.form.get("aplica_mora", ""), "valor": request.form.get("valor", "")}
    return render_template("cartera/_draft_row.html", statement=statement, kind=kind, row=row,
                           errors=errors, typed=typed if errors else None, saved=not errors), 422 if errors else 200


@bp.post("/<period>/editar/<file_kind:kind>/procesar")
@with_branch
def draft_process(period, kind):
    statement = _uploadable_or_404(period, kind)
    try:
        uploads.submit_draft(current_user, statement, kind)
    except uploads.UploadRefused as refused:
        flash(str(refused), "error")
        return redirect_htmx_aware(url_for("cartera.draft", period=period, kind=kind))
    return redirect_htmx_aware(uploads_url(period, kind))


@bp.post("/<period>/editar/<file_kind:kind>/descartar")
@with_branch
def draft_discard(period, kind):
    statement = _uploadable_or_404(period, kind)
    removed = drafts.discard(current_user, statement, kind)
    flash(f"Se descartaron los cambios de {removed} {'fila' if removed == 1 else 'filas'}.", "info")
    return redirect_htmx_aware(url_for("cartera.draft", period=period, kind=kind))
