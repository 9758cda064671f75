"""Confirmed batches, signers and orders for the Autorización and service-order tests."""
import io

import openpyxl

from portal.domain import batch_layouts as bl
from portal.extensions import db
from portal.models import Batch
from portal.services import batches, conexion
from tests import factories


def emission_file(people):
    """An emission .xlsx: people = [(cédula, amount, city)]."""
    book = openpyxl.Workbook()
    book.active.append(bl.layout("emission").headers)
    for cedula, amount, city in people:
        book.active.append(["CC", cedula, "PÉREZ", "", "MARÍA", "", "15/03/1985", "", "3001234567", "Calle 1",
                            city, "", amount])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def confirmed_emission(user, company, people=(("1045678434", "1000", "BARRANQUILLA"),), product=None):
    """A batch loaded, checked (by the job's own function) and confirmed by `user`."""
    product = product or company.products[0]
    access = conexion.access(user, company.id, product.id)
    batch = batches.submit(user, access, "emission", f"E{len(people)}.xlsx", emission_file(people))
    assert batches.process(batch.id) == "valid"
    batch = db.session.get(Batch, batch.id)
    assert batches.confirm(user, batch, factories.PASSWORD, same_content_ok=True).ok
    return batch


def signers(company, scheme=2, uploader_may_sign=True):
    """(loader, ana, beto): three members; ana and beto may authorize."""
    company.signature_scheme, company.uploader_may_sign = scheme, uploader_may_sign
    loader = factories.user("corporate", "carga")
    factories.member(loader, company, can_upload=True, can_authorize=True)
    ana = factories.user("corporate", "ana")
    factories.member(ana, company, can_upload=True, can_authorize=True)
    beto = factories.user("corporate", "beto")
    factories.member(beto, company, can_upload=True, can_authorize=True)
    db.session.commit()
    return loader, ana, beto


def access_of(user, company, product=None):
    return conexion.access(user, company.id, (product or company.products[0]).id)


# --- paid orders, for the card processor's tests (issue #10) ---------------------------------

def batch_file(kind, rows):
    """A batch .xlsx of `kind` with the layout's headers and `rows` (lists of cells)."""
    book = openpyxl.Workbook()
    book.active.append(bl.layout(kind).headers)
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def confirmed_batch(user, company, kind, rows, product=None):
    """A batch of `kind` loaded, checked by the job's own function and confirmed."""
    product = product or company.products[0]
    access = conexion.access(user, company.id, product.id)
    batch = batches.submit(user, access, kind, f"{kind}{len(rows)}.xlsx", batch_file(kind, rows))
    assert batches.process(batch.id) == "valid", db.session.get(Batch, batch.id).errors_json
    batch = db.session.get(Batch, batch.id)
    assert batches.confirm(user, batch, factories.PASSWORD, same_content_ok=True).ok
    return batch


def pay(order, when=None):
    """What «Pagar orden» does once the bank approved (the payment service does the same):
    the order paid, its batches in process, and its Monto credited to the company
    product's clearing account in the ledger (from the program's funding here)."""
    from decimal import Decimal

    from sqlalchemy import update

    from portal.domain import clock
    from portal.models import ServiceOrder
    from portal.services import ledger

    now = when or clock.utcnow()
    moved = db.session.execute(update(ServiceOrder).where(ServiceOrder.id == order.id,
                                                          ServiceOrder.status == "pending_payment")
                               .values(status="paid", paid_at=now).execution_options(synchronize_session=False))
    assert moved.rowcount == 1
    db.session.execute(update(Batch).where(Batch.order_id == order.id, Batch.status == "authorized")
                       .values(status="in_process").execution_options(synchronize_session=False))
    order = db.session.get(ServiceOrder, order.id)
    db.session.refresh(order)
    amount = Decimal(order.amount)
    ledger.post(f"order-{order.id}-paid", [
        ledger.Leg(ledger.program_account("funding"), -amount, f"Pago orden de servicio {order.number}"),
        ledger.Leg(ledger.company_account("clearing", order.company, order.product), amount,
                   f"Orden de servicio {order.number} por cargar a tarjetas")], reference=str(order.number))
    db.session.commit()
    return order


def paid_order(user, batch_list, mode="lote"):
    """`batch_list` (confirmed, one product) signed by `user` alone (a one-signature company)
    into one order, and paid: the order."""
    from portal.services import orders

    product = batch_list[0].product
    signed = orders.sign(user, access_of(user, batch_list[0].company, product), [b.id for b in batch_list],
                         "tipo" if len(batch_list) > 1 else mode, factories.PASSWORD)
    assert signed.ok and len(signed.orders) == 1, signed.message
    return pay(signed.orders[0])
