"""Lotes › Autorización (manual 003 §3.3): confirmed batches signed once or twice; the last
signature makes their service orders (domain/orders.py: the money; domain/signatures.py:
who may sign). Shared by the pages, the jobs and the API.

Exactly once, whatever is clicked twice or by two signers at the same instant: every
move is a conditional UPDATE (… WHERE status = what it was seen as) whose row count must
be the number of batches; the loser rolls back and is told the batches moved on."""
import json
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal.domain import batches as b
from portal.domain import clock
from portal.domain import orders as o
from portal.domain import signatures as sig
from portal.extensions import db
from portal.models import (
    Batch,
    BatchLine,
    BatchSignature,
    Counter,
    DistributionTariff,
    OrderDistribution,
    ServiceOrder,
    Tariff,
)
from portal.services import audit, auth

ORDER_COUNTER = "service_order"


@dataclass(frozen=True)
class Signed:
    """What «Autorizar» did: ok, the message for the user, and the orders made (empty
    while a second signature is awaited: `waiting` is then the first one)."""
    ok: bool
    message: str
    locked: bool = False
    orders: list = field(default_factory=list)
    waiting: BatchSignature | None = None


# --- what the page lists and calculates ------------------------------------------------------

def awaiting(access):
    """The product's batches waiting in «Autorización»: confirmed, or signed once."""
    return list(db.session.scalars(select(Batch).where(
        Batch.product_id == access.product.id, Batch.status.in_(b.AWAITING_SIGNATURE)).order_by(Batch.number)))


def chosen(access, batch_ids):
    """The batches of `batch_ids` that are this product's and await a signature."""
    ids = {int(i) for i in batch_ids if str(i).isdigit()}
    if not ids:
        return []
    return list(db.session.scalars(select(Batch).where(
        Batch.id.in_(ids), Batch.product_id == access.product.id,
        Batch.status.in_(b.AWAITING_SIGNATURE)).order_by(Batch.number)))


def rates_of(company, product):
    commission = {kind: product.commission_per_record for kind in ("emission", "topup", "affiliation",
                                                                    "unnamed_emission")}
    commission.update({t.kind: t.commission for t in db.session.scalars(
        select(Tariff).where(Tariff.product_id == product.id))})
    distribution = {d.destination: d.cost for d in db.session.scalars(
        select(DistributionTariff).where(DistributionTariff.product_id == product.id))}
    return o.Rates(commission=commission, iva_rate=Decimal(product.iva_rate), gmf_applies=company.gmf_applies,
                   distribution=distribution, default_distribution=product.distribution_cost,
                   gmf_rate=Decimal(current_app.config["GMF_RATE"]))


def batch_in(batch):
    """What the order needs of a batch: its records (the valid lines, or the unnamed cards
    requested), the money it loads, and where an emission's cards are delivered."""
    if batch.kind == "unnamed_emission":
        return o.BatchIn(batch.id, batch.kind, batch.rows_total, Decimal(0),
                         ((batch.branch_name or "SUCURSAL", batch.rows_total),))
    destinations = ()
    if batch.kind == "emission":
        places = {}
        for (values,) in db.session.execute(select(BatchLine.values_json).where(
                BatchLine.batch_id == batch.id, BatchLine.ok.is_(True))):
            city = (json.loads(values).get("delivery_city") or "").strip() or "SIN CIUDAD"
            places[city] = places.get(city, 0) + 1
        destinations = tuple(places.items())
    return o.BatchIn(batch.id, batch.kind, batch.valid_count, Decimal(batch.total_amount or 0), destinations)


def calculate(access, batches, mode):
    """«Calcular orden de servicio»: [(the order's batches, its Quote)], nothing stored."""
    rates = rates_of(access.company, access.product)
    return [(group, o.quote([batch_in(batch) for batch in group], rates)) for group in o.groups(batches, mode)]


# --- signing --------------------------------------------------------------------------------

