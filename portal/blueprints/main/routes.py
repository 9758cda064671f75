from flask import abort, current_app, render_template, request
from flask_login import current_user

from portal.blueprints.main import bp
from portal.services import outbox as outbox_service


@bp.get("/")
def index():
    return render_template("main/index.html")


@bp.get("/salud")
def health():
    return {"status": "ok"}


@bp.get("/dev/outbox")
def outbox():
    """SMS and e-mails sent by the portal: in development for everyone, else staff only."""
    is_staff = current_user.is_authenticated and current_user.kind == "staff"
    if not (current_app.config["DEV_OUTBOX_ENABLED"] or is_staff):
        abort(404)
    recipient = (request.args.get("para") or "").strip()
    return render_template("main/outbox.html", messages=outbox_service.latest(recipient), recipient=recipient)

