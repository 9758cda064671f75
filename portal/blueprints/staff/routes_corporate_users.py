"""Conexión Empresas administration, corporate users (role «tarjetas», admin too): search,
create (a temporary password e-mailed; the permissions wait for a second staff member),
another company, a change of permissions, lock/unlock, reset the password, deactivate."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.authz import require
from portal.blueprints.staff import bp
from portal.domain import corporate_users as rules
from portal.domain import four_eyes as changes
from portal.domain import paging
from portal.services import corporate_users as users
from portal.web import render

ROLES = ("tarjetas",)


@bp.get("/usuarios-empresas/")
@require("staff", roles=ROLES)
def corporate_users():
    companies = users.companies()
    f = paging.Filters(request.args, estado=tuple(rules.STATE_FILTERS),
                       empresa=("",) + tuple(str(c.id) for c in companies))
    return render("staff/corporate_users.html", partial="staff/_corporate_users_table.html",
                  listing=users.search(f), filters=f, params=f.link_params("pagina"), companies=companies,
                  state_of=users.state_of, labels=rules.STATE_LABELS)


@bp.route("/usuarios-empresas/nuevo", methods=["GET", "POST"])
@require("staff", roles=ROLES)
def new_corporate_user():
    outcome, form = None, request.form
    if request.method == "POST":
        outcome = users.create(current_user, form, form.get("empresa"), form.getlist("permisos"))
        if outcome.ok:
            flash(outcome.message, "success")
            return redirect(url_for("staff.corporate_user", user_id=outcome.user.id), 303)
    return render_template("staff/corporate_user_new.html", outcome=outcome, typed=form,
                           chosen=form.getlist("permisos"), errors=outcome.errors if outcome else {},
                           companies=users.companies(), permissions=changes.PERMISSION_LABELS), \
        422 if outcome else 200


@bp.get("/usuarios-empresas/<int:user_id>")
@require("staff", roles=ROLES)
def corporate_user(user_id):
    return _detail(users.get(user_id) or abort(404))


def _detail(user, outcome=None, status=200):
    return render_template("staff/corporate_user.html", user=user, state=users.state_of(user),
                           labels=rules.STATE_LABELS, memberships=users.memberships(user),
                           permissions_of=users.permissions_of, permissions=changes.PERMISSION_LABELS,
                           companies=users.companies(), outcome=outcome, typed=request.form,
                           describe=changes.permission_labels, decode=changes.decode,
                           granted=changes.granted), status


def _done(user, outcome):
    if not outcome.ok:
        return _detail(user, outcome, 422)
    flash(outcome.message, "success")
    return redirect(url_for("staff.corporate_user", user_id=user.id), 303)


@bp.post("/usuarios-empresas/<int:user_id>/empresas")
@require("staff", roles=ROLES)
def add_corporate_company(user_id):
    user = users.get(user_id) or abort(404)
    return _done(user, users.add_company(current_user, user.id, request.form.get("empresa"),
                                         request.form.getlist("permisos")))


@bp.post("/usuarios-empresas/<int:user_id>/permisos/<int:membership_id>")
@require("staff", roles=ROLES)
def propose_corporate_permissions(user_id, membership_id):
    user = users.get(user_id) or abort(404)
    outcome = users.propose_permissions(current_user, user, membership_id, request.form.getlist("permisos"))
    return _done(user, outcome or abort(404))


ACTIONS = {"bloquear": users.block, "desbloquear": users.unblock, "desactivar": users.deactivate,
           "restablecer-contrasena": users.reset_password}


@bp.post("/usuarios-empresas/<int:user_id>/<action>")
@require("staff", roles=ROLES)
def corporate_user_action(user_id, action):
    """Bloquear, Desbloquear, Desactivar, Restablecer contraseña."""
    act = ACTIONS.get(action) or abort(404)
    user = users.get(user_id) or abort(404)
    return _done(user, act(current_user, user))
