"""Conexión Empresas › Configuración (manual 003, ch. 2): the user's data, and the company's
data and contacts that its administrators (Membership.can_admin_company) may change.
Every change is audited with the old and the new value; NIT, nombre and razón social are
never written here (domain/company_data reads only the editable fields)."""
from dataclasses import dataclass, field

from sqlalchemy import func, select

from portal.domain import company_data
from portal.extensions import db
from portal.models import CompanyContact
from portal.services import audit


@dataclass(frozen=True)
class Profile:
    """Configuración › Usuario: what the manual shows of the user."""
    first_name: str | None
    last_name: str | None
    position: str | None
    area: str | None
    email: str
    username: str


def profile(user):
    """A user loaded before nombre/apellido existed shows its full name as nombre."""
    first = user.first_name or (None if user.last_name else user.full_name)
    return Profile(first, user.last_name, user.position, user.area, user.email, user.username)


@dataclass(frozen=True)
class Saved:
    """A save's outcome: ok, or the messages by field with what was typed."""
    ok: bool
    message: str = ""
    errors: dict = field(default_factory=dict)
    typed: dict = field(default_factory=dict)


def _refused(checked):
    return Saved(False, "Revise los datos marcados.", checked.errors, checked.typed)


def _values(row, keys):
    return {key: getattr(row, key) for key in keys}


def update_company(user, company, form):
    """Teléfono 1–3 and Dirección de facturación, from a form (nothing else is read)."""
    checked = company_data.check_company(form)
    if not checked.ok:
        return _refused(checked)
    changes = company_data.changes(_values(company, company_data.COMPANY_FIELDS), checked.values)
    if not changes:
        return Saved(True, "No había cambios que guardar.")
    for key, change in changes.items():
        setattr(company, key, change["new"])
    audit.record("conexion.company_updated", user, subject=f"company:{company.id}", nit=company.nit,
                 changes=changes)
    db.session.commit()
    return Saved(True, "Los datos de la empresa se guardaron.")


def contact_of(company, contact_id):
    """The company's contact, or None (another company's contact is not found)."""
    return db.session.scalars(select(CompanyContact).where(CompanyContact.id == contact_id,
                                                           CompanyContact.company_id == company.id)).first()


def _contact_count(company):
    return db.session.scalar(select(func.count()).select_from(CompanyContact)
                             .where(CompanyContact.company_id == company.id))


def add_contact(user, company, form, area="conexion"):
    """`area`: the audit's prefix («staff» when the Caja's staff do it, personal/empresas)."""
    checked = company_data.check_contact(form)
    if not checked.ok:
        return _refused(checked)
    if _contact_count(company) >= company_data.MAX_CONTACTS:
        return Saved(False, f"La empresa ya tiene {company_data.MAX_CONTACTS} contactos; elimine uno antes "
                            "de agregar otro.", typed=checked.typed)
    contact = CompanyContact(company_id=company.id, **checked.values)
    db.session.add(contact)
    db.session.flush()
    audit.record(f"{area}.contact_added", user, subject=f"company:{company.id}", nit=company.nit,
                 contact_id=contact.id, changes=company_data.changes({}, checked.values))
    db.session.commit()
    return Saved(True, f"Se agregó el contacto {contact.name}.")


def update_contact(user, company, contact, form, area="conexion"):
    checked = company_data.check_contact(form)
    if not checked.ok:
        return _refused(checked)
    changes = company_data.changes(_values(contact, company_data.CONTACT_FIELDS), checked.values)
    if not changes:
        return Saved(True, "No había cambios que guardar.")
    for key, change in changes.items():
        setattr(contact, key, change["new"])
    audit.record(f"{area}.contact_updated", user, subject=f"company:{company.id}", nit=company.nit,
                 contact_id=contact.id, changes=changes)
    db.session.commit()
    return Saved(True, f"Se guardó el contacto {contact.name}.")


def remove_contact(user, company, contact, area="conexion"):
    before = _values(contact, company_data.CONTACT_FIELDS)
    audit.record(f"{area}.contact_removed", user, subject=f"company:{company.id}", nit=company.nit,
                 contact_id=contact.id, changes={key: {"old": value, "new": None} for key, value in before.items()})
    db.session.delete(contact)
    db.session.commit()
    return Saved(True, f"Se eliminó el contacto {before['name']}.")


def record_download(user, name):
    """Configuración › Descargas: who took which file (one audit row; the files are public
    to every corporate user, the record is for the program's statistics and audits)."""
    audit.record("conexion.download", user, subject=name[:120])
    db.session.commit()
