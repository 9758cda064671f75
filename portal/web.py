"""Cross-cutting web behaviour: session checks, first-login gate, headers, errors."""
import io
from functools import wraps
from urllib.parse import urlsplit

from flask import (
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal import static_files
from portal.adapters import xlsx
from portal.blueprints.api import problems
from portal.domain import batches as batch_states
from portal.domain import formatting, nit
from portal.domain import uploads as upload_states
from portal.services import sessions

API_PREFIX = "/api/"
# Asked every few seconds by machines: no session work either.
PROBES = {"main.health", "main.ready", "main.metrics_page"}
# Which login page serves each area.
LOGIN_VIEWS = {
    "pagos": "auth.affiliate_login",
    "conexion": "auth.corporate_login",
    "staff": "auth.staff_login",
    "hanna": "auth.hanna_login",
    "cartera": "auth.hanna_login",
}
# Pages a corporate user may open before accepting the terms / changing the password.
FIRST_LOGIN_OPEN = {"auth.terms", "auth.forced_password_change", "auth.logout",
                    "auth.keep_alive", "auth.password_rules", "static"}

ERRORS = {
    400: ("Solicitud no válida", "No pudimos procesar la solicitud. Revise los datos e intente de nuevo."),
    403: ("Acceso no permitido", "Su usuario no tiene permiso para ver esta página."),
    404: ("Página no encontrada", "La página que busca no existe o fue movida."),
    405: ("Operación no permitida", "Esta página no admite esa operación."),
    413: ("Archivo demasiado grande", "El archivo supera el tamaño máximo permitido."),
    429: ("Demasiados intentos", "Ha hecho demasiadas solicitudes seguidas. Espere un momento e intente de nuevo."),
    500: ("Error en el servidor", "Ocurrió un error inesperado. Ya quedó registrado; intente de nuevo en unos minutos."),
}


def init_app(app):
    app.before_request(_not_for_static_files(sessions.enforce))
    app.before_request(_not_for_static_files(_first_login_gate))
    app.before_request(_not_for_static_files(_restore_pending_form))
    app.after_request(_headers)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    app.add_template_filter(formatting.money, "money")
    app.add_template_global(formatting.cents_in, "cents_in")
    app.add_template_filter(formatting.day, "day")
    app.add_template_filter(formatting.day_time, "day_time")
    app.add_template_filter(nit.formatted, "nit")
    app.context_processor(_template_globals)
    app.add_template_global(upload_states, "UPLOAD")  # an upload's statuses by name
    app.add_template_global(batch_states, "BATCH")  # a batch's


def _not_for_static_files(hook):
    """Static files, the probes and the API (a key, no cookie) skip the session hooks: no
    session record read, none touched."""
    @wraps(hook)
    def wrapped():
        if request.endpoint in static_files.ENDPOINTS or request.endpoint in PROBES or _is_api():
            return None
        return hook()
    return wrapped


def _is_api():
    return request.path.startswith(API_PREFIX)


def render(template, partial=None, **context):
    """A partial for htmx swaps, the whole page otherwise (history, no-JS, reload)."""
    if partial and request.htmx and not request.htmx.history_restore_request:
        return render_template(partial, **context)
    return render_template(template, **context)


def send_xlsx(name, data):
    """An .xlsx built in memory, as a download."""
    return send_file(io.BytesIO(data), mimetype=xlsx.MIME, as_attachment=True, download_name=name)


def safe_next(target):
    """Only same-site relative paths may be redirected to after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def redirect_htmx_aware(location):
    """A redirect that also works when the request came from htmx (full navigation)."""
    if request.htmx:
        response = current_app.response_class(status=204)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location, 303)


def login_view_for(blueprint):
    return LOGIN_VIEWS.get(blueprint, "main.index")


def unauthorized():
    """Not signed in (or the session expired): go to the area's login page, keeping
    whatever the user had typed in a form."""
    expired = getattr(g, "expired_principal", None)
    path = request.full_path.rstrip("?")
    if request.method == "POST" and expired:
        sessions.stash_form(expired, referrer_path(), request.form)
        flash("Su sesión expiró. Ingrese de nuevo: conservamos los datos que había escrito.", "warning")
        path = referrer_path()
    elif expired:
        flash("Su sesión expiró por inactividad. Ingrese de nuevo.", "warning")
    else:
        flash("Ingrese para continuar.", "info")
    endpoint = login_view_for(request.blueprint)
    target = url_for(endpoint, next=path) if request.method == "GET" or expired else url_for(endpoint)
    return redirect_htmx_aware(target)


def referrer_path():
    """The same-site page the request came from (the page holding the form)."""
    referrer = request.referrer
    if referrer:
        parts = urlsplit(referrer)
        if parts.netloc == request.host and parts.path.startswith("/"):
            return parts.path
    return request.path


def _first_login_gate():
    if not current_user.is_authenticated or current_user.kind == "affiliate":
        return None
    if request.endpoint in FIRST_LOGIN_OPEN:
        return None
    if current_user.kind == "corporate" and current_user.terms_accepted_at is None:
        return redirect_htmx_aware(url_for("auth.terms"))
    if current_user.must_change_password:
        return redirect_htmx_aware(url_for("auth.forced_password_change"))
    return None


def _restore_pending_form():
    g.restored_form = None
    if request.method == "GET" and "pending_form" in session and current_user.is_authenticated:
        g.restored_form = sessions.pop_pending_form(current_user, request.path)


def _headers(response):
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    if current_app.config["STRICT_TRANSPORT_SECURITY"]:
        headers.setdefault("Strict-Transport-Security", current_app.config["STRICT_TRANSPORT_SECURITY"])
    if request.endpoint in static_files.ENDPOINTS:  # the rest only matters for pages
        return response
    response.vary.add("HX-Request")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    )
    if getattr(g, "user_session", None) is not None:
        headers["X-Session-Seconds"] = str(sessions.seconds_left())
        headers.setdefault("Cache-Control", "no-store")
    return response


def _error_page(code, title=None, message=None):
    default_title, default_message = ERRORS.get(code, ERRORS[500])
    if static_files.is_static_path(current_app, request.path):  # no session for a page's CSRF token
        return title or default_title, code, {"Content-Type": "text/plain; charset=utf-8"}
    return render_template("errors/error.html", code=code, title=title or default_title,
                           message=message or default_message), code


def _csrf_error(error):
    return _error_page(
        400, "La página expiró",
        "El formulario llevaba mucho tiempo abierto o su sesión cambió. "
        "Vuelva a cargar la página e intente de nuevo.",
    )


def _http_error(error):
    if error.code in (301, 302, 303, 307, 308):
        return error
    if _is_api():
        return _api_problem(error)
    return _error_page(error.code if error.code in ERRORS else 500)


def _unexpected_error(error):
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    from portal.extensions import db
    db.session.rollback()
    return problems.problem(500) if _is_api() else _error_page(500)


def _api_problem(error):
    """An HTTP error inside /api/: problem+json (an abort carrying a response keeps it)."""
    return problems.of_http_error(error)


def _template_globals():
    return {
        "restored_form": getattr(g, "restored_form", None),
        "session_seconds": sessions.seconds_left() if getattr(g, "user_session", None) else 0,
        "session_warning_seconds": current_app.config["SESSION_WARNING_SECONDS"],
        "fund_name": current_app.config["FUND_NAME"],
        "dev_outbox": current_app.config["DEV_OUTBOX_ENABLED"],
    }
