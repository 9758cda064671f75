"""Personal › Usuarios (role admin): every kind of user and affiliates' cédulas, a user's
last sign-ins, «Bloquear» / «Desbloquear», «Forzar cambio de contraseña» and the unlock of
a cédula locked by wrong SMS codes (services/staff_accounts.py)."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.authz import require
from portal.blueprints.staff import bp
from portal.domain import clock, paging
from portal.services import staff_accounts as accounts
from portal.web import render, safe_next

ROLES = ("admin",)


@bp.get("/usuarios")
@require("staff", roles=ROLES)
def accounts_list():
    f, now = paging.Filters(request.args, tipo=accounts.KINDS, estado=accounts.STATES), clock.utcnow()
    rows, page = accounts.listing(f, now)
    return render("staff/accounts.html", partial="staff/_accounts_table.html", rows=rows, page=page, filters=f,
                  params=f.link_params("pagina"), kinds=accounts.KIND_LABELS, states=accounts.STATE_LABELS,
                  back=request.full_path.rstrip("?"), now=now)


@bp.get("/usuarios/<int:user_id>")
@require("staff", roles=ROLES)
def account(user_id):
    user = accounts.get_user(user_id) or abort(404)
    return render_template("staff/account.html", found=accounts.account(user), kinds=accounts.KIND_LABELS)


@bp.get("/usuarios/afiliados/<int:affiliate_id>")
@require("staff", roles=ROLES)
def affiliate_account(affiliate_id):
    affiliate = accounts.get_affiliate(affiliate_id) or abort(404)
    return render_template("staff/account.html", found=accounts.account(affiliate), kinds=accounts.KIND_LABELS)


ACTIONS = {"bloquear": accounts.block, "desbloquear": accounts.unblock,
           "forzar-cambio-contrasena": accounts.force_password_change}


@bp.post("/usuarios/<int:user_id>/<action>")
@require("staff", roles=ROLES)
def account_action(user_id, action):
    act = ACTIONS.get(action) or abort(404)
    user = accounts.get_user(user_id) or abort(404)
    outcome = act(current_user, user)
    flash(outcome.message, "success" if outcome.ok else "error")
    return redirect(url_for("staff.account", user_id=user.id), 303)


@bp.post("/usuarios/cedulas/desbloquear")
@require("staff", roles=ROLES)
def unlock_cedula():
    outcome = accounts.unlock_cedula(current_user, request.form.get("cedula"))
    flash(outcome.message, "success" if outcome.ok else "error")
    return redirect(safe_next(request.form.get("back")) or url_for("staff.accounts_list"), 303)
