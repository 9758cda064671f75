"""The sandbox acquirer: what a Colombian gateway does on its side (modelled on Wompi's
public contract). The merchant never calls this directly; it goes through
portal.adapters.gateway, so a real gateway can replace it."""
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import update

from portal.domain import acquirer_rules as rules
from portal.domain import clock
from portal.domain import gateway as contract
from portal.extensions import db
from portal.models import GatewayEvent, GatewayTransaction
from portal.queue import enqueue_after_commit

EVENT_JOB = "portal.jobs.deliver_gateway_event"
PARAMS = ("public-key", "currency", "amount-in-cents", "reference", "signature:integrity",
          "redirect-url", "expiration-time", "customer-data:email", "customer-data:full-name",
          "customer-data:phone-number")


@dataclass(frozen=True)
class Checkout:
    """The hosted checkout's parameters, as the merchant's redirect sent them."""
    public_key: str
    currency: str
    amount_in_cents: int | None
    reference: str
    signature: str
    redirect_url: str
    expiration_time: str
    customer_email: str
    customer_name: str
    customer_phone: str

    def query(self):
        return {
            "public-key": self.public_key, "currency": self.currency,
            "amount-in-cents": self.amount_in_cents, "reference": self.reference,
            "signature:integrity": self.signature, "redirect-url": self.redirect_url,
            "expiration-time": self.expiration_time, "customer-data:email": self.customer_email,
            "customer-data:full-name": self.customer_name,
            "customer-data:phone-number": self.customer_phone,
        }


def read_checkout(args):
    get = lambda name: (args.get(name) or "").strip()  # noqa: E731
    raw_amount = get("amount-in-cents")
    return Checkout(
        public_key=get("public-key"), currency=get("currency"),
        amount_in_cents=int(raw_amount) if raw_amount.isdigit() else None,
        reference=get("reference"), signature=get("signature:integrity"),
        redirect_url=get("redirect-url"), expiration_time=get("expiration-time"),
        customer_email=get("customer-data:email"), customer_name=get("customer-data:full-name"),
        customer_phone=get("customer-data:phone-number"),
    )


def _config(name):
    return current_app.config[name]


def _parse_expiration(value):
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(tzinfo=None)


def checkout_problem(checkout):
    """Why this checkout cannot be paid (Spanish, for the payer), or None."""
    if checkout.public_key != _config("GATEWAY_PUBLIC_KEY"):
        return "El comercio no es válido: la llave pública no corresponde a ningún comercio."
    if checkout.currency != contract.CURRENCY:
        return "La moneda del pago debe ser COP."
    if not checkout.amount_in_cents or checkout.amount_in_cents <= 0:
        return "El monto del pago no es válido."
    if not checkout.reference or len(checkout.reference) > 64:
        return "La referencia del pago no es válida."
    expected = contract.integrity_signature(checkout.reference, checkout.amount_in_cents,
                                            checkout.currency, _config("GATEWAY_INTEGRITY_SECRET"),
                                            checkout.expiration_time or None)
    if not contract.signature_matches(expected, checkout.signature):
        return ("La firma de integridad del pago no es válida. Vuelva al comercio e inicie el "
                "pago de nuevo.")
    if checkout.expiration_time:
        expires = _parse_expiration(checkout.expiration_time)
        if expires is None or clock.utcnow() >= expires:
            return "Este enlace de pago venció. Vuelva al comercio y genere uno nuevo."
    if approved_for(checkout.reference) is not None:
        return "Esta referencia ya fue pagada. No es posible pagarla de nuevo."
    return None


def approved_for(reference):
    return db.session.query(GatewayTransaction).filter_by(reference=reference, status="APPROVED").first()


def pending_for(reference):
    return db.session.query(GatewayTransaction).filter_by(reference=reference, status="PENDING").first()


def find(public_id):
    return db.session.query(GatewayTransaction).filter_by(public_id=public_id).first()


def by_reference(reference):
    return (db.session.query(GatewayTransaction).filter_by(reference=reference)
            .order_by(GatewayTransaction.id).all())


def _new_transaction(checkout, method, ip, **fields):
    tx = GatewayTransaction(
        public_id=f"tmp-{secrets.token_hex(12)}", reference=checkout.reference,  # set below
        amount_in_cents=checkout.amount_in_cents, currency=checkout.currency, status="PENDING",
        payment_method_type=method, customer_email=checkout.customer_email or None,
        customer_name=checkout.customer_name or None, redirect_url=checkout.redirect_url or None,
        ip=ip, status_message=rules.RESPONSES["PENDING"][1], **fields,
    )
    db.session.add(tx)
    db.session.flush()
    epoch = int(clock.utcnow().replace(tzinfo=UTC).timestamp())
    tx.public_id = f"{_config('GATEWAY_MERCHANT_CODE')}-{epoch}-{tx.id:05d}"
    db.session.commit()  # every transaction exists as PENDING before it is decided
    return tx


