"""Conexión Empresas administration, companies (role «tarjetas», admin too): search, create,
a company's page with its data, contacts and sucursales (edited directly, audited) and its
signature settings (proposed here, applied when another staff member approves them)."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.authz import require
from portal.blueprints.staff import bp
from portal.domain import companies as rules
from portal.domain import four_eyes as changes
from portal.domain import paging
from portal.services import companies
from portal.web import render

ROLES = ("tarjetas",)


@bp.get("/empresas/")
@require("staff", roles=ROLES)
def companies_list():
    f = paging.Filters(request.args)
    rows, page = companies.search(f)
    return render("staff/companies.html", partial="staff/_companies_table.html", rows=rows, page=page,
                  filters=f, params=f.link_params("pagina"))


@bp.route("/empresas/nueva", methods=["GET", "POST"])
@require("staff", roles=ROLES)
def new_company():
    done = None
    if request.method == "POST":
        done = companies.create(current_user, request.form)
        if done.ok:
            flash(done.message, "success")
            return redirect(url_for("staff.company", company_id=done.company.id), 303)
    return render_template("staff/company_new.html", done=done, typed=done.typed if done else {},
                           errors=done.errors if done else {}, labels=rules.LABELS,
                           account_types=rules.ACCOUNT_TYPES), 422 if done else 200


@bp.get("/empresas/<int:company_id>")
@require("staff", roles=ROLES)
def company(company_id):
    return _page(_company(company_id))


def _company(company_id):
    return companies.get(company_id) or abort(404)


def _page(company, section=None, done=None, status=200, item=None):
    """The company's page; `section` (and `item`, a contact or branch id) is the form that
    `done` refused, shown again with what was typed."""
    return render_template("staff/company.html", company=company, section=section, item=item, done=done,
                           products=companies.products(company), branches=companies.branches(company),
                           pending=companies.pending_signatures(company), labels=rules.LABELS,
                           schemes=rules.SCHEMES, account_types=rules.ACCOUNT_TYPES, rules=rules,
                           signatures=rules.describe_signatures, decode=changes.decode), status


def _done(company, done, section, item=None):
    if not done.ok:
        return _page(company, section, done, 422, item)
    flash(done.message, "success")
    return redirect(url_for("staff.company", company_id=company.id) + f"#{section}", 303)


@bp.post("/empresas/<int:company_id>/datos")
@require("staff", roles=ROLES)
def update_company(company_id):
    company = _company(company_id)
    return _done(company, companies.update(current_user, company, request.form), "datos")


@bp.post("/empresas/<int:company_id>/firmas")
@require("staff", roles=ROLES)
def propose_company_signatures(company_id):
    company = _company(company_id)
    return _done(company, companies.propose_signatures(current_user, company, request.form), "firmas")


@bp.post("/empresas/<int:company_id>/contactos")
@require("staff", roles=ROLES)
def add_company_contact(company_id):
    company = _company(company_id)
    return _done(company, companies.add_contact(current_user, company, request.form), "contactos", "new")


@bp.post("/empresas/<int:company_id>/contactos/<int:contact_id>")
@require("staff", roles=ROLES)
def update_company_contact(company_id, contact_id):
    company = _company(company_id)
    contact = companies.contact_of(company, contact_id) or abort(404)
    return _done(company, companies.update_contact(current_user, company, contact, request.form), "contactos",
                 contact.id)


@bp.post("/empresas/<int:company_id>/contactos/<int:contact_id>/eliminar")
@require("staff", roles=ROLES)
def remove_company_contact(company_id, contact_id):
    company = _company(company_id)
    contact = companies.contact_of(company, contact_id) or abort(404)
    return _done(company, companies.remove_contact(current_user, company, contact), "contactos")


@bp.post("/empresas/<int:company_id>/sucursales")
@require("staff", roles=ROLES)
def add_company_branch(company_id):
    company = _company(company_id)
    return _done(company, companies.add_branch(current_user, company, request.form), "sucursales", "new")


@bp.post("/empresas/<int:company_id>/sucursales/<int:branch_id>")
@require("staff", roles=ROLES)
def update_company_branch(company_id, branch_id):
    company = _company(company_id)
    branch = companies.branch_of(company, branch_id) or abort(404)
    return _done(company, companies.update_branch(current_user, company, branch, request.form), "sucursales",
                 branch.id)


@bp.post("/empresas/<int:company_id>/sucursales/<int:branch_id>/<any(activar, desactivar):action>")
@require("staff", roles=ROLES)
def company_branch_state(company_id, branch_id, action):
    company = _company(company_id)
    branch = companies.branch_of(company, branch_id) or abort(404)
    return _done(company, companies.set_branch_active(current_user, company, branch, action == "activar"),
                 "sucursales")
