"""Cards and the master account over the API (manual 003 §5.1, manual 004 «Transferencia
maestra»): the search of «Consulta de tarjetas», «Consultar saldo» and the block, the
master account's balance and movements (the Cuenta maestra report's rows), and abonos
and cargos between it and the cards. The operations are the page's
(services/card_operations.perform): the key's scope stands for the page's password."""
import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from flask import abort, request
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError
from spectree import Response

from portal.blueprints.api import bp
from portal.blueprints.api.core import Problem, idempotent, needs, product_access, spec
from portal.blueprints.api.listing import (
    Day,
    Id,
    Money,
    PageQuery,
    after,
    as_json,
    company_id,
    field_problem,
    json_body,
    member,
    moment,
    money,
    next_cursor,
    owned,
    product_ids,
)
from portal.blueprints.api.problems import problem
from portal.domain import card_operations as co
from portal.domain import order_search
from portal.services import card_operations, master_account, reports

CARDS, MASTER = ["Tarjetas"], ["Cuenta maestra"]
CRITERIA = {"order": "orden", "document": "documento", "batch": "lote", "card": "tarjeta"}  # API → the page's


# An amount as text: more than zero, at most 100.000.000 (co.MAX_AMOUNT), cents at most,
# no leading zeros. The document shows this pattern and nothing else is taken.
AMOUNT = r"^([1-9][0-9]{0,7}(\.[0-9]{1,2})?|100000000(\.00?)?|0\.(0[1-9]|[1-9][0-9]?))$"


def _amount(value):
    """The amount of a body, or a pydantic error saying (in problems.MESSAGES) what is wrong."""
    if not isinstance(value, str):  # a JSON number may already have lost its cents
        raise PydanticCustomError("decimal_type", "money must be a string")
    if re.match(AMOUNT, value):
        return Decimal(value)
    try:
        amount = Decimal(value) if re.match(r"^[0-9]+(\.[0-9]+)?$", value) else None
    except ArithmeticError:
        amount = None
    if amount is None:
        raise PydanticCustomError("decimal_parsing", "not an amount")
    if amount.as_tuple().exponent < -2:
        raise PydanticCustomError("decimal_max_places", "two decimals", {"decimal_places": 2})
    if amount <= 0:
        raise PydanticCustomError("greater_than", "more than zero", {"gt": 0})
    if amount > co.MAX_AMOUNT:
        raise PydanticCustomError("less_than_equal", "at most the maximum", {"le": int(co.MAX_AMOUNT)})
    raise PydanticCustomError("decimal_parsing", "leading zeros")


Amount = Annotated[Decimal, BeforeValidator(_amount),
                   WithJsonSchema({"type": "string", "pattern": AMOUNT, "examples": ["150000.00"],
                                   "description": "Pesos como texto, mayor que cero y hasta 100000000, con "
                                                  "máximo dos decimales."})]


# --- the cards -------------------------------------------------------------------------------

class CardsQuery(PageQuery):
    product_id: Id = Field(None, description="Solo las tarjetas de este producto.")
    document: Annotated[str, Field(pattern=r"^[0-9A-Za-z]{3,15}$")] = Field(
        None, description="Documento de identidad.")
    batch: Annotated[str, Field(pattern=r"^[0-9]{1,12}$")] = Field(None, description="Número de lote.")
    order: Annotated[int, Field(ge=1, le=co.MAX_ORDER_NUMBER)] = Field(
        None, description="Número de orden de servicio.")
    card: Annotated[str, Field(pattern=r"^([0-9]{6}\*{2,6})?[0-9]{4}$")] = Field(
        None, description="Últimos 4 dígitos de la tarjeta, o enmascarada: 450714******1234.")


class CardOut(BaseModel):
    id: int
    product_id: int
    number: str = Field(pattern=r"^[0-9]{6}\*{6}[0-9]{4}$", description="Enmascarado: primeros 6 y últimos 4.")
    account: str = Field(description="Número de cuenta, enmascarado.")
    holder_id_type: str | None
    holder_id_number: str | None
    holder_name: str | None
    status: Literal["affiliated", "unaffiliated", "blocked"]
    status_label: str
    blocked_reason: str | None = Field(description="perdida, robo, deterioro o reposicion.")
    blocked_at: datetime | None
    replaced_by_id: int | None
    expires: str = Field(description="MM/AAAA.")
    created_at: datetime


class CardList(BaseModel):
    data: list[CardOut]
    next_cursor: str | None


class BalanceOut(BaseModel):
    operation_id: int
    card_id: int
    number: str
    balance: Money = Field(description="Saldo disponible de la tarjeta.")
    commission: Money = Field(description="Comisión de la consulta, debitada de la cuenta maestra.")
    transaction_id: str
    created_at: datetime
    message: str


class BlockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Literal["perdida", "robo", "deterioro"] = Field(description="Motivo del bloqueo.")


class BlockOut(BaseModel):
    operation_id: int
    card: CardOut
    message: str


