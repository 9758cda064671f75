"""«Consulta de tarjetas» (manual 003 §5.1, issue #11): the product's cards found by the
search's criteria, and the operations on them (domain/card_operations.py says what each
one moves), once per key: the page's form key (`operate`, after the password) or the
API's own (`perform`, the action both share; the API's key scope stands for the password).

Each operation is a CardOperation row, its `key` the hash of the form's random key. The
row is inserted first, in its own savepoint: a second submission of the same form (a
double click, a retry, another worker) waits on the unique key, then finds the first
one's row and shows its result; money moves once. The cards are locked (FOR UPDATE on
PostgreSQL) while the operation reads their state and balances, and the ledger refuses a
movement that would leave the master account or a card below zero (ledger.Insufficient):
the operation is then recorded as refused, with nothing moved."""
import json
import secrets
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from portal.domain import card_operations as co
from portal.domain import cards as card_numbers
from portal.domain import clock
from portal.domain.formatting import money, today_bogota
from portal.extensions import db
from portal.models import Batch, BatchLine, Card, CardOperation, LedgerAccount, ServiceOrder
from portal.services import audit, auth, ledger, messaging, tables

MASK_TRIES = 20


class Refused(Exception):
    """The operation is refused with this message; nothing of it is written."""


@dataclass
class Outcome:
    operations: list  # the CardOperation rows (one per card)
    message: str | None = None  # a refusal before any row (wrong password)
    locked: bool = False
    again: bool = False  # the form was decided before: its result shown again

    @property
    def ok(self):
        return bool(self.operations) and all(op.status == "done" for op in self.operations)

    @property
    def decided(self):
        return bool(self.operations)

    @property
    def refusal(self):
        """Why it was refused: the message of the card at fault (not «otra tarjeta…»)."""
        if self.ok:
            return None
        reasons = [op.message for op in self.operations if op.status != "done" and op.message != co.OTHERS_REFUSED]
        return reasons[0] if reasons else self.message


def new_key():
    return secrets.token_urlsafe(32)


# --- the search -------------------------------------------------------------------------------

def _matching(company_id, product_ids, criteria):
    """The cards of the company's `product_ids` matching every criterion given."""
    query = select(Card).where(Card.company_id == company_id, Card.product_id.in_(product_ids))
    if criteria.document:
        query = query.where(Card.holder_id_number == criteria.document)
    if criteria.last4:
        query = query.where(Card.pan_last4 == criteria.last4)
    if criteria.first6:
        query = query.where(Card.pan_first6 == criteria.first6)
    lines = select(BatchLine.card_id).join(Batch, Batch.id == BatchLine.batch_id).where(
        Batch.company_id == company_id, Batch.product_id.in_(product_ids), BatchLine.card_id.is_not(None))
    if criteria.batch:
        query = query.where(Card.id.in_(lines.where(Batch.number == criteria.batch)))
    if criteria.order is not None:
        query = query.where(Card.id.in_(lines.join(ServiceOrder, ServiceOrder.id == Batch.order_id)
                                        .where(ServiceOrder.number == criteria.order)))
    return query


def search(access, criteria, number, per_page, q=""):
    """(cards of the product matching every criterion given, paging.Page); `q` (the
    table's live search) narrows them by holder's name or document."""
    query = _matching(access.company.id, [access.product.id], criteria)
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
        query = query.where(or_(Card.holder_name.ilike(like), Card.holder_id_number.ilike(like)))
    return tables.paged(query, number, per_page, Card.holder_name, Card.id)


def search_after(company_id, product_ids, criteria, after=None, limit=20):
    """The API's search: (up to `limit` cards newest first after `after`, more?)."""
    return tables.newest_after(_matching(company_id, product_ids, criteria), Card.created_at, Card.id, after, limit)


def card_of(access, card_id):
    """The company product's card, or None (another company's: the caller's 404)."""
    card = db.session.get(Card, card_id)
    if card is None or card.company_id != access.company.id or card.product_id != access.product.id:
        return None
    return card


def company_card(company_id, card_id):
    """A card of the company, whichever its product (the API then checks the product)."""
    card = db.session.get(Card, card_id)
    return card if card is not None and card.company_id == company_id else None


def cards_of(access, card_ids):
    """The product's cards of `card_ids`, or None when any is not the product's."""
    found = [card_of(access, card_id) for card_id in sorted(set(card_ids))]
    return found if found and all(found) else None


def balance_of(card):
    account = db.session.scalar(select(LedgerAccount).where(LedgerAccount.card_id == card.id))
    return ledger.balance(account) if account is not None else Decimal("0.00")


