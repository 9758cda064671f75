"""Who may open a view: by kind of principal, for staff by role, for Hanna users by
approved application (and, in EMPRESAS, the branch chosen)."""
from functools import wraps

from flask import abort, g, redirect, render_template, session, url_for
from flask_login import current_user

from portal.extensions import login_manager
from portal.services import hanna

BRANCH_KEY = "hanna_branch_id"  # the session's chosen sucursal


def require(*kinds, roles=()):
    """The view needs a signed-in principal of one of `kinds` (and a staff role)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if kinds and current_user.kind not in kinds:
                abort(403)
            if roles and not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def requires_application(application):
    """The view needs an application request of the user approved by the Caja."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not hanna.has_approved(current_user, application):
                requests = {r.application: r for r in hanna.requests_of(current_user)}
                return render_template("hanna/denied.html", application=application,
                                       req=requests.get(application)), 403
            return view(*args, **kwargs)

        return wrapped

    return decorator


def with_branch(view):
    """An employer with EMPRESAS approved, working on the branch chosen in Hanna (g.branch)."""

    @require("hanna")
    @requires_application("EMPRESAS")
    @wraps(view)
    def wrapped(*args, **kwargs):
        g.branch = hanna.current_branch(current_user, session.get(BRANCH_KEY))
        if g.branch is None:
            return redirect(url_for("hanna.empresas"))
        return view(*args, **kwargs)

    return wrapped
