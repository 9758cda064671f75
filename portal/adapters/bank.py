"""The company's bank, behind one small interface: «Pagar orden» debits the account the
company registered (manual 003 §3.3 paso 6, «Banco Coopcentral»).

    debit(account_number, amount, reference) -> BankAnswer(status, reason)
    status(reference) -> BankAnswer | None            (None: the bank never got it)

`reference` is the debit's idempotency key: the same reference twice gets the first
answer and is never debited twice. An «error» answer means nothing was debited (the
request may be sent again with a new reference); an exception means the outcome is
unknown (ask `status` later, or send the same reference again).

`SandboxBank` is the built-in bank of a laptop and the tests (BANK_ADAPTER=sandbox): its
accounts (SandboxBankAccount) answer by their behaviour: `normal` debits when the balance
holds (else «Fondos insuficientes»), `pending` answers pending and is settled later by
worker.py's cron (`settle_pending`), `error` never answers. A real bank gets its own
class with the same two methods."""
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal.domain import clock
from portal.extensions import db
from portal.models import SandboxBankAccount, SandboxBankDebit

APPROVED, DECLINED, PENDING, ERROR = "approved", "declined", "pending", "error"
FINAL = (APPROVED, DECLINED, ERROR)
NO_FUNDS = "Fondos insuficientes"
NO_ACCOUNT = "Cuenta no registrada"
NO_ANSWER = "El banco no respondió; intente de nuevo"
BAD_AMOUNT = "Monto no válido"


@dataclass(frozen=True)
class BankAnswer:
    status: str  # approved | declined | pending | error
    reason: str | None = None


class SandboxBank:
    """The sandbox bank's side, in the portal's database. Every call is the bank's own
    transaction: it commits, so callers call it with nothing of theirs pending."""

    def debit(self, account_number, amount, reference):
        earlier = self.status(reference)
        if earlier is not None:
            return earlier
        amount = Decimal(amount)
        account = db.session.scalars(select(SandboxBankAccount).where(
            SandboxBankAccount.number == account_number)).first()
        # The debit is stored first: a second request with the same reference waits on
        # its unique key and then fails, so it can never move the balance too.
        row = SandboxBankDebit(reference=reference, account_number=(account_number or "")[:30], amount=amount,
                               status=PENDING)
        try:
            db.session.add(row)
            db.session.flush()
            row.status, row.reason = self._decide(account, amount)
            if row.status != PENDING:
                row.settled_at = clock.utcnow()
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            return self.status(reference)
        return BankAnswer(row.status, row.reason)

    def _decide(self, account, amount):
        if account is None:
            return DECLINED, NO_ACCOUNT
        if amount <= 0:
            return DECLINED, BAD_AMOUNT
        if account.behaviour == "error":
            return ERROR, NO_ANSWER
        if account.behaviour == "pending":
            return PENDING, None
        return (APPROVED, None) if _take(account.number, amount) else (DECLINED, NO_FUNDS)

    def status(self, reference):
        row = db.session.scalars(select(SandboxBankDebit).where(SandboxBankDebit.reference == reference)).first()
        return BankAnswer(row.status, row.reason) if row else None

    def settle_pending(self, reference=None):
        """worker.py's cron: every pending debit (or only that of `reference`: a staff
        member's «Consultar al banco») is decided now (approved when the balance holds,
        else declined), each once. Returns how many were settled."""
        settled = 0
        query = select(SandboxBankDebit.id, SandboxBankDebit.account_number, SandboxBankDebit.amount).where(
            SandboxBankDebit.status == PENDING)
        if reference is not None:
            query = query.where(SandboxBankDebit.reference == reference)
        for debit_id, number, amount in db.session.execute(query.order_by(SandboxBankDebit.id)).all():
            status, reason = (APPROVED, None) if _take(number, amount) else (DECLINED, NO_FUNDS)
            decided = db.session.execute(update(SandboxBankDebit).where(
                SandboxBankDebit.id == debit_id, SandboxBankDebit.status == PENDING).values(
                status=status, reason=reason, settled_at=clock.utcnow()).execution_options(synchronize_session=False))
            if decided.rowcount != 1:  # another run settled it first: give the money back
                db.session.rollback()
                continue
            db.session.commit()
            settled += 1
        return settled


def _take(number, amount):
    """The debit itself: the balance never goes below zero, whoever debits at once."""
    taken = db.session.execute(update(SandboxBankAccount).where(
        SandboxBankAccount.number == number, SandboxBankAccount.balance >= amount).values(
        balance=SandboxBankAccount.balance - amount).execution_options(synchronize_session=False))
    return taken.rowcount == 1


def bank_for(config):
    adapter = config.get("BANK_ADAPTER", "sandbox")
    if adapter == "sandbox":
        return SandboxBank()
    raise RuntimeError(f"BANK_ADAPTER={adapter!r}: no such bank adapter (only 'sandbox' is built in)")
