"""Four eyes for the staff's changes (domain/four_eyes): one staff member proposes a change,
another approves or rejects it, once (a conditional UPDATE); only an approval applies it,
in the same transaction. Every step is audited.

To put another kind of change under four eyes (as a product's tariffs were; a company's
signature scheme): add its name to domain/four_eyes.KINDS, an applier to APPLIERS below, and call
`propose` where the staff ask for it."""
from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal.domain import companies, nit
from portal.domain import four_eyes as rules
from portal.domain import products as product_rules
from portal.domain.clock import utcnow
from portal.extensions import db
from portal.models import BatchSignature, ChangeRequest, Company, Membership, Product
from portal.services import audit, conexion, tables

STATUS_FILTERS = (rules.PENDING, rules.APPROVED, rules.REJECTED, "all")


@dataclass(frozen=True)
class Outcome:
    status: str  # ok | not_found | invalid | same_person | decided
    message: str
    change: ChangeRequest | None = None

    @property
    def ok(self):
        return self.status == "ok"


def membership_target(membership):
    return f"membership:{membership.id}"


def _membership_of(change):
    return db.session.get(Membership, int(change.target.partition(":")[2]))


def _apply_membership_permissions(change):
    membership = _membership_of(change)
    for name, value in rules.decode(change.proposed).items():
        setattr(membership, conexion.PERMISSIONS[name], bool(value))


def _product_of(change):
    return db.session.get(Product, int(change.target.partition(":")[2]))


def _apply_product_tariffs(change):
    from portal.services import products  # it proposes through this module

    products.apply_tariffs(_product_of(change), rules.decode(change.proposed))


def company_target(company):
    return f"company:{company.id}"


def _company_of(change):
    return db.session.get(Company, int(change.target.partition(":")[2]))


def _apply_company_signatures(change):
    """The signature scheme (1 or 2) and «quien carga no firma» (services/companies proposes)."""
    company = _company_of(change)
    for name, value in rules.decode(change.proposed).items():
        if name in ("signature_scheme", "uploader_may_sign"):
            setattr(company, name, value)
    if company.signature_scheme == 1:
        # A first signature waiting for a second that is no longer asked for lapses at the
        # cron's next pass (services/orders.lapse_waiting: its batches back to «Confirmado»,
        # its signer told): they are signed again under the rule in force.
        db.session.execute(update(BatchSignature).where(BatchSignature.company_id == company.id,
                                                        BatchSignature.status == "waiting")
                           .values(lapses_at=utcnow()).execution_options(synchronize_session=False))


APPLIERS = {rules.MEMBERSHIP_PERMISSIONS: _apply_membership_permissions,
            rules.PRODUCT_TARIFFS: _apply_product_tariffs,
            rules.COMPANY_SIGNATURES: _apply_company_signatures}


def propose(staff, kind, target, proposed, previous=None, company_id=None):
    """A pending change, flushed and audited (the caller commits); None when its target
    has a pending change already (a partial unique index says so, even under a race)."""
    change = ChangeRequest(kind=kind, target=target, company_id=company_id, proposed=rules.encode(proposed),
                           previous=rules.encode(previous) if previous is not None else None,
                           status=rules.PENDING, proposed_by_id=staff.id)
    try:
        with db.session.begin_nested():
            db.session.add(change)
            db.session.flush()
    except IntegrityError:
        return None
    audit.record("staff.change_proposed", staff, subject=f"change:{change.id}", kind=kind, target=target,
                 proposed=proposed, previous=previous)
    return change


def pending_for(targets):
    """{target: its pending change} for these targets."""
    if not targets:
        return {}
    rows = db.session.scalars(select(ChangeRequest).where(ChangeRequest.target.in_(list(targets)),
                                                          ChangeRequest.status == rules.PENDING))
    return {change.target: change for change in rows}


