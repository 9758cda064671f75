"""`flask ledger diferencias`: every account whose running balance is not the sum of its
entries, exit 1; «Sin diferencias» and exit 0 when the ledger agrees."""
from decimal import Decimal

from sqlalchemy import update

from portal.extensions import db
from portal.models import LedgerAccount
from portal.services import ledger
from tests import factories


def _posted(company):
    funding = ledger.program_account("funding")
    master = ledger.company_account("master", company, company.products[0])
    ledger.post("fund-1", [ledger.Leg(funding, Decimal("-250.00"), "Débito banco"),
                           ledger.Leg(master, Decimal("250.00"), "Fondeo")])
    db.session.commit()
    return funding, master


def test_an_agreeing_ledger_has_no_differences(runner):
    _posted(factories.company())
    result = runner.invoke(args=["ledger", "diferencias"])
    assert result.exit_code == 0, result.output
    assert "Sin diferencias" in result.output


def test_a_planted_difference_is_reported_and_fails(runner):
    funding, master = _posted(factories.company())
    # Written behind post's back: the balance no longer is the sum of the entries.
    db.session.execute(update(LedgerAccount).where(LedgerAccount.id == master.id)
                       .values(balance=Decimal("300.00")))
    db.session.commit()
    result = runner.invoke(args=["ledger", "diferencias"])
    assert result.exit_code == 1
    assert "Sin diferencias" not in result.output
    line = next(li for li in result.output.splitlines() if li.split()[:1] == [str(master.id)])
    assert "Cuenta maestra" in line and "master" in line and "300.00" in line and "250.00" in line
    assert not any(li.split()[:1] == [str(funding.id)] for li in result.output.splitlines())
