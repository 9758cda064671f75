"""First login (terms, forced password change), password change and recovery."""
from flask import flash, render_template, request, url_for
from flask_login import current_user

from portal.authz import require
from portal.blueprints.auth import bp
from portal.blueprints.auth.forms import ChangePasswordForm, RecoveryForm, TermsForm, UsernameRecoveryForm
from portal.blueprints.auth.limits import login_limits
from portal.blueprints.auth.routes_password import home_url
from portal.domain import passwords as policy
from portal.services import auth, sessions
from portal.web import redirect_htmx_aware


@bp.route("/empresas/terminos", methods=["GET", "POST"])
@require("corporate")
def terms():
    if current_user.terms_accepted_at is not None:
        return redirect_htmx_aware(home_url(current_user))
    form = TermsForm()
    if form.validate_on_submit():
        auth.accept_terms(current_user)
        return redirect_htmx_aware(url_for("auth.forced_password_change")
                                   if current_user.must_change_password else home_url(current_user))
    return render_template("auth/terms.html", form=form), 422 if form.errors else 200


def _change_password_page(forced):
    form = ChangePasswordForm()
    errors = []
    if form.validate_on_submit():
        result = auth.change_password(current_user, form.current_password.data,
                                      form.new_password.data, form.confirm_password.data)
        if result.ok:
            flash("Su contraseña se cambió correctamente.", "success")
            target = sessions.pending_form_path(current_user) or home_url(current_user)
            return redirect_htmx_aware(target)
        if result.locked:
            flash("Por seguridad su usuario quedó bloqueado por 15 minutos.", "error")
            return redirect_htmx_aware(url_for("main.index"))
        errors = result.errors
        if result.wrong_current:
            form.clear_current()
    status = 422 if (errors or form.errors) else 200
    return render_template(_change_password_template(forced), form=form, errors=errors, forced=forced,
                           rules=policy.check(form.new_password.data or "")), status


def _change_password_template(forced):
    """A corporate user changes it from Configuración › Usuario, in Conexión's layout; the
    forced change of a first login (and other users) keeps the plain page."""
    if current_user.kind == "corporate" and not forced:
        return "conexion/configuracion/contrasena.html"
    return "auth/change_password.html"


@bp.route("/empresas/cambio-contrasena", methods=["GET", "POST"])
@require("corporate", "hanna", "staff")
def forced_password_change():
    if not current_user.must_change_password:
        return redirect_htmx_aware(home_url(current_user))
    return _change_password_page(forced=True)


@bp.route("/cuenta/contrasena", methods=["GET", "POST"])
@require("corporate", "hanna", "staff")
def change_password():
    return _change_password_page(forced=False)


@bp.post("/contrasena/reglas")
def password_rules():
    """htmx: the rule list, checked as the user types (the same rules the server enforces)."""
    return render_template("auth/_password_rules.html",
                           rules=policy.check(request.form.get("new_password", "")))


@bp.route("/empresas/olvido", methods=["GET", "POST"])
@login_limits
def corporate_recovery():
    form = RecoveryForm()
    if form.validate_on_submit():
        auth.recover_corporate_password(form.username.data, form.nit.data, form.email.data)
        # Same answer whether or not the data matched an account.
        return render_template("auth/recovery_sent.html")
    return render_template("auth/recovery.html", form=form), 422 if form.errors else 200


@bp.route("/empresas/olvido-usuario", methods=["GET", "POST"])
@login_limits
def corporate_username_recovery():
    form = UsernameRecoveryForm()
    if form.validate_on_submit():
        auth.recover_corporate_usernames(form.nit.data, form.email.data)
        # Same answer whether or not the address has users in that company.
        return render_template("auth/recovery_sent.html", username=True)
    return render_template("auth/username_recovery.html", form=form), 422 if form.errors else 200
