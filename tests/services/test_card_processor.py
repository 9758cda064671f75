"""The card processor («core digital»): a paid order's lines carried out, each exactly once
(one claimed ledger transaction per line), the ledger balanced, the batch and the order
Procesado with their Monto depositado, cardholders and signers told."""
import os
import re
import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from portal.domain import cards as c
from portal.domain import clock
from portal.domain import line_outcomes as outcomes
from portal.domain.formatting import today_bogota
from portal.extensions import db
from portal.models import (
    AuditEvent,
    Batch,
    BatchLine,
    Card,
    Company,
    LedgerAccount,
    LedgerEntry,
    OutboxMessage,
    Product,
    ServiceOrder,
)
from portal.queue import get_queue
from portal.services import card_processor, ledger
from tests import factories
from tests import order_helpers as oh
from tests.processes import portal_env, stop


@pytest.fixture
def company(app):
    return factories.company()


@pytest.fixture
def user(company):
    user = factories.user("corporate", "jhomez")
    factories.member(user, company, can_upload=True, can_authorize=True)
    return user


def emission_rows(people):
    """people = [(cédula, amount, email)]."""
    return [["CC", cedula, "PÉREZ", "GÓMEZ", "MARÍA", "JOSÉ", "15/03/1985", email, "3001234567", "Calle 1",
             "BARRANQUILLA", "", amount] for cedula, amount, email in people]


def topup_rows(people):
    return [["CC", cedula, amount, "Bono"] for cedula, amount in people]


def emitted(user, company, people):
    order = oh.paid_order(user, [oh.confirmed_batch(user, company, "emission", emission_rows(people))])
    assert card_processor.process(order.id) == "processed"
    return order


def lines_of(order):
    return db.session.scalars(select(BatchLine).join(Batch).where(Batch.order_id == order.id)
                              .order_by(BatchLine.id)).all()


def clearing(company, product=None):
    return ledger.balance(ledger.company_account("clearing", company, product or company.products[0]))


def card_balance(card):
    account = db.session.scalars(select(LedgerAccount).where(LedgerAccount.card_id == card.id)).one()
    return ledger.balance(account)


def card_of(cedula):
    return db.session.scalars(select(Card).where(Card.holder_id_number == cedula)).one()


def assert_every_transaction_balanced():
    unbalanced = db.session.execute(select(LedgerEntry.txn_id).group_by(LedgerEntry.txn_id)
                                    .having(func.sum(LedgerEntry.amount) != 0)).all()
    assert unbalanced == []
    # every running balance is the sum of its entries (summed here: SQLite sums in floats)
    sums = {}
    for account_id, amount in db.session.execute(select(LedgerEntry.account_id, LedgerEntry.amount)):
        sums[account_id] = sums.get(account_id, 0) + amount
    assert {account.id: account.balance for account in db.session.scalars(select(LedgerAccount))
            if account.balance or account.id in sums} == sums


def emails_to(address):
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == address)).all()


def refresh(order):
    db.session.expire_all()
    return db.session.get(ServiceOrder, order.id)


# --- each kind -------------------------------------------------------------------------------

def test_an_emission_makes_a_card_per_line_with_its_initial_load(user, company):
    order = emitted(user, company, [("1045678434", "1000", "maria@example.com"), ("1045678435", "", ""),
                                    ("1045678436", "2500,50", "")])

    order = refresh(order)
    assert order.status == "processed" and order.processed_at is not None
    assert order.deposited == Decimal("3500.50")
    (batch,) = order.batches
    assert (batch.status, batch.deposited) == ("processed", Decimal("3500.50")) and batch.processed_at
    product = company.products[0]
    expires = c.expiry(today_bogota(), product.card_validity_months)
    for cedula, amount in (("1045678434", "1000"), ("1045678435", "0"), ("1045678436", "2500.50")):
        card = card_of(cedula)
        assert card.pan_first6 == product.bin and len(card.pan_last4) == 4
        assert card.account_mask == f"{product.bin}****{card.pan_last4}"
        assert (card.status, card.holder_id_type, card.holder_name) == ("affiliated", "CC", "MARÍA JOSÉ PÉREZ GÓMEZ")
        assert card.expires == expires and len(card.token) == 32
        assert card_balance(card) == Decimal(amount)
    assert [(line.outcome, line.outcome_reason) for line in lines_of(order)] == [("processed", None)] * 3
    assert [line.card_id for line in lines_of(order)] == [card_of(n).id for n in ("1045678434", "1045678435",
                                                                                  "1045678436")]
    assert clearing(company) == 0
    assert_every_transaction_balanced()
    # one transaction per loaded line (the 0 one moves nothing), named by its line
    loaded = [line.ledger_txn for line in lines_of(order) if line.amount]
    assert sorted(db.session.scalars(select(LedgerEntry.txn_id).distinct().where(LedgerEntry.txn_id.like("line-%")))
                  ) == sorted(loaded)


