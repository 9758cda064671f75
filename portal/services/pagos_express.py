"""Pagos Express use cases: what each payer may see and pay, and starting a payment."""
from dataclasses import dataclass
from decimal import Decimal

from portal.domain import clock
from portal.domain import payments as rules
from portal.extensions import db
from portal.models import AffiliateCredit, KindergartenSlip, Payment, PaymentSlip
from portal.services import hanna, payments


def credits_for(affiliate):
    return (db.session.query(AffiliateCredit).filter_by(affiliate_id=affiliate.id)
            .order_by(AffiliateCredit.id).all())


def credit_for(affiliate, credit_id):
    """Object-level check: only the affiliate's own credit."""
    return db.session.query(AffiliateCredit).filter_by(id=credit_id, affiliate_id=affiliate.id).first()


def open_kindergarten_slips(child_id):
    return (db.session.query(KindergartenSlip).filter_by(child_id=child_id, status="open")
            .order_by(KindergartenSlip.id).all())


def kindergarten_slip(slip_id, child_id):
    """An open slip, only for whoever looked it up by the child's ID (ids are guessable)."""
    if not child_id:
        return None
    return db.session.query(KindergartenSlip).filter_by(id=slip_id, child_id=child_id, status="open").first()


def employer_entity_id(user):
    """The entity whose slips a Hanna user may pay: only with EMPRESAS approved."""
    return user.entity_id if hanna.has_approved(user, "EMPRESAS") else None


def employer_slips(user):
    entity_id = employer_entity_id(user)
    if entity_id is None:
        return []
    return (db.session.query(PaymentSlip)
            .filter(PaymentSlip.entity_id == entity_id, PaymentSlip.status.in_(("open", "expired")))
            .order_by(PaymentSlip.id.desc()).all())


def employer_slip(user, slip_id):
    entity_id = employer_entity_id(user)
    if entity_id is None:
        return None
    return db.session.query(PaymentSlip).filter_by(id=slip_id, entity_id=entity_id).first()


def slip_is_expired(slip):
    """Past its 4 hours, or void (a newer file changed the amounts): not payable."""
    return slip.status in ("expired", "void") or (slip.status == "open" and clock.utcnow() >= slip.expires_at)


@dataclass(frozen=True)
class Choice:
    amount: Decimal | None
    error: str | None = None


def amount_choice(credit, option, other):
    """'Monto a Pagar': the instalment, the whole balance, or another value."""
    if credit.balance <= 0:
        return Choice(None, "Este crédito no tiene saldo pendiente.")
    if option == "cuota":
        return Choice(min(credit.instalment, credit.balance))
    if option == "saldo":
        return Choice(credit.balance)
    if option == "otro":
        amount, error = rules.check_other_amount(other, credit.balance)
        return Choice(amount, error)
    return Choice(None, "Seleccione el valor a pagar.")


def affiliate_payer(affiliate):
    return {"first_name": affiliate.first_name, "last_name": affiliate.last_name,
            "email": affiliate.email or "", "mobile": affiliate.mobile, "address": None}


def pay_credit(affiliate, credit, amount):
    return payments.start("affiliate_credit", credit.id, amount,
                          f"{credit.concept} {credit.number}", affiliate_payer(affiliate),
                          affiliate_id=affiliate.id)


class PaymentInFlight(Exception):
    """Said to the payer as is: someone else's payment of this slip awaits the bank."""


def _own_unfinished_payment(kind, slip, **owner):
    """The payer's own unfinished payment of this slip, reused by a retry. Anyone else's
    stays theirs (it carries their data) and, while the bank has it, blocks a second one."""
    own = payments.open_payment_for(kind, slip.id, **owner)
    if own is None and payments.pending_payment_for(kind, slip.id) is not None:
        raise PaymentInFlight(f"El volante {slip.number} tiene un pago en proceso. Espere la respuesta "
                              "del banco antes de pagarlo de nuevo.")
    return own


def pay_kindergarten(affiliate, slip):
    own = _own_unfinished_payment("kindergarten_slip", slip, affiliate_id=affiliate.id)
    if own is not None:
        return own
    return payments.start("kindergarten_slip", slip.id, slip.amount,
                          f"{slip.concept} {slip.period} · {slip.student_name}",
                          affiliate_payer(affiliate), affiliate_id=affiliate.id)


def pay_employer_slip(user, slip, payer):
    own = _own_unfinished_payment("payment_slip", slip, user_id=user.id)
    if own is not None:
        for key, value in payer.items():
            setattr(own, f"payer_{key}", value)
        db.session.commit()
        return own
    return payments.start("payment_slip", slip.id, slip.amount,
                          f"Volante de pago {slip.number} · vigencia {slip.period}", payer,
                          user_id=user.id)


def payment_for(principal, reference):
    """Object-level check: only the payer's own payment."""
    payment = payments.by_reference(reference)
    if payment is None:
        return None
    owner = payment.affiliate_id if principal.kind == "affiliate" else payment.user_id
    return payment if owner == principal.id else None


def slip_of(payment):
    """The volante a payment is for (its 4 hours bound every attempt), else None."""
    if payment.kind != "payment_slip":
        return None
    return db.session.get(PaymentSlip, payment.target_id)


def recent_payments(principal, limit=10):
    query = db.session.query(Payment)
    query = (query.filter_by(affiliate_id=principal.id) if principal.kind == "affiliate"
             else query.filter_by(user_id=principal.id))
    return query.order_by(Payment.id.desc()).limit(limit).all()
