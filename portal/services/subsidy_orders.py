"""«ADELANTO POR SUBSIDIOS» (manual 002): staff issue an order for an affiliate and a
supplier, list it, print it and annul it; the supplier looks it up (cédula, type and
number must all match and the order must be the supplier's) and marks it redeemed.

Annulled and redeemed happen once: a conditional UPDATE (… WHERE status = 'issued', and
for redeeming also valid_until ≥ today and the supplier's own entity) lets one click in;
the other is told what the order became. Every action is audited."""
import re
import secrets
from dataclasses import dataclass, field

from flask import render_template
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal.adapters import pdf
from portal.domain import clock
from portal.domain import order_search as search
from portal.domain import subsidy_orders as rules
from portal.domain.formatting import today_bogota
from portal.extensions import db
from portal.models import Affiliate, ApplicationRequest, Entity, SubsidyOrder
from portal.services import audit, counters, tables

ORDER_NOT_FOUND = ("Si al digitar el documento, no recibe información de respuesta o el "
                   "documento no existe, por favor comuníquese con nuestras oficinas, para "
                   "confirmar la información de la orden recibida y presentada por el cliente.")
KEY_RE = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str
    order: SubsidyOrder | None = None
    errors: dict = field(default_factory=dict)


@dataclass(frozen=True)
class OrderView:
    """An order as staff and its supplier read it: the items and the state of today."""
    order: SubsidyOrder
    items: list
    state: str

    @property
    def label(self):
        return rules.LABELS[self.state]


def view(order, today=None):
    today = today or today_bogota()
    return OrderView(order, rules.items_from_json(order.items_json),
                     rules.state(order.status, order.valid_until, today))


# --- who and for whom ------------------------------------------------------------------------

def _approved_supplier():
    return exists().where(ApplicationRequest.entity_id == Entity.id, ApplicationRequest.application == "PROVEEDORES",
                          ApplicationRequest.status == "approved")


def suppliers():
    """Entities with PROVEEDORES approved: the suppliers an order may be issued for."""
    return db.session.scalars(select(Entity).where(_approved_supplier()).order_by(Entity.name)).all()


def affiliate_name(cedula):
    """The affiliate's name as the fund has it, or None for a cédula it does not know."""
    row = db.session.execute(select(Affiliate.first_name, Affiliate.last_name)
                             .where(Affiliate.cedula == cedula)).first()
    return " ".join(f"{row.first_name} {row.last_name}".split()).upper() if row else None


# --- issue -----------------------------------------------------------------------------------

@dataclass
class Draft:
    """The staff's form as typed (shown again when something is wrong)."""
    cedula: str = ""
    name: str = ""
    supplier_id: str = ""
    valid_until: str = ""
    rows: list = field(default_factory=list)  # [(description, quantity, unit value)]
    key: str = ""  # the form's one-time key (new_key()), so a resent form issues once


def new_key():
    return secrets.token_hex(16)


def _issued_with(key):
    if not KEY_RE.match(key or ""):
        return None
    return db.session.scalar(select(SubsidyOrder).where(SubsidyOrder.issue_key == key))


def _supplier(raw_id):
    if not str(raw_id or "").isdigit():
        return None
    return db.session.scalar(select(Entity).where(Entity.id == int(raw_id), _approved_supplier()))


def _checked(draft):
    """(the order's values, {field: message})."""
    errors = {}
    cedula, errors["cedula"] = rules.parse_cedula(draft.cedula)
    known = affiliate_name(cedula) if cedula else None
    name, errors["nombre"] = (known, None) if known else rules.parse_name(draft.name)
    supplier = _supplier(draft.supplier_id)
    errors["proveedor"] = None if supplier else "Proveedor: escoja uno de la lista (entidades con PROVEEDORES aprobado)."
    valid_until, errors["vigente_hasta"] = rules.parse_valid_until(draft.valid_until, today_bogota())
    items, problems = rules.parse_items(draft.rows)
    errors["detalle"] = " ".join(problems) or None
    values = {"cedula": cedula, "name": name, "supplier": supplier, "valid_until": valid_until, "items": items}
    return values, {k: v for k, v in errors.items() if v}


