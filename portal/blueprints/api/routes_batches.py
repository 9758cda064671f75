"""Lotes over HTTP (issue #12; manual 003 ch. 3.2 «Carga de lotes», 4.2 «Detalle de
lote»): send a batch as JSON lines or as the file a person loads, follow its check,
read its errors, confirm or delete it, download its rejected lines. The services of
Lotes › Carga de lotes: one upload pipeline (its job, its checks, «Enviar» twice), the
same rules to confirm and delete — the key stands for the password."""
import math
from datetime import datetime
from typing import Annotated, Literal

from flask import abort, current_app, g, request, url_for
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    WithJsonSchema,
    create_model,
)
from pydantic_core import PydanticCustomError
from spectree import Response
from spectree.model_adapter.pydantic_adapter import BaseFile

from portal.adapters import xlsx
from portal.blueprints.api import bp, openapi
from portal.blueprints.api.core import Problem, idempotent, needs, product_access, spec
from portal.blueprints.api.listing import (
    ID_MAX,
    Day,
    Id,
    PageQuery,
    after,
    attachment,
    company_id,
    member,
    next_cursor,
    product_ids,
)
from portal.blueprints.api.problems import problem
from portal.domain import api, batch_json
from portal.domain import batch_layouts as bl
from portal.domain import batches as b
from portal.domain.formatting import local
from portal.services import api_batches, batches, upload_jobs

TAGS = ["Lotes"]
ERRORS_SHOWN = 100  # rejected lines whose errors a batch's detail carries; the rest: /errors

Kind = Literal[tuple(bl.LAYOUTS)]
AnyKind = Literal[tuple(bl.LAYOUTS) + tuple(bl.FORMLESS_LABELS)]
StatusCode = Literal[b.BATCH.statuses]


def _json_id(value):
    """An id in a JSON body: a number without decimals (1849107.0 is one), never text or true."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if type(value) is not int:
        raise PydanticCustomError("int_type", "debe ser un número entero")
    if not 1 <= value <= ID_MAX:
        raise PydanticCustomError("id_range", f"debe ser un número entre 1 y {ID_MAX}")
    return value


JsonId = Annotated[int, PlainValidator(_json_id),
                   WithJsonSchema({"type": "integer", "minimum": 1, "maximum": ID_MAX})]


# --- what is sent ------------------------------------------------------------------------------

def _cell(value):
    """A line's value: text, a number (as the file would carry it), or null."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            (isinstance(value, float) and not math.isfinite(value)):
        raise PydanticCustomError("cell_type", "debe ser un texto o un número")
    return bl.as_text(value)


Cell = Annotated[str | None, PlainValidator(_cell),
                 WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "number"}, {"type": "null"}]})]


def _line_model():
    """One line: every field key of every batch type (each type takes its own, in any
    order; those it lacks are refused, those left out are empty cells)."""
    fields = {}
    for key, field in batch_json.keys().items():
        per_kind = "; ".join(f"{s.kind} «{f.header}», {'obligatorio' if f.required else 'opcional'}"
                             for s in bl.LAYOUTS.values() for f in s.fields if f.key == key)
        note = f" {field.note}" if field.note else ""
        fields[key] = (Cell, Field(default=None, examples=[field.example] if field.example else None, description=(
            f"{per_kind}. Tipo {field.type}, máximo {field.max_length} caracteres.{note}")))
    return create_model("BatchLineIn", __config__=ConfigDict(extra="forbid"), __doc__=(
        "Una línea del lote: sus campos por la clave del tipo de lote (la columna del archivo que llena una "
        "persona), como texto o número."), **fields)


BatchLineIn = _line_model()


class BatchCreate(BaseModel):
    """Un lote enviado como líneas JSON: se convierte en el archivo de texto de la plantilla y
    sigue el mismo camino que un archivo cargado en «Lotes › Carga de lotes»."""
    model_config = ConfigDict(extra="forbid", strict=True)
    product_id: JsonId = Field(description="El producto (GET /api/v1/products).")
    kind: Kind = Field(description="Tipo de lote: emission (Emisión nominada), topup (Recarga), "
                                   "affiliation (Afiliación de tarjetas innominadas).")
    lines: list[BatchLineIn] = Field(min_length=1, description=(
        "Las líneas del lote, en orden. En los errores del lote (`errors[].line`) cada línea se nombra por su "
        "posición en esta lista, desde 1: la primera es la línea 1. Los mismos valores que un archivo: las "
        "reglas de cada campo se revisan en el lote, que queda «CON ERRORES» con cada una."))


