"""Conexión Empresas › Configuración › API: what the page shows of a company's keys and
webhooks, and its four actions, each guarded by the member's password (a wrong one
counts toward the lockout, as everywhere): the action itself is services/api_keys' or
services/webhooks' (audited there), shared with whatever else calls them."""
from dataclasses import dataclass, field

from sqlalchemy import select

from portal.domain import api
from portal.extensions import db
from portal.models import Product, User
from portal.services import api_keys, auth, webhooks
from portal.services.conexion import PERMISSIONS


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str = ""
    locked: bool = False
    secret: str | None = None  # the key's or the webhook's, shown once
    typed: dict = field(default_factory=dict)  # a refused form's values, to show again


@dataclass(frozen=True)
class KeyRow:
    key: object
    scopes: list  # Spanish labels
    products: list  # labels; empty: every product
    created_by: str


def scopes_for(membership):
    """{scope: label} a key of this member may have (the member's own permissions)."""
    return {scope: label for scope, label in api.SCOPES.items() if getattr(membership, PERMISSIONS[scope])}


def key_rows(company):
    keys = api_keys.of_company(company.id)
    users = _names({key.created_by_id for key in keys})
    labels = {p.id: p.label for p in company.products}
    return [KeyRow(key, [label for scope, label in api.SCOPES.items() if scope in api.parse_scopes(key.scopes)],
                   [labels.get(p, str(p)) for p in sorted(api.parse_ids(key.product_ids))],
                   users.get(key.created_by_id, "")) for key in keys]


def creators(endpoints):
    return _names({endpoint.created_by_id for endpoint in endpoints})


def _names(user_ids):
    if not user_ids:
        return {}
    return {u.id: u.full_name or u.username for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))}


def products_of(company):
    return db.session.scalars(select(Product).where(Product.company_id == company.id).order_by(Product.id)).all()


def _password(user, password, action):
    """None when right; else the refusal (locked: the session is over)."""
    check = auth.confirm_password(user, password, action)
    return None if check.ok else Outcome(False, auth.WRONG_PASSWORD, locked=check.locked)


def make_key(user, access, form):
    """«Crear llave»: nombre, permisos (checkboxes), productos (optional)."""
    typed = {"name": form.get("nombre", ""), "scopes": form.getlist("permisos"), "products": form.getlist("productos")}
    refused = _password(user, form.get("password", ""), "api.key_create")
    if refused:
        return Outcome(False, refused.message, refused.locked, typed=typed)
    try:
        made = api_keys.create(user, access.membership, typed["name"], typed["scopes"], typed["products"])
    except api_keys.KeyRefused as exc:
        return Outcome(False, str(exc), typed=typed)
    return Outcome(True, f"La llave «{made.key.name}» quedó creada.", secret=made.secret)


def revoke_key(user, key, password):
    refused = _password(user, password, "api.key_revoke")
    if refused:
        return refused
    if not api_keys.revoke(user, key):
        return Outcome(True, f"La llave «{key.name}» ya estaba revocada.")
    return Outcome(True, f"La llave «{key.name}» quedó revocada: desde ahora se rechaza.")


def register_webhook(user, company, form):
    typed = {"url": (form.get("url") or "").strip()}
    refused = _password(user, form.get("password", ""), "api.webhook_register")
    if refused:
        return Outcome(False, refused.message, refused.locked, typed=typed)
    try:
        registered = webhooks.register(user, company, typed["url"])
    except webhooks.Refused as exc:
        return Outcome(False, str(exc), typed=typed)
    return Outcome(True, "El webhook quedó registrado.", secret=registered.secret, typed=typed)


def disable_webhook(user, endpoint, password):
    refused = _password(user, password, "api.webhook_disable")
    if refused:
        return refused
    if not webhooks.disable(user, endpoint):
        return Outcome(True, "El webhook ya estaba desactivado.")
    return Outcome(True, "El webhook quedó desactivado: no se le enviarán más eventos.")
