"""The document, its readable page, and the products a key may use."""
from flask import g, jsonify, render_template
from pydantic import BaseModel
from spectree import Response

from portal.blueprints.api import bp, openapi
from portal.blueprints.api.core import Problem, spec
from portal.services import api_keys


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(openapi.document())


@bp.get("/docs")
def docs():
    """The document as a page a person reads (no JavaScript, no outside assets)."""
    return render_template("api/docs.html", doc=openapi.document())


class ProductOut(BaseModel):
    id: int
    name: str
    brand: str
    named: bool
    card_validity_months: int


class ProductList(BaseModel):
    data: list[ProductOut]


@bp.get("/products")
@spec.validate(resp=Response(HTTP_200=ProductList, HTTP_403=Problem), tags=["Productos"])
def products():
    """Productos de la empresa

    Los productos de tarjeta que la llave puede usar (todos los de la empresa, o los que
    se eligieron al crearla)."""
    rows = api_keys.products(g.api_key)
    return {"data": [{"id": p.id, "name": p.name, "brand": p.brand, "named": p.named,
                      "card_validity_months": p.card_validity_months} for p in rows]}