def issue(staff, draft):
    """Outcome with the new order (number from the sequence), or the errors by field. The
    same form sent again (its key) answers with the order it issued the first time."""
    values, errors = _checked(draft)
    if errors:
        return Outcome(False, "Revise los datos de la orden; no se emitió.", errors=errors)
    already = _issued_with(draft.key)
    if already is not None:
        return _issued(already)
    items = values["items"]
    number = str(counters.take(rules.COUNTER, rules.FIRST_NUMBER))
    order = SubsidyOrder(document_type=rules.DOCUMENT_TYPE, number=number,
                         supplier_entity_id=values["supplier"].id, affiliate_cedula=values["cedula"],
                         affiliate_name=values["name"], amount=rules.amount_of(items),
                         items_json=rules.items_to_json(items), status=rules.ISSUED,
                         valid_until=values["valid_until"], issued_by_id=staff.id,
                         issue_key=draft.key if KEY_RE.match(draft.key or "") else None)
    try:
        with db.session.begin_nested():
            db.session.add(order)
    except IntegrityError:  # the same form, sent twice at once: the other one issued it
        db.session.rollback()
        first = _issued_with(draft.key)
        if first is None:
            raise
        return _issued(first)
    audit.record("subsidy_order.issued", staff, subject=f"subsidy_order:{order.id}", number=number,
                 supplier=values["supplier"].nit, cedula=values["cedula"], amount=str(order.amount),
                 valid_until=str(values["valid_until"]))
    db.session.commit()
    return _issued(order)


def _issued(order):
    return Outcome(True, f"Orden {rules.DOCUMENT_TYPE} Nro {order.number} emitida.", order)


# --- the staff's list ------------------------------------------------------------------------

def _state_where(state, today):
    issued = SubsidyOrder.status == rules.ISSUED
    return {rules.VIGENTE: and_(issued, SubsidyOrder.valid_until >= today),
            rules.VENCIDA: and_(issued, SubsidyOrder.valid_until < today),
            rules.REDIMIDA: SubsidyOrder.status == rules.REDEEMED,
            rules.ANULADA: SubsidyOrder.status == rules.ANNULLED}[state]


@dataclass
class Listing:
    rows: list  # OrderView
    page: object
    counts: dict  # state → orders (with the other filters), and "todas"
    criteria: search.Criteria


def _where(filters, criteria):
    where = []
    if filters["proveedor"]:
        where.append(SubsidyOrder.supplier_entity_id == int(filters["proveedor"]))
    q = filters["q"]
    if q:
        where.append(or_(SubsidyOrder.number == q, SubsidyOrder.affiliate_cedula.startswith(q, autoescape=True),
                         SubsidyOrder.affiliate_name.icontains(q, autoescape=True)))
    start, before = search.utc_bounds(criteria.start, criteria.end)
    where += [SubsidyOrder.issued_at >= start] if start else []
    where += [SubsidyOrder.issued_at < before] if before else []
    return where


def listing(filters, criteria):
    """The page of orders matching `filters` (paging.Filters: estado, proveedor, q, pagina,
    por_pagina) and the issue dates of `criteria` (domain/order_search.py)."""
    today = today_bogota()
    where = _where(filters, criteria)
    counted = db.session.execute(select(*[func.count().filter(_state_where(s, today)).label(s)
                                          for s in rules.STATES]).where(*where)).one()._mapping
    counts = {s: counted[s] for s in rules.STATES}
    counts["todas"] = sum(counts.values())
    if filters["estado"]:
        where.append(_state_where(filters["estado"], today))
    total = counts[filters["estado"] or "todas"]
    orders, page = tables.paged(select(SubsidyOrder).options(selectinload(SubsidyOrder.supplier)).where(*where), filters["pagina"], filters["por_pagina"],
                                SubsidyOrder.issued_at.desc(), SubsidyOrder.id.desc(), total=total)
    return Listing([view(o, today) for o in orders], page, counts, criteria)


def get(order_id):
    return db.session.get(SubsidyOrder, order_id)


