"""Hanna › EMPRESAS › CRÉDITOS › Estado De Cartera (manual 000)."""
import io
from functools import wraps

from flask import abort, current_app, g, redirect, request, send_file, session, url_for
from flask_login import current_user

from portal.authz import require
from portal.blueprints.cartera import bp
from portal.blueprints.hanna.routes import BRANCH_KEY, requires_application
from portal.domain.cartera_layout import KINDS as FILE_KINDS
from portal.services import cartera, hanna
from portal.web import render

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


@bp.get("/<period>/archivos/<archivo>.xlsx")
@with_branch
def download(period, archivo):
    statement = cartera.statement_of(g.branch, period)
    if statement is None or archivo not in FILE_KINDS:
        abort(404)
    name, data = cartera.statement_file(current_user, statement, archivo)
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=name)