class BatchUpload(BaseModel):
    product_id: Id = Field(description="El producto (GET /api/v1/products).")
    kind: Kind = Field(description="Tipo de lote: emission, topup o affiliation.")
    file: BaseFile = Field(description="El archivo del lote como lo carga una persona: la plantilla .xlsx, o "
                                       ".txt/.csv separado por punto y coma, coma o tabulador. En sus errores, "
                                       "la línea es la del archivo (la fila de títulos es la 1).")


class ConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    same_content_ok: bool = Field(default=False, description=(
        "true: confirmar aunque tenga las mismas líneas que otro lote de los últimos 30 días del producto "
        "(«sí, es otro lote»)."))


def _line_cursor(text):
    if text is not None and _line_after(text) is None:
        raise PydanticCustomError("cursor", "no es un cursor de esta lista; use el `next_cursor` de la respuesta")
    return text


def _line_after(text):
    """The line a cursor of /errors holds (a positive integer), or None. Errors go in line
    order, not newest first: their cursor is the last line given, not the lists' one."""
    values = api.decode_cursor(text) if text else None
    ok = values is not None and len(values) == 1 and type(values[0]) is int and 0 < values[0] <= ID_MAX
    return values[0] if ok else None


LineCursor = Annotated[str | None, PlainValidator(_line_cursor),
                       WithJsonSchema({"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}),
                       Field(default=None, description="El `next_cursor` de la página anterior.")]


class BatchQuery(PageQuery):
    product_id: Id = Field(None, description="Solo los lotes de este producto.")
    kind: AnyKind = Field(None, description="Solo los de este tipo.")
    status: StatusCode = Field(None, description="Solo los que están en este estado.")
    from_: Day = Field(None, alias="from", description="Cargados desde este día (Bogotá).")
    to: Day = Field(None, description="Cargados hasta este día inclusive (Bogotá).")


class ErrorsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cursor: LineCursor
    limit: int = Field(default=ERRORS_SHOWN, ge=1, le=500, description="Líneas con error por página.")


# --- what is answered --------------------------------------------------------------------------

class StatusOut(BaseModel):
    code: StatusCode = Field(description="Código estable del estado.")
    label: str = Field(description="Como lo muestra el portal (VALIDO, CON ERRORES, CONFIRMADO…).")


class CountsOut(BaseModel):
    lines: int
    valid: int
    with_errors: int


class BatchOut(BaseModel):
    id: int
    number: str = Field(description="Nro. de lote, como 23080900.")
    product_id: int
    kind: AnyKind
    kind_label: str
    status: StatusOut
    progress: int = Field(ge=0, le=100, description="Avance de la validación, en %.")
    source: str = Field(description="xlsx, txt, api (líneas JSON) o form (sin archivo).")
    filename: str | None
    counts: CountsOut
    total_amount: str = Field(pattern=r"^\d+\.\d{2}$", description="Monto de las líneas válidas, en pesos.")
    created_at: datetime
    checked_at: datetime | None
    confirmed_at: datetime | None


class LineErrorOut(BaseModel):
    line: int = Field(description="Lote JSON: la posición de la línea en `lines`, desde 1. Archivo: su línea "
                                  "(la fila de títulos es la 1).")
    field: str = Field(description="La clave del campo (id_number), o el título de la columna si no es un campo.")
    column: str = Field(description="El título de la columna en el archivo (ID PERSONA).")
    message: str


class BatchDetail(BatchOut):
    general_errors: list[str] = Field(description="Problemas del lote entero (no de una línea).")
    errors: list[LineErrorOut] = Field(description=f"Los errores de las primeras {ERRORS_SHOWN} líneas con error.")
    errors_next_cursor: str | None = Field(description="Si hay más: GET /api/v1/batches/{id}/errors?cursor=…")
    same_content_as: str | None = Field(description=(
        "Nro. de un lote de los últimos 30 días con las mismas líneas: para confirmarlo envíe "
        "`same_content_ok: true`."))


class BatchList(BaseModel):
    data: list[BatchOut]
    next_cursor: str | None = Field(description="La página siguiente, o null al final.")


class LineErrorList(BaseModel):
    data: list[LineErrorOut]
    next_cursor: str | None


# --- the views ---------------------------------------------------------------------------------

BODY_LIMITS = {"api.batch_create": 2, "api.batch_upload": 1}  # × BATCH_MAX_BYTES (JSON repeats its keys)


@bp.before_request
def _batch_body_limit():
    """A batch may weigh what Carga de lotes takes, above the portal's usual limit."""
    times = BODY_LIMITS.get(request.endpoint)
    if times:
        request.max_content_length = times * current_app.config["BATCH_MAX_BYTES"] + 64 * 1024


@bp.post("/batches")
@spec.validate(json=BatchCreate, resp=Response(HTTP_202=BatchOut, HTTP_403=Problem, HTTP_404=Problem,
                                                HTTP_413=Problem, HTTP_415=Problem, HTTP_422=Problem), tags=TAGS)
@needs("upload")
@idempotent
def batch_create():
    """Cargar un lote (líneas JSON)

    Como «Lotes › Carga de lotes»: el lote queda «EN VALIDACIÓN» y un proceso revisa cada línea;
    consulte su estado en `Location`. Enviar las mismas líneas del mismo producto dentro de 10 minutos
    devuelve el mismo lote. Los errores de una línea la nombran por su posición en `lines`, desde 1."""
    body = request.context.json
    if body is None:
        return problem(415)
    access = product_access(body.product_id)
    lines = [line.model_dump(exclude_none=True) for line in body.lines]
    return _sent(lambda user: batches.submit_lines(user, access, body.kind, lines, api_key=g.api_key.prefix))


@bp.post("/batches/upload")
@spec.validate(form=BatchUpload, resp=Response(HTTP_202=BatchOut, HTTP_403=Problem, HTTP_404=Problem,
                                                HTTP_413=Problem, HTTP_415=Problem, HTTP_422=Problem), tags=TAGS)
@needs("upload")
@idempotent
def batch_upload():
    """Cargar un lote (archivo)

    El mismo archivo .xlsx o .txt que una persona carga en «Lotes › Carga de lotes»
    (multipart/form-data). Un archivo que no es de la plantilla se rechaza de inmediato (422)."""
    form = request.context.form
    if form is None or not hasattr(form.file, "read"):
        return problem(415) if form is None else problem(422, "Adjunte el archivo del lote en `file`.")
    access = product_access(form.product_id)
    name, data = form.file.filename, form.file.read()
    return _sent(lambda user: batches.submit(user, access, form.kind, name, data, api_key=g.api_key.prefix))


def _sent(send):
    try:
        batch = send(member())
    except batches.BatchRefused as refusal:
        return problem(422, str(refusal), errors=refusal.errors or None)
    return _summary(batch), 202, {"Location": url_for("api.batch_detail", batch_id=batch.id)}


@bp.get("/batches")
@spec.validate(query=BatchQuery, resp=Response(HTTP_200=BatchList, HTTP_403=Problem, HTTP_404=Problem,
                                                HTTP_422=Problem), tags=TAGS)
@needs("consult", "upload")
def batch_list():
    """Lotes de la empresa

    Los más recientes primero, de los productos de la llave, por páginas (`next_cursor`)."""
    q = request.context.query
    rows, more = api_batches.listed(company_id(), product_ids(q.product_id), q.kind, q.status, q.from_, q.to,
                                    after(q.cursor), q.limit)
    return {"data": [_summary(batch) for batch in rows], "next_cursor": next_cursor(rows, more)}


@bp.get("/batches/<int:batch_id>")
@spec.validate(resp=Response(HTTP_200=BatchDetail, HTTP_403=Problem, HTTP_404=Problem), tags=TAGS)
@needs("consult", "upload")
def batch_detail(batch_id):
    """Detalle de un lote

    Su estado, avance, cuentas, monto, los problemas del lote entero y cada error de línea
    con su línea, campo y motivo (los de las primeras líneas; el resto en /errors)."""
    batch = _batch(batch_id)
    errors, last = api_batches.line_errors(batch, limit=ERRORS_SHOWN)
    earlier = batches.same_content_before(batch) if batch.status in (b.VALID, b.INVALID) else None
    return {**_summary(batch), "general_errors": batches.general_errors(batch),
            "errors": [_error(e) for e in errors], "errors_next_cursor": _line_cursor_of(last),
            "same_content_as": earlier.number if earlier else None}


@bp.get("/batches/<int:batch_id>/errors")
@spec.validate(query=ErrorsQuery, resp=Response(HTTP_200=LineErrorList, HTTP_403=Problem, HTTP_404=Problem,
                                                 HTTP_422=Problem), tags=TAGS)
@needs("consult", "upload")
def batch_errors(batch_id):
    """Errores de un lote

    Cada error de línea (línea, campo, motivo), en orden de línea, por páginas."""
    batch, q = _batch(batch_id), request.context.query
    errors, last = api_batches.line_errors(batch, _line_after(q.cursor) or 0, q.limit)
    return {"data": [_error(e) for e in errors], "next_cursor": _line_cursor_of(last)}


@bp.post("/batches/<int:batch_id>/confirm")
@spec.validate(json=ConfirmIn, resp=Response(HTTP_200=BatchOut, HTTP_403=Problem, HTTP_404=Problem,
                                              HTTP_409=Problem, HTTP_415=Problem, HTTP_422=Problem), tags=TAGS)
@needs("upload")
@idempotent
def batch_confirm(batch_id):
    """Confirmar un lote

    Las reglas de «Confirmar» del portal, con la llave en lugar de la contraseña: un lote VALIDO
    entero, uno CON ERRORES con sus líneas válidas; 409 si su estado ya no lo permite; 422 si tiene
    las mismas líneas que otro lote reciente y no se envió `same_content_ok: true`."""
    body = request.context.json
    if body is None:
        return problem(415)
    batch = _batch(batch_id)
    return _decided(batch, batches.confirm_as(member(), batch, body.same_content_ok, api_key=g.api_key.prefix))


@bp.delete("/batches/<int:batch_id>")
@spec.validate(resp=Response(HTTP_200=BatchOut, HTTP_403=Problem, HTTP_404=Problem, HTTP_409=Problem), tags=TAGS)
@needs("upload")
def batch_delete(batch_id):
    """Eliminar un lote

    Como «Eliminar» del portal: antes de su autorización; 409 si su estado ya no lo permite."""
    batch = _batch(batch_id)
    return _decided(batch, batches.delete_as(member(), batch, api_key=g.api_key.prefix))


@bp.get("/batches/<int:batch_id>/rejected")
@spec.validate(resp=Response("HTTP_200", HTTP_403=Problem, HTTP_404=Problem), tags=TAGS)
@needs("consult", "upload")
def batch_rejected(batch_id):
    """Líneas rechazadas (archivo)

    Las líneas con error y su columna «Errores», en el formato del lote (.xlsx, o .txt para un
    lote de texto o de líneas JSON), listas para corregir y cargar de nuevo; 404 si no hay."""
    batch = _batch(batch_id)
    made = batches.rejected_file(member(), batch, api_key=g.api_key.prefix)
    if made is None:
        return problem(404, f"El lote Nro: {batch.number} no tiene líneas rechazadas.")
    return attachment(*made)


openapi.file_response("/api/v1/batches/{batch_id}/rejected", "get", xlsx.MIME, "text/plain")


def _batch(batch_id):
    """A batch of the key's company and products, or a 404 (never a 403: it is not theirs)."""
    _, batch = api_batches.batch_for(g.api_key, batch_id)
    if batch is None:
        abort(problem(404))
    return batch


def _decided(batch, decision):
    if decision.ok:
        return _summary(batch)  # read again: the decision's commit expired it
    if decision.reason == batches.SAME_CONTENT:
        return problem(422, decision.message, errors=[{"field": "same_content_ok", "message": decision.message}])
    return problem(409, decision.message, title="El estado del lote no lo permite")


# --- the representation ------------------------------------------------------------------------

def _summary(batch):
    return {
        "id": batch.id, "number": batch.number, "product_id": batch.product_id, "kind": batch.kind,
        "kind_label": bl.label(batch.kind),
        "status": {"code": batch.status, "label": b.BATCH.label(batch.status)},
        "progress": upload_jobs.progress(batch), "source": batch.source, "filename": batch.filename,
        "counts": {"lines": batch.rows_total, "valid": batch.valid_count, "with_errors": batch.error_count},
        "total_amount": f"{batch.total_amount:.2f}", "created_at": _iso(batch.created_at),
        "checked_at": _iso(batch.checked_at), "confirmed_at": _iso(batch.confirmed_at),
    }


def _error(error):
    return {"line": error.line, "field": error.field, "column": error.column, "message": error.message}


def _iso(moment):
    return local(moment).isoformat(timespec="seconds") if moment else None


def _line_cursor_of(position):
    return api.encode_cursor([position]) if position is not None else None
