"""Password logins (Hanna, Conexión Empresas, staff), logout and keep-alive."""
from flask import flash, jsonify, render_template, request, url_for
from flask_login import current_user

from portal.blueprints.auth import bp
from portal.blueprints.auth.forms import HannaLoginForm, PasswordLoginForm
from portal.blueprints.auth.limits import login_limits
from portal.services import auth, sessions
from portal.web import redirect_htmx_aware, referrer_path, safe_next

HOMES = {"hanna": "hanna.home", "corporate": "conexion.home", "staff": "staff.home",
         "affiliate": "pagos.home"}

PAGES = {
    "hanna": {"title": "Plataforma Hanna", "heading": "Bienvenido a nuestra plataforma de Servicios Hanna",
              "form": HannaLoginForm, "endpoint": "auth.hanna_login"},
    "corporate": {"title": "Conexión Empresas", "heading": "Conexión Empresas Online",
                  "form": PasswordLoginForm, "endpoint": "auth.corporate_login"},
    "staff": {"title": "Personal de la Caja", "heading": "Ingreso del personal",
              "form": PasswordLoginForm, "endpoint": "auth.staff_login"},
}

MESSAGES = {
    # The same for every user name, known or not: 5 failures in a row lock it 15 minutes.
    "invalid": ("Usuario o contraseña incorrectos. Después de 5 intentos fallidos seguidos el usuario "
                "se bloquea por 15 minutos."),
    "inactive": "Su usuario está inactivo. Comuníquese con la Caja.",
    "blocked": "Su usuario está bloqueado. Comuníquese con la Caja.",
}


def home_url(principal):
    return url_for(HOMES[principal.kind])


def after_login_url(principal):
    return (sessions.pending_form_path(principal) or safe_next(request.args.get("next"))
            or home_url(principal))


def _password_login(kind, template="auth/password_login.html"):
    page = PAGES[kind]
    if current_user.is_authenticated and current_user.kind == kind and request.method == "GET":
        return redirect_htmx_aware(after_login_url(current_user))
    form = page["form"]()
    error = None
    if form.validate_on_submit():
        result = auth.password_login(kind, form.username.data, form.password.data)
        if result.ok:
            return redirect_htmx_aware(after_login_url(result.user))
        if result.status == "locked":
            error = (f"Su usuario está bloqueado por intentos fallidos. Intente de nuevo en "
                     f"{result.minutes} minutos" + (" o restablezca su contraseña con «¿Olvidaste tu "
                                                    "contraseña?»." if kind == "corporate" else "."))
        else:
            error = MESSAGES[result.status]
    status = 200 if not (error or form.errors) else 422
    return render_template(template, form=form, page=page, kind=kind, error=error), status


@bp.route("/hanna/ingresar", methods=["GET", "POST"])
@login_limits
def hanna_login():
    return _password_login("hanna")


@bp.route("/empresas/ingresar", methods=["GET", "POST"])
@login_limits
def corporate_login():
    return _password_login("corporate")


@bp.route("/personal/ingresar", methods=["GET", "POST"])
@login_limits
def staff_login():
    return _password_login("staff")


@bp.post("/salir")
def logout():
    target = url_for("main.index")
    auth.logout(current_user)
    flash("Su sesión se cerró correctamente.", "success")
    return redirect_htmx_aware(target)


@bp.post("/sesion/renovar")
def keep_alive():
    """'Seguir conectado': refresh the idle timer; says how many seconds are left."""
    seconds = sessions.keep_alive() if current_user.is_authenticated else 0
    if request.htmx or request.accept_mimetypes.best == "application/json":
        return jsonify(seconds=seconds), (200 if seconds else 401)
    return redirect_htmx_aware(referrer_path())
