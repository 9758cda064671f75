"""The sandbox bank's accounts (adapters/bank.py): the demo companies' registered debit
accounts, funded, and three test accounts to see «Pagar orden» refused, pending and
failing. A company debits another account after `flask demo cuenta-debito NIT CUENTA`."""
from dataclasses import dataclass

from portal.demo.common import get_or_add, money
from portal.demo.conexion import COMPANIES
from portal.extensions import db
from portal.models import Company, SandboxBankAccount

COMPANY_BALANCE = money("50000000")  # pays any demo order many times over


@dataclass(frozen=True)
class TestAccount:
    number: str
    holder: str
    balance: str
    behaviour: str
    shows: str


TEST_ACCOUNTS = (
    TestAccount("AHORROS 900-000001-1", "CUENTA DE PRUEBA SALDO BAJO", "1000", "normal",
                "rechazado: «Fondos insuficientes» (saldo $ 1.000)"),
    TestAccount("AHORROS 900-000002-2", "CUENTA DE PRUEBA PENDIENTE", "50000000", "pending",
                "pendiente: el cron lo aprueba al minuto"),
    TestAccount("AHORROS 900-000003-3", "CUENTA DE PRUEBA SIN RESPUESTA", "50000000", "error",
                "error: «El banco no respondió; intente de nuevo»"),
)


def load(stats):
    """Idempotent: an existing account (and its balance, spent by earlier demo payments) is kept."""
    for spec in COMPANIES:
        get_or_add(stats, SandboxBankAccount, {"number": spec.debit_account}, holder=spec.name,
                   balance=COMPANY_BALANCE, behaviour="normal")
    for test in TEST_ACCOUNTS:
        get_or_add(stats, SandboxBankAccount, {"number": test.number}, holder=test.holder,
                   balance=money(test.balance), behaviour=test.behaviour)
    db.session.commit()


def use_account(nit, number):
    """The demo company `nit` debits `number` (one of the sandbox bank's accounts) from now
    on; returns an error message, or None."""
    company = db.session.query(Company).filter_by(nit=nit).first()
    if company is None or nit not in {spec.nit for spec in COMPANIES}:
        return f"No hay una empresa de demostración con NIT {nit}."
    if db.session.query(SandboxBankAccount).filter_by(number=number).first() is None:
        return f"El banco sandbox no tiene la cuenta «{number}»."
    company.debit_account = number
    db.session.commit()
    return None
