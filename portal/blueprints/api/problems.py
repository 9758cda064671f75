"""Errors as application/problem+json (RFC 9457) with a Spanish `detail`, and pydantic's
validation errors said in Spanish, naming the field."""
import json

from flask import current_app

MEDIA_TYPE = "application/problem+json"
TITLES = {
    400: "Solicitud no válida", 401: "Falta la llave de acceso", 403: "Permiso insuficiente",
    404: "No encontrado", 405: "Método no permitido", 409: "Solicitud en curso",
    413: "Archivo demasiado grande", 415: "Tipo de contenido no admitido", 422: "Datos no válidos",
    429: "Demasiadas solicitudes", 500: "Error en el servidor",
}
DETAILS = {
    400: "No pudimos leer la solicitud.",
    401: "Envíe la llave en el encabezado «Authorization: Bearer <llave>».",
    403: "La llave no tiene el permiso que esta operación pide.",
    404: "El recurso no existe o no es de su empresa.",
    405: "Esta dirección no admite ese método.",
    413: "El archivo supera el tamaño máximo permitido.",
    415: "Envíe el cuerpo como application/json o multipart/form-data, según la operación.",
    429: "Ha hecho demasiadas solicitudes seguidas; espere los segundos que indica Retry-After.",
    500: "Ocurrió un error inesperado. Ya quedó registrado; intente de nuevo en unos minutos.",
}


def problem(status, detail=None, title=None, headers=None, **extra):
    """A problem+json response; `extra` members (e.g. `errors`) go in the body."""
    body = {"type": "about:blank", "title": title or TITLES.get(status, "Error"), "status": status,
            "detail": detail or DETAILS.get(status, TITLES.get(status, "Error"))}
    body.update(extra)
    response = current_app.response_class(json.dumps(body, ensure_ascii=False), status=status,
                                          mimetype=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = str(value)
    return response


def of_http_error(error):
    """An HTTP error (abort) as problem+json; an abort carrying a response keeps it."""
    if error.response is not None:
        return error.response
    code = error.code if error.code in TITLES else 500
    response = problem(code)
    if code == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


MESSAGES = {
    "missing": "es obligatorio",
    "extra_forbidden": "no es un campo de esta operación",
    "string_type": "debe ser un texto",
    "string_too_short": "debe tener al menos {min_length} caracteres",
    "string_too_long": "admite máximo {max_length} caracteres",
    "string_pattern_mismatch": "no tiene el formato esperado",
    "int_type": "debe ser un número entero",
    "int_parsing": "debe ser un número entero",
    "int_from_float": "debe ser un número entero",
    "bool_type": "debe ser true o false",
    "bool_parsing": "debe ser true o false",
    "decimal_type": "debe ser un valor en pesos, por ejemplo 150000.00",
    "decimal_parsing": "debe ser un valor en pesos, por ejemplo 150000.00",
    "decimal_max_places": "admite máximo {decimal_places} decimales",
    "decimal_max_digits": "admite máximo {max_digits} dígitos",
    "greater_than": "debe ser mayor que {gt}",
    "greater_than_equal": "debe ser mayor o igual a {ge}",
    "less_than": "debe ser menor que {lt}",
    "less_than_equal": "debe ser menor o igual a {le}",
    "too_short": "debe tener al menos {min_length} elementos",
    "too_long": "admite máximo {max_length} elementos",
    "list_type": "debe ser una lista",
    "dict_type": "debe ser un objeto JSON",
    "model_type": "debe ser un objeto JSON",
    "model_attributes_type": "debe ser un objeto JSON",
    "literal_error": "debe ser uno de: {expected}",
    "enum": "debe ser uno de: {expected}",
    "date_type": "debe ser una fecha AAAA-MM-DD",
    "date_parsing": "debe ser una fecha AAAA-MM-DD",
    "date_from_datetime_parsing": "debe ser una fecha AAAA-MM-DD",
    "json_invalid": "no es un JSON válido",
}


def field_errors(errors):
    """pydantic's errors() as [{"field": "lines.3.amount", "message": "…"}] in Spanish."""
    said = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ()) if part != "__root__"]
        if error.get("type") == "value_error":  # our own validators say it in Spanish
            said.append({"field": ".".join(location) or "(cuerpo)", "message": str(error["ctx"]["error"])})
            continue
        template = MESSAGES.get(error.get("type"))
        try:
            message = template.format(**(error.get("ctx") or {})) if template else error.get("msg", "no es válido")
        except (KeyError, IndexError):
            message = template
        said.append({"field": ".".join(location) or "(cuerpo)", "message": message})
    return said


def validation_problem(errors):
    listed = field_errors(errors)
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in listed[:5])
    return problem(422, f"Revise los datos enviados. {detail}.", errors=listed)
