"""The fund's staff: work queues (application requests) and the audit log."""
from flask import abort, flash, make_response, render_template, request, send_file, url_for
from flask_login import current_user

from portal.adapters import xlsx
from portal.authz import require
from portal.blueprints.staff import bp
from portal.blueprints.staff.forms import DecisionForm
from portal.domain import applications as apps
from portal.domain import clock, formatting, paging
from portal.services import audit_log as audit_events
from portal.services import outbox, staff_home, staff_queue
from portal.web import redirect_htmx_aware, render, safe_next

REVIEWERS = ("cartera", "pagos")  # plus admin (User.has_role treats admin as every role)


@bp.get("/")
@require("staff")
def home():
    """The frame only: the queues' figures come from queue_figures (htmx, on load)."""
    return render_template("staff/home.html", queues=staff_home.visible(current_user), figures=None)


@bp.get("/colas")
@require("staff")
def queue_figures():
    """Every visible queue's count and oldest item: the table's rows for htmx (on load, then
    every 60 s), the whole home without JavaScript."""
    now = clock.utcnow()
    response = make_response(render("staff/home.html", partial="staff/_queues.html",
                                    queues=staff_home.visible(current_user),
                                    figures=staff_home.figures(current_user, now), now=now,
                                    ago=formatting.ago))
    response.vary.add("HX-Request")
    return response


@bp.get("/solicitudes")
@require("staff", roles=REVIEWERS)
def requests():
    f = paging.Filters(request.args, estado=staff_queue.STATUS_FILTERS,
                       aplicacion=("",) + apps.APPLICATIONS)
    listing = staff_queue.list_requests(current_user, f["estado"], f["aplicacion"], f["q"],
                                        f["pagina"], f["por_pagina"])
    return render("staff/requests.html", partial="staff/_requests_table.html", listing=listing,
                  filters=f, params=f.link_params("pagina"), back=request.full_path.rstrip("?"),
                  applications=apps.reviewable_by(current_user),
                  labels=apps.STATUS_LABELS)


@bp.post("/solicitudes/<int:request_id>/decidir")
@require("staff", roles=REVIEWERS)
def decide(request_id):
    form = DecisionForm()
    result = staff_queue.decide(current_user, request_id, form.decision.data, form.note.data)
    if result.status in ("not_found", "forbidden"):
        abort(404 if result.status == "not_found" else 403)
    if request.htmx:
        return render_template("staff/_request_row.html", req=staff_queue.request_row(request_id),
                               result=result, form=form, back=form.back.data or "",
                               labels=apps.STATUS_LABELS), \
            200 if result.ok else 422
    flash(result.message, "success" if result.ok else "error")
    return redirect_htmx_aware(safe_next(form.back.data) or url_for("staff.requests"))


@bp.get("/auditoria")
@require("staff", roles=("admin",))
def audit_log():
    return _audit_page(audit_events.parse(request.args, formatting.today_bogota()))


def _audit_page(criteria):
    f = paging.Filters(request.args)
    rows, page = audit_events.page(criteria, f["pagina"], f["por_pagina"])
    params = dict(f.link_params("pagina"), **criteria.params)
    return render("staff/audit.html", partial="staff/_audit_table.html", rows=rows, page=page, filters=f,
                  criteria=criteria, params=params, actions=audit_events.actions()), \
        422 if criteria.errors else 200


@bp.get("/auditoria.xlsx")
@require("staff", roles=("admin",))
def audit_export():
    """The filtered events as .xlsx; a wrong filter shows the page with its message."""
    criteria = audit_events.parse(request.args, formatting.today_bogota())
    if criteria.errors:
        return _audit_page(criteria)
    data = audit_events.export(current_user, criteria)
    name = f"Auditoria_{formatting.today_bogota():%Y%m%d}.xlsx"
    return send_file(data, mimetype=xlsx.MIME, as_attachment=True, download_name=name)


@bp.get("/mensajes")
@require("staff")
def messages():
    """Whether each SMS and e-mail left: status only, never its text."""
    f = paging.Filters(request.args, estado=("",) + tuple(outbox.STATUS_LABELS))
    rows, page = outbox.deliveries(f["estado"], f["pagina"], f["por_pagina"])
    return render("staff/messages.html", partial="staff/_messages_table.html", rows=rows, page=page,
                  filters=f, params=f.link_params("pagina"), labels=outbox.STATUS_LABELS)
