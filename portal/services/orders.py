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
from sqlalchemy import func, select, update

from portal.domain import batches as b
from portal.domain import clock
from portal.domain import orders as o
from portal.domain import signatures as sig
from portal.domain import webhooks as wh
from portal.domain.formatting import day_time, money
from portal.extensions import db
from portal.models import (
    Batch,
    BatchLine,
    BatchSignature,
    DistributionTariff,
    Membership,
    OrderDistribution,
    Product,
    ServiceOrder,
    Tariff,
    User,
)
from portal.services import audit, auth, counters, messaging, webhooks
from portal.services import batches as batch_files

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


def foreign(access, batch_ids):
    """Whether `batch_ids` names anything but batches of this company's product (another
    company's, another product's, none at all): the route answers 404."""
    ids = {str(i) for i in batch_ids}
    if not all(i.isdigit() for i in ids):
        return True
    ours = db.session.scalar(select(func.count()).select_from(Batch).where(
        Batch.id.in_({int(i) for i in ids}), Batch.company_id == access.company.id,
        Batch.product_id == access.product.id))
    return ours != len(ids)


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


@dataclass(frozen=True)
class Selection:
    """The batches chosen in «Autorización», the first signature they share (None: not
    signed yet) and the mode their orders are made in (a first signature's own); or why not."""
    refusal: str | None = None
    batches: list = field(default_factory=list)
    waiting: BatchSignature | None = None
    mode: str | None = None


def selection(access, batch_ids, mode):
    """What «Autorizar» works on: the same rules for the calculation and the signature."""
    batch_ids = list(batch_ids)
    batches = chosen(access, batch_ids)
    if not batches or len(batches) != len(set(batch_ids)):
        return Selection("Seleccione los lotes a autorizar entre los que están pendientes de autorización.")
    waiting = _waiting_of(batches)
    if waiting is False or (waiting and _signed_together(waiting) != len(batches)):
        return Selection("Los lotes que ya tienen una firma se autorizan juntos, como los firmó el primer "
                         "responsable; selecciónelos aparte de los demás.")
    if mode not in (o.PER_BATCH, o.PER_KIND):
        return Selection("Seleccione «Procesar por lote» o «Procesar por tipo de lote».")
    return Selection(None, batches, waiting, waiting.mode if waiting else mode)


@dataclass(frozen=True)
class Preview:
    """«Calcular orden de servicio»: the selection and [(an order's batches, its Quote)]."""
    ok: bool
    message: str = ""
    locked: bool = False
    chosen: Selection | None = None
    quotes: list = field(default_factory=list)


def preview(user, access, batch_ids, mode, password):
    """«Autorizar» (step 1): the orders the signature would make, once the selection and
    the password are right. Nothing is stored (a wrong password counts, as anywhere)."""
    picked = selection(access, batch_ids, mode)
    refusal = picked.refusal or _refusal(user, access, picked, rules_of(access.company), clock.utcnow())
    if refusal:
        return Preview(False, refusal)
    if not password:
        return Preview(False, "Ingrese su contraseña para autorizar los lotes.")
    check = auth.confirm_password(user, password, "conexion.batch_authorize")
    if not check.ok:
        return Preview(False, auth.WRONG_PASSWORD, locked=check.locked)
    return Preview(True, chosen=picked, quotes=calculate(access, picked.batches, picked.mode))


def sign(user, access, batch_ids, mode, password):
    """«Autorizar» with the password: the first of two signatures waits; the last one
    makes the orders (one per batch or per batch type). Audited; commits."""
    picked = selection(access, batch_ids, mode)
    if picked.refusal:
        return Signed(False, picked.refusal)
    batches, waiting, mode = picked.batches, picked.waiting, picked.mode
    rules, now = rules_of(access.company), clock.utcnow()
    first = sig.Waiting(waiting.signer_id, waiting.signed_at) if waiting else None
    refusal = _refusal(user, access, picked, rules, now)
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


def _refusal(user, access, picked, rules, now):
    """Why `user` may not sign the chosen batches now (domain/signatures.py), or None."""
    waiting = picked.waiting
    first = sig.Waiting(waiting.signer_id, waiting.signed_at) if waiting else None
    return sig.refusal(rules, sig.Signer(user.id, access.may("authorize")),
                       {batch.uploaded_by_id for batch in picked.batches}, first, now)


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
    _tell_other_signers(access, user, batches, signature)
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
        webhooks.emit(order.company_id, "order.created", wh.order_data(
            order, batch_ids=[batch.id for batch in batches if batch.order_id == order.id]))
    if waiting is not None:
        _tell_signers_of_orders(access, batches, made, waiting.signer, user)
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
    return counters.take(ORDER_COUNTER, o.FIRST_NUMBER)


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
        _tell_lapsed(signature)
        db.session.execute(update(Batch).where(Batch.signature_id == signature.id, Batch.status == b.SIGNED)
                           .values(status=b.CONFIRMED, signature_id=None).execution_options(synchronize_session=False))
        audit.record("conexion.signature_lapsed", None, subject=f"signature:{signature.id}",
                     signer=signature.signer_id, signed_at=signature.signed_at.isoformat())
        lapsed += 1
    db.session.commit()
    return lapsed


