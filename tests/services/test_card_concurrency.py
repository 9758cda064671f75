"""Card operations at the same instant (PostgreSQL in CI): abonos that together exceed the
master account succeed exactly as far as its money goes; one form sent many times at once
moves money once."""
import os
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import CardOperation, LedgerEntry, User
from portal.services import card_operations as ops
from portal.services import conexion, ledger
from tests import card_helpers as h
from tests import factories
from tests.services.test_batch_concurrency import race

D = Decimal
pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                                reason="writers at once: on PostgreSQL (SQLite has one writer)")


def _in_thread(user_id, company_id, product_id):
    user = db.session.get(User, user_id)
    return user, conexion.access(user, company_id, product_id)


def test_twenty_abonos_at_once_succeed_as_far_as_the_master_money_goes(app):
    user, access, company = h.setup("1000.00")
    card_ids = [h.card(access, f"{n:04d}", holder=f"10{n}").id for n in range(20)]
    ids = (user.id, company.id, access.product.id)
    db.session.remove()
    taken = iter(range(20))

    def abono():
        n = next(taken)
        user, access = _in_thread(*ids)
        card = ops.card_of(access, card_ids[n])
        outcome = ops.operate(user, access, f"key-{n}", factories.PASSWORD, "credit", [card], amount=D("100.00"))
        return outcome.ok, outcome.operations[0].message

    results = race(app, abono, 20)
    assert len(results) == 20
    done = [message for ok, message in results if ok]
    refused = [message for ok, message in results if not ok]
    assert len(done) == 6  # 6 × (100 + 55) = 930 ≤ 1.000 < 7 × 155
    assert len(refused) == 14 and all(m.startswith("Saldo insuficiente en la cuenta maestra") for m in refused)
    user, access = _in_thread(*ids)
    master = ledger.company_account("master", access.company, access.product)
    entries = db.session.scalar(select(func.sum(LedgerEntry.amount)).where(LedgerEntry.account_id == master.id))
    assert ledger.balance(master) == D("70.00") == D(entries)
    running, lowest = D(0), D(0)
    for amount in db.session.scalars(select(LedgerEntry.amount).where(LedgerEntry.account_id == master.id)
                                     .order_by(LedgerEntry.id)):
        running += amount
        lowest = min(lowest, running)
    assert lowest == 0 and running == D("70.00")  # never below zero, entry after entry
    assert ledger.balance(ledger.program_account("fees")) == D("330.00")
    assert db.session.query(CardOperation).filter_by(status="done").count() == 6
    assert ledger.differences() == []


def test_one_form_sent_many_times_at_once_moves_money_once(app):
    user, access, company = h.setup("1000.00")
    card_id = h.card(access).id
    ids = (user.id, company.id, access.product.id)
    db.session.remove()

    def submit():
        user, access = _in_thread(*ids)
        outcome = ops.operate(user, access, "same-key", factories.PASSWORD, "credit", [ops.card_of(access, card_id)],
                              amount=D("100.00"))
        return outcome.ok, outcome.again

    results = race(app, submit, 6)
    assert sorted(results) == [(True, False)] + [(True, True)] * 5
    user, access = _in_thread(*ids)
    assert h.master_balance(access) == D("845.00")
    assert db.session.query(CardOperation).count() == 1
    assert ledger.differences() == []
