"""Pagos Express login for affiliates: cédula → SMS code (manual 001)."""
from flask import redirect, render_template, request, session, url_for
from flask_login import current_user

from portal.blueprints.auth import bp
from portal.blueprints.auth.forms import CedulaForm, CodeForm, HannaLoginForm
from portal.blueprints.auth.limits import login_limits
from portal.blueprints.auth.routes_password import after_login_url
from portal.services import affiliate_login as otp_login
from portal.web import redirect_htmx_aware


def _locked_message(minutes):
    return (f"Por seguridad el ingreso con esta cédula quedó bloqueado después de 5 códigos "
            f"incorrectos. Intente de nuevo en {minutes} minutos.")


def _challenge():
    return otp_login.open_challenge(session.get("otp"))


def _code_step(challenge, form=None, error=None, notice=None, status=200):
    context = dict(challenge=challenge, form=form or CodeForm(), error=error, notice=notice,
                   masked=f"****{challenge.mobile_last_digits}",
                   seconds=otp_login.seconds_left(challenge))
    if request.htmx:
        response = render_template("auth/_affiliate_code.html", **context)
        return response, status, {"HX-Push-Url": url_for("auth.affiliate_code")}
    return render_template("auth/affiliate_login.html", step="code", tab="afiliados", **context), status


@bp.route("/pagos-express/ingresar", methods=["GET", "POST"])
@login_limits
def affiliate_login():
    if request.method == "GET" and current_user.is_authenticated and current_user.kind == "affiliate":
        return redirect(after_login_url(current_user))
    tab = "empresas" if request.args.get("tab") == "empresas" else "afiliados"
    form = CedulaForm()
    error = None
    if form.validate_on_submit():
        cedula = otp_login.normalize_cedula(form.cedula.data)
        if not otp_login.cedula_is_valid(cedula):
            form.cedula.errors.append("Escriba solo los números de su cédula (5 a 10 dígitos).")
        else:
            result = otp_login.request_code(cedula)
            if result.status == "locked":
                error = _locked_message(result.minutes)
            else:
                session["otp"], session["otp_cedula"] = result.challenge.public_id, cedula
                if request.htmx:
                    return _code_step(result.challenge)
                return redirect(url_for("auth.affiliate_code"), 303)
    status = 422 if (error or form.errors) else 200
    template = "auth/_affiliate_cedula.html" if request.htmx and request.method == "POST" else "auth/affiliate_login.html"
    return render_template(template, step="cedula", tab=tab, form=form, error=error,
                           company_form=HannaLoginForm(formdata=None)), status


@bp.route("/pagos-express/codigo", methods=["GET", "POST"])
@login_limits
def affiliate_code():
    challenge = _challenge()
    if challenge is None:
        return redirect_htmx_aware(url_for("auth.affiliate_login"))
    form = CodeForm()
    if not form.validate_on_submit():
        return _code_step(challenge, form, status=422 if form.errors else 200)
    result = otp_login.verify_code(challenge, form.code.data)
    if result.status == "ok":
        return redirect_htmx_aware(after_login_url(result.affiliate))
    if result.status == "locked":
        session.pop("otp", None)
        return _code_step(challenge, form, error=_locked_message(result.minutes), status=422)
    if result.status == "expired":
        return _code_step(challenge, form, status=422,
                          error="El código venció o ya fue usado. Pulse «Reenviar código» para recibir uno nuevo.")
    return _code_step(challenge, form, error="El código no es correcto. Revíselo e intente de nuevo.",
                      status=422)


@bp.post("/pagos-express/codigo/reenviar")
@login_limits
def affiliate_resend():
    challenge = _challenge()
    if challenge is None:
        return redirect_htmx_aware(url_for("auth.affiliate_login"))
    result = otp_login.resend(challenge)
    if result.status == "sent":
        return _code_step(challenge, notice="Le enviamos un código nuevo.")
    if result.status == "locked":
        return _code_step(challenge, error=_locked_message(result.minutes), status=422)
    if result.status == "too_many_sends":
        return _code_step(challenge, status=422, error="Ya se reenvió el código varias veces. "
                          "Vuelva a escribir su cédula para empezar de nuevo.")
    return _code_step(challenge, status=422,
                      error="Este ingreso ya terminó. Vuelva a escribir su cédula para empezar de nuevo.")