def test_the_cardholder_and_the_signers_are_told(user, company):
    order = emitted(user, company, [("1045678434", "1000", "maria@example.com"), ("1045678435", "5", "")])

    card = card_of("1045678434")
    (mail,) = emails_to("maria@example.com")
    assert f"{card.pan_first6}******{card.pan_last4}" in mail.body and "$\u00a01.000" in mail.body
    (signer_mail,) = emails_to(user.email)
    assert str(order.number) in signer_mail.subject
    assert "Registros procesados: 2" in signer_mail.body and "Registros rechazados: 0" in signer_mail.body
    assert "Monto depositado: $\u00a01.005" in signer_mail.body
    # never a whole card number: in the e-mails, the audit, the ledger's descriptions
    texts = [m.body for m in db.session.scalars(select(OutboxMessage))]
    texts += [e.detail or "" for e in db.session.scalars(select(AuditEvent))]
    texts += [e.description for e in db.session.scalars(select(LedgerEntry))]
    assert not [t for t in texts if re.search(r"\b450714\d{10}\b", t)]


def test_a_person_who_got_a_card_meanwhile_is_rejected_and_the_money_stays_in_clearing(user, company):
    first = oh.confirmed_batch(user, company, "emission", emission_rows([("1045678434", "1000", "")]))
    second = oh.confirmed_batch(user, company, "emission", emission_rows([("1045678434", "700", ""),
                                                                          ("1045678499", "300", "")]))
    order = oh.paid_order(user, [first, second])

    assert card_processor.process(order.id) == "processed"

    found = [(line.outcome, line.outcome_reason) for line in lines_of(order)]
    assert found == [("processed", None), ("rejected", outcomes.HAS_CARD), ("processed", None)]
    assert card_balance(card_of("1045678434")) == Decimal("1000")
    assert refresh(order).deposited == Decimal("1300")
    assert db.session.get(Batch, second.id).deposited == Decimal("300")
    assert clearing(company) == Decimal("700")  # refunds are out of scope
    assert_every_transaction_balanced()
    assert "Registros rechazados: 1" in emails_to(user.email)[0].body


def test_a_topup_loads_the_persons_card_or_is_rejected_without_one(user, company):
    emitted(user, company, [("1045678434", "1000", ""), ("1045678435", "0", "")])
    batch = oh.confirmed_batch(user, company, "topup", topup_rows([("1045678434", "250"), ("1045678435", "90")]))
    db.session.execute(update(Card).where(Card.holder_id_number == "1045678435").values(status="blocked"))
    db.session.commit()
    order = oh.paid_order(user, [batch])

    assert card_processor.process(order.id) == "processed"

    assert [(line.outcome, line.outcome_reason) for line in lines_of(order)] == [
        ("processed", None), ("rejected", outcomes.NO_CARD)]
    assert lines_of(order)[0].card_id == card_of("1045678434").id
    assert card_balance(card_of("1045678434")) == Decimal("1250")
    assert card_balance(card_of("1045678435")) == 0
    assert refresh(order).deposited == Decimal("250") and refresh(order).status == "processed"
    assert clearing(company) == Decimal("90")
    assert_every_transaction_balanced()


def unnamed_product(company):
    product = Product(company_id=company.id, name="Clásica In", brand="Visa", bin="450715", named=False)
    db.session.add(product)
    db.session.commit()
    return product


