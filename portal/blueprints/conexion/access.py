"""The company and product in a Conexión Empresas URL, checked against the user's
memberships before the view runs (g.access)."""
from functools import wraps

from flask import abort, g, request
from flask_login import current_user

from portal.authz import require
from portal.services import conexion


def with_product(permission=None):
    """The view works on /<company_id>/productos/<product_id>/…: only the user's own
    company and product (else 404), with `permission` if given (else 403; a tuple: any
    one of them); audited."""
    wanted = (permission,) if isinstance(permission, str) else tuple(permission or ())

    def decorator(view):
        @require("corporate")
        @wraps(view)
        def wrapped(company_id, product_id=None, **kwargs):
            found = conexion.access(current_user, company_id, product_id)
            if found is None:
                conexion.refuse(current_user, "not_found", request.path)
                abort(404)
            if wanted and not any(found.may(p) for p in wanted):
                conexion.refuse(current_user, "forbidden", request.path)
                abort(403)
            g.access = found
            return view(company_id=company_id, product_id=product_id, **kwargs) if product_id is not None \
                else view(company_id=company_id, **kwargs)

        return wrapped

    return decorator


def not_found():
    """An object of the URL that is not of the user's company and product: 404, audited."""
    conexion.refuse(current_user, "not_found", request.path)
    abort(404)
