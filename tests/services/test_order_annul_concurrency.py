"""«Anular orden» under concurrency (PostgreSQL in CI): ten clicks at the same instant annul
the order once, move its batches once, audit and e-mail once."""
from portal.extensions import db
from portal.models import AuditEvent, Batch, OutboxMessage, ServiceOrder, User
from portal.services import service_orders
from tests import factories
from tests.services.test_batch_concurrency import race
from tests.services.test_service_orders import make_order, manual_company


def test_ten_annuls_at_the_same_instant_annul_once(app):
    company, loader, ana, beto = manual_company(scheme=2)
    order = make_order(company, loader, ana, beto)
    order_id, user_id, batch_id = order.id, beto.id, order.batches[0].id
    mails_before = db.session.query(OutboxMessage).count()
    db.session.remove()

    def annul():
        found = db.session.get(ServiceOrder, order_id)
        return service_orders.annul(db.session.get(User, user_id), found, factories.PASSWORD).ok

    assert sorted(race(app, annul, 10)) == [False] * 9 + [True]
    assert db.session.get(ServiceOrder, order_id).status == "annulled"
    assert db.session.get(Batch, batch_id).status == "annulled"
    assert db.session.query(AuditEvent).filter_by(action="conexion.order_annulled").count() == 1
    assert db.session.query(OutboxMessage).count() - mails_before == 2  # ana and beto, once each
