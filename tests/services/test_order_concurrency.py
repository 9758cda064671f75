"""Autorización under concurrency (PostgreSQL in CI): signers at the same instant make one
order, and order numbers taken together never repeat."""
from portal.extensions import db
from portal.models import AuditEvent, Batch, ServiceOrder, User
from portal.services import orders
from tests import factories
from tests.order_helpers import access_of, confirmed_emission, signers
from tests.services.test_batch_concurrency import race


def test_two_second_signers_at_the_same_instant_make_one_order(app):
    company = factories.company()
    loader, ana, beto = signers(company, 2)
    carla = factories.user("corporate", "carla")
    factories.member(carla, company, can_authorize=True)
    batch = confirmed_emission(loader, company)
    assert orders.sign(ana, access_of(ana, company), [batch.id], "lote", factories.PASSWORD).waiting
    ids, company_id, batch_id = [beto.id, carla.id, beto.id, carla.id], company.id, batch.id
    db.session.remove()

    def second():
        user = db.session.get(User, ids.pop())
        from portal.models import Company
        return orders.sign(user, access_of(user, db.session.get(Company, company_id)), [batch_id], "lote",
                           factories.PASSWORD).ok

    assert sorted(race(app, second, 4)) == [False, False, False, True]
    assert db.session.query(ServiceOrder).count() == 1
    assert db.session.get(Batch, batch_id).status == "authorized"
    assert db.session.query(AuditEvent).filter_by(action="conexion.order_created").count() == 1


def test_one_signature_schemes_authorize_once_when_clicked_together(app):
    company = factories.company()
    loader, ana, _ = signers(company, 1)
    batch = confirmed_emission(loader, company)
    user_id, company_id, batch_id = ana.id, company.id, batch.id
    db.session.remove()

    def sign():
        from portal.models import Company
        user = db.session.get(User, user_id)
        return orders.sign(user, access_of(user, db.session.get(Company, company_id)), [batch_id], "lote",
                           factories.PASSWORD).ok

    assert sorted(race(app, sign, 6)) == [False] * 5 + [True]
    assert db.session.query(ServiceOrder).count() == 1


def test_order_numbers_taken_together_never_repeat(app):
    db.session.remove()

    def take():
        number = orders.next_order_number()
        db.session.commit()
        return number

    numbers = race(app, take, 10)
    assert sorted(numbers) == list(range(12397, 12407))
