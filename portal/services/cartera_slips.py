"""Volantes de pago (EL-n) of Estado de Cartera, and what a paid one does.

"Generar volante de pago" collects the processed, unpaid Activos and Retirados uploads of
the period into one slip valid for 4 hours. An expired slip is replaced by generating
again (the uploads stay); a period may have several slips, never two open (the partial
unique index uq_slips_one_open stands behind that).

When the acquirer approves the payment, payments._apply_payment_slip calls
`allocate_paid_slip` in the same transaction: each uploaded line's «Valor a Pagar» goes
to the instalment, then to the arrears (Aplica Mora = S), then to the principal
(portal.domain.allocation); the credit's balance and the statement line's paid amount
move, and the allocation is written once per slip (allocated_at is claimed first).
"""
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError

from portal.domain import allocation as alloc
from portal.domain import clock
from portal.domain import uploads as u
from portal.domain.formatting import money
from portal.extensions import db
from portal.models import (
    CarteraUpload,
    CarteraUploadLine,
    Credit,
    PaymentSlip,
    SlipAllocation,
    StatementLine,
    Worker,
)
from portal.services import audit
from portal.services.cartera import paid_upload_ids
from portal.services.cartera_uploads import UploadRefused, refuse_while_paying

VALID_FOR = timedelta(hours=4)
ZERO = Decimal("0.00")


def expire_stale(statement):
    """Open slips past their 4 hours become expired (a payment already started on one
    can still be approved: payments accepts an expired slip)."""
    db.session.execute(update(PaymentSlip).where(PaymentSlip.statement_id == statement.id,
                                                 PaymentSlip.status == "open",
                                                 PaymentSlip.expires_at <= clock.utcnow())
                       .values(status="expired").execution_options(synchronize_session=False))


def open_slip(statement, slips=None):
    """The period's slip still open and valid (`slips`: cartera.slips_of, newest first)."""
    if slips is not None:
        now = clock.utcnow()
        return next((s for s in slips if s.status == "open" and s.expires_at > now), None)
    return db.session.scalars(select(PaymentSlip).where(
        PaymentSlip.statement_id == statement.id, PaymentSlip.status == "open",
        PaymentSlip.expires_at > clock.utcnow())).first()


def last_slip(statement, slips=None):
    if slips is not None:
        return slips[0] if slips else None
    return db.session.scalars(select(PaymentSlip).where(PaymentSlip.statement_id == statement.id)
                              .order_by(PaymentSlip.id.desc())).first()


def pending_uploads(statement, slips=None, uploads=None):
    """kind → the processed upload not yet collected by a paid slip (the newest).
    `slips`: cartera.slips_of; `uploads`: cartera.processed_uploads, when read already."""
    paid = paid_upload_ids(statement.id, slips)
    if uploads is None:
        uploads = db.session.scalars(
            select(CarteraUpload).where(CarteraUpload.statement_id == statement.id,
                                        CarteraUpload.status == u.PROCESSED)
            .order_by(CarteraUpload.id)).all()
    found = {}
    for upload in reversed(uploads):  # newest first
        if upload.id not in paid and upload.kind not in found:
            found[upload.kind] = upload
    return found


def amount_to_pay(statement):
    return sum((u.total_amount for u in pending_uploads(statement).values()), ZERO)


def generate(user, statement):
    """The open slip of the period, or a new one for the processed unpaid uploads."""
    refuse_while_paying(statement, then="")
    expire_stale(statement)
    current = open_slip(statement)
    if current is not None:
        db.session.commit()
        return current
    uploads = pending_uploads(statement)
    amount = sum((u.total_amount for u in uploads.values()), ZERO)
    if amount <= 0:
        raise UploadRefused("No hay valores por pagar en esta vigencia: procese primero el Archivo de "
                            "Activos o el de Retirados con algún «Valor a Pagar».")
    now = clock.utcnow()
    slip = PaymentSlip(number=f"tmp-{uuid4().hex[:16]}", entity_id=statement.entity_id,
                       branch_id=statement.branch_id, statement_id=statement.id, period=statement.period,
                       amount=amount, status="open", created_at=now, expires_at=now + VALID_FOR,
                       created_by_id=user.id,
                       active_upload_id=uploads["active"].id if "active" in uploads else None,
                       retired_upload_id=uploads["retired"].id if "retired" in uploads else None)
    try:
        with db.session.begin_nested():
            db.session.add(slip)
            db.session.flush()
            slip.number = f"EL-{slip.id}"
            db.session.flush()
    except IntegrityError:  # another request opened one at the same moment: that one
        db.session.rollback()
        return open_slip(statement)
    audit.record("cartera.slip_generated", user, subject=slip.number, statement=statement.id,
                 amount=str(amount))
    db.session.commit()
    return slip


# --- when it is paid -------------------------------------------------------------------

