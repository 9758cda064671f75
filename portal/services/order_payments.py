"""«Pagar orden» (manual 003 §3.3 pasos 5–6): a 6-digit code e-mailed to the user, then the
company's registered account debited through the bank adapter (adapters/bank.py) and the
order paid exactly once, whatever is clicked twice, retried or replayed.

    1. claim: the order moves pending_payment → paying by a conditional UPDATE (of twenty
       «Aceptar» with the right code one wins; the others are told it is being paid), the
       code is used up and an OrderPayment with a unique reference is stored: committed;
    2. the bank is asked to debit TOTAL A PAGAR with that reference (its idempotency key);
    3. its answer is applied once (the payment's status moves by a conditional UPDATE):
       approved → the order paid, its batches «En Proceso», one balanced ledger movement,
       the card processor's job queued; declined / error → the order back to
       pending_payment with the reason; pending → it stays paying until the cron settles.
A crash between 1 and 3 leaves the payment «sent»: the cron (`settle`) asks the bank about
it, or sends the same reference again, and applies the answer."""
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update

from portal.adapters import bank as banks
from portal.domain import batches as b
from portal.domain import clock, masking, otp
from portal.domain import email_codes as ec
from portal.domain import orders as o
from portal.domain import webhooks as wh
from portal.domain.formatting import money
from portal.extensions import db
from portal.models import Batch, EmailCode, OrderPayment, ServiceOrder, User
from portal.queue import enqueue_after_commit
from portal.services import audit, ledger, messaging, webhooks

log = logging.getLogger(__name__)
PURPOSE = "order_payment"
STALE_SENT = timedelta(minutes=2)  # a payment «sent» this long ago lost its request: the cron finishes it


@dataclass(frozen=True)
class Outcome:
    """What a step did. status: sent | wrong | malformed | expired | blocked | wait |
    refused | taken | approved | declined | pending | error."""
    ok: bool
    status: str
    message: str
    code: EmailCode | None = None

    @property
    def asks_code(self):
        """Whether the code form is shown (again) with this message."""
        return self.status in ("sent", "wrong", "malformed", "expired", "wait")


def bank():
    return banks.bank_for(current_app.config)


def order_of(access, order_id):
    """The order of the URL when it is this company's and product's (else None: 404)."""
    return db.session.scalars(select(ServiceOrder).where(
        ServiceOrder.id == order_id, ServiceOrder.company_id == access.company.id,
        ServiceOrder.product_id == access.product.id)).first()


def account_mask(company):
    return masking.bank_account(company.debit_account)


def refusal(order, company=None):
    """Why this order cannot be paid now (Spanish, for the user), or None."""
    if order.status in (o.PAID, o.PROCESSED):
        return f"La orden de servicio Nro. {order.number} ya fue pagada."
    if order.status == o.PAYING:
        return (f"La orden de servicio Nro. {order.number} ya se está pagando: el banco está procesando el "
                "débito; le avisaremos por correo.")
    if order.status == o.ANNULLED:
        return f"La orden de servicio Nro. {order.number} fue anulada; no se puede pagar."
    if not (company or order.company).debit_account:
        return ("La empresa no tiene una cuenta bancaria registrada para debitar el pago. Comuníquese con la "
                "Caja para registrarla.")
    return None


# --- the e-mailed code ----------------------------------------------------------------------

def _subject(order):
    return f"order:{order.id}"


def open_code(user, order):
    """The user's newest code for this order not used yet (open, expired or blocked)."""
    return db.session.scalars(select(EmailCode).where(
        EmailCode.purpose == PURPOSE, EmailCode.subject == _subject(order), EmailCode.user_id == user.id,
        EmailCode.consumed_at.is_(None)).order_by(EmailCode.id.desc())).first()


def _locked_code(user, order):
    """open_code, read with the order's row locked: a double click on «Pagar» waits for the
    first request and finds its code instead of e-mailing a second one. The lock is a write
    that changes nothing (SQLite has no SELECT … FOR UPDATE; there it locks the database)."""
    db.session.execute(update(ServiceOrder).where(ServiceOrder.id == order.id).values(status=ServiceOrder.status)
                       .execution_options(synchronize_session=False))
    return open_code(user, order)


