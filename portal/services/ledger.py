"""The double-entry ledger (DESIGN §9): every movement is a set of legs with one
transaction id summing to zero; entries are never changed (a mistake is undone by a
correcting transaction); a transaction id is posted once.

Accounts: the program's own (funding: money from outside, e.g. a company's bank debit;
fees: commissions; taxes: IVA and GMF), a company product's clearing account (paid for,
not yet loaded on cards) and master account, and one per card."""
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import LedgerAccount, LedgerEntry

PROGRAM_NAMES = {"funding": "Fondeo del programa - Banco Coopcentral", "fees": "Comisiones del programa",
                 "taxes": "Impuestos por pagar (IVA, GMF)"}


class Unbalanced(ValueError):
    pass


@dataclass(frozen=True)
class Leg:
    account: LedgerAccount
    amount: Decimal  # + credit to the account, - debit
    description: str


def program_account(kind):
    """The program's own account of `kind` (funding, fees, taxes), made on first use."""
    found = db.session.scalars(select(LedgerAccount).where(LedgerAccount.kind == kind,
                                                           LedgerAccount.company_id.is_(None))).first()
    if found is None:
        found = LedgerAccount(kind=kind, name=PROGRAM_NAMES[kind])
        db.session.add(found)
        db.session.flush()
    return found


def company_account(kind, company, product):
    """A company product's clearing or master account, made on first use."""
    found = db.session.scalars(select(LedgerAccount).where(
        LedgerAccount.kind == kind, LedgerAccount.company_id == company.id,
        LedgerAccount.product_id == product.id)).first()
    if found is None:
        label = "Por cargar a tarjetas" if kind == "clearing" else "Cuenta maestra"
        found = LedgerAccount(kind=kind, name=f"{label} {company.name} - {product.label}", company_id=company.id,
                              product_id=product.id)
        db.session.add(found)
        db.session.flush()
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
    """Add one balanced movement in the caller's transaction; False when `txn_id` was
    posted already (a retry). Legs of zero are left out. Two writers at once are kept
    apart by the caller's claim (a conditional UPDATE of what the money is for, or the
    unique BatchLine.ledger_txn), not by this check."""
    legs = [leg for leg in legs if leg.amount]
    if sum((leg.amount for leg in legs), Decimal(0)) != 0:
        raise Unbalanced(f"{txn_id}: legs sum to {sum(leg.amount for leg in legs)}")
    if posted(txn_id):
        return False
    extra = {"created_at": when} if when else {}
    db.session.add_all(LedgerEntry(txn_id=txn_id, account_id=leg.account.id, amount=leg.amount,
                                   description=leg.description[:200], reference=reference, **extra)
                       for leg in legs)
    db.session.flush()
    return True


def posted(txn_id):
    return db.session.scalar(select(LedgerEntry.id).where(LedgerEntry.txn_id == txn_id).limit(1)) is not None


def balance(account):
    return db.session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0))
                             .where(LedgerEntry.account_id == account.id)) or Decimal(0)
