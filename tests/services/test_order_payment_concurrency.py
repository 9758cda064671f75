"""«Pagar orden» under concurrency (PostgreSQL in CI): twenty «Aceptar» with the same right
code at the same instant debit the bank once and post one ledger movement."""
from decimal import Decimal

from portal.extensions import db
from portal.models import (
    AuditEvent,
    Company,
    EmailCode,
    LedgerEntry,
    OrderPayment,
    OutboxMessage,
    SandboxBankAccount,
    SandboxBankDebit,
    ServiceOrder,
    User,
)
from portal.services import order_payments as op
from tests.order_helpers import access_of
from tests.services.test_batch_concurrency import race
from tests.services.test_order_payments import ACCOUNT, last_code, signed_order


def test_twenty_payments_with_the_same_code_at_once_debit_once(app):
    order, ana, access = signed_order("5000.00")
    assert op.request_code(ana, access, order).ok
    code, ids = last_code(ana), (order.id, ana.id, access.company.id)
    db.session.remove()

    def pay():
        order_id, user_id, company_id = ids
        user = db.session.get(User, user_id)
        access = access_of(user, db.session.get(Company, company_id))
        return op.pay(user, access, db.session.get(ServiceOrder, order_id), code).status

    answers = race(app, pay, 20)
    assert answers.count("approved") == 1, answers
    assert set(answers) - {"approved"} <= {"taken", "refused", "expired"}, answers
    assert db.session.get(ServiceOrder, ids[0]).status == "paid"
    assert db.session.query(SandboxBankDebit).count() == 1 and db.session.query(OrderPayment).count() == 1
    assert db.session.query(SandboxBankAccount).filter_by(number=ACCOUNT).one().balance == Decimal("3984.80")
    txns = {txn for (txn,) in db.session.query(LedgerEntry.txn_id).distinct()}
    assert txns == {f"order-paid-{order.number}"}
    assert db.session.query(AuditEvent).filter_by(action="conexion.order_paid").count() == 1


def test_a_double_click_on_pagar_emails_one_code(app):
    order, ana, access = signed_order("5000.00")
    ids = (order.id, ana.id, access.company.id)
    db.session.remove()

    def open_modal():
        order_id, user_id, company_id = ids
        user = db.session.get(User, user_id)
        access = access_of(user, db.session.get(Company, company_id))
        return op.request_code(user, access, db.session.get(ServiceOrder, order_id)).status

    assert race(app, open_modal, 4) == ["sent"] * 4
    user = db.session.get(User, ids[1])
    assert db.session.query(OutboxMessage).filter(OutboxMessage.recipient == user.email,
                                                  OutboxMessage.subject.like("Código para pagar%")).count() == 1
    assert db.session.query(EmailCode).count() == 1
