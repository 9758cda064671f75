"""Conexión Empresas administration, companies (staff role «tarjetas»): search, create, edit
the company's data, its contacts and its sucursales directly (audited), and propose its
signature settings — the scheme (1 or 2) and «quien carga no firma» — under four eyes
(services/four_eyes: another staff member approves them in «Cambios por aprobar»).

A new company has no products: the Caja gives each its products (BIN, named or unnamed,
tariffs) in Productos, one by one, as the program agrees them with the company."""
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from portal.domain import companies as rules
from portal.domain import company_data, nit
from portal.domain import four_eyes as changes
from portal.extensions import db
from portal.models import Company, CompanyBranch, Product
from portal.services import audit, conexion_config, four_eyes, tables

AREA = "staff"  # the audit's prefix of what the staff do here


@dataclass(frozen=True)
class Done:
    ok: bool
    message: str
    errors: dict = field(default_factory=dict)
    typed: dict = field(default_factory=dict)
    company: Company | None = None


def _refused(checked, message="Revise los datos marcados."):
    return Done(False, message, checked.errors, checked.typed)


def get(company_id):
    return db.session.get(Company, company_id)


def search(f):
    """Companies by NIT (its start, written with or without dots and check digit) or name."""
    query = select(Company)
    if f["q"]:
        base = f["q"].replace(".", "").replace(" ", "").split("-")[0] or f["q"]
        query = query.where(or_(Company.name.icontains(f["q"], autoescape=True),
                                Company.legal_name.icontains(f["q"], autoescape=True),
                                Company.nit.startswith(base, autoescape=True)))
    return tables.paged(query, f["pagina"], f["por_pagina"], Company.name, Company.id)


def products(company):
    return db.session.scalars(select(Product).where(Product.company_id == company.id).order_by(Product.id)).all()


def _values(company):
    return {key: getattr(company, key) for key in rules.FIELDS}


def create(staff, form):
    """A new company from the form: its NIT (check digit verified, unique) and its data."""
    checked = rules.check_new_company(form)
    if checked.ok and _nit_taken(checked.values["nit"]):
        checked.errors["nit"] = f"NIT: ya existe una empresa con el NIT {nit.formatted(checked.values['nit'])}."
    if not checked.ok:
        return _refused(checked)
    company = Company(signature_scheme=1, uploader_may_sign=True, **checked.values)
    try:
        with db.session.begin_nested():
            db.session.add(company)
            db.session.flush()
    except IntegrityError:  # the same NIT created a moment ago
        checked.errors["nit"] = f"NIT: ya existe una empresa con el NIT {nit.formatted(checked.values['nit'])}."
        return _refused(checked)
    audit.record("staff.company_created", staff, subject=f"company:{company.id}", nit=company.nit,
                 changes=company_data.changes({}, checked.values))
    db.session.commit()
    return Done(True, f"Empresa {company.name} (NIT {nit.formatted(company.nit)}) creada. Firma con una firma "
                      "y quien carga puede firmar hasta que se apruebe otro esquema.", company=company)


def _nit_taken(base):
    return db.session.scalar(select(func.count()).select_from(Company).where(Company.nit == base)) > 0


def update(staff, company, form):
    """Nombre, razón social, contacto, direcciones, teléfonos, cuenta a debitar, GMF."""
    checked = rules.check_company(form)
    if not checked.ok:
        return _refused(checked)
    diff = company_data.changes(_values(company), checked.values)
    if not diff:
        return Done(True, "No había cambios que guardar.")
    for key, change in diff.items():
        setattr(company, key, change["new"])
    audit.record("staff.company_updated", staff, subject=f"company:{company.id}", nit=company.nit, changes=diff)
    db.session.commit()
    return Done(True, "Los datos de la empresa se guardaron.")


# --- signature settings, under four eyes -------------------------------------------------------

def signatures_of(company):
    return {"signature_scheme": company.signature_scheme, "uploader_may_sign": bool(company.uploader_may_sign)}


def pending_signatures(company):
    return four_eyes.pending_for([four_eyes.company_target(company)]).get(four_eyes.company_target(company))


