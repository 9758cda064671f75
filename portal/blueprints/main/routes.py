import io

from flask import abort, current_app, render_template, request, send_file

from portal.blueprints.main import bp
from portal.services import outbox as outbox_service


@bp.get("/")
def index():
    return render_template("main/index.html")


@bp.get("/salud")
def health():
    return {"status": "ok"}


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
