"""Autorización (services/orders.py): one or two signatures, and the orders they make."""
from datetime import timedelta
from decimal import Decimal

from portal.domain import clock
from portal.extensions import db
from portal.models import AuditEvent, Batch, BatchSignature, ServiceOrder
from portal.services import orders
from tests import factories
from tests.order_helpers import access_of, confirmed_emission, signers

PW = factories.PASSWORD


def _setup(scheme, **kw):
    company = factories.company()
    company.products[0].commission_per_record, company.products[0].iva_rate = Decimal("10.00"), Decimal("0.12")
    loader, ana, beto = signers(company, scheme, **kw)
    return company, loader, ana, beto


def test_one_signature_makes_the_manuals_order(app):
    company, loader, ana, _ = _setup(1)
    batch = confirmed_emission(loader, company)
    done = orders.sign(ana, access_of(ana, company), [batch.id], "lote", PW)
    assert done.ok and len(done.orders) == 1, done.message
    order = done.orders[0]
    assert (order.number, order.commission, order.iva, order.total) == (12397, Decimal("10.00"), Decimal("1.20"),
                                                                         Decimal("11.20"))
    assert order.amount == Decimal("1000.00") and order.to_pay == Decimal("1011.20")
    assert db.session.get(Batch, batch.id).status == "authorized"
    assert db.session.get(Batch, batch.id).order_id == order.id
    assert order.first_signer_id == ana.id and order.second_signer_id is None


def test_two_signatures_first_waits_and_the_same_user_cannot_finish(app):
    company, loader, ana, beto = _setup(2)
    batch = confirmed_emission(loader, company)
    first = orders.sign(ana, access_of(ana, company), [batch.id], "tipo", PW)
    assert first.ok and not first.orders and first.waiting is not None
    assert db.session.get(Batch, batch.id).status == "signed"
    again = orders.sign(ana, access_of(ana, company), [batch.id], "tipo", PW)
    assert not again.ok and "otro responsable" in again.message
    done = orders.sign(beto, access_of(beto, company), [batch.id], "lote", PW)
    assert done.ok and len(done.orders) == 1
    order = done.orders[0]
    assert (order.first_signer_id, order.second_signer_id) == (ana.id, beto.id)
    assert db.session.get(BatchSignature, first.waiting.id).status == "completed"


def test_the_uploader_may_be_forbidden(app):
    company, loader, ana, _ = _setup(2, uploader_may_sign=False)
    batch = confirmed_emission(loader, company)
    refused = orders.sign(loader, access_of(loader, company), [batch.id], "lote", PW)
    assert not refused.ok and "cargó" in refused.message
    assert db.session.get(Batch, batch.id).status == "confirmed"
    assert db.session.query(AuditEvent).filter_by(action="conexion.sign_refused").count() == 1


def test_a_lapsed_first_signature_returns_the_batches(app):
    company, loader, ana, beto = _setup(2)
    batch = confirmed_emission(loader, company)
    orders.sign(ana, access_of(ana, company), [batch.id], "lote", PW)
    assert orders.lapse_waiting(clock.utcnow() + timedelta(hours=23)) == 0
    assert orders.lapse_waiting(clock.utcnow() + timedelta(hours=25)) == 1
    assert db.session.get(Batch, batch.id).status == "confirmed"
    late = orders.sign(beto, access_of(beto, company), [batch.id], "lote", PW)
    assert late.ok and late.waiting is not None  # beto's is a new first signature


def test_per_type_makes_one_order_per_batch_type_and_numbers_follow(app):
    company, loader, ana, _ = _setup(1)
    one = confirmed_emission(loader, company, (("1045678434", "100", "BOGOTA"),))
    two = confirmed_emission(loader, company, (("1045678435", "200", "CALI"), ("1045678436", "300", "CALI")))
    done = orders.sign(ana, access_of(ana, company), [one.id, two.id], "tipo", PW)
    assert done.ok and len(done.orders) == 1
    order = done.orders[0]
    assert order.amount == Decimal("600.00") and order.total_price == Decimal("30.00")
    assert sorted((d.destination, d.quantity) for d in order.distribution) == [("BOGOTA", 1), ("CALI", 2)]
    three = confirmed_emission(loader, company, (("1045678437", "1", "CALI"),))
    assert orders.sign(ana, access_of(ana, company), [three.id], "lote", PW).orders[0].number == order.number + 1


def test_a_wrong_password_signs_nothing(app):
    company, loader, ana, _ = _setup(1)
    batch = confirmed_emission(loader, company)
    wrong = orders.sign(ana, access_of(ana, company), [batch.id], "lote", "mala")
    assert not wrong.ok and db.session.query(ServiceOrder).count() == 0
    assert db.session.get(Batch, batch.id).status == "confirmed"


def test_another_products_batch_is_not_signable(app):
    company, loader, ana, _ = _setup(1)
    batch = confirmed_emission(loader, company)
    other = factories.company("800191045", "OTRA")
    factories.member(ana, other, can_authorize=True)
    refused = orders.sign(ana, access_of(ana, other), [batch.id], "lote", PW)
    assert not refused.ok and db.session.get(Batch, batch.id).status == "confirmed"
