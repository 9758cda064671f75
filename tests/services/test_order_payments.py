"""«Pagar orden» (services/order_payments.py): the e-mailed code's rules, the bank's four
answers applied once, the ledger movement of a paid order, and the cron that settles."""
import re
from decimal import Decimal

import pytest

from portal.adapters import bank as banks
from portal.domain import clock
from portal.extensions import db
from portal.models import (
    AuditEvent,
    Batch,
    LedgerAccount,
    LedgerEntry,
    OrderPayment,
    OutboxMessage,
    SandboxBankAccount,
    SandboxBankDebit,
    ServiceOrder,
)
from portal.queue import get_queue
from portal.services import order_payments as op
from portal.services import orders
from tests import factories
from tests.order_helpers import access_of, confirmed_emission, signers
from tests.processes import portal_env

D = Decimal
ACCOUNT = "AHORROS 418-000482-1"


def signed_order(balance="5000.00", behaviour="normal", gmf=True, company=None):
    """A one-signature company (12 % IVA, GMF applies) with a 1,000.00 emission order to
    pay (to_pay 1,015.20) and a sandbox account holding `balance`. (order, ana, access)."""
    company = company or factories.company()
    product = company.products[0]
    product.commission_per_record, product.iva_rate = D("10.00"), D("0.12")
    company.debit_account, company.gmf_applies = ACCOUNT, gmf
    db.session.add(SandboxBankAccount(number=ACCOUNT, holder=company.name, balance=D(balance), behaviour=behaviour))
    db.session.commit()
    loader, ana, _ = signers(company, 1)
    batch = confirmed_emission(loader, company)
    done = orders.sign(ana, access_of(ana, company), [batch.id], "lote", factories.PASSWORD)
    assert done.ok, done.message
    return done.orders[0], ana, access_of(ana, company)


def last_code(user):
    mail = (db.session.query(OutboxMessage).filter(OutboxMessage.recipient == user.email,
                                                   OutboxMessage.subject.like("Código para pagar%"))
            .order_by(OutboxMessage.id.desc()).first())
    return re.search(r" es (\d{6})\.", mail.body).group(1)


def code_mails(user):
    return db.session.query(OutboxMessage).filter(OutboxMessage.recipient == user.email,
                                                  OutboxMessage.subject.like("Código para pagar%")).count()


def wrong(code):
    return f"{(int(code) + 1) % 1_000_000:06d}"


def reload(order):
    db.session.expire_all()
    return db.session.get(ServiceOrder, order.id)


def bank_balance():
    db.session.expire_all()
    return db.session.query(SandboxBankAccount).filter_by(number=ACCOUNT).one().balance


# --- the code -------------------------------------------------------------------------------

def test_the_code_is_emailed_once_and_kept_while_open(app, frozen_clock):
    order, ana, access = signed_order()
    sent = op.request_code(ana, access, order)
    assert sent.ok and sent.asks_code and "an****@example.com" in sent.message
    assert code_mails(ana) == 1
    mail = db.session.query(OutboxMessage).filter_by(recipient=ana.email).order_by(OutboxMessage.id.desc()).first()
    assert f"Nro. {order.number}" in mail.subject and "$\u00a01.015,20" in mail.body and "AHORROS ****4821" in mail.body
    assert op.request_code(ana, access, order).ok and code_mails(ana) == 1  # opening the modal again: same code
    assert db.session.query(AuditEvent).filter_by(action="conexion.order_code_sent").count() == 1


def test_an_expired_code_is_refused_and_nothing_moves(app, frozen_clock):
    order, ana, access = signed_order()
    op.request_code(ana, access, order)
    code = last_code(ana)
    clock.advance(app.config["ORDER_CODE_MINUTES"] * 60)
    done = op.pay(ana, access, order, code)
    assert (done.ok, done.status) == (False, "expired") and "venció" in done.message
    assert reload(order).status == "pending_payment"
    assert db.session.query(OrderPayment).count() == 0 and db.session.query(SandboxBankDebit).count() == 0