def first_signatures(batches):
    """{signature id: BatchSignature (with its signer)} of the batches signed once, for
    «Autorización»: who signed and when the signature lapses."""
    ids = {batch.signature_id for batch in batches if batch.status == b.SIGNED and batch.signature_id}
    if not ids:
        return {}
    return {s.id: s for s in db.session.scalars(select(BatchSignature).where(BatchSignature.id.in_(ids)))}


def discard(user, access, batch_ids, password):
    """«Eliminar» in «Autorización»: the chosen confirmed batches, one by one with the
    password (services/batches.delete). A batch signed once waits for its second signature
    or its lapse: it cannot be deleted."""
    batch_ids = list(batch_ids)
    batches = chosen(access, batch_ids)
    if not batches or len(batches) != len(set(batch_ids)):
        return batch_files.Decision(False, "Seleccione los lotes a eliminar entre los que están pendientes de "
                                           "autorización.")
    signed = [batch for batch in batches if batch.status == b.SIGNED]
    if signed:
        return batch_files.Decision(False, f"{_lots(signed)} ya {'tiene' if len(signed) == 1 else 'tienen'} una "
                                           "firma y no se puede eliminar: espere la segunda firma o a que la "
                                           "primera venza.")
    if not password:
        return batch_files.Decision(False, "Ingrese su contraseña para eliminar los lotes.")
    deleted = []
    for batch in batches:
        decision = batch_files.delete(user, batch, password)
        if not decision.ok:
            before = _deleted(deleted) + " " if deleted else ""
            return batch_files.Decision(False, before + decision.message, locked=decision.locked)
        deleted.append(batch)
    return batch_files.Decision(True, _deleted(deleted))


def _deleted(batches):
    return f"{_lots(batches)}: {'eliminado' if len(batches) == 1 else 'eliminados'}."


def _lots(batches):
    """«El lote Nro. 1» / «Los lotes Nro. 1, 2»."""
    return ("El lote Nro. " if len(batches) == 1 else "Los lotes Nro. ") + _numbers(batches)


# --- who is told (e-mail, stored in the outbox in the caller's transaction) ---------------------

def _numbers(batches):
    return ", ".join(str(batch.number) for batch in batches)


def _other_signers(access, signer, batches):
    """The company's other active members who may sign these batches."""
    query = (select(User).join(Membership, Membership.user_id == User.id)
             .where(Membership.company_id == access.company.id, Membership.can_authorize.is_(True),
                    User.id != signer.id, User.is_active_account.is_(True)).order_by(User.id))
    if not access.company.uploader_may_sign:
        query = query.where(User.id.notin_({batch.uploaded_by_id for batch in batches if batch.uploaded_by_id}))
    return db.session.scalars(query).all()


def _tell_other_signers(access, signer, batches, signature):
    """A first signature: the other authorizers are asked for the second one before it lapses."""
    product = f"{access.product.label} de {access.company.name}"
    for user in _other_signers(access, signer, batches):
        messaging.send_email(
            user.email, "Conexión Empresas: lotes esperan su firma",
            f"Hola {user.full_name}:\n\n{signer.full_name} ({signer.username}) firmó el {day_time(signature.signed_at)} "
            f"la autorización de los lotes Nro. {_numbers(batches)} del producto {product}.\n\n"
            f"Los lotes esperan la segunda firma de otro responsable de la empresa. Si nadie más los firma antes "
            f"del {day_time(signature.lapses_at)} (hora de Bogotá), la primera firma vence y los lotes vuelven a "
            "«Confirmado».\n\nPara firmarlos ingrese a Conexión Empresas › Lotes › Autorización.")


def _tell_signers_of_orders(access, batches, made, first, second):
    """The second signature made the orders: both signers are told which."""
    lines = "\n".join(f"  - Orden Nro. {order.number}: Monto OS {money(order.total, cents=True)}, "
                      f"TOTAL A PAGAR {money(order.to_pay, cents=True)}" for order in made)
    for user in (first, second):
        messaging.send_email(
            user.email, "Conexión Empresas: lotes autorizados",
            f"Hola {user.full_name}:\n\nLos lotes Nro. {_numbers(batches)} del producto {access.product.label} de "
            f"{access.company.name} quedaron autorizados con las firmas de {first.full_name} ({first.username}) "
            f"y {second.full_name} ({second.username}).\n\nÓrdenes de servicio:\n{lines}\n\n"
            "Puede consultarlas y pagarlas en Conexión Empresas › Consultas › Órdenes de servicio.")


def _tell_lapsed(signature):
    """A first signature lapsed: its signer is told the batches went back to «Confirmado»."""
    batches = db.session.scalars(select(Batch).where(Batch.signature_id == signature.id,
                                                     Batch.status == b.SIGNED).order_by(Batch.number)).all()
    signer, product = signature.signer, db.session.get(Product, signature.product_id)
    messaging.send_email(
        signer.email, "Conexión Empresas: su firma venció",
        f"Hola {signer.full_name}:\n\nSu firma del {day_time(signature.signed_at)} en la autorización de los lotes "
        f"Nro. {_numbers(batches)} del producto {product.label} de {product.company.name} venció el "
        f"{day_time(signature.lapses_at)} (hora de Bogotá) sin la segunda firma de otro responsable.\n\n"
        "Los lotes volvieron a «Confirmado»: para procesarlos deben firmarse de nuevo en Conexión Empresas › "
        "Lotes › Autorización.")