def rules_of(company):
    return sig.Rules(scheme=company.signature_scheme, uploader_may_sign=company.uploader_may_sign,
                     lapse_after=timedelta(hours=current_app.config["SIGNATURE_LAPSE_HOURS"]))


def _waiting_of(batches):
    """The first signature the batches share (None: none signed), or False when they are
    a mix (some signed, others not, or signed apart)."""
    ids = {batch.signature_id if batch.status == b.SIGNED else None for batch in batches}
    if len(ids) != 1:
        return False
    (signature_id,) = ids
    return db.session.get(BatchSignature, signature_id) if signature_id else None


def _signed_together(signature):
    return len(db.session.scalars(select(Batch.id).where(Batch.signature_id == signature.id,
                                                         Batch.status == b.SIGNED)).all())


def sign(user, access, batch_ids, mode, password):
    """«Autorizar» with the password: the first of two signatures waits; the last one
    makes the orders (one per batch or per batch type). Audited; commits."""
    batches = chosen(access, batch_ids)
    if not batches or len(batches) != len(set(batch_ids)):
        return Signed(False, "Seleccione los lotes a autorizar entre los que están pendientes de autorización.")
    waiting = _waiting_of(batches)
    if waiting is False or (waiting and _signed_together(waiting) != len(batches)):
        return Signed(False, "Los lotes que ya tienen una firma se autorizan juntos, como los firmó el primer "
                             "responsable; selecciónelos aparte de los demás.")
    if mode not in (o.PER_BATCH, o.PER_KIND):
        return Signed(False, "Seleccione «Procesar por lote» o «Procesar por tipo de lote».")
    rules, now = rules_of(access.company), clock.utcnow()
    signer = sig.Signer(user.id, access.may("authorize"))
    first = sig.Waiting(waiting.signer_id, waiting.signed_at) if waiting else None
    refusal = sig.refusal(rules, signer, {batch.uploaded_by_id for batch in batches}, first, now)
    if refusal:
        audit.record("conexion.sign_refused", user, subject=f"product:{access.product.id}", reason=refusal,
                     batches=[batch.number for batch in batches])
        db.session.commit()
        return Signed(False, refusal)
    check = auth.confirm_password(user, password, "conexion.batch_authorize")
    if not check.ok:
        return Signed(False, auth.WRONG_PASSWORD, locked=check.locked)
    if sig.outcome(rules, first) == sig.FIRST:
        return _first_signature(user, access, batches, mode, rules, now)
    return _last_signature(user, access, batches, waiting, mode, now)


def _moved(batches, source, **values):
    """Move every batch from `source` at once; False when another request moved one first."""
    ids = [batch.id for batch in batches]
    result = db.session.execute(update(Batch).where(Batch.id.in_(ids), Batch.status == source)
                                .values(**values).execution_options(synchronize_session=False))
    return result.rowcount == len(ids)


def _taken():
    db.session.rollback()
    return Signed(False, "Otro usuario autorizó o firmó estos lotes en este momento. Revise el listado.")


def _first_signature(user, access, batches, mode, rules, now):
    signature = BatchSignature(company_id=access.company.id, product_id=access.product.id, mode=mode,
                               signer_id=user.id, signed_at=now, lapses_at=now + rules.lapse_after)
    db.session.add(signature)
    db.session.flush()
    if not _moved(batches, b.CONFIRMED, status=b.SIGNED, signature_id=signature.id):
        return _taken()
    audit.record("conexion.batch_signed", user, subject=f"signature:{signature.id}", mode=mode,
                 batches=[batch.number for batch in batches], lapses_at=signature.lapses_at.isoformat())
    db.session.commit()
    return Signed(True, "Su firma quedó registrada. Los lotes esperan la firma de otro responsable de la empresa.",
                  waiting=signature)


