"""Pagos Express › Actualizar mis datos (manual 001's note: contact data kept up to date)."""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.authz import require
from portal.blueprints.auth.forms import CodeForm
from portal.blueprints.auth.routes_affiliate import EXPIRED, WRONG_CODE
from portal.blueprints.pagos import bp
from portal.blueprints.pagos.forms import ContactForm
from portal.domain import contact_updates as rules
from portal.services import contact_updates as updates

SENT_TO_STAFF = ("Recibimos su solicitud. La Caja la revisará y le avisaremos por mensaje de texto "
                 "y correo; mientras tanto sus datos registrados siguen iguales.")
FINISHED = "Este código ya no sirve. Vuelva a enviar sus datos para recibir uno nuevo."
TOO_MANY_SENDS = ("Ya se reenvió el código varias veces. Espere un momento y vuelva a enviar sus "
                  "datos para empezar de nuevo.")


def _locked(minutes):
    wait = "1 minuto" if minutes == 1 else f"{minutes} minutos"
    return (f"Por seguridad la confirmación del celular quedó bloqueada después de "
            f"{current_app.config['LOGIN_MAX_FAILURES']} códigos incorrectos. Intente de nuevo en {wait}.")


def _message(outcome):
    if outcome.status == "locked":
        return _locked(outcome.minutes)
    return outcome.errors.get("form") or {"invalid": WRONG_CODE, "expired": EXPIRED,
                                          "too_many_sends": TOO_MANY_SENDS}.get(outcome.status)


@bp.route("/mis-datos", methods=["GET", "POST"])
@require("affiliate")
def my_data():
    form = ContactForm()
    if request.method == "GET":
        form.fill(current_user)
    elif form.validate_on_submit():
        outcome = updates.submit(current_user, form.typed())
        if outcome.status == "sent":
            return redirect(url_for("pagos.my_data_code"), 303)
        if outcome.status == "pending":
            flash(SENT_TO_STAFF, "success")
            return redirect(url_for("pagos.my_data"), 303)
        form.show(outcome.errors)
        return _data_page(form, _message(outcome), 422)
    return _data_page(form, None, 422 if form.errors else 200)


def _data_page(form, error, status):
    return render_template("pagos/my_data.html", form=form, error=error, latest=updates.latest(current_user),
                           labels=rules.STATUS_LABELS, field_labels=rules.LABELS), status


@bp.route("/mis-datos/codigo", methods=["GET", "POST"])
@require("affiliate")
def my_data_code():
    pending = updates.awaiting_code(current_user)
    if pending is None:
        return redirect(url_for("pagos.my_data"), 303)
    form = CodeForm()
    if not form.validate_on_submit():
        return _code_page(pending, form, status=422 if form.errors else 200)
    outcome = updates.verify(current_user, pending, form.code.data)
    if outcome.status == "pending":
        flash("Celular confirmado. " + SENT_TO_STAFF, "success")
        return redirect(url_for("pagos.my_data"), 303)
    return _code_page(pending, form, error=_message(outcome), status=422)


@bp.post("/mis-datos/codigo/reenviar")
@require("affiliate")
def my_data_resend():
    pending = updates.awaiting_code(current_user)
    if pending is None:
        return redirect(url_for("pagos.my_data"), 303)
    outcome = updates.resend(current_user, pending)
    if outcome.status == "sent":
        return _code_page(pending, CodeForm(formdata=None), notice="Le enviamos un código nuevo.")
    error = FINISHED if outcome.status == "expired" else _message(outcome)
    return _code_page(pending, CodeForm(formdata=None), error=error, status=422)


def _code_page(pending, form, error=None, notice=None, status=200):
    if error or notice:
        form.code.data = ""  # a fresh, empty box for the next attempt
    return render_template("pagos/my_data_code.html", req=pending, form=form, error=error, notice=notice,
                           masked=updates.masked_new_mobile(pending),
                           seconds=updates.seconds_left(pending)), status