def unnamed_batch(user, company, product, n):
    """«Tarjetas innominadas › Solicitud» (services/unnamed_cards.py): a confirmed
    unnamed_emission batch of n lines."""
    from portal.services import unnamed_cards

    done = unnamed_cards.request_cards(user, oh.access_of(user, company, product), {
        "solicitud": unnamed_cards.new_form_key(), "quantity": str(n), "emboss_line1": "JAHC TECHNOLOGIES",
        "emboss_line2": "", "branch": "1", "password": factories.PASSWORD})
    assert done.ok, done.message
    return done.batch


def test_unnamed_cards_then_their_affiliation(user, company):
    product = unnamed_product(company)
    requested = unnamed_batch(user, company, product, 3)
    order = oh.paid_order(user, [requested])

    assert card_processor.process(order.id) == "processed"

    made = db.session.scalars(select(Card).where(Card.product_id == product.id).order_by(Card.id)).all()
    assert [(card.status, card.holder_id_number, card.expires) for card in made] == [
        ("unaffiliated", None, db.session.get(Batch, requested.id).card_expiry)] * 3
    assert len({(card.pan_first6, card.pan_last4) for card in made}) == 3 and {card.pan_first6 for card in made} == {"450715"}
    assert [line.card_id for line in lines_of(order)] == [card.id for card in made]
    assert refresh(order).deposited == 0

    rows = [[c.masked(card.pan_first6, card.pan_last4), "", "CC", cedula, "PÉREZ", "", "ANA"]
            for card, cedula in zip(made[:2], ("1045678434", "1045678435"), strict=True)]
    affiliation = oh.confirmed_batch(user, company, "affiliation", rows, product=product)
    db.session.execute(update(Card).where(Card.id == made[1].id).values(status="affiliated", holder_id_type="CC",
                                                                        holder_id_number="77777"))
    db.session.commit()
    order = oh.paid_order(user, [affiliation])

    assert card_processor.process(order.id) == "processed"

    db.session.expire_all()
    assert (made[0].status, made[0].holder_id_number, made[0].holder_name) == ("affiliated", "1045678434", "ANA PÉREZ")
    assert made[1].holder_id_number == "77777"
    assert [(line.outcome, line.outcome_reason, line.card_id) for line in lines_of(order)] == [
        ("processed", None, made[0].id), ("rejected", outcomes.AFFILIATED, made[1].id)]
    assert made[2].status == "unaffiliated"


def test_an_order_not_paid_is_left_alone(user, company):
    batch = oh.confirmed_batch(user, company, "emission", emission_rows([("1045678434", "1000", "")]))
    from portal.services import orders

    signed = orders.sign(user, oh.access_of(user, company), [batch.id], "lote", factories.PASSWORD)
    assert card_processor.process(signed.orders[0].id) == "pending_payment"
    assert card_processor.process(999999) is None
    assert db.session.scalar(select(func.count()).select_from(Card)) == 0


# --- exactly once ----------------------------------------------------------------------------

def ledger_sums():
    return dict(db.session.execute(select(LedgerEntry.account_id, func.sum(LedgerEntry.amount))
                                   .group_by(LedgerEntry.account_id)).all())


def test_run_twice_the_same_cards_and_entries(user, company):
    order = emitted(user, company, [("1045678434", "1000", "a@example.com"), ("1045678435", "20", "")])
    before = (db.session.scalar(select(func.count()).select_from(Card)),
              db.session.scalar(select(func.count()).select_from(LedgerEntry)), ledger_sums(),
              db.session.scalar(select(func.count()).select_from(OutboxMessage)))

    assert card_processor.process(order.id) == "processed"  # a second job: nothing to do
    # even with the order and batch put back as if their last commit was lost
    db.session.execute(update(ServiceOrder).where(ServiceOrder.id == order.id).values(status="paid"))
    db.session.execute(update(Batch).where(Batch.order_id == order.id).values(status="in_process"))
    db.session.commit()
    assert card_processor.process(order.id) == "processed"

    after = (db.session.scalar(select(func.count()).select_from(Card)),
             db.session.scalar(select(func.count()).select_from(LedgerEntry)), ledger_sums(),
             db.session.scalar(select(func.count()).select_from(OutboxMessage)))
    assert after[:3] == before[:3]
    assert after[3] == before[3] + 1  # only the signers' e-mail again: the order was «finished» again


