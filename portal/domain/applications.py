"""Hanna applications (EMPRESAS, PROVEEDORES): labels, who reviews them, NIT rules.

Pure rules, no Flask: the services and templates read them from here.
"""
import re

APPLICATIONS = ("EMPRESAS", "PROVEEDORES")

# Staff roles that may approve or reject a request for each application
# (User.has_role treats "admin" as every role).
REVIEWER_ROLES = {"EMPRESAS": ("cartera",), "PROVEEDORES": ("pagos",)}

STATUS_LABELS = {"pending": "Pendiente", "approved": "Aprobada", "rejected": "Rechazada"}

DESCRIPTIONS = {
    "EMPRESAS": "Acceda aquí a la plataforma de empresas Cajacopi, donde podrá obtener "
                "información al día de su empresa.",
    "PROVEEDORES": "Acceda aquí a la plataforma de proveedores de cajacopi, donde podrá "
                   "consultar las ordenes de adelanto por subsidios.",
}

NIT_RE = re.compile(r"^\d{5,15}$")
NIT_MESSAGE = ("Escriba solo los números del NIT (5 a 15 dígitos), sin guiones ni dígito "
               "de verificación.")


def normalize_nit(value):
    """'800.100.200 ' → '800100200' (dots and spaces are only formatting)."""
    return re.sub(r"[\s.]", "", value or "")


def nit_is_valid(value):
    return bool(NIT_RE.match(value or ""))


def reviewer_roles(application):
    return REVIEWER_ROLES.get(application, ())


def reviewable_by(staff_user):
    """The applications whose requests this staff user may decide."""
    return tuple(app for app in APPLICATIONS if staff_user.has_role(*REVIEWER_ROLES[app]))


def can_request(existing_status):
    """A user may ask again only when there is no request yet or it was rejected."""
    return existing_status in (None, "rejected")
