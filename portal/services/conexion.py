"""Conexión Empresas use cases."""
from portal.extensions import db
from portal.models import Company, Membership


def companies_for(user):
    return (
        db.session.query(Company)
        .join(Membership, Membership.company_id == Company.id)
        .filter(Membership.user_id == user.id)
        .order_by(Company.name)
        .all()
    )