def test_a_run_that_dies_in_a_step_loses_that_step_and_the_next_run_does_it_once(app, user, company, monkeypatch):
    people = [(f"10456784{i:02d}", str(100 + i), "") for i in range(7)]
    order = oh.paid_order(user, [oh.confirmed_batch(user, company, "emission", emission_rows(people))])
    app.config["ORDER_STEP_LINES"] = 3
    real, calls = card_processor._post_loads, []

    def dies_in_the_second_step(*args):
        calls.append(args)
        real(*args)  # its lines claimed, its cards and legs written, then the worker «dies» before the commit
        if len(calls) == 2:
            raise SystemExit("killed")

    monkeypatch.setattr(card_processor, "_post_loads", dies_in_the_second_step)
    with pytest.raises(SystemExit):
        card_processor.process(order.id)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Card)) == 3  # the first step's, committed
    monkeypatch.setattr(card_processor, "_post_loads", real)

    assert card_processor.process(order.id) == "processed"

    assert db.session.scalar(select(func.count()).select_from(Card)) == 7
    for cedula, amount, _ in people:
        assert card_balance(card_of(cedula)) == Decimal(amount)
    assert clearing(company) == 0
    assert_every_transaction_balanced()


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                    reason="two workers at once: on PostgreSQL (SQLite has one writer)")
def test_two_workers_at_once_issue_and_load_every_card_once(app, user, company, monkeypatch):
    from tests.services.test_batch_concurrency import race

    claim, claimed_by = card_processor._claim, {}

    def claim_noted(lines):  # which worker took which lines
        taken = claim(lines)
        claimed_by.setdefault(threading.get_ident(), []).extend(line.row.id for line in taken)
        return taken

    monkeypatch.setattr(card_processor, "_claim", claim_noted)

    people = [(f"20456784{i:02d}", str(1000 + i), "") for i in range(60)]
    order = oh.paid_order(user, [oh.confirmed_batch(user, company, "emission", emission_rows(people))])
    app.config["ORDER_STEP_LINES"] = 4
    order_id, company_id, email = order.id, company.id, user.email
    db.session.remove()

    results = race(app, lambda: card_processor.process(order_id), 3)

    company = db.session.get(Company, company_id)

    assert "processed" in results and set(results) <= {"processed", "paid"}
    assert len(claimed_by) >= 2, "the workers did not overlap"
    taken = [line for lines in claimed_by.values() for line in lines]
    assert len(taken) == len(set(taken)) == 60
    assert db.session.scalar(select(func.count()).select_from(Card)) == 60
    for cedula, amount, _ in people:
        assert card_balance(card_of(cedula)) == Decimal(amount)
    assert clearing(company) == 0
    assert_every_transaction_balanced()
    assert db.session.get(ServiceOrder, order_id).deposited == sum(Decimal(a) for _, a, _ in people)
    assert len(emails_to(email)) == 1
    assert db.session.query(AuditEvent).filter_by(action="conexion.order_processed").count() == 1


# --- recovery --------------------------------------------------------------------------------

def test_a_paid_order_silent_for_two_minutes_is_queued_again_once(user, company, frozen_clock):
    order = oh.paid_order(user, [oh.confirmed_batch(user, company, "emission",
                                                    emission_rows([("1045678434", "1000", "")]))])
    queue = get_queue()
    queue.empty()
    clock.advance(119)
    assert card_processor.recover_stalled() == 0
    clock.advance(2)
    assert card_processor.recover_stalled() == 1
    assert card_processor.recover_stalled() == 0  # its heartbeat was moved: not twice in a row
    assert [job.func_name for job in queue.jobs] == ["portal.jobs.process_order"]
    assert queue.jobs[0].args == (order.id,)
    assert db.session.query(AuditEvent).filter_by(action="conexion.order_requeued").count() == 1
    clock.advance(121)
    assert card_processor.recover_stalled() == 1  # still silent: again
    assert card_processor.process(order.id) == "processed"
    clock.advance(600)
    assert card_processor.recover_stalled() == 0  # processed orders are left alone


