"""Consultas › Órdenes de servicio (manual 003 ch. 4): a product's orders searched and paged
(4.1), an order's batches and their records (4.2), and «Anular orden» with the password
(4.4). The PDF (4.3) is services/order_pdf.py. Shared by the pages, the jobs and the API.

Anular happens once whatever is clicked twice or by two users at the same instant: the
order moves by a conditional UPDATE (… WHERE status = 'pending_payment') whose row count
must be 1, and its batches move in the same transaction."""
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select, update

from portal.domain import batches as b
from portal.domain import clock, paging
from portal.domain import order_search as search
from portal.domain import orders as o
from portal.domain import webhooks as wh
from portal.domain.formatting import local
from portal.extensions import db
from portal.models import Batch, OrderPayment, ServiceOrder, User
from portal.services import audit, auth, batches, messaging, tables, webhooks

# --- 4.1 the list ----------------------------------------------------------------------------

def order_of(access, order_id):
    """Object-level check: an order of this company's product, or None."""
    return db.session.scalars(select(ServiceOrder).where(
        ServiceOrder.id == order_id, ServiceOrder.company_id == access.company.id,
        ServiceOrder.product_id == access.product.id)).first()


def _matching(company_id, product_ids, criteria):
    """The orders of the company's `product_ids` within the criteria's Bogotá days and status."""
    query = select(ServiceOrder).where(ServiceOrder.company_id == company_id,
                                       ServiceOrder.product_id.in_(product_ids))
    since, before = search.utc_bounds(criteria.start, criteria.end)
    if since:
        query = query.where(ServiceOrder.created_at >= since)
    if before:
        query = query.where(ServiceOrder.created_at < before)
    if criteria.status:
        query = query.where(ServiceOrder.status == criteria.status)
    return query


def listing(access, criteria, number=1, per_page=paging.DEFAULT_PER_PAGE):
    """(orders of the page, Page): the product's orders, newest first, within the
    criteria's Bogotá days and status. Criteria with errors (a bad date) find nothing."""
    if criteria.errors:
        return [], paging.page_of(0)
    return tables.paged(_matching(access.company.id, [access.product.id], criteria), number, per_page,
                        ServiceOrder.created_at.desc(), ServiceOrder.id.desc())


def listing_after(company_id, product_ids, criteria, after=None, limit=20):
    """The API's list: (up to `limit` orders newest first after `after`, more?)."""
    return tables.newest_after(_matching(company_id, product_ids, criteria), ServiceOrder.created_at,
                               ServiceOrder.id, after, limit)


def company_order(company_id, order_id):
    """An order of the company, whichever its product (the API then checks the product)."""
    order = db.session.get(ServiceOrder, order_id)
    return order if order is not None and order.company_id == company_id else None


def payments_of(order):
    """«Pagar orden»'s attempts on the order, oldest first (what the bank answered)."""
    return db.session.scalars(select(OrderPayment).where(OrderPayment.order_id == order.id)
                              .order_by(OrderPayment.id)).all()


# --- 4.2 the detail --------------------------------------------------------------------------

def records_of(batch):
    """The records the order charged for (services/orders.batch_in): the unnamed cards
    requested, or the valid lines."""
    return batch.rows_total if batch.kind == "unnamed_emission" else batch.valid_count


def batch_in_amount(batch):
    """What the batch loads on cards, as the order charged it (services/orders.batch_in)."""
    return o.ZERO if batch.kind == "unnamed_emission" else Decimal(batch.total_amount or 0)


def unit_price(batch):
    """«Precio Unitario»: its SubTotal line over its records (exact: both in cents)."""
    records = records_of(batch)
    return o.cents(Decimal(batch.commission) / records) if records else o.ZERO


def batch_of(order, batch_id):
    """A batch of this order, or None."""
    return db.session.scalars(select(Batch).where(Batch.id == batch_id, Batch.order_id == order.id)).first()


def batch_lines(batch, q="", number=1, per_page=paging.DEFAULT_PER_PAGE):
    """«Registros del lote»: the batch's records (its valid lines), searchable by DNI or name."""
    return batches.lines(batch, q, True, number, per_page)


def line_state(line, batch):
    """A record's «Estado»: its outcome once processed (a rejection with its reason),
    before that its batch's state."""
    if line.outcome:
        label = b.LINE_OUTCOMES.get(line.outcome, line.outcome)
        return f"{label}: {line.outcome_reason}" if line.outcome == b.LINE_REJECTED and line.outcome_reason else label
    return b.BATCH.label(batch.status)


def usernames(ids):
    """{user id: username} of these ids (uploaders, signers)."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(db.session.execute(select(User.id, User.username).where(User.id.in_(wanted))).all())


def signers_of(order):
    """The order's signers, first then second (one when one signature sufficed)."""
    return [user for user in (order.first_signer, order.second_signer) if user is not None]


# --- 4.4 Anular ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Decision:
    ok: bool
    message: str
    locked: bool = False


def annul(user, order, password):
    """«Anular orden» with the password, only while pending payment: the order and its
    authorized batches become annulled together, audited, the signers e-mailed. Commits."""
    if order.status != o.PENDING_PAYMENT:
        return Decision(False, _not_annullable(order))
    check = auth.confirm_password(user, password, "conexion.order_annul")
    if not check.ok:
        return Decision(False, auth.WRONG_PASSWORD, locked=check.locked)
    now = clock.utcnow()
    moved = db.session.execute(update(ServiceOrder).where(
        ServiceOrder.id == order.id, ServiceOrder.status == o.PENDING_PAYMENT).values(
        status=o.ANNULLED, annulled_at=now, annulled_by_id=user.id).execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        db.session.rollback()
        db.session.refresh(order)
        return Decision(False, _not_annullable(order))
    annulled = db.session.execute(update(Batch).where(Batch.order_id == order.id, Batch.status == b.AUTHORIZED)
                                  .values(status=b.ANNULLED).execution_options(synchronize_session=False))
    audit.record("conexion.order_annulled", user, subject=f"order:{order.id}", number=order.number,
                 batches=annulled.rowcount, to_pay=str(order.to_pay))
    webhooks.emit(order.company_id, "order.annulled", wh.order_data(order, status=o.ANNULLED))
    _tell_signers(order, user, now)
    db.session.commit()
    db.session.refresh(order)
    return Decision(True, f"La orden de servicio {order.number} fue anulada exitosamente. Sus lotes quedaron anulados.")


def _not_annullable(order):
    return (f"La orden de servicio {order.number} ya no se puede anular: está "
            f"«{o.ORDER.label(order.status)}». Solo se anula mientras está pendiente de pago.")


def _tell_signers(order, by, when):
    company, product = order.company, order.product
    for signer in signers_of(order):
        messaging.send_email(
            signer.email, f"Conexión Empresas: orden de servicio {order.number} anulada",
            f"Hola {signer.full_name}:\n\n"
            f"La orden de servicio {order.number} de {company.name}, producto {product.label}, que usted "
            f"autorizó, fue anulada por el usuario {by.username} el {local(when):%d/%m/%Y a las %H:%M} "
            f"(hora de Colombia). Sus lotes quedaron anulados y no se procesarán.\n\n"
            "Si usted no esperaba esta anulación, comuníquese con los responsables de su empresa o con la Caja.")