def decide(staff, change_id, approve, raw_reason=None):
    """Aprobar (applied now) or Rechazar (with a reason), by a staff member other than the
    one who proposed it; a second decision, or a proposer forging the POST, changes nothing."""
    change = db.session.get(ChangeRequest, change_id)
    if change is None:
        return Outcome("not_found", "El cambio no existe.")
    reason, error = (None, None) if approve else rules.parse_reason(raw_reason)
    if error:
        return Outcome("invalid", error, change)
    if rules.same_person(change.proposed_by_id, staff.id):
        audit.record("staff.change_refused_same_person", staff, subject=f"change:{change.id}")
        db.session.commit()
        return Outcome("same_person", rules.SAME_PERSON, change)
    status = rules.APPROVED if approve else rules.REJECTED
    won = db.session.execute(
        update(ChangeRequest).where(ChangeRequest.id == change.id, ChangeRequest.status == rules.PENDING,
                                    ChangeRequest.proposed_by_id != staff.id)
        .values(status=status, decided_by_id=staff.id, decided_at=utcnow(), reason=reason)
        .execution_options(synchronize_session=False)).rowcount == 1
    if not won:
        db.session.rollback()
        return Outcome("decided", rules.already_decided(db.session.get(ChangeRequest, change_id).status), change)
    if approve:
        APPLIERS[change.kind](change)
    audit.record(f"staff.change_{status}", staff, subject=f"change:{change.id}", kind=change.kind,
                 target=change.target, reason=reason)
    db.session.commit()
    db.session.refresh(change)
    verb = "aprobado: ya está vigente" if approve else "rechazado: no se aplicó"
    return Outcome("ok", f"Cambio {change.id} {verb}.", change)


# --- the queue -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    """A change as the queue shows it: what it changes, before and after."""
    change: ChangeRequest
    subject: str
    before: str
    after: str
    user_id: int | None = None  # a corporate user's page to link to
    product_id: int | None = None  # a product's page to link to
    company_id: int | None = None  # or a company's page


def listing(f):
    """The changes of the filter `f` (estado, q: company name or NIT), oldest pending first."""
    query = select(ChangeRequest).options(selectinload(ChangeRequest.company),
                                          selectinload(ChangeRequest.proposed_by),
                                          selectinload(ChangeRequest.decided_by))
    if f["estado"] != "all":
        query = query.where(ChangeRequest.status == f["estado"])
    if f["q"]:
        query = query.join(Company, Company.id == ChangeRequest.company_id).where(
            or_(Company.name.icontains(f["q"], autoescape=True), Company.nit.startswith(f["q"], autoescape=True)))
    order = (ChangeRequest.proposed_at, ChangeRequest.id) if f["estado"] == rules.PENDING else \
        (ChangeRequest.id.desc(),)
    changes, page = tables.paged(query, f["pagina"], f["por_pagina"], *order)
    memberships = _memberships(changes)
    products = _load_products(changes)  # held while the rows are made: session.get finds them
    rows = [row(change, memberships) for change in changes]
    del products
    return rows, page


def _load_products(changes):
    """The page's products with their companies, in one statement."""
    ids = [int(c.target.partition(":")[2]) for c in changes if c.kind == rules.PRODUCT_TARIFFS]
    if not ids:
        return []
    return db.session.scalars(select(Product).where(Product.id.in_(ids)).options(selectinload(Product.company))).all()


def _memberships(changes):
    """{id: membership} of the page's changes, with their users and companies, in two statements."""
    ids = [int(c.target.partition(":")[2]) for c in changes if c.kind == rules.MEMBERSHIP_PERMISSIONS]
    if not ids:
        return {}
    rows = db.session.scalars(select(Membership).where(Membership.id.in_(ids))
                              .options(selectinload(Membership.user), selectinload(Membership.company)))
    return {membership.id: membership for membership in rows}


def row(change, memberships=None):
    if change.kind == rules.MEMBERSHIP_PERMISSIONS:
        membership = (memberships or {}).get(int(change.target.partition(":")[2])) or _membership_of(change)
        subject = f"{membership.user.username} ({membership.user.full_name}) en {membership.company.name}"
        return Row(change, subject, rules.permission_labels(rules.decode(change.previous)),
                   rules.permission_labels(rules.decode(change.proposed)), membership.user_id)
    if change.kind == rules.PRODUCT_TARIFFS:
        return _product_row(change)
    if change.kind == rules.COMPANY_SIGNATURES:
        return Row(change, f"Firmas de {change.company.name} (NIT {nit.formatted(change.company.nit)})",
                   companies.describe_signatures(rules.decode(change.previous)),
                   companies.describe_signatures(rules.decode(change.proposed)), company_id=change.company_id)
    return Row(change, change.target, change.previous or "", change.proposed)


def _product_row(change):
    """Only the tariffs that change, before and after, one per line."""
    product = _product_of(change)
    before, after = product_rules.differences(rules.decode(change.previous), rules.decode(change.proposed))
    return Row(change, f"Producto {product.label} de {product.company.name}", before, after,
               product_id=product.id)


def get_row(change_id):
    change = db.session.get(ChangeRequest, change_id)
    return row(change) if change else None
