"""Consultas › Órdenes de servicio (services/service_orders.py, services/order_pdf.py): the
list and its search, the detail's records, «Anular orden» once and only before paid."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import update

from portal.domain import order_search
from portal.extensions import db
from portal.models import AuditEvent, Batch, BatchLine, OutboxMessage, ServiceOrder
from portal.services import order_pdf, orders, service_orders
from tests import factories
from tests.order_helpers import access_of, confirmed_emission, signers

PW = factories.PASSWORD
TODAY = date(2026, 5, 26)


def manual_company(scheme=1):
    """The manual's 10.00 per record at 12 % IVA."""
    company = factories.company()
    product = company.products[0]
    product.commission_per_record, product.iva_rate = Decimal("10.00"), Decimal("0.12")
    company.billing_address, company.phone1 = "Carrera 13 #83-19", "4193333"
    loader, ana, beto = signers(company, scheme)
    return company, loader, ana, beto


def make_order(company, loader, ana, beto=None, people=(("1045678434", "0", "BARRANQUILLA"),)):
    batch = confirmed_emission(loader, company, people)
    done = orders.sign(ana, access_of(ana, company), [batch.id], "lote", PW)
    if beto is not None:
        done = orders.sign(beto, access_of(beto, company), [batch.id], "lote", PW)
    assert done.ok and done.orders, done.message
    return done.orders[0]


def criteria(**args):
    return order_search.parse(args, TODAY)


def test_the_list_is_this_products_orders_newest_first_by_bogota_day_and_status(app):
    company, loader, ana, _ = manual_company()
    first, second = make_order(company, loader, ana), make_order(company, loader, ana, people=(("1045678435", "0", "CALI"),))
    # 23:30 of 25/05 in Bogotá is 04:30 of 26/05 in UTC
    first.created_at, second.created_at = datetime(2026, 5, 26, 4, 30), datetime(2026, 5, 26, 5, 30)
    db.session.commit()
    other = factories.company("800100200", "OTRA S.A.S.")
    other.products[0].commission_per_record = Decimal("10.00")
    for user in (loader, ana):
        factories.member(user, other, can_upload=True, can_authorize=True)
    make_order(other, loader, ana, people=(("1045678436", "0", "CALI"),))
    access = access_of(ana, company)

    rows, page = service_orders.listing(access, criteria())
    assert [r.number for r in rows] == [second.number, first.number] and page.total == 2
    rows, _ = service_orders.listing(access, criteria(fecha_inicial="25/05/2026", fecha_final="25/05/2026"))
    assert [r.id for r in rows] == [first.id]
    rows, _ = service_orders.listing(access, criteria(fecha_inicial="26/05/2026"))
    assert [r.id for r in rows] == [second.id]
    assert service_orders.listing(access, criteria(estado="annulled"))[1].total == 0
    assert service_orders.listing(access, criteria(estado="pending_payment"))[1].total == 2
    assert service_orders.listing(access, criteria(fecha_inicial="31/02/2026"))[1].total == 0  # a bad date: nothing
    rows, page = service_orders.listing(access, criteria(), number=2, per_page=1)
    assert [r.id for r in rows] == [first.id] and page.pages == 2


def test_an_order_is_found_only_in_its_company_and_product(app):
    company, loader, ana, _ = manual_company()
    order = make_order(company, loader, ana)
    other = factories.company("800100200", "OTRA S.A.S.")
    factories.member(ana, other, can_consult=True)
    assert service_orders.order_of(access_of(ana, company), order.id).id == order.id
    assert service_orders.order_of(access_of(ana, other), order.id) is None


