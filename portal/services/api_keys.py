"""API keys of a company (Configuración › API): made and revoked by a member with the
company-admin permission, shown once, kept hashed; a key acts for the membership of the
member who made it, narrowed to its scopes and products."""
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from portal.domain import api, clock
from portal.extensions import db
from portal.models import ApiKey, Company, Membership, Product, User
from portal.services import audit
from portal.services.conexion import PERMISSIONS, Access

NAME_MAX = 80
# last_used_at is written at most this often per key: a busy key must not make every
# read a write.
TOUCH_EVERY = timedelta(seconds=60)


class KeyRefused(Exception):
    """Said to the user as is; no key was made."""


@dataclass(frozen=True)
class Made:
    key: ApiKey
    secret: str  # shown once, never stored


@dataclass(frozen=True)
class KeyAccess(Access):
    """A key's Access: the membership's permissions, narrowed to the key's scopes."""
    scopes: frozenset = frozenset()

    def may(self, permission):
        return permission in self.scopes and super().may(permission)


def create(user, membership, name, scopes, product_ids=()):
    """A new key for `membership` (the creator's own, with company-admin checked by the
    caller); KeyRefused names the field at fault."""
    name = (name or "").strip()
    if not name:
        raise KeyRefused("Escriba un nombre para la llave (por ejemplo, «ERP nómina»).")
    if len(name) > NAME_MAX:
        raise KeyRefused(f"El nombre de la llave admite máximo {NAME_MAX} caracteres.")
    wanted = api.parse_scopes(" ".join(scopes or ()))
    if not wanted:
        raise KeyRefused("Seleccione al menos un permiso para la llave.")
    missing = [api.SCOPES[s] for s in sorted(wanted) if not getattr(membership, PERMISSIONS[s])]
    if missing:
        raise KeyRefused("Su usuario no tiene estos permisos, así que la llave tampoco puede tenerlos: "
                         + "; ".join(missing) + ".")
    products = _products(membership.company_id, product_ids)
    made = api.new_key()
    key = ApiKey(company_id=membership.company_id, membership_id=membership.id, name=name, prefix=made.prefix,
                 secret_hash=made.secret_hash, scopes=" ".join(sorted(wanted)),
                 product_ids=" ".join(str(p) for p in sorted(products)) or None, created_by_id=user.id,
                 created_at=clock.utcnow())
    db.session.add(key)
    db.session.flush()
    audit.record("api.key_created", user, subject=f"api_key:{key.id}", company=membership.company_id,
                 prefix=key.prefix, scopes=key.scopes, products=key.product_ids)
    db.session.commit()
    return Made(key, made.secret)


def _products(company_id, product_ids):
    wanted = {int(p) for p in product_ids or () if str(p).isdigit()}
    if not wanted:
        return set()
    found = set(db.session.scalars(select(Product.id).where(Product.company_id == company_id,
                                                            Product.id.in_(wanted))))
    if found != wanted:
        raise KeyRefused("Uno de los productos seleccionados no es de esta empresa.")
    return found


def revoke(user, key):
    """Once: a revoked key is refused from its next request on."""
    done = db.session.execute(update(ApiKey).where(ApiKey.id == key.id, ApiKey.revoked_at.is_(None))
                              .values(revoked_at=clock.utcnow(), revoked_by_id=user.id)).rowcount
    if done:
        audit.record("api.key_revoked", user, subject=f"api_key:{key.id}", prefix=key.prefix)
    db.session.commit()
    return bool(done)


def of_company(company_id):
    return db.session.scalars(select(ApiKey).where(ApiKey.company_id == company_id)
                              .order_by(ApiKey.revoked_at.is_not(None), ApiKey.id.desc())).all()


def key_of(company_id, key_id):
    return db.session.scalars(select(ApiKey).where(ApiKey.id == key_id, ApiKey.company_id == company_id)).first()


def authenticate(whole):
    """The live key a presented secret belongs to, or None (unknown, wrong, revoked, or
    its member's account deactivated or blocked by an administrator)."""
    prefix = api.prefix_of(whole)
    if prefix is None:
        return None
    # The membership and the company come in the same row: every request reads them
    # (the audit's actor, the key's Access), and a many-to-one finds them in the session.
    row = db.session.execute(select(ApiKey, Membership, Company, User.is_active_account, User.blocked_at)
                             .join(Membership, Membership.id == ApiKey.membership_id)
                             .join(Company, Company.id == ApiKey.company_id)
                             .join(User, User.id == Membership.user_id)
                             .where(ApiKey.prefix == prefix)).first()
    if row is None or row.ApiKey.revoked_at is not None or not row.is_active_account or row.blocked_at:
        return None
    return row.ApiKey if api.key_matches(row.ApiKey.secret_hash, whole) else None


def access(key, product_id=None):
    """The key's Access to its company (and a product it may use), or None."""
    allowed = api.parse_ids(key.product_ids)
    product = None
    if product_id is not None:
        if allowed and product_id not in allowed:
            return None
        product = db.session.scalars(select(Product).where(Product.id == product_id,
                                                           Product.company_id == key.company_id)).first()
        if product is None:
            return None
    return KeyAccess(key.membership, key.company, product, scopes=api.parse_scopes(key.scopes))


def products(key):
    """The products a key may use, by id."""
    query = select(Product).where(Product.company_id == key.company_id).order_by(Product.id)
    allowed = api.parse_ids(key.product_ids)
    if allowed:
        query = query.where(Product.id.in_(allowed))
    return db.session.scalars(query).all()


def touch(key_id, last_used_at, ip, now=None):
    """Remember a key's last use (at most once a minute; `last_used_at` as its request
    read it); the caller commits."""
    now = now or clock.utcnow()
    if last_used_at is None or now - last_used_at >= TOUCH_EVERY:
        db.session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now, last_used_ip=ip))