def _minutes():
    return current_app.config["ORDER_CODE_MINUTES"]


def _sent_message(user):
    return (f"Le enviamos un código de 6 dígitos a su correo {masking.email(user.email)}; vence "
            f"{_minutes()} minutos después de enviado.")


def _blocked(found, now):
    minutes = max(1, int((found.expires_at - now).total_seconds() // 60) + 1)
    return Outcome(False, "blocked", f"Superó los {ec.MAX_TRIES} intentos con el código. Podrá solicitar un código "
                                     f"nuevo en {minutes} {'minuto' if minutes == 1 else 'minutos'}.", found)


def request_code(user, access, order):
    """GET «Pagar»: an open code is kept (no second e-mail); an expired one is sent again
    with its count of wrong tries; a blocked one waits for its expiry. Commits."""
    why = refusal(order, access.company)
    if why:
        return Outcome(False, "refused", why)
    found, now = _locked_code(user, order), clock.utcnow()
    state = ec.state(None, found.tries, found.expires_at, now) if found else None
    if state == ec.OPEN:
        return _unlocked(Outcome(True, "sent", _sent_message(user), found))
    if state == ec.BLOCKED and ec.still_blocked(found.tries, found.expires_at, now):
        return _unlocked(_blocked(found, now))
    return _send(user, access, order, found if state == ec.EXPIRED else None, now)


def resend(user, access, order):
    """«Reenviar código»: a new code (the wrong tries are kept), at most once every
    ORDER_CODE_RESEND_SECONDS. Commits."""
    why = refusal(order, access.company)
    if why:
        return Outcome(False, "refused", why)
    found, now = _locked_code(user, order), clock.utcnow()
    if found and found.tries >= ec.MAX_TRIES:
        if ec.still_blocked(found.tries, found.expires_at, now):
            return _unlocked(_blocked(found, now))
        found = None
    if found:
        wait = ec.resend_wait(found.sent_at, now, current_app.config["ORDER_CODE_RESEND_SECONDS"])
        if wait:
            return _unlocked(Outcome(False, "wait", f"Ya le enviamos un código. Podrá pedir otro en {wait} segundos.",
                                     found))
    return _send(user, access, order, found, now)


def _unlocked(outcome):
    """Nothing was written: the order's row is let go at once."""
    db.session.commit()
    return outcome


def _send(user, access, order, found, now):
    """A new code e-mailed: on the same row when `found` (its tries kept), else a new one
    (any older code of the user for this order is closed)."""
    code = otp.new_code()
    expires = now + timedelta(minutes=_minutes())
    if found is None:
        db.session.execute(update(EmailCode).where(
            EmailCode.purpose == PURPOSE, EmailCode.subject == _subject(order), EmailCode.user_id == user.id,
            EmailCode.consumed_at.is_(None)).values(consumed_at=now).execution_options(synchronize_session=False))
        found = EmailCode(public_id=secrets.token_urlsafe(24), user_id=user.id, purpose=PURPOSE,
                          subject=_subject(order), code_hash="", sent_at=now, expires_at=expires, sends=1, tries=0)
        db.session.add(found)
        db.session.flush()
    else:
        # Two resends at once send one code: the row moves only from the send it was read at.
        moved = db.session.execute(update(EmailCode).where(
            EmailCode.id == found.id, EmailCode.consumed_at.is_(None), EmailCode.sent_at == found.sent_at)
            .values(sent_at=now, expires_at=expires, sends=EmailCode.sends + 1)
            .execution_options(synchronize_session=False))
        if moved.rowcount != 1:
            db.session.rollback()
            return Outcome(False, "wait", "Ya le enviamos un código nuevo hace un momento; revise su correo.")
        db.session.refresh(found)
    found.code_hash = otp.code_hash(current_app.config["SECRET_KEY"], found.public_id, code)
    messaging.send_email(user.email, f"Código para pagar la orden de servicio Nro. {order.number}", (
        f"Su código de verificación para pagar la orden de servicio Nro. {order.number} de "
        f"{access.company.name} es {code}.\n\nTOTAL A PAGAR: {money(order.to_pay, cents=True)}, debitado de la "
        f"cuenta {account_mask(access.company)}.\nEl código vence en {_minutes()} minutos. No lo comparta con "
        "nadie: la Caja nunca se lo pedirá.\n\nSi usted no pidió pagar esta orden, ignore este mensaje."))
    audit.record("conexion.order_code_sent", user, subject=f"order:{order.id}", number=order.number,
                 send=found.sends, tries=found.tries)
    db.session.commit()
    return Outcome(True, "sent", _sent_message(user), found)


def _wrong(user, order, found, now):
    """One more wrong code, counted in the database (parallel guesses cannot share a try)."""
    counted = db.session.execute(update(EmailCode).where(
        EmailCode.id == found.id, EmailCode.tries < ec.MAX_TRIES).values(tries=EmailCode.tries + 1)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(found)
    audit.record("conexion.order_code_wrong", user, subject=f"order:{order.id}", tries=found.tries)
    db.session.commit()
    if not counted or found.tries >= ec.MAX_TRIES:
        return _blocked(found, now)
    left = ec.tries_left(found.tries)
    return Outcome(False, "wrong", f"El código no es correcto. Le {'queda' if left == 1 else 'quedan'} {left} "
                                   f"{'intento' if left == 1 else 'intentos'}.", found)


# --- paying ---------------------------------------------------------------------------------

def pay(user, access, order, code):
    """«Aceptar» with the e-mailed code: the order paid once (see the module's steps)."""
    why = refusal(order, access.company)
    if why:
        return Outcome(False, "refused", why)
    code = (code or "").strip()
    if not otp.is_well_formed(code):
        return Outcome(False, "malformed", "Ingrese el código de 6 dígitos que le enviamos a su correo.")
    found, now = open_code(user, order), clock.utcnow()
    if found is None:
        return Outcome(False, "expired", "No tiene un código vigente para esta orden. Solicite uno con «Reenviar "
                                         "código».")
    state = ec.state(None, found.tries, found.expires_at, now)
    if state == ec.BLOCKED:
        return _blocked(found, now)
    if state == ec.EXPIRED:
        return Outcome(False, "expired", "El código venció. Solicite uno nuevo con «Reenviar código».", found)
    if not otp.code_matches(current_app.config["SECRET_KEY"], found.public_id, code, found.code_hash):
        return _wrong(user, order, found, now)
    payment = _claim(user, order, found, now)
    if isinstance(payment, Outcome):
        return payment
    try:
        answer = bank().debit(access.company.debit_account, payment.amount, payment.reference)
    except Exception:  # the outcome is unknown: the cron asks the bank again
        log.exception("bank debit %s failed", payment.reference)
        db.session.rollback()
        return Outcome(False, "pending", "El banco está procesando el débito; le avisaremos por correo.")
    return apply(payment.id, answer)


def _claim(user, order, found, now):
    """Step 1: the order taken (one request wins), the code used, the payment stored."""
    claimed = db.session.execute(update(ServiceOrder).where(
        ServiceOrder.id == order.id, ServiceOrder.status == o.PENDING_PAYMENT).values(status=o.PAYING)
        .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        db.session.rollback()
        db.session.refresh(order)
        return Outcome(False, "taken", refusal(order) or "Otro usuario está pagando esta orden. Revise el listado.")
    used = db.session.execute(update(EmailCode).where(
        EmailCode.id == found.id, EmailCode.consumed_at.is_(None), EmailCode.tries < ec.MAX_TRIES,
        EmailCode.expires_at > now).values(consumed_at=now).execution_options(synchronize_session=False)).rowcount
    if used != 1:
        db.session.rollback()
        return Outcome(False, "expired", "El código ya no es válido. Solicite uno nuevo con «Reenviar código».")
    payment = OrderPayment(order_id=order.id, user_id=user.id, reference=f"OS{order.number}-{secrets.token_hex(6)}",
                           amount=order.to_pay, status="sent", created_at=now)
    db.session.add(payment)
    db.session.flush()
    audit.record("conexion.order_payment_sent", user, subject=f"order:{order.id}", number=order.number,
                 reference=payment.reference, amount=str(order.to_pay))
    db.session.commit()
    return payment


def apply(payment_id, answer):
    """Step 3, shared by the page and the cron: the bank's answer applied once. Commits."""
    payment = db.session.get(OrderPayment, payment_id)
    order = db.session.get(ServiceOrder, payment.order_id)
    if answer.status == banks.PENDING:
        if _move_payment(payment, ("sent",), banks.PENDING, None):
            audit.record("conexion.order_payment_pending", None, subject=f"order:{order.id}",
                         reference=payment.reference)
        db.session.commit()
        db.session.refresh(order)
        if order.status != o.PAYING:  # the cron decided it in the meantime
            return Outcome(order.status == o.PAID, "taken", refusal(order) or "El banco rechazó el débito.")
        return Outcome(False, "pending", "El banco está procesando el débito; le avisaremos por correo.")
    if not _move_payment(payment, ("sent", "pending"), answer.status, answer.reason):
        db.session.rollback()
        db.session.refresh(order)
        return Outcome(order.status in (o.PAID, o.PROCESSED), "taken", refusal(order) or "Este pago ya fue aplicado.")
    payer = db.session.get(User, payment.user_id)
    outcome = _paid(order, payment, payer) if answer.status == banks.APPROVED else _refused(order, payment, payer,
                                                                                            answer)
    db.session.commit()
    return outcome


def _move_payment(payment, sources, status, reason):
    moved = db.session.execute(update(OrderPayment).where(
        OrderPayment.id == payment.id, OrderPayment.status.in_(sources)).values(
        status=status, reason=reason, decided_at=None if status == banks.PENDING else clock.utcnow())
        .execution_options(synchronize_session=False)).rowcount
    return moved == 1


def _order_moved(order, target, **values):
    moved = db.session.execute(update(ServiceOrder).where(
        ServiceOrder.id == order.id, ServiceOrder.status == o.PAYING).values(status=o.ORDER.check(o.PAYING, target),
                                                                             **values)
        .execution_options(synchronize_session=False)).rowcount
    if moved != 1:  # only a claimed order has a payment in flight: the claim keeps others out
        raise RuntimeError(f"order {order.id} was not «paying» while its payment {target}")
    db.session.refresh(order)


def _paid(order, payment, payer):
    now = clock.utcnow()
    _order_moved(order, o.PAID, paid_at=now, paid_by_id=payment.user_id)
    db.session.execute(update(Batch).where(Batch.order_id == order.id, Batch.status == b.AUTHORIZED)
                       .values(status=b.IN_PROCESS).execution_options(synchronize_session=False))
    ledger.post(f"order-paid-{order.number}", _legs(order), reference=payment.reference, when=now)
    audit.record("conexion.order_paid", payer, subject=f"order:{order.id}", number=order.number,
                 reference=payment.reference, amount=str(payment.amount))
    webhooks.emit(order.company_id, "order.paid", wh.order_data(order, paid_amount=wh.amount(payment.amount)))
    enqueue_after_commit("portal.jobs.process_order", order.id)
    account = account_mask(order.company)
    messaging.send_email(payer.email, f"Orden de servicio Nro. {order.number} pagada", (
        f"La orden de servicio Nro. {order.number} de {order.company.name} fue pagada: se debitaron "
        f"{money(payment.amount, cents=True)} de la cuenta {account} (referencia {payment.reference}).\n"
        "Sus lotes quedaron «En Proceso»; le avisaremos cuando las tarjetas estén procesadas."))
    return Outcome(True, "approved", f"La orden de servicio Nro. {order.number} fue pagada: se debitaron "
                                     f"{money(payment.amount, cents=True)} de la cuenta {account}. "
                                     "Sus lotes quedaron «En Proceso».")


def _legs(order):
    """The bank's money in, split as the order says: commission, taxes, and what the cards
    will receive (the company product's clearing account, until the processor loads them)."""
    n = order.number
    return [ledger.Leg(ledger.program_account("funding"), -order.to_pay,
                       f"Débito cuenta {account_mask(order.company)} - orden de servicio Nro. {n}"),
            ledger.Leg(ledger.program_account("fees"), order.commission, f"Comisión orden de servicio Nro. {n}"),
            ledger.Leg(ledger.program_account("taxes"), order.iva, f"IVA orden de servicio Nro. {n}"),
            ledger.Leg(ledger.program_account("taxes"), order.gmf, f"GMF 4x1000 orden de servicio Nro. {n}"),
            ledger.Leg(ledger.company_account("clearing", order.company, order.product), order.amount,
                       f"Por cargar a tarjetas - orden de servicio Nro. {n}")]


def _refused(order, payment, payer, answer):
    _order_moved(order, o.PENDING_PAYMENT)
    reason = answer.reason or ("El banco no respondió; intente de nuevo" if answer.status == banks.ERROR
                               else "El banco rechazó el débito")
    audit.record("conexion.order_payment_refused", payer, subject=f"order:{order.id}", number=order.number,
                 reference=payment.reference, status=answer.status, reason=reason)
    messaging.send_email(payer.email, f"No se pudo pagar la orden de servicio Nro. {order.number}", (
        f"El débito de {money(payment.amount, cents=True)} de la cuenta {account_mask(order.company)} para la "
        f"orden de servicio Nro. {order.number} no se realizó: {reason}.\n"
        "La orden sigue pendiente de pago; puede intentarlo de nuevo desde Conexión Empresas."))
    return Outcome(False, answer.status, f"No se pudo pagar la orden: {reason}. La orden de servicio Nro. "
                                         f"{order.number} sigue pendiente de pago.")


# --- the cron -------------------------------------------------------------------------------

def settle():
    """worker.py's cron (SETTLE_BANK_EVERY_SECONDS): the sandbox bank decides its pending
    debits, then every payment still waiting (pending, or «sent» and lost) gets the bank's
    answer applied. Returns how many payments were decided."""
    adapter = bank()
    if isinstance(adapter, banks.SandboxBank):
        adapter.settle_pending()
    stale = clock.utcnow() - STALE_SENT
    waiting = db.session.scalars(select(OrderPayment.id).where(or_(
        OrderPayment.status == banks.PENDING,
        and_(OrderPayment.status == "sent", OrderPayment.created_at <= stale))).order_by(OrderPayment.id)).all()
    decided = 0
    for payment_id in waiting:
        try:
            outcome = _settle_one(adapter, payment_id)
            decided += int(outcome is not None and outcome.status != "taken")
        except Exception:  # one payment's trouble must not stop the others
            log.exception("settling order payment %s failed", payment_id)
            db.session.rollback()
    return decided


def _settle_one(adapter, payment_id):
    """The bank's answer about one payment applied (apply's Outcome), or None while the
    bank still has it pending."""
    payment = db.session.get(OrderPayment, payment_id)
    answer = adapter.status(payment.reference)
    if answer is None:  # the request never reached the bank: send the same reference again
        order = db.session.get(ServiceOrder, payment.order_id)
        answer = adapter.debit(order.company.debit_account, payment.amount, payment.reference)
    if answer.status == banks.PENDING:
        if payment.status == "sent":
            apply(payment_id, answer)
        return None
    return apply(payment_id, answer)


def requery(staff_user, payment_id):
    """Personal › Órdenes de servicio «Consultar al banco»: one debit waiting for the bank
    asked again now, as the cron does (the sandbox bank decides it first), and its answer
    applied once. None when there is no such payment. Audited, commits."""
    payment = db.session.get(OrderPayment, payment_id)
    if payment is None:
        return None
    if payment.status not in ("sent", banks.PENDING):
        return Outcome(False, "taken", "Este débito ya tiene la respuesta del banco; no se cambió nada.")
    if payment.status == "sent" and payment.created_at > clock.utcnow() - STALE_SENT:
        return Outcome(False, "wait", "El débito se está enviando al banco en este momento; consulte en unos minutos.")
    reference, order_id, adapter = payment.reference, payment.order_id, bank()
    if isinstance(adapter, banks.SandboxBank):
        adapter.settle_pending(reference)
    outcome = _settle_one(adapter, payment_id) or Outcome(
        False, "pending", "El banco aún no decide el débito; se consultará de nuevo automáticamente.")
    audit.record("staff.order_payment_requeried", staff_user, subject=f"order:{order_id}", reference=reference,
                 status=outcome.status)
    db.session.commit()
    return outcome