def decided(user, access, form_key, card_ids):
    """The rows of a form already decided (the same user's), else []."""
    keys = [co.key_hash(form_key, card_id) for card_id in sorted(card_ids)]
    rows = db.session.scalars(select(CardOperation).where(CardOperation.key.in_(keys))
                              .order_by(CardOperation.card_id)).all()
    return [op for op in rows if op.user_id == user.id and op.company_id == access.company.id]


# --- running an operation ---------------------------------------------------------------------

def operate(user, access, form_key, password, kind, cards, amount=None, reason=None, description=None):
    """The page's: `kind` on `cards` once per form key, after the password (the same form
    sent again shows its first result without asking again). Commits."""
    if not form_key or len(form_key) > 100:
        return Outcome([], "El formulario venció; ábralo de nuevo.")
    found = decided(user, access, form_key, [card.id for card in cards])
    if found:
        return Outcome(found, again=True)
    check = auth.confirm_password(user, password, f"conexion.card_{kind}")
    if not check.ok:
        return Outcome([], auth.WRONG_PASSWORD, locked=check.locked)
    return perform(user, access, form_key, kind, cards, amount, reason, description)


def perform(user, access, key, kind, cards, amount=None, reason=None, description=None, via=None):
    """Run `kind` on `cards` (several: credit only, all or nothing) once per `key`: the
    page's form key once its password is checked, or the API's own (its callers say who
    may). An abono's `description` (domain note_error) describes its legs. Commits."""
    card_ids = [card.id for card in cards]
    product = access.product
    fee = {"balance": product.balance_query_fee, "credit": product.transfer_fee, "debit": product.debit_fee,
           "replacement": product.replacement_cost}.get(kind)
    note = description if kind == "credit" else co.REASON_LABELS.get(reason)
    operations = [CardOperation(key=co.key_hash(key, card.id), kind=kind, company_id=access.company.id,
                                product_id=product.id, card_id=card.id, user_id=user.id, amount=amount, fee=fee,
                                description=note, status="refused")
                  for card in sorted(cards, key=lambda c: c.id)]
    if not _claim(operations):
        db.session.rollback()
        return Outcome(decided(user, access, key, card_ids), again=True)
    _carry_out(access, operations, reason)
    for op in operations:
        audit.record(f"conexion.card_{kind}", user, subject=f"card:{op.card_id}", status=op.status,
                     amount=str(op.amount) if op.amount is not None else None, fee=str(op.fee or 0),
                     message=op.message, txn=op.ledger_txn, **({"via": via} if via else {}))
    db.session.commit()
    return Outcome(operations)


def _claim(operations):
    """Insert the rows first: a second submission of the form waits on their unique key."""
    try:
        with db.session.begin_nested():
            db.session.add_all(operations)
            db.session.flush()
    except IntegrityError:
        return False
    return True


def _carry_out(access, operations, reason):
    """Every row's work in one savepoint: a refusal of any undoes all (multi-card credit)."""
    cards = {card.id: card for card in _locked([op.card_id for op in operations])}
    failed = None
    try:
        with db.session.begin_nested():
            for op in operations:
                failed = op
                DO[op.kind](access, op, cards[op.card_id], reason)
                op.status = "done"
    except (Refused, ledger.Insufficient) as refusal:
        message = _refusal_message(refusal, failed, cards[failed.card_id])
        for op in operations:
            op.status, op.ledger_txn = "refused", None
            op.message = message if op is failed else co.OTHERS_REFUSED
            if op.kind == "balance":
                op.amount = None
        for card in cards.values():
            db.session.refresh(card)


def _refusal_message(refusal, op, card):
    if isinstance(refusal, Refused):
        return str(refusal)
    if refusal.account.kind == "card":
        return co.CARD_SHORT.format(card=card.masked_pan, available=money(balance_of(card), cents=True))
    what = co.KINDS[op.kind].lower()
    return co.MASTER_SHORT.format(what=what, need=money(co.master_need(op.kind, op.amount or 0, op.fee or 0),
                                                         cents=True))


def _locked(card_ids):
    """The cards, locked in id order while the operation reads and changes them."""
    return db.session.scalars(select(Card).where(Card.id.in_(card_ids)).order_by(Card.id)
                              .with_for_update().execution_options(populate_existing=True)).all()


def _refuse_state(kind, card):
    why = co.card_refusal(kind, card.status, card.blocked_reason, card.replaced_by_id is not None,
                          bool(card.holder_id_number))
    if why:
        raise Refused(why.format(card=card.masked_pan))


def _post(access, op, card, legs_by_role):
    """The movement's legs on the accounts of their roles, posted as the row's transaction."""
    accounts = {"master": ledger.company_account("master", access.company, access.product),
                "fees": ledger.program_account("fees"), "card": ledger.card_account(card)}
    accounts.update(legs_by_role.get("accounts", {}))
    legs = [ledger.Leg(accounts[move.role], move.amount, move.description) for move in legs_by_role["moves"]]
    op.ledger_txn = co.txn_id(op.key)
    ledger.post(op.ledger_txn, legs, reference=f"Tarjeta {card.pan_last4}")


