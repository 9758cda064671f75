"""Pagos Express login for affiliates: cédula → SMS code (manual 001)."""
from flask import redirect, render_template, request, session, url_for
from flask_login import current_user

from portal.blueprints.auth import bp
from portal.blueprints.auth.forms import CedulaForm, CodeForm, HannaLoginForm
from portal.blueprints.auth.limits import login_limits
from portal.blueprints.auth.routes_password import after_login_url, home_url
from portal.domain import otp
from portal.services import affiliate_login as otp_login
from portal.services import sessions
from portal.web import redirect_htmx_aware, safe_next

BAD_CEDULA = "Escriba solo los números de su cédula (5 a 10 dígitos)."
WRONG_CODE = "El código no es correcto. Revíselo e intente de nuevo."
EXPIRED = "El código venció o ya fue usado. Pulse «Reenviar código» para recibir uno nuevo."
TOO_MANY_SENDS = ("Ya se reenvió el código varias veces. Espere un momento y vuelva a "
                  "escribir su cédula para empezar de nuevo.")
HOURLY_LIMIT = ("Ya enviamos varios códigos para esta cédula en la última hora. "
                "Por seguridad espere un momento antes de pedir otro.")
FINISHED = "Este ingreso ya terminó. Vuelva a escribir su cédula para empezar de nuevo."


def _locked_message(minutes):
    wait = "1 minuto" if minutes == 1 else f"{minutes} minutos"
    return (f"Por seguridad el ingreso con esta cédula quedó bloqueado después de 5 códigos "
            f"incorrectos. Intente de nuevo en {wait}.")


def _challenge():
    return otp_login.open_challenge(session.get("otp"))


def _forget_challenge():
    """Drop the code step from the session; gives back the page to go to afterwards."""
    for key in ("otp", "otp_cedula"):
        session.pop(key, None)
    return safe_next(session.pop("otp_next", None))


def _cedula_step(form=None, error=None, status=200, tab="afiliados", next_url=None):
    """The 'Datos de Acceso' step: a partial for htmx, the whole page otherwise."""
    context = dict(step="cedula", tab=tab, form=form or CedulaForm(formdata=None), error=error,
                   next=next_url or safe_next(request.args.get("next")))
    if request.htmx and request.method == "POST":
        # Also where a locked code step goes back to: the address bar follows.
        return (render_template("auth/_affiliate_cedula.html", **context), status,
                {"HX-Push-Url": url_for("auth.affiliate_login")})
    return render_template("auth/affiliate_login.html", company_form=HannaLoginForm(formdata=None),
                           **context), status


def _code_step(challenge, form=None, error=None, notice=None, status=200):
    form = form or CodeForm(formdata=None)
    if error or notice:
        form.code.data = ""  # a fresh, empty box for the next attempt
    context = dict(challenge=challenge, form=form, error=error, notice=notice,
                   next=safe_next(session.get("otp_next")),
                   masked=otp.masked_mobile(challenge.mobile_last_digits),
                   seconds=otp_login.seconds_left(challenge))
    if request.htmx:
        return (render_template("auth/_affiliate_code.html", **context), status,
                {"HX-Push-Url": url_for("auth.affiliate_code")})
    return render_template("auth/affiliate_login.html", step="code", tab="afiliados", **context), status


@bp.route("/pagos-express/ingresar", methods=["GET", "POST"])
@login_limits
def affiliate_login():
    if request.method == "GET" and current_user.is_authenticated and current_user.kind == "affiliate":
        return redirect(after_login_url(current_user))
    tab = "empresas" if request.args.get("tab") == "empresas" else "afiliados"
    form = CedulaForm()
    if not form.validate_on_submit():
        return _cedula_step(form, status=422 if form.errors else 200, tab=tab)
    cedula = otp_login.normalize_cedula(form.cedula.data)
    if not otp_login.cedula_is_valid(cedula):
        form.cedula.errors.append(BAD_CEDULA)
        return _cedula_step(form, status=422)
    result = otp_login.request_code(cedula)
    if result.status == "locked":
        return _cedula_step(form, error=_locked_message(result.minutes), status=422,
                            next_url=_forget_challenge())
    if result.status == "too_many_sends":
        return _cedula_step(form, error=HOURLY_LIMIT, status=422, next_url=_forget_challenge())
    session["otp"], session["otp_cedula"] = result.challenge.public_id, cedula
    # Where to go after the code step (e.g. the page that asked for a login).
    session["otp_next"] = safe_next(request.args.get("next"))
    if request.htmx:
        return _code_step(result.challenge)
    return redirect(url_for("auth.affiliate_code"), 303)


@bp.route("/pagos-express/codigo", methods=["GET", "POST"])
@login_limits
def affiliate_code():
    challenge = _challenge()
    if challenge is None:
        return redirect_htmx_aware(url_for("auth.affiliate_login"))
    form = CodeForm()
    if not form.validate_on_submit():
        return _code_step(challenge, form, status=422 if form.errors else 200)
    target = safe_next(session.get("otp_next"))
    result = otp_login.verify_code(challenge, form.code.data)
    if result.status == "ok":  # the session was renewed: the otp keys are gone
        affiliate = result.affiliate
        return redirect_htmx_aware(sessions.pending_form_path(affiliate) or target
                                   or home_url(affiliate))
    if result.status == "locked":
        return _cedula_step(error=_locked_message(result.minutes), status=422,
                            next_url=_forget_challenge())
    if result.status == "expired":
        return _code_step(challenge, form, error=EXPIRED, status=422)
    return _code_step(challenge, form, error=WRONG_CODE, status=422)


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
        return _cedula_step(error=_locked_message(result.minutes), status=422,
                            next_url=_forget_challenge())
    if result.status == "too_many_sends":
        return _code_step(challenge, error=TOO_MANY_SENDS, status=422)
    return _code_step(challenge, error=FINISHED, status=422)
