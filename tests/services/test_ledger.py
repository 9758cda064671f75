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
