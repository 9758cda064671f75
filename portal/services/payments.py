"""Pagos Express, merchant side: start a payment, send the payer to the acquirer, and
apply an approval exactly once — whichever report arrives first and however often:
the payer's return, the signed event, or the reconciliation job."""
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, timedelta
from urllib.parse import urlencode

from flask import current_app, url_for
from sqlalchemy import update

from portal import metrics
from portal.adapters.gateway import checkout_query, gateway_for
from portal.domain import clock
from portal.domain import gateway as contract
from portal.domain import payments as rules
from portal.domain.formatting import money
from portal.extensions import db
from portal.models import (
    AffiliateCredit,
    Company,
    KindergartenSlip,
    MasterFunding,
    Payment,
    PaymentReview,
    PaymentSlip,
    Product,
)
from portal.services import acquirer, audit, cartera_slips, ledger, messaging

CHECKOUT_MINUTES = 30


def gateway(for_checkout=False):
    checkout = url_for("gateway.checkout", _external=True) if for_checkout else None
    return gateway_for(current_app.config, checkout, sandbox=acquirer)


def new_reference():
    return "PX" + secrets.token_hex(6).upper()


def by_reference(reference):
    return db.session.query(Payment).filter_by(reference=reference).first()


def open_payment_for(kind, target_id, **owner):
    """The owner's unfinished payment of a slip (owner: affiliate_id= or user_id=), so a
    retry reuses it. A payment belongs to whoever started it: it carries their data."""
    return (db.session.query(Payment)
            .filter_by(kind=kind, target_id=target_id, **owner)
            .filter(Payment.status != rules.APPROVED)
            .order_by(Payment.id.desc()).first())


def pending_payment_for(kind, target_id):
    """Anyone's payment of this target that the bank has not answered yet."""
    return (db.session.query(Payment)
            .filter_by(kind=kind, target_id=target_id, status=rules.PENDING).first())


def start(kind, target_id, amount, description, payer, affiliate_id=None, user_id=None):
    payment = Payment(reference=new_reference(), kind=kind, target_id=target_id, amount=amount,
                      description=description, affiliate_id=affiliate_id, user_id=user_id,
                      status=rules.CREATED, payer_first_name=payer["first_name"],
                      payer_last_name=payer["last_name"], payer_email=payer["email"],
                      payer_mobile=payer.get("mobile"), payer_address=payer.get("address"))
    db.session.add(payment)
    db.session.flush()
    audit.record("payment.created", subject=payment.reference, kind=kind, target=target_id,
                 amount=str(amount))
    db.session.commit()
    return payment


def checkout_url(payment, expires_at=None, return_url=None):
    """Where the payer goes to pay; refuses while an attempt is pending or once paid.
    The acquirer sends the payer back to `return_url` (default: Pagos Express' result)."""
    rules.can_start_attempt(payment.status)
    expires_at = expires_at or clock.utcnow() + timedelta(minutes=CHECKOUT_MINUTES)
    expiration = expires_at.replace(tzinfo=UTC).isoformat(timespec="milliseconds")
    payment.attempts += 1
    db.session.commit()
    gw = gateway(for_checkout=True)
    # The payer's name, e-mail and mobile stay here: a URL ends up in histories and logs.
    query = checkout_query(
        current_app.config, payment.reference, contract.to_cents(payment.amount),
        return_url or url_for("pagos.payment_return", reference=payment.reference, _external=True),
        expiration.replace("+00:00", "Z"),
    )
    return f"{gw.checkout_url}?{urlencode(query)}"


@dataclass(frozen=True)
class SyncResult:
    status: str
    applied: bool = False
    review: bool = False


def sync(payment, tx, source):
    """Bring the payment up to date with the acquirer's record of one attempt."""
    found = rules.mismatches(payment.reference, contract.to_cents(payment.amount), tx)
    if found:
        _open_review(payment, tx, "; ".join(
            f"{m.field}: se esperaba {m.expected}, llegó {m.received}" for m in found))
        db.session.commit()
        return SyncResult(payment.status, review=True)
    outcome = rules.on_gateway_status(payment.status, tx["status"])
    applied = False
    if outcome.apply:
        applied = _apply(payment, tx, source)
    elif outcome.changed:
        db.session.execute(
            update(Payment).where(Payment.id == payment.id, Payment.status != rules.APPROVED)
            .values(status=outcome.status, gateway_transaction_id=tx["id"], updated_at=clock.utcnow())
            .execution_options(synchronize_session=False))
        audit.record(f"payment.{outcome.status}", subject=payment.reference, source=source,
                     transaction=tx["id"])
    db.session.commit()
    db.session.refresh(payment)
    return SyncResult(payment.status, applied=applied)


