"""Subsidy orders under concurrency (both databases; PostgreSQL in CI): orders issued at the
same instant get different numbers, and one form sent twice at once issues one order."""
from datetime import timedelta

from portal.domain.formatting import today_bogota
from portal.extensions import db
from portal.models import SubsidyOrder, User
from portal.services import subsidy_orders
from tests import factories
from tests import subsidy_helpers as h
from tests.services.test_batch_concurrency import race


def draft(entity_id, key):
    return subsidy_orders.Draft("1045678434", "María Pérez", str(entity_id),
                                (today_bogota() + timedelta(days=5)).isoformat(), [("Mercado", "1", "1000")], key)


def test_orders_at_the_same_instant_get_different_numbers(app):
    staff_id = factories.user("staff", "ana", roles="pagos").id
    entity_id = h.supplier()[0].id
    db.session.remove()

    def issue():
        return subsidy_orders.issue(db.session.get(User, staff_id), draft(entity_id, subsidy_orders.new_key())).ok

    assert race(app, issue, 6) == [True] * 6
    numbers = [o.number for o in db.session.query(SubsidyOrder)]
    assert sorted(numbers) == [str(80001 + n) for n in range(6)]


def test_one_form_sent_twice_at_once_issues_once(app):
    staff_id = factories.user("staff", "ana", roles="pagos").id
    entity_id = h.supplier()[0].id
    key = subsidy_orders.new_key()
    db.session.remove()

    def issue():
        outcome = subsidy_orders.issue(db.session.get(User, staff_id), draft(entity_id, key))
        return outcome.ok, outcome.order.number

    assert race(app, issue, 3) == [(True, "80001")] * 3
    assert db.session.query(SubsidyOrder).count() == 1
