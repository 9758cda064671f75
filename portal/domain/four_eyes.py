"""Four eyes (maker-checker, DESIGN §9) for the staff's changes: one staff member proposes,
another decides, once; what is proposed takes effect only when approved.

    pending ──(another staff member approves)──▶ approved   (the change is applied then)
    pending ──(another staff member rejects, with a reason)──▶ rejected

The same rule guards the bank deposits to master accounts (services/master_account).
A change request carries a kind; each kind says what it changes. Today: a corporate user's
permissions on a company; a product's tariffs and a company's signature scheme are next.
Pure: no Flask, no database.
"""
import json

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
STATUSES = (PENDING, APPROVED, REJECTED)
STATUS_LABELS = {PENDING: "Por aprobar", APPROVED: "Aprobado", REJECTED: "Rechazado"}

MEMBERSHIP_PERMISSIONS = "membership_permissions"
PRODUCT_TARIFFS = "product_tariffs"  # domain/products: what a product charges its company
COMPANY_SIGNATURES = "company_signatures"  # Company.signature_scheme and uploader_may_sign
KINDS = {MEMBERSHIP_PERMISSIONS: "Permisos de usuario en una empresa", PRODUCT_TARIFFS: "Tarifas de un producto",
         COMPANY_SIGNATURES: "Esquema de firmas de una empresa"}

# The manual's permissions of a corporate user in a company (Membership.can_*), in order.
PERMISSIONS = ("upload", "authorize", "consult", "master_account", "admin_company")
PERMISSION_LABELS = {"upload": "Cargar lotes", "authorize": "Autorizar", "consult": "Consultar",
                     "master_account": "Cuenta maestra", "admin_company": "Administrar la empresa"}

REASON_MIN, REASON_MAX = 5, 500
REASON_RULE = f"Motivo: escriba por qué rechaza el cambio (de {REASON_MIN} a {REASON_MAX} caracteres)."


def same_person(proposed_by_id, staff_id):
    return proposed_by_id == staff_id


def same_person_message(verb, what):
    """«Quien registró la consignación no puede confirmarla ni rechazarla: …»."""
    return f"Quien {verb} {what}: debe hacerlo otra persona del personal."


SAME_PERSON = same_person_message("propuso el cambio", "no puede aprobarlo ni rechazarlo")


def already_decided(status):
    return f"El cambio ya fue {STATUS_LABELS[status].lower()}; no se puede decidir otra vez."


def parse_reason(raw):
    """(reason, None) or (None, the rule): a rejection says why."""
    text = " ".join((raw or "").split())
    if not REASON_MIN <= len(text) <= REASON_MAX:
        return None, REASON_RULE
    return text, None


# --- a corporate user's permissions on a company ------------------------------------------

def parse_permissions(chosen):
    """The permissions ticked on a form ({name: bool} for every permission); unknown names
    are ignored. (values, None) or (None, message) when none was ticked."""
    values = {name: name in set(chosen or ()) for name in PERMISSIONS}
    if not any(values.values()):
        return None, "Permisos: seleccione al menos uno."
    return values, None


def granted(values):
    """The names of the permissions granted, in the manual's order."""
    return [name for name in PERMISSIONS if (values or {}).get(name)]


def permission_labels(values):
    """The labels of the permissions granted, in the manual's order ('Ninguno' when none)."""
    return ", ".join(PERMISSION_LABELS[name] for name in granted(values)) or "Ninguno"


def encode(values):
    return json.dumps(values, sort_keys=True)


def decode(text):
    return json.loads(text) if text else {}
