"""Service orders over the API (manual 003 ch. 4): the list, an order with every amount
its PDF shows, and the PDF itself. Paying and annulling stay in the portal (four eyes)."""
from datetime import datetime
from typing import Literal

from flask import request
from pydantic import BaseModel, Field
from spectree import Response

from portal.blueprints.api import bp, openapi
from portal.blueprints.api.core import Problem, needs, spec
from portal.blueprints.api.listing import (
    Day,
    Id,
    Money,
    PageQuery,
    after,
    attachment,
    company_id,
    member,
    moment,
    money,
    next_cursor,
    owned,
    product_ids,
)
from portal.domain import batches as b
from portal.domain import order_search
from portal.domain import orders as o
from portal.services import order_pdf, service_orders

TAGS = ["Órdenes de servicio"]
OrderStatus = Literal["pending_payment", "paying", "paid", "processed", "annulled"]
# The order's states as its payment sees them.
PAYMENT_STATES = {o.PENDING_PAYMENT: "pending", o.PAYING: "processing", o.PAID: "paid", o.PROCESSED: "paid",
                  o.ANNULLED: "annulled"}
PAYMENT_LABELS = {"pending": "Pendiente de pago", "processing": "Pago en proceso", "paid": "Pagada",
                  "annulled": "Anulada"}


class OrdersQuery(PageQuery):
    product_id: Id = Field(None, description="Solo las órdenes de este producto.")
    status: OrderStatus = Field(None, description="Solo las órdenes en este estado.")
    from_: Day = Field(None, alias="from", description="Fecha inicial (día de Bogotá, AAAA-MM-DD).")
    to: Day = Field(None, description="Fecha final (día de Bogotá, AAAA-MM-DD), incluida.")


class OrderSummary(BaseModel):
    id: int
    number: int = Field(description="Nro. de orden.")
    product_id: int
    kind: str = Field(description="Tipo de lote de sus lotes.")
    kind_label: str
    status: OrderStatus
    status_label: str
    created_at: datetime = Field(description="Fecha de autorización.")
    commission: Money = Field(description="Monto comisión (SubTotal Orden de Servicio).")
    iva: Money = Field(description="Monto IVA.")
    total: Money = Field(description="Monto OS (TOTAL ORDEN SERVICIO).")
    amount: Money = Field(description="Monto a cargar en tarjetas.")
    gmf: Money
    to_pay: Money = Field(description="TOTAL A PAGAR.")
    deposited: Money = Field(description="Monto depositado.")


class OrderList(BaseModel):
    data: list[OrderSummary]
    next_cursor: str | None = Field(description="Para la página siguiente; null en la última.")


class OrderBatch(BaseModel):
    """«INFORMACIÓN DE LOTES»: one line of the order."""
    id: int
    number: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    uploaded_by: str = Field(description="Usuario/Carga.")
    uploaded_at: datetime = Field(description="Fecha/Carga.")
    records: int = Field(description="Cantidad.")
    unit_price: Money = Field(description="Precio Unitario.")
    subtotal: Money = Field(description="SubTotal.")
    amount: Money = Field(description="Lo que el lote carga en tarjetas.")
    gmf: Money


class OrderDistribution(BaseModel):
    """«GASTOS DE DISTRIBUCIÓN»."""
    destination: str
    quantity: int
    unit_cost: Money
    cost: Money


class PaymentAttempt(BaseModel):
    reference: str
    status: Literal["sent", "approved", "declined", "pending", "error"]
    amount: Money
    reason: str | None
    created_at: datetime
    decided_at: datetime | None


class OrderPaymentState(BaseModel):
    state: Literal["pending", "processing", "paid", "annulled"]
    label: str
    paid_at: datetime | None
    deposited: Money
    attempts: list[PaymentAttempt] = Field(description="Cada intento de «Pagar orden» y lo que respondió el banco.")


class OrderDetail(OrderSummary):
    total_price: Money = Field(description="Total Precio.")
    total_distribution: Money = Field(description="Total Gastos Distribución.")
    iva_rate: str = Field(description="Tarifa de IVA, p. ej. «0.1900».", examples=["0.1900"])
    iva_label: str = Field(examples=["IVA (19.0%)"])
    signers: list[str] = Field(description="Autorizado por.")
    paid_at: datetime | None
    annulled_at: datetime | None
    processed_at: datetime | None
    batches: list[OrderBatch]
    distribution: list[OrderDistribution]
    payment: OrderPaymentState


