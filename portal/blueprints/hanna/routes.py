"""Plataforma Hanna (manuals 000 and 002): registration, application requests, home,
EMPRESAS with its branch (sucursal) choice, PROVEEDORES' CONSULTAR ORDEN."""
from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from portal.authz import BRANCH_KEY, require, requires_application
from portal.blueprints.auth.limits import login_limits
from portal.blueprints.hanna import bp
from portal.blueprints.hanna.forms import (
    ApplicationRequestForm,
    BranchForm,
    OrderLookupForm,
    RegistrationForm,
)
from portal.domain import applications as apps
from portal.domain import passwords as policy
from portal.extensions import limiter
from portal.services import hanna, subsidy_orders
from portal.web import redirect_htmx_aware, render


@bp.get("/")
@require("hanna")
def home():
    return render_template("hanna/home.html", approved=hanna.approved_applications(current_user),
                           requests=hanna.requests_of(current_user),
                           descriptions=apps.DESCRIPTIONS)


@bp.route("/registro", methods=["GET", "POST"])
@login_limits
def register():
    if request.method == "GET" and current_user.is_authenticated and current_user.kind == "hanna":
        return redirect(url_for("hanna.home"))
    form = RegistrationForm()
    if form.validate_on_submit():
        result = hanna.register(hanna.Registration(
            form.nit.data, form.entity_name.data, form.full_name.data, form.username.data,
            form.new_password.data, form.confirm_password.data))
        if result.ok:
            flash("Su usuario quedó creado. Ahora solicite la aplicación que necesita.", "success")
            return redirect_htmx_aware(url_for("hanna.home"))
        for name, errors in result.errors.items():
            form[name].errors = list(form[name].errors) + errors
    return render_template("hanna/register.html", form=form,
                           rules=policy.check(form.new_password.data or "")), 422 if form.errors else 200


@bp.route("/solicitudes", methods=["GET", "POST"])
@require("hanna")
def requests():
    form, result = ApplicationRequestForm(), None
    if form.validate_on_submit():
        result = hanna.request_application(current_user, form.application.data, form.note.data)
        if result.ok and not request.htmx:
            flash(result.message, "success")
            return redirect(url_for("hanna.requests"), 303)
        if result.ok:
            form = ApplicationRequestForm(formdata=None)
    rows = hanna.requests_of(current_user)
    status = 422 if form.errors or (result and not result.ok) else 200
    return render("hanna/requests.html", partial="hanna/_requests.html", form=form, result=result,
                  rows=rows, requestable=_requestable(rows)), status


def _requestable(rows):
    taken = {r.application: r.status for r in rows}
    return [a for a in apps.APPLICATIONS if apps.can_request(taken.get(a))]


@bp.get("/empresas/")
@require("hanna")
@requires_application("EMPRESAS")
def empresas():
    branches = hanna.branches_of(current_user)
    branch = hanna.current_branch(current_user, session.get(BRANCH_KEY))
    if branch is None and len(branches) > 1:
        return redirect(url_for("hanna.branch"))
    session[BRANCH_KEY] = branch.id if branch else None
    cartera_url = url_for("cartera.index") if "cartera.index" in current_app.view_functions else None
    return render_template("hanna/empresas.html", entity=current_user.entity, branch=branch,
                           several=len(branches) > 1, cartera_url=cartera_url)


@bp.route("/empresas/sucursal", methods=["GET", "POST"])
@require("hanna")
@requires_application("EMPRESAS")
def branch():
    form = BranchForm()
    if form.validate_on_submit():
        chosen = hanna.choose_branch(current_user, form.branch_id.data)
        if chosen is None:
            abort(404)
        session[BRANCH_KEY] = chosen.id
        return redirect_htmx_aware(url_for("hanna.empresas"))
    return render_template("hanna/branches.html", entity=current_user.entity, form=form,
                           branches=hanna.branches_of(current_user),
                           current_id=session.get(BRANCH_KEY)), 422 if form.errors else 200


def _supplier_key():
    return f"supplier:{current_user.entity_id}"


# Per supplier entity (all its users together), checked after the sign-in and the
# application: lookups and redemptions share it, so order numbers cannot be enumerated.
supplier_limit = limiter.shared_limit(lambda: current_app.config["RATELIMIT_SUPPLIER_LOOKUP"],
                                      scope="supplier-lookup", key_func=_supplier_key, methods=["POST"])


@bp.route("/proveedores/", methods=["GET", "POST"])
@require("hanna")
@requires_application("PROVEEDORES")
@supplier_limit
def proveedores():
    form, searched, found = OrderLookupForm(), False, None
    if form.validate_on_submit():
        searched = True
        found = subsidy_orders.lookup(current_user, form.cedula.data, form.document_type.data, form.number.data)
    return _consulta(form, searched, found), 422 if form.errors else 200


@bp.post("/proveedores/redimir")
@require("hanna")
@requires_application("PROVEEDORES")
@supplier_limit
def redeem():
    """«Marcar como redimida»: the lookup's fields again, so the same match is required."""
    form = OrderLookupForm()
    if not form.validate_on_submit():
        return _consulta(form, False, None), 422
    outcome = subsidy_orders.redeem(current_user, form.cedula.data, form.document_type.data, form.number.data)
    found = subsidy_orders.view(outcome.order) if outcome.order else None
    return _consulta(form, True, found, outcome), 200 if outcome.ok else 422


def _consulta(form, searched, found, outcome=None):
    return render("hanna/proveedores.html", partial="hanna/_consulta.html", form=form, searched=searched,
                  found=found, outcome=outcome, not_found=subsidy_orders.ORDER_NOT_FOUND,
                  entity=current_user.entity)
