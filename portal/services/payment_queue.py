"""The staff's payment queues: reports that did not match (review) and payments still
waiting for the bank; resolving a review and asking the acquirer again are audited."""
from dataclasses import dataclass

from sqlalchemy import func, or_, select, update

from portal.domain import clock, paging
from portal.extensions import db
from portal.models import Payment, PaymentReview
from portal.services import acquirer, audit, payments, tables


def counts_select():
    """One row: reports to review («reviews») and payments waiting for the bank («waiting»)."""
    return select(
        select(func.count()).where(PaymentReview.status == "open").scalar_subquery().label("reviews"),
        select(func.count()).where(Payment.status == "pending").scalar_subquery().label("waiting"))


def counts():
    return dict(db.session.execute(counts_select()).one()._mapping)


def _search(query, q, *columns):
    if q:
        query = query.where(or_(*[column.ilike(f"%{q}%") for column in columns]))
    return query


def reviews(status="open", q="", number=1, per_page=paging.DEFAULT_PER_PAGE):
    query = _search(select(PaymentReview).outerjoin(Payment).where(PaymentReview.status == status),
                    q, Payment.reference, PaymentReview.transaction_id, PaymentReview.reason)
    return tables.paged(query, number, per_page, PaymentReview.id.desc())


def waiting(q="", number=1, per_page=paging.DEFAULT_PER_PAGE):
    query = _search(select(Payment).where(Payment.status == "pending"), q,
                    Payment.reference, Payment.payer_email, Payment.description)
    return tables.paged(query, number, per_page, Payment.updated_at)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str


def resolve(staff_user, review_id, note):
    note = (note or "").strip()
    if len(note) < 5:
        return Outcome(False, "Escriba en la observación qué se hizo con este pago (mínimo 5 caracteres).")
    changed = db.session.execute(
        update(PaymentReview).where(PaymentReview.id == review_id, PaymentReview.status == "open")
        .values(status="resolved", resolved_by_id=staff_user.id, resolved_at=clock.utcnow(),
                resolution_note=note[:2000]).execution_options(synchronize_session=False)).rowcount
    if not changed:
        db.session.rollback()
        return Outcome(False, "Esta revisión ya estaba resuelta o no existe; no se cambió nada.")
    audit.record("payment.review_resolved", staff_user, subject=f"review:{review_id}", note=note[:200])
    db.session.commit()
    return Outcome(True, "Revisión resuelta.")


def ask_acquirer(staff_user, reference):
    payment = payments.by_reference(reference)
    if payment is None:
        return Outcome(False, "No existe un pago con esa referencia.")
    result = payments.refresh(payment, "reconcile")
    audit.record("payment.refreshed_by_staff", staff_user, subject=reference, status=result.status)
    db.session.commit()
    return Outcome(True, f"Estado consultado: {result.status}.")


def sandbox_settle(staff_user, transaction_id, status):
    """Sandbox only: decide what the test bank does with a transaction left pending."""
    if status not in ("APPROVED", "DECLINED", "ERROR"):
        return Outcome(False, "Resultado no válido.")
    tx = acquirer.find(transaction_id)
    if tx is None:
        return Outcome(False, "La transacción no existe en la pasarela sandbox.")
    settled = acquirer.settle(tx, status)
    audit.record("gateway.sandbox_settled", staff_user, subject=transaction_id, status=status,
                 changed=settled)
    db.session.commit()
    return Outcome(settled, "Transacción liquidada en la pasarela sandbox." if settled
                   else "La transacción ya no estaba pendiente; no se cambió nada.")
