"""adapters/bank.py: the sandbox bank's answers, one debit per reference, and a balance
that never goes below zero."""
from decimal import Decimal

import pytest
from flask import Flask

from portal.adapters import bank as banks
from portal.config import load_config
from portal.extensions import db
from portal.models import SandboxBankAccount, SandboxBankDebit

D = Decimal


def account(number, balance="1000.00", behaviour="normal"):
    db.session.add(SandboxBankAccount(number=number, holder="EMPRESA", balance=D(balance), behaviour=behaviour))
    db.session.commit()


def balance(number):
    db.session.expire_all()
    return db.session.query(SandboxBankAccount).filter_by(number=number).one().balance


@pytest.fixture
def bank(app):
    return banks.bank_for(app.config)


@pytest.mark.parametrize("behaviour,start,amount,answer,left", [
    ("normal", "1000.00", "400.50", banks.BankAnswer("approved"), "599.50"),
    ("normal", "1000.00", "1000.00", banks.BankAnswer("approved"), "0.00"),
    ("normal", "1000.00", "1000.01", banks.BankAnswer("declined", "Fondos insuficientes"), "1000.00"),
    ("pending", "1000.00", "10.00", banks.BankAnswer("pending"), "1000.00"),
    ("error", "1000.00", "10.00", banks.BankAnswer("error", "El banco no respondió; intente de nuevo"), "1000.00"),
    ("normal", "1000.00", "0.00", banks.BankAnswer("declined", "Monto no válido"), "1000.00"),
])
def test_each_behaviour_answers_as_documented(bank, behaviour, start, amount, answer, left):
    account("AHORROS 1", start, behaviour)
    assert bank.debit("AHORROS 1", D(amount), "R-1") == answer
    assert balance("AHORROS 1") == D(left)
    assert bank.status("R-1") == answer


def test_an_unknown_account_is_declined_and_unknown_references_have_no_status(bank):
    assert bank.debit("AHORROS 999", D("10.00"), "R-1") == banks.BankAnswer("declined", "Cuenta no registrada")
    assert bank.status("R-2") is None


def test_the_same_reference_twice_gets_the_first_answer_and_debits_once(bank):
    account("AHORROS 1", "1000.00")
    first = bank.debit("AHORROS 1", D("600.00"), "R-1")
    assert first == bank.debit("AHORROS 1", D("600.00"), "R-1") == banks.BankAnswer("approved")
    assert balance("AHORROS 1") == D("400.00")
    # even with another amount the reference is the same debit: nothing more is taken
    assert bank.debit("AHORROS 1", D("1.00"), "R-1") == banks.BankAnswer("approved")
    assert balance("AHORROS 1") == D("400.00")
    assert db.session.query(SandboxBankDebit).count() == 1
    declined = bank.debit("AHORROS 1", D("600.00"), "R-2")
    assert declined.status == "declined" and balance("AHORROS 1") == D("400.00")


def test_pending_debits_are_settled_once_by_balance(bank):
    account("AHORROS P", "100.00", "pending")
    assert bank.debit("AHORROS P", D("60.00"), "R-1").status == "pending"
    assert bank.debit("AHORROS P", D("60.00"), "R-2").status == "pending"
    assert bank.settle_pending() == 2
    assert bank.status("R-1") == banks.BankAnswer("approved")
    assert bank.status("R-2") == banks.BankAnswer("declined", "Fondos insuficientes")
    assert balance("AHORROS P") == D("40.00")
    assert bank.settle_pending() == 0 and balance("AHORROS P") == D("40.00")


def test_many_debits_at_once_never_take_the_balance_below_zero(app, bank):
    from tests.services.test_batch_concurrency import race

    account("AHORROS 1", "500.00")
    db.session.remove()
    refs = [f"R-{i}" for i in range(8)] * 2  # eight references, each sent twice

    def debit():
        return banks.bank_for(app.config).debit("AHORROS 1", D("100.00"), refs.pop()).status

    answers = race(app, debit, len(refs))
    assert sorted(answers) == ["approved"] * 10 + ["declined"] * 6  # both sends of a reference agree
    assert balance("AHORROS 1") == D("0.00")
    debits = db.session.query(SandboxBankDebit).all()
    assert len(debits) == 8
    assert sorted(d.status for d in debits) == ["approved"] * 5 + ["declined"] * 3


@pytest.mark.parametrize("settings,error", [
    ({"ENV_NAME": "production"}, "BANK_SANDBOX_ALLOWED"),
    ({"ENV_NAME": "production", "BANK_ADAPTER": "coopcentral", "BANK_SANDBOX_ALLOWED": True}, "no such bank"),
])
def test_production_refuses_the_sandbox_bank_unless_allowed(settings, error):
    base = {"DEV_OUTBOX_ENABLED": False, "SECRET_KEY": "k" * 32, "REDIS_URL": "redis://redis:6379/0",
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://portal@db/portal"}  # what else production needs
    with pytest.raises(RuntimeError, match=error):
        load_config(Flask("x"), {**base, **settings})
    app = Flask("y")
    load_config(app, {**base, "ENV_NAME": "production", "BANK_SANDBOX_ALLOWED": True})
    assert app.config["BANK_ADAPTER"] == "sandbox"
