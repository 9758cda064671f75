"""Conexión Empresas use cases: which companies and products a corporate user works
with, and with which of the manual's permissions (upload, authorize, consult, master
account; administer the company's data). Another company's object is not found; a
permission the user lacks is forbidden; both are audited."""
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import Company, Membership, Product
from portal.services import audit

PERMISSIONS = {"upload": "can_upload", "authorize": "can_authorize", "consult": "can_consult",
               "master_account": "can_master_account", "admin_company": "can_admin_company"}


def companies_for(user, q=""):
    """The user's companies with their products, by name; `q` searches name or NIT."""
    query = (select(Company).join(Membership, Membership.company_id == Company.id)
             .where(Membership.user_id == user.id).options(selectinload(Company.products))
             .order_by(Company.name))
    q = (q or "").strip()[:60]
    if q:
        base = q.replace(".", "").split("-")[0].strip()
        query = query.where(or_(Company.name.icontains(q, autoescape=True),
                                Company.nit.startswith(base or q, autoescape=True)))
    return db.session.scalars(query).all()


@dataclass(frozen=True)
class Access:
    """A user's way into one company's product, with the membership's permissions."""
    membership: Membership
    company: Company
    product: Product | None

    def may(self, permission):
        return bool(getattr(self.membership, PERMISSIONS[permission]))


def access(user, company_id, product_id=None):
    """The user's Access to this company (and product), or None: not theirs."""
    row = db.session.execute(
        select(Membership, Company).join(Company, Company.id == Membership.company_id)
        .where(Membership.user_id == user.id, Membership.company_id == company_id)).first()
    if row is None:
        return None
    product = None
    if product_id is not None:
        product = db.session.scalars(select(Product).where(Product.id == product_id,
                                                           Product.company_id == company_id)).first()
        if product is None:
            return None
    return Access(row.Membership, row.Company, product)


def refuse(user, reason, path):
    """A URL of another company's object (reason «not_found») or of a permission the user
    lacks («forbidden»): recorded, then answered 404 / 403 by the caller."""
    audit.record("conexion.access_refused", user, subject=path[:120], reason=reason)
    db.session.commit()