def propose_signatures(staff, company, form):
    """A change of the scheme and «quien carga no firma»: nothing changes until another
    staff member approves it."""
    proposed, error = rules.parse_signatures(form)
    current = signatures_of(company)
    if error or proposed == current:
        return Done(False, error or "El esquema elegido es el que ya tiene la empresa.")
    change = four_eyes.propose(staff, changes.COMPANY_SIGNATURES, four_eyes.company_target(company), proposed,
                               current, company.id)
    if change is None:
        db.session.rollback()
        return Done(False, "Ya hay un cambio de firmas pendiente en esta empresa: espere a que se apruebe o se "
                           "rechace.")
    db.session.commit()
    return Done(True, f"Cambio {change.id} propuesto; se aplica cuando otra persona del personal lo apruebe.")


# --- contacts: the company's own rules (services/conexion_config) -------------------------------

def add_contact(staff, company, form):
    return conexion_config.add_contact(staff, company, form, area=AREA)


def update_contact(staff, company, contact, form):
    return conexion_config.update_contact(staff, company, contact, form, area=AREA)


def remove_contact(staff, company, contact):
    return conexion_config.remove_contact(staff, company, contact, area=AREA)


contact_of = conexion_config.contact_of


# --- sucursales ---------------------------------------------------------------------------------

def branches(company):
    return db.session.scalars(select(CompanyBranch).where(CompanyBranch.company_id == company.id)
                              .order_by(CompanyBranch.active.desc(), CompanyBranch.code)).all()


def branch_of(company, branch_id):
    """The company's branch, or None (another company's is not found)."""
    return db.session.scalars(select(CompanyBranch).where(CompanyBranch.id == branch_id,
                                                          CompanyBranch.company_id == company.id)).first()


def branch_names(company_id):
    """{code: name} of a company's sucursales (the deactivated too: old cards name them)."""
    return dict(db.session.execute(select(CompanyBranch.code, CompanyBranch.name)
                                   .where(CompanyBranch.company_id == company_id)).all())


def _code_taken(company, code, but=None):
    query = select(func.count()).select_from(CompanyBranch).where(CompanyBranch.company_id == company.id,
                                                                   CompanyBranch.code == code)
    if but is not None:
        query = query.where(CompanyBranch.id != but.id)
    return db.session.scalar(query) > 0


def _taken_message(code):
    return f"Código: la empresa ya tiene la sucursal {rules.shown_code(code)}."


def add_branch(staff, company, form):
    checked = rules.check_branch(form)
    if checked.ok and _code_taken(company, checked.values["code"]):
        checked.errors["code"] = _taken_message(checked.values["code"])
    if not checked.ok:
        return _refused(checked)
    branch = CompanyBranch(company_id=company.id, **checked.values)
    try:
        with db.session.begin_nested():
            db.session.add(branch)
            db.session.flush()
    except IntegrityError:  # the same code added a moment ago
        checked.errors["code"] = _taken_message(checked.values["code"])
        return _refused(checked)
    audit.record("staff.branch_added", staff, subject=f"company:{company.id}", nit=company.nit,
                 branch_id=branch.id, **checked.values)
    db.session.commit()
    return Done(True, f"Se agregó la sucursal {rules.shown_code(branch.code)} {branch.name}.")


def update_branch(staff, company, branch, form):
    checked = rules.check_branch(form)
    if checked.ok and _code_taken(company, checked.values["code"], but=branch):
        checked.errors["code"] = _taken_message(checked.values["code"])
    if not checked.ok:
        return _refused(checked)
    before = {key: getattr(branch, key) for key in ("code", "name", "city")}
    diff = company_data.changes(before, checked.values)
    if not diff:
        return Done(True, "No había cambios que guardar.")
    for key, change in diff.items():
        setattr(branch, key, change["new"])
    audit.record("staff.branch_updated", staff, subject=f"company:{company.id}", nit=company.nit,
                 branch_id=branch.id, changes=diff)
    db.session.commit()
    return Done(True, f"Se guardó la sucursal {rules.shown_code(branch.code)} {branch.name}.")


def set_branch_active(staff, company, branch, active):
    """Desactivar / Activar: a deactivated branch still names the cards it had."""
    if branch.active == active:
        return Done(True, "La sucursal ya estaba " + ("activa." if active else "inactiva."))
    branch.active = active
    audit.record("staff.branch_" + ("activated" if active else "deactivated"), staff,
                 subject=f"company:{company.id}", nit=company.nit, branch_id=branch.id, code=branch.code)
    db.session.commit()
    verb = "activó" if active else "desactivó"
    return Done(True, f"Se {verb} la sucursal {rules.shown_code(branch.code)} {branch.name}.")
