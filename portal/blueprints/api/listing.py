"""What the API's lists and bodies share: money as strings, times in Bogotá, cursor pages
(`cursor` and `limit` in the query, `next_cursor` in the answer, newest first by
(created_at, id): domain/api.encode_cursor), the products a list covers, and a 422 that
names one field as spectree's own do."""
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from flask import abort, current_app, g, request
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError
from werkzeug.http import quote_header_value

from portal.blueprints.api.core import product_access
from portal.blueprints.api.problems import problem
from portal.domain import api
from portal.domain.formatting import local
from portal.services import api_keys

Money = Annotated[str, Field(pattern=r"^-?\d+\.\d{2}$", description="Pesos con dos decimales, como texto.",
                             examples=["150000.00"])]
ID_MAX = api.ID_MAX
Id = Annotated[int, Field(ge=1, le=ID_MAX)]  # in a query or a form: its text
DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
CURSOR_FORMAT = "cursor"  # the document's name for what encode_cursor makes (a test generates real ones)
BAD_CURSOR = "no es un cursor de esta lista: envíe el next_cursor de la respuesta anterior, sin cambiarlo"


class PageQuery(BaseModel):
    """A list's query. Parameters that may be left out default to None without being
    typed `| None`: a query parameter is never null, and the document says so. A
    parameter the operation does not have is refused (422), as in a body."""
    model_config = ConfigDict(extra="forbid")

    cursor: Annotated[str, Field(min_length=1, max_length=200)] = Field(
        None, json_schema_extra={"format": CURSOR_FORMAT},
        description="El `next_cursor` de la página anterior (sin él: la primera).")
    limit: int = Field(20, ge=1, le=100, description="Elementos por página, de 1 a 100.")


def money(value):
    return f"{Decimal(value or 0):.2f}"


def moment(value):
    """A stored UTC time as ISO 8601 in Bogotá (-05:00), or None."""
    return local(value) if value is not None else None


def as_json(model):
    """A POST's answer as plain JSON data: @idempotent keeps it to replay (spectree still
    checks it against the declared model)."""
    return model.model_dump(mode="json")


def json_body():
    """The JSON body spectree validated; a body of another type is never read (415)."""
    found = request.context.json
    if found is None:
        abort(problem(415))
    return found


def day(value):
    """Only AAAA-MM-DD is a date here (pydantic alone would take «0» as 1970-01-01)."""
    if isinstance(value, str) and not DAY.match(value):
        raise PydanticCustomError("date_parsing", "not AAAA-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(day)]


def field_problem(field, message):
    """422 naming `field`, shaped as spectree's validation problems."""
    return problem(422, f"Revise los datos enviados. {field}: {message}.", errors=[{"field": field, "message": message}])


def after(cursor):
    """The (created_at, id) a cursor carries; None without one; a 422 for any other text."""
    if cursor is None:
        return None
    try:
        at, last = api.decode_cursor(cursor)
        when = datetime.fromisoformat(at)
        if when.tzinfo is not None or type(last) is not int:
            raise ValueError(cursor)
    except (TypeError, ValueError):
        abort(field_problem("cursor", BAD_CURSOR))
    return when, last


def next_cursor(rows, more, created=lambda row: row.created_at, ident=lambda row: row.id):
    """The cursor of the page after `rows`, or None when they were the last."""
    if not more or not rows:
        return None
    return api.encode_cursor([created(rows[-1]).isoformat(), ident(rows[-1])])


def product_ids(product_id):
    """The products a list covers: `product_id` (404 unless the key may use it), else
    every product the key may use."""
    if product_id is not None:
        return [product_access(product_id).product.id]
    return [product.id for product in api_keys.products(g.api_key)]


def owned(found):
    """An object of the key's company whose product the key may use, else 404."""
    if found is None:
        abort(404)
    product_access(found.product_id)
    return found


def company_id():
    return g.api_key.company_id


def member():
    """The member a key acts for: the `user` the services record."""
    return g.api_key.membership.user


def attachment(name, data, mimetype):
    """A file to download (bytes: spectree reads them as they are)."""
    return current_app.response_class(data, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename={quote_header_value(name, allow_token=False)}"})