def test_five_wrong_codes_across_resends_block_and_a_resend_does_not_reset_them(app, frozen_clock):
    order, ana, access = signed_order()
    op.request_code(ana, access, order)
    for left in (4, 3, 2):
        done = op.pay(ana, access, order, wrong(last_code(ana)))
        assert done.status == "wrong" and f"{left} intentos" in done.message
    assert op.resend(ana, access, order).status == "wait"  # not before 60 s
    clock.advance(app.config["ORDER_CODE_RESEND_SECONDS"])
    assert op.resend(ana, access, order).ok and code_mails(ana) == 2
    code = last_code(ana)
    assert "1 intento." in op.pay(ana, access, order, wrong(code)).message
    blocked = op.pay(ana, access, order, wrong(code))
    assert blocked.status == "blocked" and "5 intentos" in blocked.message
    assert op.pay(ana, access, order, code).status == "blocked"  # even the right one
    assert op.resend(ana, access, order).status == "blocked" and op.request_code(ana, access, order).status == "blocked"
    assert reload(order).status == "pending_payment" and bank_balance() == D("5000.00")
    assert db.session.query(AuditEvent).filter_by(action="conexion.order_code_wrong").count() == 5
    clock.advance(app.config["ORDER_CODE_MINUTES"] * 60)  # the block ends with the code's life
    fresh = op.request_code(ana, access, order)
    assert fresh.ok and fresh.code.tries == 0
    assert op.pay(ana, access, order, last_code(ana)).status == "approved"


def test_a_malformed_code_is_named_and_not_counted(app):
    order, ana, access = signed_order()
    op.request_code(ana, access, order)
    done = op.pay(ana, access, order, "12a")
    assert done.status == "malformed" and "6 dígitos" in done.message
    assert op.open_code(ana, order).tries == 0


def test_an_expired_code_asked_for_again_keeps_its_wrong_tries(app, frozen_clock):
    order, ana, access = signed_order()
    op.request_code(ana, access, order)
    op.pay(ana, access, order, wrong(last_code(ana)))
    clock.advance(app.config["ORDER_CODE_MINUTES"] * 60)
    again = op.request_code(ana, access, order)
    assert again.ok and again.code.tries == 1 and code_mails(ana) == 2


def test_an_order_that_cannot_be_paid_sends_no_code(app):
    order, ana, access = signed_order()
    access.company.debit_account = None
    db.session.commit()
    refused = op.request_code(ana, access, order)
    assert refused.status == "refused" and "cuenta bancaria" in refused.message and code_mails(ana) == 0


# --- paying ---------------------------------------------------------------------------------

def pay(order, ana, access):
    op.request_code(ana, access, order)
    return op.pay(ana, access, order, last_code(ana))


def test_an_approved_debit_pays_the_order_once_with_a_balanced_movement(app):
    order, ana, access = signed_order()
    assert (order.commission, order.iva, order.amount, order.gmf, order.to_pay) == (
        D("10.00"), D("1.20"), D("1000.00"), D("4.00"), D("1015.20"))
    done = pay(order, ana, access)
    assert (done.ok, done.status) == (True, "approved"), done.message
    assert "AHORROS ****4821" in done.message
    order = reload(order)
    assert order.status == "paid" and order.paid_by_id == ana.id and order.paid_at is not None
    assert {batch.status for batch in db.session.query(Batch).filter_by(order_id=order.id)} == {"in_process"}
    assert bank_balance() == D("3984.80")
    legs = db.session.query(LedgerEntry).filter_by(txn_id=f"order-paid-{order.number}").all()
    assert sum(leg.amount for leg in legs) == 0
    by_kind = {}
    for leg in legs:
        kind = db.session.get(LedgerAccount, leg.account_id).kind
        by_kind[kind] = by_kind.get(kind, D(0)) + leg.amount
    assert by_kind == {"funding": D("-1015.20"), "fees": D("10.00"), "taxes": D("5.20"), "clearing": D("1000.00")}
    payment = db.session.query(OrderPayment).one()
    assert (payment.status, payment.amount, payment.user_id) == ("approved", D("1015.20"), ana.id)
    assert [j.args for j in get_queue().jobs if j.func_name == "portal.jobs.process_order"] == [(order.id,)]
    assert db.session.query(OutboxMessage).filter(OutboxMessage.subject.like("%pagada")).count() == 1
    again = op.pay(ana, access, order, last_code(ana))
    assert again.status == "refused" and "ya fue pagada" in again.message
    assert op.request_code(ana, access, order).status == "refused"
    assert bank_balance() == D("3984.80") and db.session.query(SandboxBankDebit).count() == 1


