"""Personal › Lotes and Personal › Órdenes de servicio (role tarjetas): the Conexión Empresas
queues of the staff home, as paged tables of every company.

- Lotes: batches «En Proceso» (their order paid, the card processor at work) or processed
  with lines the processor rejected (their money left in clearing), and a batch's
  rejected lines with their reasons.
- Órdenes: orders awaiting payment, those whose last debit the bank declined or failed,
  and the debits waiting for the bank (sent or pending), each with «Consultar al banco»
  (services/order_payments.requery: the cron's own settling, for one payment)."""
from dataclasses import dataclass

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import aliased

from portal.domain import batches as b
from portal.domain import orders as o
from portal.extensions import db
from portal.models import Batch, BatchLine, Company, OrderPayment, Product, ServiceOrder
from portal.services import tables

BATCH_STATES = ("en_proceso", "rechazados")
BATCH_STATE_LABELS = {"en_proceso": "Lotes en proceso", "rechazados": "Lotes con registros rechazados"}
ORDER_STATES = ("por_pagar", "debito_fallido", "en_banco")
ORDER_STATE_LABELS = {"por_pagar": "Órdenes por pagar", "debito_fallido": "Débito rechazado o fallido",
                      "en_banco": "Débitos en espera del banco"}
REFUSED = ("declined", "error")
WAITING = ("sent", "pending")
PAYMENT_LABELS = {"sent": "Enviado al banco", "pending": "Pendiente en el banco", "approved": "Aprobado",
                  "declined": "Rechazado", "error": "Fallido"}


def _rejected_count():
    return (select(func.count()).where(BatchLine.batch_id == Batch.id, BatchLine.outcome == b.LINE_REJECTED)
            .correlate(Batch).scalar_subquery())


def _search(q, *columns):
    return or_(*[column.icontains(q, autoescape=True) for column in columns])


def batches(state, q, number, per_page):
    """(rows, Page): batches in process (oldest paid first) or processed with rejected lines
    (oldest processed first); `q` searches the number, the company's name or NIT."""
    rejected = _rejected_count().label("rejected")
    query = (select(Batch.id, Batch.number, Batch.kind, Batch.rows_total, Batch.valid_count, Batch.created_at,
                    Batch.processed_at, ServiceOrder.number.label("order_number"), ServiceOrder.paid_at,
                    Company.name.label("company"), Company.nit, Product.name.label("product"),
                    Product.brand, rejected)
             .join(Company, Company.id == Batch.company_id).join(Product, Product.id == Batch.product_id)
             .outerjoin(ServiceOrder, ServiceOrder.id == Batch.order_id))
    if state == "rechazados":
        has_rejected = exists().where(BatchLine.batch_id == Batch.id, BatchLine.outcome == b.LINE_REJECTED)
        query, order = query.where(Batch.status == b.PROCESSED, has_rejected), (Batch.processed_at, Batch.id)
    else:
        query, order = query.where(Batch.status == b.IN_PROCESS), (ServiceOrder.paid_at, Batch.id)
    if q:
        query = query.where(_search(q, Batch.number, Company.name, Company.nit))
    return tables.paged(query, number, per_page, *order, entities=False)


def batch(batch_id):
    """A batch in process or processed (the queues' batches), with its company and product."""
    return db.session.scalars(select(Batch).where(Batch.id == batch_id,
                                                  Batch.status.in_((b.IN_PROCESS, b.PROCESSED)))).first()


def rejected_lines(found, number, per_page):
    """(BatchLines, Page): the lines of `found` the card processor rejected, by line."""
    query = select(BatchLine).where(BatchLine.batch_id == found.id, BatchLine.outcome == b.LINE_REJECTED)
    return tables.paged(query, number, per_page, BatchLine.line_no)


# --- service orders --------------------------------------------------------------------------

Attempt = aliased(OrderPayment)  # any debit of the order, in subqueries beside the row's own


@dataclass
class OrderRow:
    order: object  # the row's order columns
    payment: OrderPayment | None  # the debit the row is about: the last one, or the one waiting


def _orders_query(state):
    last = (select(func.max(Attempt.id)).where(Attempt.order_id == ServiceOrder.id)
            .correlate(ServiceOrder).scalar_subquery())
    query = (select(ServiceOrder.id, ServiceOrder.number, ServiceOrder.kind, ServiceOrder.status,
                    ServiceOrder.created_at, ServiceOrder.to_pay, Company.name.label("company"), Company.nit,
                    Product.name.label("product"), Product.brand, OrderPayment.id.label("payment_id"))
             .join(Company, Company.id == ServiceOrder.company_id).join(Product, Product.id == ServiceOrder.product_id))
    if state == "en_banco":
        return (query.join(OrderPayment, OrderPayment.order_id == ServiceOrder.id)
                .where(OrderPayment.status.in_(WAITING)), (OrderPayment.created_at, OrderPayment.id))
    query = query.outerjoin(OrderPayment, OrderPayment.id == last).where(
        ServiceOrder.status == o.PENDING_PAYMENT)
    if state == "debito_fallido":
        refused = exists().where(Attempt.order_id == ServiceOrder.id, Attempt.status.in_(REFUSED))
        return query.where(refused), (OrderPayment.decided_at, ServiceOrder.id)
    return query, (ServiceOrder.created_at, ServiceOrder.id)


def orders(state, q, number, per_page):
    """(OrderRows, Page), the oldest first: orders awaiting payment, with a refused debit,
    or with a debit waiting for the bank; `q` searches the order number, company or NIT."""
    query, order = _orders_query(state)
    if q:
        number_typed = [ServiceOrder.number == int(q)] if q.isdigit() and len(q) <= 9 else []
        query = query.where(or_(_search(q, Company.name, Company.nit), *number_typed))
    rows, page = tables.paged(query, number, per_page, *order, entities=False)
    ids = [row.payment_id for row in rows if row.payment_id]
    payments = {p.id: p for p in db.session.scalars(select(OrderPayment).where(OrderPayment.id.in_(ids)))} \
        if ids else {}
    return [OrderRow(row, payments.get(row.payment_id)) for row in rows], page
