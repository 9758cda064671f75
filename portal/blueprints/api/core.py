"""What every API request goes through: the key (401), its rate (429), the scope an
operation needs (403), the product it names (404), Idempotency-Key on POSTs, and one
audit event per use. Views stay thin: they read `request.context` (validated by
spectree) and call the services the portal's pages use."""
import time
from dataclasses import dataclass
from functools import lru_cache, wraps

from flask import abort, current_app, g, request
from limits import parse
from pydantic import BaseModel, Field
from spectree import SpecTree
from spectree.model_adapter.pydantic_adapter import PydanticModelAdapter
from werkzeug.exceptions import HTTPException

from portal.blueprints.api.problems import of_http_error, problem, validation_problem
from portal.domain import api
from portal.extensions import db, limiter
from portal.services import api_keys, audit, idempotency

PUBLIC_ENDPOINTS = {"api.openapi_json", "api.docs"}




class Problem(BaseModel):
    """RFC 9457 problem details; `errors` lists each field or line at fault."""
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[dict] | None = Field(default=None, description="Campos o líneas con error.")


def _before_validation(req, resp, req_validation_error, instance, model_adapter=None):
    """spectree found the request invalid: answer problem+json in Spanish instead."""
    if req_validation_error is not None:
        abort(validation_problem(req_validation_error.errors()))


class _ModelAdapter(PydanticModelAdapter):
    """pydantic's, with its errors listed without their input: spectree makes them JSON
    before `_before_validation` answers in Spanish, and an uploaded file in the input
    (a multipart body) is no JSON — a 500 instead of a 422."""

    def validation_errors(self, err):
        return err.errors(include_context=False, include_input=False)


spec = SpecTree(
    "flask", mode="strict", model_adapter=_ModelAdapter(), title="Portal — API para ERP", version="1.0.0",
    description=("Lo que una persona hace en Conexión Empresas, desde el ERP o el sistema de nómina de la "
                 "empresa, salvo las firmas y el pago de órdenes, que siguen en el portal. Autenticación: "
                 "`Authorization: Bearer <llave>` (Configuración › API)."),
    validation_error_status=422, validation_error_model=Problem, before=_before_validation,
    naming_strategy=lambda model: model.__name__, annotations=False,
)


@dataclass(frozen=True)
class Actor:
    """The audit's actor for a request made with a key: the member it acts for."""
    id: int
    principal_type: str = "user"


def ids_in_range(endpoint, values):
    """An id in the URL beyond any row's (<int:…> takes any size) names nothing: 404,
    before a database is asked to compare it with a 32-bit column."""
    if values and any(isinstance(v, int) and v > api.ID_MAX for v in values.values()):
        abort(404)


def authenticate():
    """before_request of the blueprint: the key in Authorization, and its rate."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    whole = api.bearer(request.headers.get("Authorization"))
    key = api_keys.authenticate(whole) if whole else None
    if key is None:
        detail = ("La llave no es válida o fue revocada." if whole else None)
        return problem(401, detail, headers={"WWW-Authenticate": 'Bearer realm="api"'})
    g.api_key = key
    g.api_actor = Actor(key.membership.user_id)
    # Plain values for record_use: after the view's commits the key's row is expired.
    g.api_key_use = (key.id, key.last_used_at)
    return _rate_limited(key)


_limit = lru_cache(maxsize=8)(parse)  # the setting's text, read once per process


def _rate_limited(key):
    item = _limit(current_app.config["API_RATE_LIMIT"])
    strategy = limiter.limiter
    if strategy is None or strategy.hit(item, "api", key.prefix):
        return None
    reset, _ = strategy.get_window_stats(item, "api", key.prefix)
    wait = max(1, int(reset - time.time()) + 1)
    return problem(429, headers={"Retry-After": wait})


def record_use(response):
    """after_request: every use of a key audited (method, path, status), its last use kept."""
    use = getattr(g, "api_key_use", None)
    if use is None:
        return response
    key_id, last_used_at = use
    try:
        kept = g.pop("idempotent_answer", None)
        db.session.rollback()  # nothing a view left uncommitted rides along
        if kept is not None:
            idempotency.keep(kept)
        audit.record("api.request", g.api_actor, subject=f"api_key:{key_id}", method=request.method,
                     path=request.path, status=response.status_code)
        api_keys.touch(key_id, last_used_at, request.remote_addr)
        db.session.commit()
    except Exception:  # the answer is already made; a lost audit row must not turn it into a 500
        db.session.rollback()
        current_app.logger.exception("could not audit API request %s %s", request.method, request.path)
    return response


def needs(*scopes):
    """The view needs one of the key's `scopes` (upload, consult, master_account), any
    of them: else 403."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            access = api_keys.access(g.api_key)
            if not any(access.may(scope) for scope in scopes):
                names = " o ".join(f"«{api.SCOPES[scope]}»" for scope in scopes)
                return problem(403, f"La llave no tiene el permiso {names}.")
            return view(*args, **kwargs)
        wrapped.api_scope, wrapped.api_scopes = scopes[0], scopes
        return wrapped
    return decorator