def _balance(access, op, card, reason):
    _post(access, op, card, {"moves": co.moves("balance", fee=op.fee, card=card.masked_pan)})
    op.amount = balance_of(card)
    op.message = f"Saldo disponible de la tarjeta {card.masked_pan}: {money(op.amount, cents=True)}."


def _credit(access, op, card, reason):
    _refuse_state("credit", card)
    limit = access.product.max_card_balance
    before = balance_of(card)
    if co.over_max(before, op.amount, limit):
        raise Refused(co.OVER_MAX.format(limit=money(limit, cents=True), card=card.masked_pan,
                                         after=money(before + op.amount, cents=True)))
    _post(access, op, card, {"moves": co.moves("credit", op.amount, op.fee, card.masked_pan, note=op.description)})
    op.message = (f"Abono de {money(op.amount, cents=True)} a la tarjeta {card.masked_pan} exitoso. "
                  f"Nuevo saldo: {money(balance_of(card), cents=True)}.")


def _debit(access, op, card, reason):
    _refuse_state("debit", card)
    _post(access, op, card, {"moves": co.moves("debit", op.amount, op.fee, card.masked_pan)})
    op.message = (f"Cargo de {money(op.amount, cents=True)} a la tarjeta {card.masked_pan} exitoso. "
                  f"Nuevo saldo: {money(balance_of(card), cents=True)}.")


def _block(access, op, card, reason):
    if reason not in co.BLOCK_REASONS:
        raise Refused("Motivo: seleccione pérdida, robo o deterioro.")
    _refuse_state("block", card)
    card.status, card.blocked_reason, card.blocked_at = "blocked", reason, clock.utcnow()
    op.message = f"La tarjeta {card.masked_pan} quedó bloqueada por {co.BLOCK_REASONS[reason].lower()}."


def _unblock(access, op, card, reason):
    _refuse_state("unblock", card)
    card.status = "affiliated" if card.holder_id_number else "unaffiliated"
    card.blocked_reason, card.blocked_at = None, None
    op.message = f"La tarjeta {card.masked_pan} quedó desbloqueada."


def _replacement(access, op, card, reason):
    """A new card for the same holder with the old one's balance; the old one blocked."""
    _refuse_state("replacement", card)
    new = _new_card(access.product, card)
    moved = balance_of(card)
    _post(access, op, card, {"moves": co.moves("replacement", moved, op.fee, card.masked_pan, new.masked_pan),
                             "accounts": {"new_card": ledger.card_account(new)}})
    card.status, card.blocked_reason, card.blocked_at = "blocked", co.REPLACED, clock.utcnow()
    card.replaced_by_id = new.id
    op.message = (f"La tarjeta {card.masked_pan} fue repuesta por la {new.masked_pan} (vence {new.expires}); "
                  f"saldo trasladado: {money(moved, cents=True)}.")
    _tell_holder(access, card, new, moved)


def _new_card(product, old):
    taken = {tuple(row) for row in db.session.execute(
        select(Card.pan_first6, Card.pan_last4).where(Card.product_id == product.id))}
    for _ in range(MASK_TRIES):
        first6, last4 = card_numbers.parts(card_numbers.new_pan(product.bin))
        if (first6, last4) not in taken:
            break
    new = Card(company_id=old.company_id, product_id=old.product_id, token=secrets.token_hex(16),
               pan_first6=first6, pan_last4=last4, account_mask=card_numbers.account_mask(first6, last4),
               holder_id_type=old.holder_id_type, holder_id_number=old.holder_id_number,
               holder_name=old.holder_name, status="affiliated",
               expires=card_numbers.expiry(today_bogota(), product.card_validity_months))
    db.session.add(new)
    db.session.flush()
    return new


def holder_email(card):
    """The e-mail the holder's batch line gave (an emission's EMAIL column), if any."""
    for values in db.session.scalars(select(BatchLine.values_json).where(BatchLine.card_id == card.id)
                                     .order_by(BatchLine.id.desc())):
        email = (json.loads(values) or {}).get("email")
        if email:
            return email
    return None


def _tell_holder(access, old, new, moved):
    email = holder_email(old)
    if email:
        messaging.send_email(email, f"Reposición de su tarjeta {access.product.label}",
                             f"Su tarjeta {old.masked_pan} de {access.company.name} fue repuesta por la tarjeta "
                             f"{new.masked_pan}, que vence en {new.expires}.\n"
                             f"Saldo trasladado: {money(moved, cents=True)}.\n"
                             "La tarjeta anterior quedó bloqueada.\n")


DO = {"balance": _balance, "credit": _credit, "debit": _debit, "block": _block, "unblock": _unblock,
      "replacement": _replacement}