@pytest.mark.parametrize("balance,behaviour,status,reason", [
    ("100.00", "normal", "declined", "Fondos insuficientes"),
    ("5000.00", "error", "error", "El banco no respondió; intente de nuevo"),
])
def test_a_refused_debit_leaves_the_order_to_pay_with_the_reason(app, balance, behaviour, status, reason):
    order, ana, access = signed_order(balance, behaviour)
    done = pay(order, ana, access)
    assert (done.ok, done.status) == (False, status) and reason in done.message
    assert reload(order).status == "pending_payment" and bank_balance() == D(balance)
    assert db.session.query(LedgerEntry).count() == 0
    assert {b.status for b in db.session.query(Batch).filter_by(order_id=order.id)} == {"authorized"}
    event = db.session.query(AuditEvent).filter_by(action="conexion.order_payment_refused").one()
    assert reason in event.detail
    assert db.session.query(OutboxMessage).filter(OutboxMessage.subject.like("No se pudo pagar%")).count() == 1
    # the code was used: another try needs a new one, and can succeed once the bank allows it
    assert op.pay(ana, access, order, last_code(ana)).status == "expired"
    db.session.query(SandboxBankAccount).update({"balance": D("5000.00"), "behaviour": "normal"})
    db.session.commit()
    assert pay(order, ana, access).status == "approved"
    assert db.session.query(OrderPayment).count() == 2


@pytest.mark.parametrize("balance,final,order_status", [("5000.00", "approved", "paid"),
                                                         ("10.00", "declined", "pending_payment")])
def test_a_pending_debit_waits_for_the_cron(app, balance, final, order_status):
    order, ana, access = signed_order(balance, "pending")
    done = pay(order, ana, access)
    assert done.status == "pending" and "le avisaremos por correo" in done.message
    assert reload(order).status == "paying"
    assert op.request_code(ana, access, order).status == "refused"
    assert op.settle() == 1
    assert reload(order).status == order_status
    assert db.session.query(OrderPayment).one().status == final
    assert op.settle() == 0
    assert db.session.query(LedgerEntry).count() == (5 if final == "approved" else 0)


def test_a_payment_whose_bank_call_was_lost_is_finished_by_the_cron(app, frozen_clock, monkeypatch):
    order, ana, access = signed_order()

    def down(self, *args):
        raise ConnectionError("no route to bank")

    monkeypatch.setattr(banks.SandboxBank, "debit", down)
    assert pay(order, ana, access).status == "pending"
    assert reload(order).status == "paying"
    monkeypatch.undo()
    assert op.settle() == 0  # a request just sent may still be on its way
    clock.advance(op.STALE_SENT.total_seconds())
    assert op.settle() == 1
    assert reload(order).status == "paid" and bank_balance() == D("3984.80")
    assert db.session.query(SandboxBankDebit).count() == 1 and op.settle() == 0


def test_the_settle_job_runs_from_portal_jobs(app):
    from portal import jobs

    order, ana, access = signed_order(behaviour="pending")
    pay(order, ana, access)
    assert jobs.settle_bank_debits() == 1
    assert reload(order).status == "paid"


def test_an_answer_applied_twice_moves_nothing_twice(app):
    order, ana, access = signed_order(behaviour="pending")
    pay(order, ana, access)
    payment = db.session.query(OrderPayment).one()
    assert op.apply(payment.id, banks.BankAnswer("approved")).status == "approved"
    replay = op.apply(payment.id, banks.BankAnswer("approved"))
    assert replay.status == "taken" and replay.ok
    assert db.session.query(LedgerEntry).filter(LedgerEntry.amount < 0).count() == 1
    assert db.session.query(AuditEvent).filter_by(action="conexion.order_paid").count() == 1


def test_other_users_of_the_company_get_their_own_code(app):
    order, ana, access = signed_order()
    beto = factories.user("corporate", "beto2")
    factories.member(beto, access.company, can_authorize=True)
    op.request_code(ana, access, order)
    beto_access = access_of(beto, access.company)
    assert op.pay(beto, beto_access, order, last_code(ana)).status == "expired"  # no code of his
    assert reload(order).status == "pending_payment"


def test_worker_py_cron_settles_a_pending_debit(app, database_url, redis_url, tmp_path):
    import signal
    import subprocess
    import sys
    import time

    from portal.config import BASE_DIR

    order, ana, access = signed_order(behaviour="pending")
    assert pay(order, ana, access).status == "pending"
    db.session.commit()
    env = portal_env(database_url, redis_url, tmp_path, SETTLE_BANK_EVERY_SECONDS="1")
    process = subprocess.Popen([sys.executable, str(BASE_DIR / "worker.py"), "-n", "1"], cwd=BASE_DIR, env=env)
    try:
        deadline = time.monotonic() + 120  # worker.py starts its workers and cron: slow on a busy machine
        while reload(order).status not in ("paid", "processed"):  # the same worker may process it at once
            db.session.commit()
            assert time.monotonic() < deadline, "the cron never settled the debit"
            time.sleep(0.2)
        assert db.session.query(OrderPayment).one().status == "approved" and bank_balance() == D("3984.80")
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
