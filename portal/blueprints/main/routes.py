import io

from flask import abort, current_app, render_template, request, send_file

from portal import metrics
from portal.blueprints.main import bp
from portal.services import outbox as outbox_service
from portal.services import readiness


@bp.get("/")
def index():
    return render_template("main/index.html")


@bp.get("/salud")
def health():
    """Alive: the process answers (nothing else is asked)."""
    return {"status": "ok"}


@bp.get("/salud/listo")
def ready():
    """Ready: database at the migrations' head, Redis, a live RQ worker; 503 naming what fails."""
    checks = readiness.check(current_app)
    failing = any(check.problem for check in checks)
    body = {"status": "failing" if failing else "ok",
            "checks": {check.name: check.problem or "ok" for check in checks}}
    return body, 503 if failing else 200, {"Cache-Control": "no-store"}


@bp.get("/metrics")
def metrics_page():
    """Prometheus' page, for the operators only; anyone else finds nothing here."""
    if not metrics.allowed(request, current_app.config):
        abort(404)
    return current_app.response_class(metrics.exposition(current_app), content_type=metrics.CONTENT_TYPE,
                                      headers={"Cache-Control": "no-store"})


def _development_only():
    """Messages carry SMS login codes and temporary passwords: readable in development
    only, by no one elsewhere (staff see delivery status at /personal/mensajes)."""
    if not current_app.config["DEV_OUTBOX_ENABLED"]:
        abort(404)


@bp.get("/dev/outbox")
def outbox():
    """SMS and e-mails sent by the portal, whole (development)."""
    _development_only()
    recipient = (request.args.get("para") or "").strip()
    return render_template("main/outbox.html", messages=outbox_service.latest(recipient), recipient=recipient)


@bp.get("/dev/outbox/adjuntos/<int:attachment_id>")
def outbox_attachment(attachment_id):
    """A file sent with an e-mail (the monthly cartera files); same access as the outbox."""
    _development_only()
    attachment = outbox_service.attachment(attachment_id)
    if attachment is None:
        abort(404)
    response = send_file(io.BytesIO(attachment.content), mimetype=attachment.content_type,
                         as_attachment=True, download_name=attachment.filename)
    response.headers["Cache-Control"] = "no-store"
    return response
