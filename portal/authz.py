"""Who may open a view: by kind of principal and, for staff, by role."""
from functools import wraps

from flask import abort
from flask_login import current_user

from portal.extensions import login_manager


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