@bp.get("/cards")
@spec.validate(query=CardsQuery, resp=Response(HTTP_200=CardList, HTTP_403=Problem, HTTP_404=Problem,
                                               HTTP_422=Problem), tags=CARDS)
@needs("consult")
def cards():
    """Tarjetas

    «Consulta de tarjetas»: las tarjetas de los productos de la llave (o de `product_id`)
    que cumplen todos los criterios dados, de la más reciente a la más antigua. Solo
    números enmascarados."""
    query = request.context.query
    texts = {CRITERIA[name]: str(value) for name in CRITERIA if (value := getattr(query, name)) is not None}
    criteria = co.parse_criteria(texts)
    if criteria.errors:
        name = next(api for api, page in CRITERIA.items() if page in criteria.errors)
        return field_problem(name, criteria.errors[CRITERIA[name]])
    found, more = card_operations.search_after(company_id(), product_ids(query.product_id), criteria,
                                               after(query.cursor), query.limit)
    return CardList(data=[_card(card) for card in found], next_cursor=next_cursor(found, more))


@bp.post("/cards/<int:card_id>/balance")
@spec.validate(resp=Response(HTTP_200=BalanceOut, HTTP_403=Problem, HTTP_404=Problem, HTTP_422=Problem), tags=CARDS)
@needs("master_account")
@idempotent
def card_balance(card_id):
    """Consultar saldo

    El saldo de la tarjeta; la comisión de consulta del producto se debita de la cuenta
    maestra, como en el portal (sin saldo para la comisión: 422)."""
    access, card = _card_access(card_id)
    outcome = card_operations.perform(member(), access, card_operations.new_key(), "balance", [card], via="api")
    if not outcome.ok:
        return problem(422, outcome.refusal)
    op = outcome.operations[0]
    return as_json(BalanceOut(operation_id=op.id, card_id=card.id, number=card.masked_pan, balance=money(op.amount),
                              commission=money(op.fee), transaction_id=op.ledger_txn,
                              created_at=moment(op.created_at), message=op.message))


@bp.post("/cards/<int:card_id>/block")
@spec.validate(json=BlockIn, resp=Response(HTTP_200=BlockOut, HTTP_403=Problem, HTTP_404=Problem,
                                           HTTP_415=Problem, HTTP_422=Problem), tags=CARDS)
@needs("master_account")
@idempotent
def card_block(card_id):
    """Bloquear tarjeta

    Bloquea la tarjeta por pérdida, robo o deterioro (una tarjeta ya bloqueada: 422)."""
    access, card = _card_access(card_id)
    outcome = card_operations.perform(member(), access, card_operations.new_key(), "block", [card],
                                      reason=json_body().reason, via="api")
    if not outcome.ok:
        return problem(422, outcome.refusal)
    op = outcome.operations[0]
    return as_json(BlockOut(operation_id=op.id, card=_card(card), message=op.message))


def _card_access(card_id):
    """(the key's Access to the card's product, the card): 404 when not the company's or
    its product is outside the key."""
    card = owned(card_operations.company_card(company_id(), card_id))
    return product_access(card.product_id), card


def _card(card):
    return CardOut(id=card.id, product_id=card.product_id, number=card.masked_pan, account=card.account_mask,
                   holder_id_type=card.holder_id_type, holder_id_number=card.holder_id_number,
                   holder_name=card.holder_name, status=card.status, status_label=co.STATUS_LABELS[card.status],
                   blocked_reason=card.blocked_reason, blocked_at=moment(card.blocked_at),
                   replaced_by_id=card.replaced_by_id, expires=card.expires, created_at=moment(card.created_at))


# --- the master account ----------------------------------------------------------------------

class MasterQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product_id: Id = Field(description="El producto de la cuenta maestra.")


class MasterOut(BaseModel):
    product_id: int
    balance: Money = Field(description="Saldo de la cuenta maestra.")
    deposited: Money = Field(description="Monto depositado: las consignaciones confirmadas.")


class MovementsQuery(PageQuery):
    product_id: Id
    from_: Day = Field(None, alias="from", description="Fecha inicial (día de Bogotá, AAAA-MM-DD).")
    to: Day = Field(None, description="Fecha final (día de Bogotá, AAAA-MM-DD), incluida.")


class Movement(BaseModel):
    """A row of the Cuenta maestra report."""
    id: int
    created_at: datetime = Field(description="Fecha.")
    description: str = Field(description="Descripción.")
    reference: str = Field(description="Ref.")
    charge: Money | None = Field(description="Cargo: lo que salió de la cuenta maestra.")
    credit: Money | None = Field(description="Abono: lo que entró.")
    balance: Money = Field(description="Saldo después del movimiento.")


class MovementList(BaseModel):
    data: list[Movement]
    next_cursor: str | None


class CreditIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product_id: Id
    card_ids: list[Id] = Field(min_length=1, max_length=co.MAX_CARDS, json_schema_extra={"uniqueItems": True},
                               description="Las tarjetas a abonar (1 a 100), sin repetir.")
    amount: Amount
    description: str | None = Field(None, max_length=co.NOTE_MAX, pattern=r"^[^\x00-\x1f\x7f<>]*$",
                                    description="Descripción del movimiento (opcional, hasta 60 caracteres).")


class DebitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    card_id: Id
    amount: Amount


class MovedOut(BaseModel):
    """One card's part of an abono or cargo."""
    operation_id: int
    card_id: int
    number: str
    amount: Money
    commission: Money
    transaction_id: str
    card_balance: Money = Field(description="Saldo de la tarjeta después.")
    created_at: datetime


class TransferOut(BaseModel):
    operations: list[MovedOut]
    description: str | None
    master_balance: Money = Field(description="Saldo de la cuenta maestra después.")
    message: str


@bp.get("/master-account")
@spec.validate(query=MasterQuery, resp=Response(HTTP_200=MasterOut, HTTP_403=Problem, HTTP_404=Problem), tags=MASTER)
@needs("master_account")
def master():
    """Cuenta maestra

    El saldo de la cuenta maestra del producto y el monto depositado."""
    access = product_access(request.context.query.product_id)
    found = master_account.summary(access.company, access.product, limit=0)
    return MasterOut(product_id=access.product.id, balance=money(found.balance), deposited=money(found.deposited))


@bp.get("/master-account/movements")
@spec.validate(query=MovementsQuery, resp=Response(HTTP_200=MovementList, HTTP_403=Problem, HTTP_404=Problem,
                                                   HTTP_422=Problem), tags=MASTER)
@needs("master_account")
def master_movements():
    """Movimientos de la cuenta maestra

    Las filas del reporte Cuenta maestra (Fecha, Descripción, Ref., Cargo, Abono, Saldo),
    de la más reciente a la más antigua; `from`/`to` son días de Bogotá."""
    query = request.context.query
    access = product_access(query.product_id)
    found = order_search.Criteria({}, query.from_, query.to)
    lines, more = reports.master_after(access, found, after(query.cursor), query.limit)
    return MovementList(data=[Movement(
        id=line.entry_id, created_at=moment(line.created_at), description=line.description, reference=line.reference,
        charge=money(line.charge) if line.charge is not None else None,
        credit=money(line.credit) if line.credit is not None else None, balance=money(line.balance))
        for line in lines], next_cursor=next_cursor(lines, more, ident=lambda line: line.entry_id))


@bp.post("/master-account/credits")
@spec.validate(json=CreditIn, resp=Response(HTTP_200=TransferOut, HTTP_403=Problem, HTTP_404=Problem,
                                            HTTP_415=Problem, HTTP_422=Problem), tags=MASTER)
@needs("master_account")
@idempotent
def master_credit():
    """Abonar a tarjetas

    El mismo monto de la cuenta maestra a cada tarjeta, con una comisión por tarjeta:
    todas o ninguna (saldo insuficiente, tarjeta bloqueada o por encima del máximo: 422)."""
    body = json_body()
    if len(set(body.card_ids)) != len(body.card_ids):
        return field_problem("card_ids", "no repita tarjetas")
    note, error = co.note_error(body.description)
    if error:
        return field_problem("description", error.partition(": ")[2])
    access = product_access(body.product_id)
    found = card_operations.cards_of(access, body.card_ids) or abort(404)
    return _moved(access, "credit", found, body.amount, note)


@bp.post("/master-account/debits")
@spec.validate(json=DebitIn, resp=Response(HTTP_200=TransferOut, HTTP_403=Problem, HTTP_404=Problem,
                                           HTTP_415=Problem, HTTP_422=Problem), tags=MASTER)
@needs("master_account")
@idempotent
def master_debit():
    """Cargo a tarjeta

    El monto de la tarjeta a la cuenta maestra, que paga la comisión del cargo (saldo
    insuficiente o tarjeta bloqueada: 422)."""
    body = json_body()
    access, card = _card_access(body.card_id)
    return _moved(access, "debit", [card], body.amount)


def _moved(access, kind, found, amount, note=None):
    outcome = card_operations.perform(member(), access, card_operations.new_key(), kind, found, amount=amount,
                                      description=note, via="api")
    if not outcome.ok:
        return problem(422, outcome.refusal)
    by_id = {card.id: card for card in found}
    return as_json(TransferOut(operations=[MovedOut(
        operation_id=op.id, card_id=op.card_id, number=by_id[op.card_id].masked_pan, amount=money(op.amount),
        commission=money(op.fee), transaction_id=op.ledger_txn, created_at=moment(op.created_at),
        card_balance=money(card_operations.balance_of(by_id[op.card_id]))) for op in outcome.operations],
        description=note,
        master_balance=money(master_account.summary(access.company, access.product, limit=0).balance),
        message=" ".join(op.message for op in outcome.operations)))
