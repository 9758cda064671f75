"""A company with an API key, and a client that sends it (tests of /api/v1)."""
from dataclasses import dataclass

from portal.extensions import db
from portal.models import Membership
from portal.services import api_keys
from tests import factories

ALL_SCOPES = ("upload", "consult", "master_account")


@dataclass
class Keyed:
    user: object
    company: object
    product: object
    membership: object
    key: object
    secret: str

    def headers(self, **extra):
        return {"Authorization": f"Bearer {self.secret}", **extra}


def keyed(username="erp", nit="900291499", scopes=ALL_SCOPES, product_ids=(), **perms):
    """A member with every permission (unless `perms` say otherwise) of a new company,
    and a key of theirs with `scopes`."""
    user = factories.user("corporate", username)
    company = factories.company(nit=nit, name=f"EMPRESA {nit}")
    permissions = dict(can_upload=True, can_consult=True, can_master_account=True, can_admin_company=True,
                       can_authorize=True)
    permissions.update(perms)
    factories.member(user, company, **permissions)
    membership = db.session.query(Membership).filter_by(user_id=user.id, company_id=company.id).one()
    made = api_keys.create(user, membership, "ERP de pruebas", scopes, product_ids)
    return Keyed(user, company, company.products[0], membership, made.key, made.secret)


def another_key(holder, scopes=ALL_SCOPES, product_ids=()):
    return api_keys.create(holder.user, holder.membership, "Otra llave", scopes, product_ids).secret