def test_a_run_out_of_time_queues_the_rest(app, user, company):
    people = [(f"10456784{i:02d}", "10", "") for i in range(5)]
    order = oh.paid_order(user, [oh.confirmed_batch(user, company, "emission", emission_rows(people))])
    app.config.update(ORDER_STEP_LINES=2, ORDER_JOB_SLICE_SECONDS=-1)
    get_queue().empty()

    assert card_processor.process(order.id) == card_processor.CONTINUED

    assert db.session.scalar(select(func.count()).select_from(Card)) == 2
    assert [job.func_name for job in get_queue().jobs] == ["portal.jobs.process_order"]


# --- a real worker killed halfway ------------------------------------------------------------

@pytest.fixture
def start_worker_py(app, database_url, redis_url, tmp_path):
    """Starts `worker.py -n 1` (`cron`: with its cron) with these settings; killed with its
    tree at the end."""
    import signal
    import subprocess
    import sys

    from portal.config import BASE_DIR
    from tests.test_worker import alive

    started = []

    def start(cron=False, **settings):
        env = portal_env(database_url, redis_url, tmp_path, **settings)
        with open(tmp_path / "worker.log", "w") as out:
            process = subprocess.Popen([sys.executable, str(BASE_DIR / "worker.py"), "-n", "1",
                                        *([] if cron else ["--no-cron"])],
                                       cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
        process.tree = []
        started.append(process)
        return process

    yield start
    for process in started:
        stop(process)
        for pid in process.tree:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def lines_done(order_id):
    db.session.rollback()  # a fresh snapshot: the worker commits from another process
    return db.session.scalar(select(func.count()).select_from(BatchLine).join(Batch).where(
        Batch.order_id == order_id, BatchLine.outcome.is_not(None)))


def status_of(order_id):
    db.session.rollback()
    return db.session.scalar(select(ServiceOrder.status).where(ServiceOrder.id == order_id))


def test_a_worker_killed_halfway_then_the_job_again_loads_every_card_once(start_worker_py, user, company):
    import signal
    from datetime import timedelta

    from tests.test_worker import alive, eventually, rq_worker_pids

    people = [(f"30{i:08d}", f"{1000 + i}.{i % 100:02d}", "") for i in range(400)]
    order = oh.paid_order(user, [oh.confirmed_batch(user, company, "emission", emission_rows(people))])
    order_id, company_id = order.id, company.id
    worker_py = start_worker_py(ORDER_STEP_LINES="4")
    (worker_pid,) = eventually(rq_worker_pids, timeout=60, message="worker.py did not start its worker")
    worker_py.tree.append(worker_pid)

    get_queue().enqueue("portal.jobs.process_order", order_id)
    done = eventually(lambda: lines_done(order_id) >= 20 and lines_done(order_id), timeout=60,
                      message="the worker did not start on the order")
    os.kill(worker_pid, signal.SIGKILL)
    eventually(lambda: not alive(worker_pid), timeout=10)
    halfway = lines_done(order_id)
    assert done <= halfway < 400, "killed too late: the order was done"

    # the cron finds it silent (two minutes later) and queues the job again; the worker
    # worker.py started in the dead one's place runs it
    assert card_processor.recover_stalled(clock.utcnow() + timedelta(seconds=121)) == 1
    eventually(lambda: status_of(order_id) == "processed", timeout=60,
               message="the job run again did not finish the order")

    company = db.session.get(Company, company_id)
    assert db.session.scalar(select(func.count()).select_from(Card)) == 400
    for cedula, amount, _ in people:
        assert card_balance(card_of(cedula)) == Decimal(amount)
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry).where(
        LedgerEntry.txn_id.like("line-%"))) == 800
    assert clearing(company) == 0
    assert_every_transaction_balanced()
    order = db.session.get(ServiceOrder, order_id)
    assert order.deposited == sum(Decimal(a) for _, a, _ in people) == order.amount


