"""Consignaciones a cuentas maestras: one staff member registers a company's bank deposit,
another confirms it (credited once to the product's master account) or rejects it."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.authz import require
from portal.blueprints.staff import bp
from portal.services import master_account

ROLES = ("tarjetas",)


@bp.route("/cuentas-maestras/consignaciones", methods=["GET", "POST"])
@require("staff", roles=ROLES)
def master_deposits():
    outcome, typed = None, {}
    if request.method == "POST":
        typed = {name: request.form.get(name, "") for name in ("producto", "monto", "referencia", "fecha")}
        outcome = master_account.register_deposit(current_user, typed["producto"], typed["monto"],
                                                  typed["referencia"], typed["fecha"])
        if outcome.ok:
            flash(outcome.message, "success")
            return redirect(url_for("staff.master_deposits"), 303)
    return render_template("staff/master_deposits.html", outcome=outcome, typed=typed,
                           errors=(outcome.errors if outcome else None) or {},
                           products=master_account.deposit_products(),
                           deposits=master_account.recent_deposits()), 422 if outcome else 200


@bp.post("/cuentas-maestras/consignaciones/<int:deposit_id>/confirmar")
@require("staff", roles=ROLES)
def confirm_master_deposit(deposit_id):
    return _decided(master_account.decide_deposit(current_user, deposit_id, True))


@bp.post("/cuentas-maestras/consignaciones/<int:deposit_id>/rechazar")
@require("staff", roles=ROLES)
def reject_master_deposit(deposit_id):
    return _decided(master_account.decide_deposit(current_user, deposit_id, False, request.form.get("motivo")))


def _decided(outcome):
    flash(outcome.message, "success" if outcome.ok else "error")
    return redirect(url_for("staff.master_deposits"), 303)
