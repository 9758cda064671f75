"""portal/demo/bank.py: the demo companies' debit accounts exist in the sandbox bank with
money, the documented test accounts answer as documented, a second load adds nothing."""
from decimal import Decimal

from portal.adapters import bank as banks
from portal.demo import bank, conexion
from portal.demo.common import Stats
from portal.extensions import db
from portal.models import Company, SandboxBankAccount


def test_the_demo_accounts_are_loaded_once_and_answer_as_documented(app):
    companies = conexion.load_companies(Stats())
    first = Stats()
    bank.load(first)
    assert first["sandbox_bank_accounts"] == len(companies) + 3
    for company in companies.values():
        account = db.session.query(SandboxBankAccount).filter_by(number=company.debit_account).one()
        assert account.behaviour == "normal" and account.balance >= Decimal("1000000")
    again = Stats()
    bank.load(again)
    assert again["sandbox_bank_accounts"] == 0
    sandbox = banks.SandboxBank()
    low, pending, error = (test.number for test in bank.TEST_ACCOUNTS)
    assert sandbox.debit(low, Decimal("1011.20"), "demo-1") == banks.BankAnswer("declined", "Fondos insuficientes")
    assert sandbox.debit(pending, Decimal("1011.20"), "demo-2").status == "pending"
    assert sandbox.debit(error, Decimal("1011.20"), "demo-3").status == "error"


def test_a_demo_company_can_be_pointed_at_a_test_account(app, runner):
    conexion.load_companies(Stats())
    bank.load(Stats())
    number = bank.TEST_ACCOUNTS[1].number
    result = runner.invoke(args=["demo", "cuenta-debito", conexion.JAHC.nit, number])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.query(Company).filter_by(nit=conexion.JAHC.nit).one().debit_account == number
    unknown = runner.invoke(args=["demo", "cuenta-debito", conexion.JAHC.nit, "AHORROS 1"])
    assert unknown.exit_code != 0 and "no tiene la cuenta" in unknown.output