def test_a_line_another_run_claimed_first_is_left_out(user, company, monkeypatch):
    people = [(f"10456784{i:02d}", "10", "") for i in range(3)]
    order = oh.paid_order(user, [oh.confirmed_batch(user, company, "emission", emission_rows(people))])
    decide = card_processor.KINDS["emission"].decide

    def another_run_claims_the_second(run, rows):
        lines = decide(run, rows)
        db.session.execute(update(BatchLine).where(BatchLine.id == rows[1].id)
                           .values(ledger_txn=f"line-{rows[1].id}"))  # between our reads and our claim
        return lines

    monkeypatch.setitem(card_processor.KINDS, "emission",
                        card_processor._Kind(another_run_claims_the_second, card_processor.KINDS["emission"].carry_out))
    assert card_processor.process(order.id) == "paid"  # its line is not done: the batch waits for it

    assert db.session.scalar(select(func.count()).select_from(Card)) == 2
    assert [line.outcome for line in lines_of(order)] == ["processed", None, "processed"]
    assert refresh(order).batches[0].status == "in_process"


def test_a_card_affiliated_between_the_decision_and_its_update_is_rejected(user, company, monkeypatch):
    product = unnamed_product(company)
    assert card_processor.process(oh.paid_order(user, [unnamed_batch(user, company, product, 1)]).id) == "processed"
    card = db.session.scalars(select(Card).where(Card.product_id == product.id)).one()
    affiliation = oh.confirmed_batch(user, company, "affiliation", [
        [c.masked(card.pan_first6, card.pan_last4), "", "CC", "1045678434", "PÉREZ", "", "ANA"]], product=product)
    order = oh.paid_order(user, [affiliation])
    decide = card_processor.KINDS["affiliation"].decide

    def affiliated_meanwhile(run, rows):
        lines = decide(run, rows)
        db.session.execute(update(Card).where(Card.id == card.id).values(status="affiliated"))
        return lines

    monkeypatch.setitem(card_processor.KINDS, "affiliation",
                        card_processor._Kind(affiliated_meanwhile, card_processor.KINDS["affiliation"].carry_out))
    assert card_processor.process(order.id) == "processed"

    assert [(line.outcome, line.outcome_reason) for line in lines_of(order)] == [("rejected",
                                                                                 outcomes.AFFILIATED)]
    db.session.expire_all()
    assert card.holder_id_number is None


def test_worker_py_cron_queues_a_paid_order_whose_job_was_lost(start_worker_py, user, company):
    from tests.test_worker import eventually

    order = oh.paid_order(user, [oh.confirmed_batch(user, company, "emission",
                                                    emission_rows([("1045678434", "1000", "")]))])
    get_queue().empty()  # its job never reached a worker

    start_worker_py(cron=True, ORDER_RECOVERY_EVERY_SECONDS="1", ORDER_PROCESSING_TIMEOUT_SECONDS="2")

    eventually(lambda: status_of(order.id) == "processed", timeout=60, message="the cron never queued the order")
    assert card_balance(card_of("1045678434")) == Decimal("1000")
    assert db.session.query(AuditEvent).filter_by(action="conexion.order_requeued").count() >= 1


def test_an_order_paid_through_pagar_orden_is_processed_by_the_job_it_queues(app):
    """The parts of #10 joined: «Pagar orden» (services/order_payments.py) pays the order,
    credits its Monto to clearing and queues portal.jobs.process_order; that job loads it."""
    from portal import jobs
    from portal.services import order_payments
    from tests.services.test_order_payments import last_code, signed_order

    order, ana, access = signed_order()
    get_queue().empty()
    assert order_payments.request_code(ana, access, order).ok
    assert order_payments.pay(ana, access, order, last_code(ana)).status == "approved"
    (job,) = [job for job in get_queue().jobs if job.func_name == "portal.jobs.process_order"]

    assert jobs.process_order(*job.args) == "processed"

    order = refresh(order)
    assert (order.status, order.deposited) == ("processed", order.amount)
    (card,) = db.session.scalars(select(Card)).all()
    assert card_balance(card) == order.amount and clearing(order.company) == 0
    assert_every_transaction_balanced()