def test_records_show_the_batch_state_then_the_line_outcome(app):
    company, loader, ana, _ = manual_company()
    order = make_order(company, loader, ana, people=(("1045678434", "0", "CALI"), ("1045678435", "0", "CALI")))
    batch = order.batches[0]
    assert service_orders.batch_of(order, batch.id) is batch and service_orders.batch_of(order, batch.id + 99) is None
    lines, page = service_orders.batch_lines(batch)
    assert page.total == 2 and [service_orders.line_state(line, batch) for line in lines] == ["Autorizado"] * 2
    lines[0].outcome, lines[1].outcome, lines[1].outcome_reason = "processed", "rejected", "ya tiene una tarjeta"
    db.session.commit()
    assert [service_orders.line_state(line, batch) for line in lines] == ["Procesado", "Rechazado: ya tiene una tarjeta"]
    found, page = service_orders.batch_lines(batch, q="678435")
    assert [line.id_number for line in found] == ["1045678435"]
    assert service_orders.unit_price(batch) == Decimal("10.00") and service_orders.records_of(batch) == 2


def test_annul_moves_the_order_and_its_batches_audits_and_mails_both_signers(app):
    company, loader, ana, beto = manual_company(scheme=2)
    order = make_order(company, loader, ana, beto)
    batch_id = order.batches[0].id
    mails_before = db.session.query(OutboxMessage).count()
    done = service_orders.annul(beto, order, PW)
    assert done.ok and str(order.number) in done.message
    assert db.session.get(ServiceOrder, order.id).status == "annulled"
    assert order.annulled_by_id == beto.id and order.annulled_at is not None
    assert db.session.get(Batch, batch_id).status == "annulled"
    assert db.session.query(AuditEvent).filter_by(action="conexion.order_annulled").count() == 1
    mails = db.session.query(OutboxMessage).order_by(OutboxMessage.id).all()[mails_before:]
    assert sorted(m.recipient for m in mails) == sorted([ana.email, beto.email])
    assert all(f"orden de servicio {order.number} anulada" in m.subject and "beto" in m.body for m in mails)

    again = service_orders.annul(beto, order, PW)
    assert not again.ok and "Anulada" in again.message
    assert db.session.query(AuditEvent).filter_by(action="conexion.order_annulled").count() == 1


def test_a_wrong_password_or_a_paid_order_annuls_nothing(app):
    company, loader, ana, _ = manual_company()
    order = make_order(company, loader, ana)
    wrong = service_orders.annul(ana, order, "otra")
    assert not wrong.ok and not wrong.locked and wrong.message == "La contraseña no es correcta."
    assert db.session.get(ServiceOrder, order.id).status == "pending_payment"
    assert db.session.query(AuditEvent).filter_by(action="conexion.order_annul_wrong_password").count() == 1
    db.session.execute(update(ServiceOrder).where(ServiceOrder.id == order.id).values(status="paid"))
    db.session.commit()
    db.session.refresh(order)
    paid = service_orders.annul(ana, order, PW)
    assert not paid.ok and "Pagada" in paid.message
    assert order.batches[0].status == "authorized"


def test_an_order_that_moved_on_after_it_was_read_is_not_annulled(app):
    """The page read it pending; the payment took it meanwhile: the conditional UPDATE says no."""
    company, loader, ana, _ = manual_company()
    order = make_order(company, loader, ana)
    with db.engine.begin() as other:  # another request, its own transaction
        other.execute(update(ServiceOrder).where(ServiceOrder.id == order.id).values(status="paying"))
    assert order.status == "pending_payment"  # as this request read it
    late = service_orders.annul(ana, order, PW)
    assert not late.ok and "Pago en proceso" in late.message
    assert db.session.get(ServiceOrder, order.id).status == "paying"
    assert order.batches[0].status == "authorized"


def test_the_pdf_context_has_the_manuals_fields(app):
    company, loader, ana, beto = manual_company(scheme=2)
    order = make_order(company, loader, ana, beto)
    found = order_pdf.context(order)
    assert found["signers"] == ["ana", "beto"] and found["kind"] == "Emisión nominada"
    assert found["iva_label"] == "IVA (12.0%)"
    (line,) = found["lines"]
    assert (line["uploader"], line["records"], line["unit"]) == ("carga", 1, Decimal("10.00"))
    assert (order.commission, order.iva, order.total, order.to_pay) == (
        Decimal("10.00"), Decimal("1.20"), Decimal("11.20"), Decimal("11.20"))
    assert db.session.query(BatchLine).count() == 1