def allocate_paid_slip(slip_id, paid):
    """Spread a paid slip over its credits, exactly once. Runs inside the payment's
    transaction. Returns a problem for staff (money left unapplied), or None."""
    now = clock.utcnow()
    claimed = db.session.execute(
        update(PaymentSlip).where(PaymentSlip.id == slip_id, PaymentSlip.allocated_at.is_(None))
        .values(allocated_at=now).execution_options(synchronize_session=False)).rowcount
    if not claimed:
        return None
    slip = db.session.get(PaymentSlip, slip_id)
    upload_ids = [i for i in (slip.active_upload_id, slip.retired_upload_id) if i]
    if not upload_ids:
        return None
    rows = db.session.execute(
        select(CarteraUploadLine, StatementLine, Credit, Worker)
        .join(StatementLine, StatementLine.id == CarteraUploadLine.line_id)
        .join(Credit, Credit.id == StatementLine.credit_id)
        .join(Worker, Worker.id == StatementLine.worker_id)
        .where(CarteraUploadLine.upload_id.in_(upload_ids))
        .order_by(CarteraUploadLine.upload_id, StatementLine.id)).all()
    before = _already_applied([sl.id for _, sl, _, _ in rows])
    plan = [alloc.LineToPay(
        credit_number=credit.number, requested=ul.amount,
        instalment=max(sl.instalment - before.get(sl.id, (ZERO, ZERO))[0], ZERO),
        balance=credit.balance,
        arrears=max(sl.arrears - before.get(sl.id, (ZERO, ZERO))[1], ZERO),
        apply_arrears=ul.apply_arrears, worker=worker.full_name) for ul, sl, credit, worker in rows]
    result = alloc.allocate(paid, plan)
    for (_, sl, credit, _), share in zip(rows, result.lines, strict=True):
        db.session.add(SlipAllocation(
            slip_id=slip.id, line_id=sl.id, paid=share.received, to_instalment=share.to_instalment,
            to_arrears=share.to_arrears, to_principal=share.to_principal, unapplied=share.unapplied,
            explanation=share.reason[:200] or None, created_at=now))
        principal = share.to_instalment + share.to_principal
        db.session.execute(update(StatementLine).where(StatementLine.id == sl.id)
                           .values(paid=StatementLine.paid + share.applied)
                           .execution_options(synchronize_session=False))
        if principal > 0:
            db.session.execute(
                update(Credit).where(Credit.id == credit.id)
                .values(balance=Credit.balance - principal,
                        status=case((Credit.balance - principal <= 0, "paid"), else_=Credit.status))
                .execution_options(synchronize_session=False))
    audit.record("cartera.slip_allocated", subject=slip.number, paid=str(result.paid),
                 instalments=str(result.to_instalment), arrears=str(result.to_arrears),
                 principal=str(result.to_principal), unapplied=str(result.unapplied))
    if result.unapplied > 0:
        return (f"Del volante {slip.number} quedaron {money(result.unapplied, cents=True)} sin aplicar "
                "(a favor del empleador): revisar y devolver o aplicar.")
    return None


def _already_applied(line_ids):
    """line id → (to instalment, to arrears) by slips paid before."""
    if not line_ids:
        return {}
    rows = db.session.execute(
        select(SlipAllocation.line_id, func.sum(SlipAllocation.to_instalment), func.sum(SlipAllocation.to_arrears))
        .where(SlipAllocation.line_id.in_(line_ids)).group_by(SlipAllocation.line_id))
    return {line_id: (Decimal(inst), Decimal(arr)) for line_id, inst, arr in rows}


# --- Cuadre Cartera, per worker --------------------------------------------------------

@dataclass(frozen=True)
class Difference:
    worker: str
    id_number: str
    credit_number: str
    kind: str
    discount: Decimal
    applied: Decimal
    arrears_paid: Decimal
    principal_paid: Decimal
    explanation: str

    @property
    def difference(self):
        return self.discount - self.applied


def applied_by_line(statement):
    """statement line id → [to instalment, to arrears, to principal, latest allocation id]
    summed over the period's paid slips (its instalments' total is Cuadre Cartera's
    «applied»: cartera.balance_check)."""
    return {line_id: row for line_id, *row in db.session.execute(
        select(SlipAllocation.line_id, func.sum(SlipAllocation.to_instalment), func.sum(SlipAllocation.to_arrears),
               func.sum(SlipAllocation.to_principal), func.max(SlipAllocation.id))
        .join(PaymentSlip, PaymentSlip.id == SlipAllocation.slip_id)
        .where(PaymentSlip.statement_id == statement.id).group_by(SlipAllocation.line_id))}


def differences(statement, limit=100, applied=None):
    """The credits whose instalment the paid slips did not cover exactly, or where
    something else happened (arrears, extra principal, money unapplied), with the
    reason. Returns (first `limit` rows, how many in all). `applied`: applied_by_line."""
    applied = applied_by_line(statement) if applied is None else applied
    if not applied:
        return [], 0
    explanations = dict(db.session.execute(
        select(SlipAllocation.line_id, SlipAllocation.explanation)
        .where(SlipAllocation.id.in_([row[3] for row in applied.values()]))).all())
    out = []
    for line_id, kind, instalment, number, first, last, id_number in db.session.execute(
            select(StatementLine.id, StatementLine.kind, StatementLine.instalment, Credit.number,
                   Worker.first_name, Worker.last_name, Worker.id_number)  # columns: 10,000 lines stay fast
            .join(Credit, Credit.id == StatementLine.credit_id)
            .join(Worker, Worker.id == StatementLine.worker_id)
            .where(StatementLine.statement_id == statement.id)
            .order_by(Worker.last_name, Worker.first_name, Credit.number)):
        inst, arrears, principal, _ = applied.get(line_id, (ZERO, ZERO, ZERO, None))
        inst, arrears, principal = Decimal(inst), Decimal(arrears), Decimal(principal)
        if line_id in applied:
            reason = explanations.get(line_id) or ""
        elif instalment > 0:
            reason = "No se pagó en esta vigencia: el crédito no venía en el archivo pagado o su Valor a Pagar era 0."
        else:
            reason = ""
        if inst == instalment and not reason and not arrears and not principal:
            continue  # exactly the instalment: nothing to explain
        if not reason and arrears:
            reason = "Se pagó la cuota y la mora."
        out.append(Difference(f"{first} {last}", id_number, number, "Retirado" if kind == "retired" else "Activo",
                              instalment, inst, arrears, principal, reason))
    return out[:limit], len(out)