def pay_by_card(checkout, digits, holder, installments, ip):
    tx = _new_transaction(checkout, "CARD", ip, card_brand=rules.card_brand(digits),
                          card_bin=digits[:6], card_last4=digits[-4:], card_holder=holder,
                          installments=installments)
    settle(tx, rules.card_outcome(digits))
    return tx


def pay_by_pse(checkout, user_type, id_type, id_number, bank_code, ip):
    tx = _new_transaction(checkout, "PSE", ip, pse_user_type=user_type, pse_id_type=id_type,
                          pse_id_number=id_number, pse_bank_code=bank_code)
    outcome = rules.PSE_BANKS[bank_code][1]
    if outcome:
        settle(tx, outcome)
    return tx


def settle(tx, status):
    """PENDING → final, once; the merchant is told by a signed event."""
    code, message = rules.RESPONSES[status]
    changed = db.session.execute(
        update(GatewayTransaction)
        .where(GatewayTransaction.id == tx.id, GatewayTransaction.status == "PENDING")
        .values(status=status, response_code=code, status_message=message,
                authorization_code=f"{tx.id % 1000000:06d}" if status == "APPROVED" else None,
                finalized_at=clock.utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed:
        db.session.refresh(tx)
        _queue_event(tx)
    db.session.commit()
    return bool(changed)


def as_api(tx):
    """The transaction as the acquirer's API shows it (GET /v1/transactions/<id>)."""
    data = {
        "id": tx.public_id, "reference": tx.reference, "amount_in_cents": tx.amount_in_cents,
        "currency": tx.currency, "status": tx.status, "status_message": tx.status_message,
        "payment_method_type": tx.payment_method_type, "customer_email": tx.customer_email,
        "redirect_url": tx.redirect_url,
        "created_at": tx.created_at.isoformat() + "Z",
        "finalized_at": tx.finalized_at.isoformat() + "Z" if tx.finalized_at else None,
    }
    if tx.payment_method_type == "CARD":
        data["payment_method"] = {"type": "CARD", "installments": tx.installments,
                                  "extra": {"brand": tx.card_brand, "bin": tx.card_bin,
                                            "last_four": tx.card_last4}}
    else:
        data["payment_method"] = {"type": "PSE", "user_type": tx.pse_user_type,
                                  "financial_institution_code": tx.pse_bank_code}
    return data


def _queue_event(tx):
    """Store the transaction as it is now; the delivery job signs it when it sends it,
    so a retried event carries a fresh timestamp."""
    url = _config("GATEWAY_EVENTS_URL")
    if not url:
        return None
    event = GatewayEvent(transaction_id=tx.id, url=url, body=json.dumps(as_api(tx)))
    db.session.add(event)
    db.session.flush()
    enqueue_after_commit(EVENT_JOB, event.id, queue_name="payments", findable=True,
                         retry_intervals=_config("GATEWAY_EVENT_RETRY_INTERVALS"))
    return event


class DeliveryFailed(Exception):
    """The merchant did not answer 200; RQ retries the job with backoff."""


def signed_envelope(event, now=None):
    now = (now or clock.utcnow()).replace(tzinfo=UTC)
    return contract.build_event(json.loads(event.body), int(now.timestamp()),
                                _config("GATEWAY_EVENTS_SECRET"),
                                now.isoformat().replace("+00:00", "Z"),
                                environment=_config("GATEWAY_ENVIRONMENT"))


def deliver_event(event_id, post):
    """Send one event; `post(url, json_bytes) -> status code`. Idempotent: each try is
    taken by a conditional UPDATE of its count, so two copies of the job (one queued
    again by services/recovery.py) never make the same try twice."""
    event = db.session.get(GatewayEvent, event_id)
    if event is None or event.status != "pending" or not _take_try(event):
        return "skipped"
    payload = json.dumps(signed_envelope(event)).encode()
    try:
        status = post(event.url, payload)
    except OSError:
        status = None
    event.last_status_code = status
    if status == 200:
        event.status, event.delivered_at = "delivered", clock.utcnow()
        db.session.commit()
        return "delivered"
    if event.attempts >= len(_config("GATEWAY_EVENT_RETRY_INTERVALS")) + 1:
        event.status = "failed"  # reconciliation on the merchant side still finds it
    db.session.commit()
    raise DeliveryFailed(f"event {event_id}: HTTP {status}")


def _take_try(event):
    """The event's next try, committed; False when another run took it first."""
    seen = event.attempts
    taken = db.session.execute(update(GatewayEvent).where(
        GatewayEvent.id == event.id, GatewayEvent.status == "pending", GatewayEvent.attempts == seen)
        .values(attempts=seen + 1).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    if taken:
        db.session.refresh(event)
    return bool(taken)