@bp.get("/orders")
@spec.validate(query=OrdersQuery, resp=Response(HTTP_200=OrderList, HTTP_403=Problem, HTTP_404=Problem,
                                                HTTP_422=Problem), tags=TAGS)
@needs("consult")
def orders():
    """Órdenes de servicio

    Las órdenes de los productos de la llave (o de `product_id`), de la más reciente a la
    más antigua, con sus montos; `from`/`to` son días de Bogotá y `status` su estado."""
    query = request.context.query
    criteria = order_search.Criteria({}, query.from_, query.to, query.status or "")
    found, more = service_orders.listing_after(company_id(), product_ids(query.product_id), criteria,
                                               after(query.cursor), query.limit)
    return OrderList(data=[_summary(order) for order in found], next_cursor=next_cursor(found, more))


@bp.get("/orders/<int:order_id>")
@spec.validate(resp=Response(HTTP_200=OrderDetail, HTTP_403=Problem, HTTP_404=Problem), tags=TAGS)
@needs("consult")
def order(order_id):
    """Una orden de servicio

    Todo lo que muestra su PDF: lotes con cantidad, precio unitario y subtotal, gastos de
    distribución, comisión, IVA, GMF y total a pagar; y su estado de pago."""
    found = owned(service_orders.company_order(company_id(), order_id))
    return _detail(found)


@bp.get("/orders/<int:order_id>/pdf")
@spec.validate(resp=Response(HTTP_200=(None, "La orden en PDF (application/pdf)."), HTTP_403=Problem,
                             HTTP_404=Problem), tags=TAGS)
@needs("consult")
def order_pdf_file(order_id):
    """La orden de servicio en PDF

    El mismo documento que «Descargar como PDF» del portal."""
    found = owned(service_orders.company_order(company_id(), order_id))
    name, data = order_pdf.render(member(), found)
    return attachment(name, data, "application/pdf")


openapi.file_response("/api/v1/orders/{order_id}/pdf", "get", "application/pdf")


def _summary(order):
    return dict(id=order.id, number=order.number, product_id=order.product_id, kind=order.kind,
                kind_label=order_pdf.kind_label(order.kind), status=order.status,
                status_label=o.ORDER.label(order.status), created_at=moment(order.created_at),
                commission=money(order.commission), iva=money(order.iva), total=money(order.total),
                amount=money(order.amount), gmf=money(order.gmf), to_pay=money(order.to_pay),
                deposited=money(order.deposited))


def _detail(order):
    names = service_orders.usernames([batch.uploaded_by_id for batch in order.batches])
    state = PAYMENT_STATES[order.status]
    return OrderDetail(
        **_summary(order), total_price=money(order.total_price), total_distribution=money(order.total_distribution),
        iva_rate=f"{order.iva_rate:.4f}", iva_label=o.iva_label(order.iva_rate),
        signers=[user.username for user in service_orders.signers_of(order)], paid_at=moment(order.paid_at),
        annulled_at=moment(order.annulled_at), processed_at=moment(order.processed_at),
        batches=[_batch(batch, names) for batch in order.batches],
        distribution=[dict(destination=d.destination, quantity=d.quantity, unit_cost=money(d.unit_cost),
                           cost=money(d.cost)) for d in order.distribution],
        payment=dict(state=state, label=PAYMENT_LABELS[state], paid_at=moment(order.paid_at),
                     deposited=money(order.deposited), attempts=[
                         dict(reference=p.reference, status=p.status, amount=money(p.amount), reason=p.reason,
                              created_at=moment(p.created_at), decided_at=moment(p.decided_at))
                         for p in service_orders.payments_of(order)]))


def _batch(batch, names):
    return dict(id=batch.id, number=batch.number, kind=batch.kind, kind_label=order_pdf.kind_label(batch.kind),
                status=batch.status, status_label=b.BATCH.label(batch.status),
                uploaded_by=names.get(batch.uploaded_by_id, ""), uploaded_at=moment(batch.created_at),
                records=service_orders.records_of(batch), unit_price=money(service_orders.unit_price(batch)),
                subtotal=money(batch.commission), amount=money(service_orders.batch_in_amount(batch)),
                gmf=money(batch.gmf))