# --- annul (staff) ---------------------------------------------------------------------------

def annul(staff, order_id, raw_reason):
    """Anular with a reason, once: Outcome (the order None when there is no such order)."""
    order = get(order_id)
    if order is None:
        return Outcome(False, "No existe esa orden.")
    reason, problem = rules.parse_reason(raw_reason)
    if problem:
        return Outcome(False, problem, order, {"motivo": problem})
    refusal = rules.annul_refusal(view(order).state)
    moved = 0 if refusal else db.session.execute(
        update(SubsidyOrder).where(SubsidyOrder.id == order.id, SubsidyOrder.status == rules.ISSUED)
        .values(status=rules.ANNULLED, annulled_at=clock.utcnow(), annulled_by_id=staff.id, annul_reason=reason)
        .execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        db.session.rollback()
        db.session.refresh(order)
        return Outcome(False, refusal or rules.annul_refusal(view(order).state), order)
    audit.record("subsidy_order.annulled", staff, subject=f"subsidy_order:{order.id}", number=order.number,
                 reason=reason)
    db.session.commit()
    db.session.refresh(order)
    return Outcome(True, f"Orden Nro {order.number} anulada.", order)


# --- PDF -------------------------------------------------------------------------------------

def file_name(order):
    return f"Orden_adelanto_subsidios_{order.number}.pdf"


def render_pdf(staff, order):
    """(file name, PDF bytes); the print is audited. Commits."""
    html = render_template("pdf/orden_subsidio.html", font_css=pdf.font_css(), found=view(order),
                           order=order, printed_on=today_bogota())
    data = pdf.from_html(html)
    audit.record("subsidy_order.pdf", staff, subject=f"subsidy_order:{order.id}", number=order.number)
    db.session.commit()
    return file_name(order), data


# --- the supplier: CONSULTAR ORDEN and «Marcar como redimida» --------------------------------

def _match(user, cedula, document_type, number):
    """The order only when cédula, type and number all match and it is the supplier's."""
    if user.entity_id is None:
        return None
    return db.session.scalar(select(SubsidyOrder).where(
        SubsidyOrder.document_type == document_type, SubsidyOrder.number == number.strip(),
        SubsidyOrder.affiliate_cedula == cedula.strip(), SubsidyOrder.supplier_entity_id == user.entity_id))


def lookup(user, cedula, document_type, number):
    """OrderView or None (the manual's «no existe» text); every lookup is audited."""
    order = _match(user, cedula, document_type, number)
    audit.record("subsidy_order.lookup", user, subject=f"{document_type}:{number.strip()}"[:120],
                 found=order is not None, cedula=cedula.strip())
    db.session.commit()
    return view(order) if order else None


def redeem(user, cedula, document_type, number):
    """«Marcar como redimida»: once, only a vigente order of the user's own entity."""
    order = _match(user, cedula, document_type, number)
    subject = f"{document_type}:{number.strip()}"[:120]
    if order is None:
        audit.record("subsidy_order.redeem_refused", user, subject=subject, reason="not_found")
        db.session.commit()
        return Outcome(False, ORDER_NOT_FOUND)
    moved = db.session.execute(
        update(SubsidyOrder).where(SubsidyOrder.id == order.id, SubsidyOrder.status == rules.ISSUED,
                                   SubsidyOrder.valid_until >= today_bogota(),
                                   SubsidyOrder.supplier_entity_id == user.entity_id)
        .values(status=rules.REDEEMED, redeemed_at=clock.utcnow(), redeemed_by_id=user.id)
        .execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        db.session.rollback()
        db.session.refresh(order)
        current = view(order).state
        audit.record("subsidy_order.redeem_refused", user, subject=subject, reason=current)
        db.session.commit()
        return Outcome(False, rules.redeem_refusal(current), order)
    audit.record("subsidy_order.redeemed", user, subject=f"subsidy_order:{order.id}", number=order.number,
                 entity_id=user.entity_id, amount=str(order.amount))
    db.session.commit()
    db.session.refresh(order)
    return Outcome(True, f"Orden Nro {order.number} marcada como redimida.", order)
