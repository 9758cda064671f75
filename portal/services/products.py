"""Conexión Empresas administration, products (staff role «tarjetas»; domain/products):
search, create, edit a product's card data (audited), and propose a change of its tariffs,
which takes effect only when another staff member approves it (services/four_eyes).

A product's BIN and nominada/innominada are what its cards were made of: once it has
cards they stay. A new product's first tariffs are set with it (it has no batch nor order
yet, and the creation is audited); every later change waits for the second person."""
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import delete, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal.domain import four_eyes as changes
from portal.domain import products as rules
from portal.extensions import db
from portal.models import Card, Company, DistributionTariff, Product, Tariff
from portal.services import audit, four_eyes, tables

LOCKED_WITH_CARDS = ("{label}: el producto ya tiene tarjetas emitidas ({cards}); no se puede cambiar "
                     "porque sus tarjetas se hicieron con él. Cree otro producto.")


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str
    errors: dict = field(default_factory=dict)
    product: Product | None = None


def companies():
    return db.session.scalars(select(Company).order_by(Company.name)).all()


def get(product_id):
    return db.session.get(Product, product_id)


def target(product):
    return f"product_tariffs:{product.id}"


def search(f):
    """Products by name, BIN or company (name or NIT), optionally of one company, paged by
    company and name."""
    query = select(Product).join(Company, Company.id == Product.company_id).options(selectinload(Product.company))
    if f["q"]:
        nit = f["q"].replace(".", "").split("-")[0].strip() or f["q"]
        query = query.where(or_(Product.name.icontains(f["q"], autoescape=True),
                                Product.bin.startswith(f["q"], autoescape=True),
                                Company.name.icontains(f["q"], autoescape=True),
                                Company.nit.startswith(nit, autoescape=True)))
    if f["empresa"]:
        query = query.where(Product.company_id == int(f["empresa"]))
    return tables.paged(query, f["pagina"], f["por_pagina"], Company.name, Product.name, Product.id)


def cards_of(product):
    return db.session.scalar(select(func.count()).select_from(Card).where(Card.product_id == product.id))


def tariffs(product):
    """The tariffs in force (domain/products.tariffs_of's shape)."""
    commissions = dict(db.session.execute(select(Tariff.kind, Tariff.commission)
                                          .where(Tariff.product_id == product.id)).all())
    distribution = dict(db.session.execute(select(DistributionTariff.destination, DistributionTariff.cost)
                                           .where(DistributionTariff.product_id == product.id)).all())
    return rules.tariffs_of(product, commissions, distribution)


def pending_change(product):
    return four_eyes.pending_for([target(product)]).get(target(product))


# --- create and edit ------------------------------------------------------------------------

def _company(raw):
    return db.session.get(Company, int(raw)) if str(raw or "").isdigit() else None


def _name_taken(company_id, name, product_id=None):
    query = select(Product.id).where(Product.company_id == company_id, func.lower(Product.name) == name.lower())
    if product_id:
        query = query.where(Product.id != product_id)
    return db.session.scalar(select(exists(query)))


def _taken(name):
    return {"name": f"Nombre: la empresa ya tiene un producto «{name}»."}


def create(staff, form, cities=(), costs=()):
    """A new product of a company with its card data and first tariffs. Commits."""
    card, tariff = rules.check_card(form), rules.check_tariffs(form, cities, costs)
    company = _company(form.get("empresa"))
    errors = {**card.errors, **tariff.errors}
    if company is None:
        errors["company"] = "Empresa: seleccione una."
    elif "name" not in errors and _name_taken(company.id, card.values["name"]):
        errors.update(_taken(card.values["name"]))
    if errors:
        return Outcome(False, "Revise los datos del producto.", errors)
    product = Product(company_id=company.id, **card.values)
    try:
        with db.session.begin_nested():
            db.session.add(product)
            db.session.flush()
    except IntegrityError:  # the same name created a moment ago
        return Outcome(False, "Revise los datos del producto.", _taken(card.values["name"]))
    apply_tariffs(product, tariff.values)
    audit.record("staff.product_created", staff, subject=f"product:{product.id}", company=company.nit,
                 **_audited(card.values), tariffs=tariff.values)
    db.session.commit()
    return Outcome(True, f"Producto {product.label} creado para {company.name}.", product=product)


def _audited(values):
    return {key: str(value) if value is not None else None for key, value in values.items()}


def _locked(product, values):
    """Changing the BIN or the emission type of a product with cards: refused."""
    cards = cards_of(product)
    if not cards:
        return {}
    return {key: LOCKED_WITH_CARDS.format(label=rules.LABELS[key], cards=cards)
            for key in ("bin", "named") if values[key] != getattr(product, key)}


def update(staff, product, form):
    """The product's card data, at once (they move no money); audited with before and after."""
    card = rules.check_card(form)
    errors = dict(card.errors)
    if not errors:
        errors.update(_locked(product, card.values))
        if _name_taken(product.company_id, card.values["name"], product.id):
            errors.update(_taken(card.values["name"]))
    if errors:
        return Outcome(False, "Revise los datos del producto.", errors, product)
    before = {key: getattr(product, key) for key in rules.CARD_FIELDS}
    changed = {key: value for key, value in card.values.items() if before[key] != value}
    if not changed:
        return Outcome(False, "Los datos son los que ya tiene el producto.", {}, product)
    for key, value in changed.items():
        setattr(product, key, value)
    audit.record("staff.product_updated", staff, subject=f"product:{product.id}",
                 before=_audited({k: before[k] for k in changed}), after=_audited(changed))
    db.session.commit()
    return Outcome(True, f"Producto {product.label} actualizado.", product=product)


# --- tariffs, under four eyes ---------------------------------------------------------------

def propose_tariffs(staff, product, form, cities=(), costs=()):
    """A change of the product's tariffs, waiting for another staff member. Commits."""
    checked = rules.check_tariffs(form, cities, costs)
    if checked.errors:
        return Outcome(False, "Revise las tarifas.", checked.errors, product)
    current = tariffs(product)
    if checked.values == current:
        return Outcome(False, "Las tarifas escritas son las vigentes: no hay nada que cambiar.", {}, product)
    change = four_eyes.propose(staff, changes.PRODUCT_TARIFFS, target(product), checked.values, current,
                               product.company_id)
    if change is None:
        db.session.rollback()
        return Outcome(False, "Ya hay un cambio de tarifas pendiente para este producto: espere a que se "
                              "apruebe o se rechace.", {}, product)
    db.session.commit()
    return Outcome(True, f"Cambio {change.id} propuesto; las tarifas nuevas se aplican cuando otra persona del "
                         "personal lo apruebe.", product=product)


def apply_tariffs(product, values):
    """Write `values` (domain/products.check_tariffs' shape) as the product's tariffs."""
    for key in rules.FEES:
        setattr(product, key, Decimal(values[key]))
    product.iva_rate = Decimal(values["iva_rate"])
    db.session.execute(delete(Tariff).where(Tariff.product_id == product.id))
    db.session.execute(delete(DistributionTariff).where(DistributionTariff.product_id == product.id))
    db.session.add_all([Tariff(product_id=product.id, kind=kind, commission=Decimal(amount))
                        for kind, amount in values["commission"].items()])
    db.session.add_all([DistributionTariff(product_id=product.id, destination=city, cost=Decimal(cost))
                        for city, cost in values["distribution"].items()])
    db.session.flush()
