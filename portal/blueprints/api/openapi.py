"""The OpenAPI 3.1 document: spectree builds it from the views' pydantic models (JSON
Schema 2020-12, which 3.1 uses as is); this adds what is common to every operation — the
key, the rate limit, Idempotency-Key on POSTs — and says errors are problem+json."""
import copy

from portal.blueprints.api.core import IDEMPOTENCY_HEADER, spec
from portal.blueprints.api.problems import MEDIA_TYPE, TITLES
from portal.domain import api

PROBLEM = {"$ref": "#/components/schemas/Problem"}
COMMON_ERRORS = (401, 429)
POST_ERRORS = (400, 409, 422)
_document = None
FILES = {}  # (path, method) → the media types of an operation whose 200 is a file, not JSON


def file_response(path, method, *media_types):
    """Say that `method path` answers 200 with a file of one of `media_types` (spectree
    describes JSON only)."""
    FILES[(path, method)] = media_types


def document():
    """The document, built once per process (the routes do not change)."""
    global _document
    if _document is None:
        _document = _completed(copy.deepcopy(spec.spec))
    return _document


def _completed(doc):
    doc["openapi"] = "3.1.0"
    components = doc.setdefault("components", {})
    components.setdefault("securitySchemes", {})["llave"] = {
        "type": "http", "scheme": "bearer",
        "description": "La llave que un administrador de la empresa crea en Configuración › API."}
    doc["security"] = [{"llave": []}]
    for url, path in doc.get("paths", {}).items():
        for method, operation in path.items():
            if method in ("get", "post", "put", "patch", "delete"):
                _operation(method, operation)
            if (url, method) in FILES:
                operation["responses"]["200"]["content"] = {
                    media_type: {"schema": {"type": "string", "format": "binary"}} for media_type in FILES[(url, method)]}
    components.setdefault("schemas", {})["WebhookEvent"] = WEBHOOK_EVENT
    doc["webhooks"] = {event: _webhook(event, label) for event, label in api.WEBHOOK_EVENTS.items()}
    return doc


WEBHOOK_EVENT = {
    "type": "object", "required": ["id", "type", "created_at", "data"],
    "description": "Lo que el portal envía a la URL registrada en Configuración › API.",
    "properties": {
        "id": {"type": "string", "format": "uuid", "description": "El evento; un reintento trae el mismo."},
        "type": {"type": "string", "enum": list(api.WEBHOOK_EVENTS)},
        "created_at": {"type": "string", "format": "date-time", "description": "Hora de Bogotá (-05:00)."},
        "data": {"type": "object", "description": "Ids, números, estados, montos como texto, tarjetas enmascaradas."},
    },
}
SIGNATURE_HEADERS = {
    "X-Portal-Event": "El tipo del evento.",
    "X-Portal-Delivery": "La entrega (un reintento trae la misma).",
    "X-Portal-Timestamp": "Segundos Unix del envío; rechace los de más de 5 minutos.",
    "X-Portal-Signature": "`sha256=` + HMAC-SHA256 (hex) de `<timestamp>.<cuerpo>` con el secreto de la URL.",
}


def _webhook(event, label):
    return {"post": {
        "summary": label, "operationId": f"webhook_{event.replace('.', '_')}", "tags": ["Webhooks"],
        "description": ("Firmado; cualquier respuesta distinta de 2xx se reintenta con espera creciente "
                        "(la página de Configuración › API muestra cada intento)."),
        "parameters": [{"name": name, "in": "header", "required": True, "description": text,
                        "schema": {"type": "string"}} for name, text in SIGNATURE_HEADERS.items()],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/WebhookEvent"}}}},
        "responses": {"2XX": {"description": "Recibido"}},
    }}


def _operation(method, operation):
    responses = operation.setdefault("responses", {})
    wanted = COMMON_ERRORS + (POST_ERRORS if method == "post" else ())
    for status in wanted:
        responses.setdefault(str(status), {"description": TITLES[status]})
    for status, response in responses.items():
        if status.isdigit() and int(status) >= 400:
            response["content"] = {MEDIA_TYPE: {"schema": PROBLEM}}
            response["description"] = TITLES.get(int(status), response.get("description", "Error"))
    if "429" in responses:
        responses["429"]["headers"] = {"Retry-After": {"schema": {"type": "integer"},
                                                       "description": "Segundos que debe esperar."}}
    if method == "post":
        operation.setdefault("parameters", []).append({
            "name": IDEMPOTENCY_HEADER, "in": "header", "required": False,
            "description": ("Reintentos seguros: la primera respuesta se guarda 24 horas y se repite, con "
                            "`Idempotent-Replayed: true`, a la misma solicitud con la misma llave."),
            "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"}})
