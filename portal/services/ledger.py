"""The double-entry ledger (DESIGN §9): every movement is a set of legs with one
transaction id summing to zero; entries are never changed (a mistake is undone by a
correcting transaction); a transaction id is posted once.

Accounts: the program's own (funding: money from outside, e.g. a company's bank debit;
fees: commissions; taxes: IVA and GMF), a company product's clearing account (paid for,
not yet loaded on cards) and master account, and one per card.

Each account keeps its running balance, changed by the same transaction that writes its
entries; a company's or a card's account never goes below zero: the UPDATE that takes
money out only matches while the balance covers it (so two movements at once cannot both
spend the same peso), and otherwise the movement is refused whole (Insufficient)."""
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import LedgerAccount, LedgerEntry

GUARDED = ("master", "card", "clearing")  # never below zero
PROGRAM_NAMES = {"funding": "Fondeo del programa - Banco Coopcentral", "fees": "Comisiones del programa",
                 "taxes": "Impuestos por pagar (IVA, GMF)"}


class Unbalanced(ValueError):
    pass


class Insufficient(Exception):
    """The movement would leave `account` below zero; nothing of it was written."""

    def __init__(self, account):
        super().__init__(f"{account.name}: saldo insuficiente")
        self.account = account


@dataclass(frozen=True)
class Leg:
    account: LedgerAccount
    amount: Decimal  # + credit to the account, - debit
    description: str


def program_account(kind):
    """The program's own account of `kind` (funding, fees, taxes), made on first use."""
    return _found_or_made(select(LedgerAccount).where(LedgerAccount.kind == kind, LedgerAccount.company_id.is_(None),
                                                      LedgerAccount.card_id.is_(None)),
                          lambda: LedgerAccount(kind=kind, name=PROGRAM_NAMES[kind]))


def company_account(kind, company, product):
    """A company product's clearing or master account, made on first use."""
    label = "Por cargar a tarjetas" if kind == "clearing" else "Cuenta maestra"
    return _found_or_made(
        select(LedgerAccount).where(LedgerAccount.kind == kind, LedgerAccount.company_id == company.id,
                                    LedgerAccount.product_id == product.id, LedgerAccount.card_id.is_(None)),
        lambda: LedgerAccount(kind=kind, name=f"{label} {company.name} - {product.label}", company_id=company.id,
                              product_id=product.id))


def _found_or_made(query, make):
    """Two first uses at once: the unique index lets one insert; the other reads it."""
    found = db.session.scalars(query).first()
    if found is not None:
        return found
    try:
        with db.session.begin_nested():
            found = make()
            db.session.add(found)
    except IntegrityError:
        return db.session.scalars(query).one()
    return found


def card_account(card):
    found = db.session.scalars(select(LedgerAccount).where(LedgerAccount.card_id == card.id)).first()
    if found is None:
        found = LedgerAccount(kind="card", name=f"Tarjeta {card.account_mask}", company_id=card.company_id,
                              product_id=card.product_id, card_id=card.id)
        db.session.add(found)
        db.session.flush()
    return found


def post(txn_id, legs, reference=None, when=None):
    """Add one balanced movement in the caller's transaction and move the balances; False
    when `txn_id` was posted already (a retry). Legs of zero are left out. Insufficient
    when a guarded account would go below zero: then nothing of it is written (a
    savepoint), and the caller's transaction goes on. Two writers at once are kept apart
    by the caller's claim (a conditional UPDATE of what the money is for, or the unique
    BatchLine.ledger_txn), not by the `posted` check."""
    legs = [leg for leg in legs if leg.amount]
    if sum((leg.amount for leg in legs), Decimal(0)) != 0:
        raise Unbalanced(f"{txn_id}: legs sum to {sum(leg.amount for leg in legs)}")
    if posted(txn_id):
        return False
    extra = {"created_at": when} if when else {}
    with db.session.begin_nested():
        _move_balances(legs)
        db.session.add_all(LedgerEntry(txn_id=txn_id, account_id=leg.account.id, amount=leg.amount,
                                       description=leg.description[:200], reference=reference, **extra)
                           for leg in legs)
    return True


def _move_balances(legs):
    """One UPDATE per account, in id order (two movements at once lock rows in the same
    order on PostgreSQL: no deadlock)."""
    change, accounts = {}, {}
    for leg in legs:
        change[leg.account.id] = change.get(leg.account.id, Decimal(0)) + leg.amount
        accounts[leg.account.id] = leg.account
    for account_id in sorted(change):
        amount, account = change[account_id], accounts[account_id]
        query = update(LedgerAccount).where(LedgerAccount.id == account_id)
        if amount < 0 and account.kind in GUARDED:
            query = query.where(LedgerAccount.balance + amount >= 0)
        moved = db.session.execute(query.values(balance=LedgerAccount.balance + amount)
                                   .execution_options(synchronize_session=False))
        if moved.rowcount != 1:
            raise Insufficient(account)


def posted(txn_id):
    return db.session.scalar(select(LedgerEntry.id).where(LedgerEntry.txn_id == txn_id).limit(1)) is not None


def balance(account):
    """The running balance, read now (one row)."""
    return db.session.scalar(select(LedgerAccount.balance).where(LedgerAccount.id == account.id))


def differences():
    """[(account, running balance, sum of its entries)] wherever the two differ: empty,
    unless something wrote entries or balances behind `post`'s back."""
    sums = (select(LedgerEntry.account_id, func.sum(LedgerEntry.amount).label("total"))
            .group_by(LedgerEntry.account_id).subquery())
    # SQLite sums NUMERIC as floats (0.00 against -0.00000001 after many cents): compared to the cent
    total = func.round(func.coalesce(sums.c.total, 0), 2)
    return [(account, account.balance, Decimal(entries)) for account, entries in db.session.execute(
        select(LedgerAccount, total).outerjoin(sums, sums.c.account_id == LedgerAccount.id)
        .where(func.round(LedgerAccount.balance, 2) != total).order_by(LedgerAccount.id))]
