"""The card processor («core digital», manual 003 ch. 4, issue #10): a paid service order's
batches carried out line by line (its valid lines only), by the RQ job
portal.jobs.process_order, queued when the order is paid.

    emission           a card per line (PAN of the product's BIN, domain/cards.py), Afiliado,
                       with its ledger account and its initial load (MONTO INICIAL, may be 0)
    topup              the amount onto the person's card of the product
    affiliation        the unnamed card (by its masked number) given its holder: Afiliado
    unnamed_emission   N cards without holder, No afiliado, expiring as the batch says

Money moves from the company product's clearing account (credited with the order's Monto
when it was paid) to each card: one balanced ledger transaction per line, its id the
line's `ledger_txn` («line-<id>»). A rejected line's money stays in clearing (giving it
back to the company is not part of this issue).

Exactly once per line. Each step of up to ORDER_STEP_LINES (500) lines is one transaction:
1. what becomes of each line is decided from reads (its person's card, the masked card);
2. the lines are claimed with their outcome: UPDATE … SET ledger_txn = 'line-<id>',
   outcome, … WHERE outcome IS NULL AND ledger_txn IS NULL (unique), the step's first
   write: a line another run has claimed is never taken again, and is left out here;
3. the claimed lines' cards, card accounts, ledger legs (with the accounts' running
   balances, as ledger.post moves them) and cardholder e-mails are made;
4. the order's heartbeat is beaten, and the step committed.
A run works ORDER_JOB_SLICE_SECONDS at most (RQ's job timeout is 180 s), then queues a
new job for the rest.
A worker killed in a step loses the whole step, claims included; the next run does those
lines again. On PostgreSQL the step's lines are read FOR UPDATE SKIP LOCKED, so two runs
at once take different lines instead of waiting on each other. When no line is left the
batch goes in_process → processed and, its batches done, the order paid → processed:
conditional UPDATEs, so only one run notifies the signers.

recover_stalled() (worker.py's cron): a paid order silent for ORDER_PROCESSING_TIMEOUT_SECONDS
(its worker died, its job was lost) is queued again, once per timeout (conditional UPDATE)."""
import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import (
    ARRAY,
    Integer,
    String,
    bindparam,
    case,
    cast,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from portal.domain import batches as b
from portal.domain import cards, clock
from portal.domain import line_outcomes as outcomes
from portal.domain import orders as o
from portal.domain import webhooks as wh
from portal.domain.formatting import money, today_bogota
from portal.extensions import db
from portal.models import Batch, BatchLine, Card, LedgerAccount, LedgerEntry, ServiceOrder, User
from portal.models.base import Money
from portal.queue import enqueue_after_commit
from portal.services import audit, ledger, messaging, webhooks

JOB = "portal.jobs.process_order"
CONTINUED = "continued"  # the run's time slice ran out: the rest is queued
MASK_TRIES = 20  # a new card's masked number avoids the product's others, if it can
LOADING_KINDS = ("emission", "topup")  # the kinds whose lines carry money



@dataclass
class _Run:
    """What every step needs of the order, read once."""
    order_id: int
    number: int
    company_id: int
    company_name: str
    product_id: int
    product_label: str
    bin: str
    expires: str  # a new named card's MM/YYYY
    clearing_id: int
    deadline: float  # time.monotonic() when this run hands the rest to a new job
    masks: set | None = None  # (first6, last4) of the product's cards, loaded when a card is made


@dataclass
class _Line:
    """A line of the step as read, and what becomes of it."""
    row: object  # id, id_type, id_number, amount, values_json
    outcome: str = b.LINE_PROCESSED
    reason: str | None = None
    card_id: int | None = None
    card: object = None  # the card it reaches (top-up, affiliation)

    @property
    def txn_id(self):
        return f"line-{self.row.id}"  # what the claim writes in ledger_txn

    @property
    def values(self):
        return json.loads(self.row.values_json)

    def reject(self, reason):
        self.outcome, self.reason = b.LINE_REJECTED, reason
        return self


@dataclass
class _Made:
    """Cards made in a step: their rows, then their ids once inserted."""
    rows: list = field(default_factory=list)
    ids: list = field(default_factory=list)


# --- the job ---------------------------------------------------------------------------------

def process(order_id):
    """Process a paid order's lines; safe to run twice or at once. Returns the order's
    status after it (paid: another run still works on it), CONTINUED, or None."""
    order = db.session.get(ServiceOrder, order_id)
    if order is None or order.status != o.PAID:
        return order and order.status
    run = _start(order)
    for batch_id, kind, expiry in db.session.execute(
            select(Batch.id, Batch.kind, Batch.card_expiry).where(
                Batch.order_id == order_id, Batch.status == b.IN_PROCESS).order_by(Batch.number)).all():
        if not _work(run, batch_id, KINDS[kind], expiry):
            enqueue_after_commit(JOB, order_id)
            db.session.commit()
            return CONTINUED
        _finish_batch(batch_id, kind)
    return _finish_order(run)


def _start(order):
    company, product = order.company, order.product
    clearing = ledger.company_account("clearing", company, product)
    run = _Run(order.id, order.number, company.id, company.name, product.id, product.label, product.bin,
               cards.expiry(today_bogota(), product.card_validity_months), clearing.id,
               time.monotonic() + current_app.config["ORDER_JOB_SLICE_SECONDS"])
    _beat(order.id)
    db.session.commit()
    return run


def _beat(order_id):
    db.session.execute(update(ServiceOrder).where(ServiceOrder.id == order_id)
                       .values(heartbeat_at=clock.utcnow()).execution_options(synchronize_session=False))


def _work(run, batch_id, kind, expiry):
    """Every line of the batch not yet done, a step at a time: what becomes of each is
    decided (reads only), the lines are claimed with it, then it is carried out (cards,
    ledger, e-mails), committed with the heartbeat. False when the run's time is up (the
    rest goes to a new job)."""
    after, size = 0, current_app.config["ORDER_STEP_LINES"]
    while rows := _next_lines(batch_id, after, size):
        after = rows[-1].id
        lines = _claim(kind.decide(run, rows))
        if lines:
            kind.carry_out(run, lines, expiry)
        _beat(run.order_id)
        db.session.commit()
        if time.monotonic() > run.deadline:
            return False
    return True


def _next_lines(batch_id, after, size):
    """The next lines not yet done (on PostgreSQL, none another run is working on)."""
    return db.session.execute(
        select(BatchLine.id, BatchLine.id_type, BatchLine.id_number, BatchLine.amount, BatchLine.values_json)
        .where(BatchLine.batch_id == batch_id, BatchLine.id > after, BatchLine.ok.is_(True),
               BatchLine.outcome.is_(None), BatchLine.ledger_txn.is_(None))
        .order_by(BatchLine.id).limit(size).with_for_update(skip_locked=True)).all()


def _claim(lines):
    """The lines this run takes, their outcome written with the claim: one conditional
    UPDATE per outcome and reason (each line's card, when it has one, by _by_id), before
    any card or ledger leg of the step. A line another run claimed first is left out."""
    groups, taken = {}, set()
    for line in lines:
        groups.setdefault((line.outcome, line.reason, line.card_id is None), []).append(line)
    for (outcome, reason, cardless), group in groups.items():
        values = {"ledger_txn": literal("line-") + cast(BatchLine.id, String), "outcome": outcome,
                  "outcome_reason": reason}
        joined = ()
        if not cardless:
            joined, values["card_id"] = _by_id(BatchLine.id, {line.row.id: line.card_id for line in group}, Integer)
        taken.update(db.session.scalars(
            update(BatchLine).where(BatchLine.id.in_([line.row.id for line in group]), BatchLine.outcome.is_(None),
                                    BatchLine.ledger_txn.is_(None), *joined)
            .values(**values).returning(BatchLine.id).execution_options(synchronize_session=False)))
    return [line for line in lines if line.row.id in taken]


def _set_cards(lines):
    """The cards made for claimed lines (an emission's, an unnamed request's)."""
    if lines:
        joined, card = _by_id(BatchLine.id, {line.row.id: line.card_id for line in lines}, Integer)
        db.session.execute(update(BatchLine).where(BatchLine.id.in_([line.row.id for line in lines]), *joined)
                           .values(card_id=card).execution_options(synchronize_session=False))


def _by_id(column, values, value_type):
    """How an UPDATE gives each row its own value ({row id: value}): (its extra WHERE, the
    value). On PostgreSQL a join with unnest(ids, values) — two array parameters however
    many rows (a 500-branch CASE was a fifth of the job there); elsewhere a CASE."""
    if db.session.get_bind().dialect.name != "postgresql":
        return (), case(values, value=column)
    pairs = func.unnest(bindparam(None, list(values), type_=ARRAY(Integer)),
                        bindparam(None, list(values.values()), type_=ARRAY(value_type))
                        ).table_valued("key", "value").render_derived(name="by_id")
    return (column == pairs.c.key,), pairs.c.value


# --- each kind: what becomes of a step's lines, then doing it --------------------------------

def _emission_decide(run, rows):
    held, lines = _held(run, rows), []
    for row in rows:
        person = (row.id_type, row.id_number)
        reason = outcomes.emission_refusal(person in held)
        lines.append(_Line(row).reject(reason) if reason else _Line(row))
        held.add(person)
    return lines


def _emission_carry_out(run, lines, expiry):
    issued = [line for line in lines if line.outcome == b.LINE_PROCESSED]
    named = [(line, line.values) for line in issued]
    made = _Made(rows=[_card_row(run, (line.row.id_type, line.row.id_number), _name(values), "affiliated",
                                 run.expires) for line, values in named])
    _insert_cards(made)
    accounts, loads, events = _new_accounts(run, made), [], []
    for (line, values), row, card_id in zip(named, made.rows, made.ids, strict=True):
        line.card_id, amount = card_id, Decimal(line.row.amount or 0)
        loads.append((line.txn_id, accounts[card_id], amount, row["account_mask"]))
        _tell_holder(run, values, row, amount, "emitida")
        events.append(_loaded(run, line, card_id, row, amount, "emission"))
    _set_cards(issued)
    _post_loads(run, loads, "Carga inicial")
    webhooks.emit_each(run.company_id, "card.loaded", [e for e in events if e])


def _topup_decide(run, rows):
    found, lines = _cards_of(run, rows), []
    for row in rows:
        held = found.get((row.id_type, row.id_number), [])
        reason = outcomes.topup_refusal(len(held))
        if reason:
            lines.append(_Line(row).reject(reason))
        else:
            lines.append(_Line(row, card_id=held[0].id, card=held[0]))
    return lines


def _topup_carry_out(run, lines, expiry):
    loaded = [line for line in lines if line.outcome == b.LINE_PROCESSED]
    accounts = _accounts_of(run, list({line.card.id: line.card for line in loaded}.values()))
    loads, events = [], []
    for line in loaded:
        amount = Decimal(line.row.amount or 0)
        loads.append((line.txn_id, accounts[line.card_id], amount, line.card.account_mask))
        if '"email"' in line.row.values_json:  # a top-up file has none; an API line may
            _tell_holder(run, line.values, line.card._asdict(), amount, "recargada")
        events.append(_loaded(run, line, line.card_id, line.card._asdict(), amount, "topup"))
    _post_loads(run, loads, "Recarga")
    webhooks.emit_each(run.company_id, "card.loaded", [e for e in events if e])


def _loaded(run, line, card_id, card, amount, kind):
    """The card.loaded webhook's data of a line that put money on a card (else None)."""
    if not amount:
        return None
    return wh.card_loaded_data(run.order_id, run.number, line.row.id, card_id,
                               cards.masked(card["pan_first6"], card["pan_last4"]), amount, kind)


def _affiliation_decide(run, rows):
    wanted = [(row, json.loads(row.values_json).get("card") or "") for row in rows]
    by_mask = {}
    for card in db.session.execute(select(Card.id, Card.pan_first6, Card.pan_last4, Card.status).where(
            Card.company_id == run.company_id, Card.product_id == run.product_id,
            Card.pan_last4.in_({masked[-4:] for _, masked in wanted}))):
        by_mask.setdefault(cards.masked(card.pan_first6, card.pan_last4), []).append(card)
    held, lines = _held(run, rows), []
    for row, masked in wanted:
        found, person = by_mask.get(masked, []), (row.id_type, row.id_number)
        line = _Line(row, card_id=found[0].id if len(found) == 1 else None)
        reason = outcomes.affiliation_refusal([card.status for card in found], person in held)
        if reason:
            line.reject(reason)
        else:
            held.add(person)
        lines.append(line)
    return lines


def _affiliation_carry_out(run, lines, expiry):
    """Each card given its holder if it is still unaffiliated (a conditional UPDATE); one
    affiliated meanwhile makes its line Rechazado after all."""
    late = []
    for line in lines:
        if line.outcome == b.LINE_PROCESSED and not db.session.execute(
                update(Card).where(Card.id == line.card_id, Card.status == "unaffiliated")
                .values(status="affiliated", holder_id_type=line.row.id_type, holder_id_number=line.row.id_number,
                        holder_name=_name(line.values)).execution_options(synchronize_session=False)).rowcount:
            late.append(line.row.id)
    if late:
        db.session.execute(update(BatchLine).where(BatchLine.id.in_(late)).values(
            outcome=b.LINE_REJECTED, outcome_reason=outcomes.AFFILIATED).execution_options(synchronize_session=False))


def _unnamed_decide(run, rows):
    return [_Line(row) for row in rows]


def _unnamed_carry_out(run, lines, expiry):
    made = _Made(rows=[_card_row(run, (None, None), None, "unaffiliated", expiry or run.expires) for _ in lines])
    _insert_cards(made)
    for line, card_id in zip(lines, made.ids, strict=True):
        line.card_id = card_id
    _set_cards(lines)


@dataclass(frozen=True)
class _Kind:
    decide: object  # (run, rows) → [_Line]: reads only
    carry_out: object  # (run, claimed lines, the batch's card expiry): the writes


KINDS = {"emission": _Kind(_emission_decide, _emission_carry_out), "topup": _Kind(_topup_decide, _topup_carry_out),
         "affiliation": _Kind(_affiliation_decide, _affiliation_carry_out),
         "unnamed_emission": _Kind(_unnamed_decide, _unnamed_carry_out)}


# --- cards, accounts, money ------------------------------------------------------------------

def _name(values):
    get = values.get
    return " ".join(v for v in (get("first_name_1"), get("first_name_2"), get("last_name_1"), get("last_name_2"))
                    if v)[:160] or None


def _card_row(run, person, name, status, expires):
    first6, last4 = _new_number(run)
    return {"company_id": run.company_id, "product_id": run.product_id, "token": secrets.token_hex(16),
            "pan_first6": first6, "pan_last4": last4, "account_mask": cards.account_mask(first6, last4),
            "holder_id_type": person[0], "holder_id_number": person[1], "holder_name": name, "status": status,
            "expires": expires}


def _new_number(run):
    """(first 6, last 4) of a new PAN, whose masked number no other card of the product has
    when it can be helped (an affiliation file names a card by it). The PAN itself is
    dropped here: it is never stored, logged or written."""
    if run.masks is None:
        run.masks = {tuple(row) for row in db.session.execute(
            select(Card.pan_first6, Card.pan_last4).where(Card.product_id == run.product_id))}
    for _ in range(MASK_TRIES):
        number = cards.parts(cards.new_pan(run.bin))
        if number not in run.masks:
            break
    run.masks.add(number)
    return number


def _insert_cards(made):
    if made.rows:
        made.ids = list(db.session.scalars(insert(Card).returning(Card.id, sort_by_parameter_order=True),
                                           made.rows))


def _new_accounts(run, made):
    """{card id: its ledger account id} for new cards (ledger.card_account's, in one INSERT)."""
    if not made.ids:
        return {}
    ids = db.session.scalars(insert(LedgerAccount).returning(LedgerAccount.id, sort_by_parameter_order=True), [
        {"kind": "card", "name": f"Tarjeta {row['account_mask']}", "company_id": run.company_id,
         "product_id": run.product_id, "card_id": card_id} for row, card_id in zip(made.rows, made.ids, strict=True)])
    return dict(zip(made.ids, ids, strict=True))


def _accounts_of(run, found):
    """{card id: ledger account id} of existing cards, the missing accounts made."""
    accounts = dict(db.session.execute(select(LedgerAccount.card_id, LedgerAccount.id).where(
        LedgerAccount.card_id.in_([card.id for card in found]))).all()) if found else {}
    missing = [card for card in found if card.id not in accounts]
    accounts.update(_new_accounts(run, _Made(rows=[{"account_mask": card.account_mask} for card in missing],
                                             ids=[card.id for card in missing])))
    return accounts


def _cards_of(run, lines):
    """{(id type, id number): [active cards of the product]} of the step's people."""
    found = {}
    for card in db.session.execute(
            select(Card.id, Card.holder_id_type, Card.holder_id_number, Card.product_id, Card.status,
                   Card.pan_first6, Card.pan_last4, Card.account_mask)
            .where(Card.holder_id_number.in_({line.id_number for line in lines}))):
        if card.product_id == run.product_id and card.status != "blocked":
            found.setdefault((card.holder_id_type, card.holder_id_number), []).append(card)
    return found


def _held(run, lines):
    return set(_cards_of(run, lines))


def _post_loads(run, loads, what):
    """One balanced transaction per loaded line, clearing → card: ledger.post's legs and
    running balances, in bulk (one INSERT of the legs, one UPDATE of the balances); the
    line's claim already makes its txn id unique."""
    rows, moves, reference = [], {}, f"OS {run.number}"
    for txn_id, account_id, amount, mask in loads:
        if amount:
            rows.append({"txn_id": txn_id, "account_id": run.clearing_id, "amount": -amount,
                         "description": f"{what} tarjeta {mask}", "reference": reference})
            rows.append({"txn_id": txn_id, "account_id": account_id, "amount": amount,
                         "description": f"{what} orden de servicio {run.number}", "reference": reference})
            moves[account_id] = moves.get(account_id, Decimal(0)) + amount
    if rows:
        db.session.execute(insert(LedgerEntry), rows)
        moves[run.clearing_id] = -sum(moves.values())
        _move_balances(run, moves)


def _move_balances(run, moves):
    """{account id: change} in one UPDATE, the rows locked in id order first as
    ledger.post's are (no deadlock with it); the clearing account never below zero
    (ledger.GUARDED): else Insufficient, and the job fails with its step undone (what was
    paid always covers what the lines load)."""
    ids = sorted(moves)
    db.session.execute(select(LedgerAccount.id).where(LedgerAccount.id.in_(ids)).order_by(LedgerAccount.id)
                       .with_for_update(key_share=True))
    joined, change = _by_id(LedgerAccount.id, moves, Money)
    moved = db.session.execute(
        update(LedgerAccount).where(LedgerAccount.id.in_(ids), *joined,
                                    or_(LedgerAccount.id != run.clearing_id,
                                        LedgerAccount.balance + moves[run.clearing_id] >= 0))
        .values(balance=LedgerAccount.balance + change).execution_options(synchronize_session=False)).rowcount
    if moved != len(moves):
        raise ledger.Insufficient(db.session.get(LedgerAccount, run.clearing_id))


def _tell_holder(run, values, card, amount, what):
    if not values.get("email"):
        return
    masked = cards.masked(card["pan_first6"], card["pan_last4"])
    messaging.send_email(values["email"], f"Su tarjeta {run.product_label} fue {what}",
                         f"Su tarjeta {masked} ({run.product_label}) de {run.company_name} fue {what}.\n"
                         f"Monto cargado: {money(amount)}.\n")


# --- the batch and the order done ------------------------------------------------------------

def _finish_batch(batch_id, kind):
    """in_process → processed with its Monto depositado, once no line is left (another run
    may still hold some: the last one to commit finishes it)."""
    left = db.session.scalar(select(func.count()).select_from(BatchLine).where(
        BatchLine.batch_id == batch_id, BatchLine.ok.is_(True), BatchLine.outcome.is_(None)))
    if left:
        db.session.commit()
        return
    counts = _outcomes(BatchLine.batch_id == batch_id)
    deposited = counts.deposited if kind in LOADING_KINDS else Decimal(0)
    if db.session.execute(update(Batch).where(Batch.id == batch_id, Batch.status.in_(b.BATCH.sources(b.PROCESSED)))
                          .values(status=b.PROCESSED, processed_at=clock.utcnow(), deposited=deposited)
                          .execution_options(synchronize_session=False)).rowcount:
        audit.record("conexion.batch_processed", subject=f"batch:{batch_id}", processed=counts.processed,
                     rejected=counts.rejected, deposited=str(deposited))
        batch = db.session.get(Batch, batch_id)
        webhooks.emit(batch.company_id, "batch.processed", wh.batch_data(
            batch, status=b.PROCESSED, order_id=batch.order_id, processed_lines=counts.processed,
            rejected_lines=counts.rejected, deposited=wh.amount(deposited)))
    db.session.commit()


@dataclass(frozen=True)
class _Counts:
    processed: int
    rejected: int
    deposited: Decimal


def _outcomes(*where):
    """Lines processed and rejected, and what the processed ones carried."""
    by_outcome = {outcome: (n, total) for outcome, n, total in db.session.execute(
        select(BatchLine.outcome, func.count(), func.coalesce(func.sum(BatchLine.amount), 0))
        .where(BatchLine.ok.is_(True), *where).group_by(BatchLine.outcome))}
    processed, deposited = by_outcome.get(b.LINE_PROCESSED, (0, 0))
    return _Counts(processed, by_outcome.get(b.LINE_REJECTED, (0, 0))[0], Decimal(deposited))


def _finish_order(run):
    """paid → processed with its Monto depositado once all its batches are; the signers
    told once (by the run whose UPDATE moved it)."""
    left = db.session.scalar(select(func.count()).select_from(Batch).where(
        Batch.order_id == run.order_id, Batch.status != b.PROCESSED))
    if left:
        db.session.commit()
        return o.PAID
    deposited = db.session.scalar(select(func.coalesce(func.sum(Batch.deposited), 0))
                                  .where(Batch.order_id == run.order_id))
    if db.session.execute(update(ServiceOrder).where(
            ServiceOrder.id == run.order_id, ServiceOrder.status.in_(o.ORDER.sources(o.PROCESSED)))
            .values(status=o.PROCESSED, processed_at=clock.utcnow(), deposited=deposited)
            .execution_options(synchronize_session=False)).rowcount:
        counts = _outcomes(BatchLine.batch_id.in_(select(Batch.id).where(Batch.order_id == run.order_id)))
        audit.record("conexion.order_processed", subject=f"order:{run.order_id}", number=run.number,
                     processed=counts.processed, rejected=counts.rejected, deposited=str(deposited))
        _tell_signers(run, counts, Decimal(deposited))
    db.session.commit()
    return o.PROCESSED


def _tell_signers(run, counts, deposited):
    order = db.session.get(ServiceOrder, run.order_id)
    body = (f"La orden de servicio Nro. {run.number} de {run.company_name} ({run.product_label}) fue procesada.\n"
            f"Registros procesados: {counts.processed}\nRegistros rechazados: {counts.rejected}\n"
            f"Monto depositado: {money(deposited)}\n")
    for signer_id in {order.first_signer_id, order.second_signer_id} - {None}:
        user = db.session.get(User, signer_id)
        if user is not None and user.email:
            messaging.send_email(user.email, f"Orden de servicio Nro. {run.number} procesada", body)


# --- recovery --------------------------------------------------------------------------------

def recover_stalled(now=None):
    """worker.py's cron: paid orders whose processing has not progressed for
    ORDER_PROCESSING_TIMEOUT_SECONDS queued again; how many were."""
    now = now or clock.utcnow()
    cutoff = now - timedelta(seconds=current_app.config["ORDER_PROCESSING_TIMEOUT_SECONDS"])
    last = func.coalesce(ServiceOrder.heartbeat_at, ServiceOrder.paid_at, ServiceOrder.created_at)
    queued = 0
    for order_id in db.session.scalars(select(ServiceOrder.id).where(ServiceOrder.status == o.PAID,
                                                                     last < cutoff)).all():
        if db.session.execute(update(ServiceOrder).where(ServiceOrder.id == order_id, ServiceOrder.status == o.PAID,
                                                         last < cutoff)
                              .values(heartbeat_at=now).execution_options(synchronize_session=False)).rowcount:
            audit.record("conexion.order_requeued", subject=f"order:{order_id}")
            enqueue_after_commit(JOB, order_id)
            queued += 1
    db.session.commit()
    return queued