def _apply(payment, tx, source):
    """The only place money is applied: the conditional UPDATE lets exactly one caller in."""
    now = clock.utcnow()
    won = db.session.execute(
        update(Payment).where(Payment.id == payment.id, Payment.applied_at.is_(None))
        .values(status=rules.APPROVED, applied_at=now, approved_at=now, applied_by=source,
                gateway_transaction_id=tx["id"], updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if not won:
        return False
    problem = APPLIERS[payment.kind](payment)
    if problem:
        _open_review(payment, tx, problem)
    audit.record("payment.applied", subject=payment.reference, source=source, transaction=tx["id"],
                 amount=str(payment.amount))
    metrics.count_on_commit(metrics.PAYMENTS_APPLIED, payment.kind)
    _send_receipt(payment, tx)
    return True


def _apply_affiliate_credit(payment):
    changed = db.session.execute(
        update(AffiliateCredit)
        .where(AffiliateCredit.id == payment.target_id, AffiliateCredit.balance >= payment.amount)
        .values(paid=AffiliateCredit.paid + payment.amount,
                balance=AffiliateCredit.balance - payment.amount)
        .execution_options(synchronize_session=False)).rowcount
    return None if changed else "El pago aprobado supera el saldo del crédito; revisar y devolver el excedente."


def _apply_kindergarten_slip(payment):
    changed = db.session.execute(
        update(KindergartenSlip).where(KindergartenSlip.id == payment.target_id,
                                       KindergartenSlip.status == "open")
        .values(status="paid").execution_options(synchronize_session=False)).rowcount
    return None if changed else "El volante del jardín ya no estaba pendiente; revisar el pago."


def _apply_payment_slip(payment):
    changed = db.session.execute(
        update(PaymentSlip).where(PaymentSlip.id == payment.target_id,
                                  PaymentSlip.status.in_(("open", "expired")))
        .values(status="paid", paid_at=clock.utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if not changed:
        return "El volante de pago ya estaba pagado o anulado; revisar el pago."
    return cartera_slips.allocate_paid_slip(payment.target_id, payment.amount)


def _apply_master_funding(payment):
    """«Servicios › Cuenta maestra» funded by PSE: the master account credited once (the
    funding claimed by a conditional UPDATE, then one ledger transaction)."""
    funding = db.session.get(MasterFunding, payment.target_id)
    txn = f"funding-{funding.id}"
    claimed = db.session.execute(
        update(MasterFunding).where(MasterFunding.id == funding.id, MasterFunding.applied_at.is_(None),
                                    MasterFunding.ledger_txn.is_(None))
        .values(applied_at=clock.utcnow(), ledger_txn=txn).execution_options(synchronize_session=False)).rowcount
    if not claimed:
        return "La recarga de la cuenta maestra ya estaba aplicada; revisar el pago."
    master = ledger.company_account("master", db.session.get(Company, funding.company_id),
                                    db.session.get(Product, funding.product_id))
    ledger.post(txn, [ledger.Leg(ledger.program_account("funding"), -funding.amount, f"Pago PSE {payment.reference}"),
                      ledger.Leg(master, funding.amount, payment.description)], reference=payment.reference)
    return None


APPLIERS = {"affiliate_credit": _apply_affiliate_credit,
            "kindergarten_slip": _apply_kindergarten_slip,
            "payment_slip": _apply_payment_slip,
            "master_funding": _apply_master_funding}
for _kind in APPLIERS:  # every kind's series exists from the start, at 0
    metrics.PAYMENTS_APPLIED.labels(_kind)


def _open_review(payment, tx, reason):
    exists = db.session.query(PaymentReview).filter_by(
        transaction_id=str(tx.get("id")), reason=reason).first()
    if exists is None:
        db.session.add(PaymentReview(payment_id=payment.id if payment else None,
                                     transaction_id=str(tx.get("id")), reason=reason,
                                     received_json=json.dumps(tx, default=str)))
        audit.record("payment.review_opened", subject=payment.reference if payment else None,
                     reason=reason)
        metrics.count_on_commit(metrics.PAYMENTS_REVIEWED)


def _send_receipt(payment, tx):
    messaging.send_email(
        payment.payer_email, f"Comprobante de pago {payment.reference}",
        f"Hola {payment.payer_first_name}:\n\nRecibimos su pago.\n\n"
        f"Concepto: {payment.description}\nValor: {money(payment.amount, cents=True)}\n"
        f"Referencia: {payment.reference}\nTransacción: {tx['id']}\n\n"
        "Gracias por usar Pagos Express.")
    payment.receipt_sent_at = clock.utcnow()


# --- the three ways an approval arrives -------------------------------------------------

def confirm_return(payment, transaction_id):
    """The payer came back with ?id=: ask the acquirer, never trust the redirect."""
    tx = gateway().get_transaction(transaction_id) if transaction_id else None
    if tx is None or tx.get("reference") != payment.reference:
        return SyncResult(payment.status)
    return sync(payment, tx, "return")


def handle_event(body):
    """A `transaction.updated` event: checked, then confirmed with the acquirer."""
    now = int(clock.utcnow().replace(tzinfo=UTC).timestamp())
    check = contract.verify_event(body, current_app.config["GATEWAY_EVENTS_SECRET"], now,
                                  current_app.config["GATEWAY_EVENT_MAX_AGE"])
    if not check.ok:
        audit.record("gateway.event_refused", reason=check.reason)
        db.session.commit()
        return check.reason
    tx = gateway().get_transaction(str(check.transaction.get("id")))
    if tx is None:
        return "unknown_transaction"
    payment = by_reference(tx["reference"])
    if payment is None:
        _open_review(None, tx, "Referencia desconocida para el comercio.")
        db.session.commit()
        return "unknown_reference"
    sync(payment, tx, "event")
    return "ok"


def refresh(payment, source="reconcile"):
    """Ask the acquirer about every attempt of this payment (approved one first)."""
    transactions = gateway().transactions_for(payment.reference)
    if not transactions:
        return SyncResult(payment.status)
    approved = [tx for tx in transactions if tx["status"] == "APPROVED"]
    return sync(payment, (approved or transactions)[-1], source)


def reconcile(max_age_days=3):
    """Ask the acquirer about every payment still waiting for an answer."""
    since = clock.utcnow() - timedelta(days=max_age_days)
    waiting = (db.session.query(Payment)
               .filter(Payment.status.in_((rules.CREATED, rules.PENDING)), Payment.attempts > 0,
                       Payment.created_at >= since).all())
    applied = sum(refresh(payment).applied for payment in waiting)
    return {"checked": len(waiting), "applied": applied}