def _last_signature(user, access, batches, waiting, mode, now):
    source = b.CONFIRMED
    if waiting is not None:
        done = db.session.execute(update(BatchSignature).where(
            BatchSignature.id == waiting.id, BatchSignature.status == "waiting").values(
            status="completed", completed_by_id=user.id, completed_at=now)
            .execution_options(synchronize_session=False))
        if done.rowcount != 1:
            return _taken()
        source, mode = b.SIGNED, waiting.mode
    if not _moved(batches, source, status=b.AUTHORIZED):
        return _taken()
    first_signer = waiting.signer_id if waiting else user.id
    second_signer = user.id if waiting else None
    made = [_order(access, group, quote, first_signer, second_signer, now)
            for group, quote in calculate(access, batches, mode)]
    for order in made:
        audit.record("conexion.order_created", user, subject=f"order:{order.id}", number=order.number,
                     batches=[batch.number for batch in batches if batch.order_id == order.id],
                     first_signer=first_signer, second_signer=second_signer, to_pay=str(order.to_pay))
    db.session.commit()
    numbers = ", ".join(str(order.number) for order in made)
    return Signed(True, f"Lotes autorizados. {'Orden' if len(made) == 1 else 'Órdenes'} de servicio Nro. {numbers}.",
                  orders=made)


def _order(access, group, quote, first_signer, second_signer, now):
    order = ServiceOrder(
        number=next_order_number(), company_id=access.company.id, product_id=access.product.id,
        kind=group[0].kind, status=o.PENDING_PAYMENT, total_price=quote.total_price,
        total_distribution=quote.total_distribution, commission=quote.commission, iva_rate=quote.iva_rate,
        iva=quote.iva, total=quote.total, amount=quote.amount, gmf=quote.gmf, to_pay=quote.to_pay,
        deposited=0, created_at=now, first_signer_id=first_signer, second_signer_id=second_signer)
    order.distribution = [OrderDistribution(destination=d.destination[:60], quantity=d.quantity,
                                            unit_cost=d.unit_cost, cost=d.cost) for d in quote.distribution]
    db.session.add(order)
    db.session.flush()
    charges = {charge.key: charge for charge in quote.batches}
    for batch in group:
        charge = charges[batch.id]
        db.session.execute(update(Batch).where(Batch.id == batch.id).values(
            order_id=order.id, commission=charge.price, gmf=charge.gmf)
            .execution_options(synchronize_session=False))
        batch.order_id = order.id
    return order


def next_order_number():
    """The next of one sequence from the manual's 12397, by a conditional UPDATE."""
    for _ in range(3):
        taken = db.session.execute(update(Counter).where(Counter.name == ORDER_COUNTER)
                                   .values(last=Counter.last + 1).returning(Counter.last)).scalar()
        if taken is not None:
            return taken
        try:
            with db.session.begin_nested():
                db.session.add(Counter(name=ORDER_COUNTER, last=o.FIRST_NUMBER))
            return o.FIRST_NUMBER
        except IntegrityError:  # another order started the sequence first
            continue
    raise RuntimeError("no order number after three tries")


def lapse_waiting(now=None):
    """worker.py's cron: first signatures past their time lapse; their batches go back to
    «Confirmado». Returns how many lapsed."""
    now = now or clock.utcnow()
    lapsed = 0
    for signature in db.session.scalars(select(BatchSignature).where(
            BatchSignature.status == "waiting", BatchSignature.lapses_at <= now)):
        moved = db.session.execute(update(BatchSignature).where(
            BatchSignature.id == signature.id, BatchSignature.status == "waiting").values(status="lapsed")
            .execution_options(synchronize_session=False))
        if moved.rowcount != 1:
            continue
        db.session.execute(update(Batch).where(Batch.signature_id == signature.id, Batch.status == b.SIGNED)
                           .values(status=b.CONFIRMED, signature_id=None).execution_options(synchronize_session=False))
        audit.record("conexion.signature_lapsed", None, subject=f"signature:{signature.id}",
                     signer=signature.signer_id, signed_at=signature.signed_at.isoformat())
        lapsed += 1
    db.session.commit()
    return lapsed
