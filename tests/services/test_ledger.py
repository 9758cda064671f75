"""services/ledger.py: balanced, posted once."""
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import LedgerEntry
from portal.services import ledger
from tests import factories


def test_a_movement_is_balanced_and_posted_once(app):
    company = factories.company()
    funding = ledger.program_account("funding")
    clearing = ledger.company_account("clearing", company, company.products[0])
    legs = [ledger.Leg(funding, Decimal("-100.00"), "Débito banco"), ledger.Leg(clearing, Decimal("100.00"), "Abono")]
    assert ledger.post("t-1", legs) is True
    assert ledger.post("t-1", legs) is False
    db.session.commit()
    assert db.session.query(LedgerEntry).filter_by(txn_id="t-1").count() == 2
    assert ledger.balance(clearing) == Decimal("100.00") and ledger.balance(funding) == Decimal("-100.00")
    assert ledger.program_account("funding").id == funding.id


def test_an_unbalanced_movement_is_refused(app):
    funding = ledger.program_account("funding")
    with pytest.raises(ledger.Unbalanced):
        ledger.post("t-2", [ledger.Leg(funding, Decimal("1.00"), "x")])
    assert db.session.query(LedgerEntry).count() == 0


def test_a_guarded_account_never_goes_below_zero_and_a_refusal_writes_nothing(app):
    company = factories.company()
    funding = ledger.program_account("funding")
    master = ledger.company_account("master", company, company.products[0])
    ledger.post("fund", [ledger.Leg(funding, Decimal("-50.00"), "x"), ledger.Leg(master, Decimal("50.00"), "y")])
    fees = ledger.program_account("fees")
    with pytest.raises(ledger.Insufficient):
        ledger.post("fee", [ledger.Leg(master, Decimal("-60.00"), "Comisión"), ledger.Leg(fees, Decimal("60.00"), "z")])
    db.session.commit()
    assert ledger.balance(master) == Decimal("50.00") and ledger.balance(fees) == Decimal("0.00")
    assert not ledger.posted("fee")
    assert ledger.balance(funding) == Decimal("-50.00")  # the outside world's side may
    assert ledger.differences() == []


def test_differences_name_a_balance_written_behind_posts_back(app):
    company = factories.company()
    master = ledger.company_account("master", company, company.products[0])
    master.balance = Decimal("7.00")
    db.session.commit()
    assert [(a.id, bal, total) for a, bal, total in ledger.differences()] == [(master.id, Decimal("7.00"), Decimal(0))]


def test_first_uses_at_the_same_instant_make_one_account(app):
    from tests.services.test_batch_concurrency import race

    db.session.remove()

    def first_use():
        account_id = ledger.program_account("taxes").id
        db.session.commit()
        return account_id

    assert len(set(race(app, first_use, 6))) == 1


def test_cents_sum_to_their_balance_on_every_database(app):
    """SQLite sums NUMERIC as floats: 0.10 + 0.20 there is 0.30000000000000004, while the
    balance moved once by 0.30; the check compares to the cent."""
    company = factories.company()
    funding = ledger.program_account("funding")
    clearing = ledger.company_account("clearing", company, company.products[0])
    ledger.post("c", [ledger.Leg(funding, Decimal("-0.30"), "x"), ledger.Leg(clearing, Decimal("0.10"), "y"),
                      ledger.Leg(clearing, Decimal("0.20"), "z")])
    db.session.commit()
    assert ledger.balance(clearing) == Decimal("0.30") and ledger.differences() == []
