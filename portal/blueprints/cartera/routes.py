"""Hanna › EMPRESAS › CRÉDITOS › Estado De Cartera (manual 000)."""
from functools import wraps

from flask import abort, current_app, g, redirect, request, session, url_for
from flask_login import current_user

from portal.authz import require
from portal.blueprints.cartera import bp
from portal.blueprints.hanna.routes import BRANCH_KEY, requires_application
from portal.services import cartera, hanna
from portal.web import render


def with_branch(view):
    """An employer with EMPRESAS approved, working on the branch chosen in Hanna."""

    @require("hanna")
    @requires_application("EMPRESAS")
    @wraps(view)
    def wrapped(*args, **kwargs):
        g.branch = hanna.current_branch(current_user, session.get(BRANCH_KEY))
        if g.branch is None:
            return redirect(url_for("hanna.empresas"))
        return view(*args, **kwargs)

    return wrapped


@bp.get("/")
@with_branch
def index():
    statements = cartera.statements_of(g.branch)
    period = request.args.get("vigencia") or (statements[0].period if statements else None)
    return _period_page(statements, period)


@bp.get("/<period>")
@with_branch
def period(period):
    return _period_page(cartera.statements_of(g.branch), period)


def _period_page(statements, period):
    statement = cartera.statement_of(g.branch, period) if period else None
    if period and statement is None:
        abort(404)
    context = dict(statements=statements, statement=statement, branch=g.branch,
                   entity=current_user.entity,
                   download_available="cartera.download" in current_app.view_functions)
    if statement is not None:
        context.update(to_pay=cartera.to_pay(statement), processed=cartera.processed(statement),
                       balance=cartera.balance_check(statement))
    return render("cartera/index.html", partial="cartera/_period.html", **context)