def product_access(product_id):
    """The key's Access to one of its company's products (those it is limited to, if
    any); another company's product, or one outside the key, is a 404."""
    found = api_keys.access(g.api_key, product_id)
    if found is None:
        abort(404)
    return found


def key_access():
    """The key's Access to its company, no product chosen."""
    return api_keys.access(g.api_key)


# --- Idempotency-Key ---------------------------------------------------------------------

IDEMPOTENCY_HEADER = "Idempotency-Key"


def idempotent(view):
    """A POST that may carry `Idempotency-Key`: its first answer is kept 24 h and given
    again (`Idempotent-Replayed: true`) to the same request; another request with the
    key is a 422, and a copy that arrives while the first runs is a 409."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not api.IDEMPOTENCY_KEY.match(key):
            return problem(400, "Idempotency-Key debe tener de 1 a 255 caracteres ASCII visibles, sin espacios.")
        claim = idempotency.begin(g.api_key.company_id, g.api_key.id, key, _fingerprint())
        if claim.outcome == idempotency.NEW:
            try:
                return _run_once(claim.record, view, args, kwargs)
            except idempotency.Taken:  # a copy claimed the key first, at our first write
                db.session.rollback()
                claim = idempotency.begin(g.api_key.company_id, g.api_key.id, key, _fingerprint())
            finally:
                idempotency.settle()
        return _not_run(claim)
    return wrapped


def _not_run(claim):
    if claim.outcome == idempotency.CONFLICT:
        return problem(422, "Esta Idempotency-Key ya se usó con otra solicitud; use una llave nueva "
                            "para una operación distinta.")
    if claim.outcome == idempotency.REPLAY:
        return _replayed(claim.record)
    # running, or (NEW) the copy that took the key first has just failed and freed it
    return problem(409, "Una solicitud con esta Idempotency-Key todavía se está procesando; "
                        "repítala en unos segundos.", headers={"Retry-After": 1})


def watch_claims():
    idempotency.watch(db.session)


def _run_once(record, view, args, kwargs):
    """Run the view; its answer is kept (or the key freed) by `record_use`, in the same
    commit as the request's audit."""
    forget = idempotency.answer(record)
    try:
        response = current_app.make_response(view(*args, **kwargs))
    except HTTPException as exc:  # an abort(404) is problem+json here too, as the one kept for a replay
        response = of_http_error(exc)
    except idempotency.Taken:
        raise
    except Exception:
        g.idempotent_answer = forget
        raise
    if response.status_code >= 500 or response.status_code in (409, 429):
        g.idempotent_answer = forget
    else:
        g.idempotent_answer = idempotency.answer(record, response.status_code, response.content_type,
                                                 response.get_data(), response.headers.get("Location"))
    return response


def _replayed(record):
    response = current_app.response_class(record.body, status=record.status_code, content_type=record.content_type)
    if record.location:
        response.headers["Location"] = record.location
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _fingerprint():
    if request.mimetype == "multipart/form-data":
        fields = sorted((str(name), str(value)) for name, value in request.form.items(multi=True))
        parts = [f"{name}={value}".encode("utf-8", "surrogatepass") for name, value in fields]
        for name, upload in sorted(request.files.items(multi=True), key=lambda item: str(item[0])):
            parts += [f"{name}:{upload.filename}".encode("utf-8", "surrogatepass"), upload.read()]
            upload.seek(0)
    else:
        parts = [request.get_data()]
    return api.fingerprint(request.method, request.path, request.mimetype, parts)
