"""Conexión Empresas administration, companies (staff): the rule of every field the staff
set on a company, its signature settings and its sucursales, with Spanish messages that
name the field. Pure: no Flask, no database.

The phones and the billing address follow the company's own Configuración › Empresas
(domain/company_data): one rule for both. The NIT is written with its check digit (DIAN,
domain/nit) and stored without it. The debit account is written as the sandbox bank and
the demo write it: its type and its number («AHORROS 418-000482-1»)."""
import re

from portal.domain import company_data, nit
from portal.domain.forms import Checked

TEXTS = {"name": ("Nombre", 160, True), "legal_name": ("Razón social", 160, True),
         "contact": ("Contacto", 160, False), "address": ("Dirección", 200, False)}
PHONES_AND_BILLING = company_data.COMPANY_FIELDS  # phone1–3, billing_address
FIELDS = ("name", "legal_name", "contact", "address", *PHONES_AND_BILLING, "debit_account", "gmf_applies")
LABELS = {**{key: label for key, (label, _, _) in TEXTS.items()}, **company_data.LABELS,
          "nit": "NIT", "debit_account": "Cuenta a debitar", "gmf_applies": "Aplica GMF (4×1000)",
          "signature_scheme": "Esquema de firmas", "uploader_may_sign": "Quien carga un lote puede firmarlo",
          "code": "Código", "city": "Ciudad"}
ACCOUNT_TYPES = ("AHORROS", "CORRIENTE")
ACCOUNT_RULE = "el número de la cuenta: de 6 a 20 dígitos, con o sin guiones (418-000482-1)"
SCHEMES = {1: "Una firma", 2: "Dos firmas de responsables distintos"}

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ACCOUNT = re.compile(r"^\d[\d-]*\d$")


def text(raw, label, limit, required):
    """(value or None, message or None): one line of text, spaces collapsed."""
    value = " ".join(str(raw or "").split())
    if not value:
        return None, (f"{label}: es obligatorio." if required else None)
    if _CONTROL.search(value):
        return None, f"{label}: tiene caracteres no permitidos."
    if len(value) > limit:
        return None, f"{label}: tiene {len(value)} caracteres; el máximo es {limit}."
    return value, None


def parse_nit(raw):
    """(base, None) or (None, message): a NIT written with its check digit."""
    written = " ".join(str(raw or "").split())
    if not written:
        return None, "NIT: es obligatorio."
    base, reason = nit.parse(written)
    if reason:
        return None, f"NIT: {reason}."
    if "-" not in written:
        return None, f"NIT: escriba también el dígito de verificación ({nit.formatted(base)})."
    return base, None


def debit_account(kind, number):
    """(«AHORROS 418-000482-1» or None when both are empty, message or None)."""
    kind, number = (kind or "").strip().upper(), "".join(str(number or "").split())
    if not kind and not number:
        return None, None
    if kind not in ACCOUNT_TYPES:
        return None, "Cuenta a debitar: seleccione el tipo (ahorros o corriente)."
    digits = number.replace("-", "")
    if not _ACCOUNT.match(number) or "--" in number or not 6 <= len(digits) <= 20:
        return None, f"Cuenta a debitar: «{number}» no es una cuenta; escriba {ACCOUNT_RULE}."
    return f"{kind} {number}", None


def split_account(value):
    """«AHORROS 418-000482-1» → ("AHORROS", "418-000482-1"), for the form."""
    kind, _, number = (value or "").partition(" ")
    return (kind, number) if kind in ACCOUNT_TYPES else ("", value or "")


def check_company(form):
    """Every field the staff edit on a company (the NIT apart: fixed once created)."""
    values, typed, errors = {}, {}, {}
    for key, (label, limit, required) in TEXTS.items():
        typed[key] = str(form.get(key) or "").strip()
        values[key], errors[key] = text(typed[key], label, limit, required)
    shared = company_data.check_company(form)  # the company's own rule for these
    values.update(shared.values)
    typed.update(shared.typed)
    errors.update(shared.errors)
    typed["account_type"], typed["account_number"] = form.get("account_type") or "", form.get("account_number") or ""
    values["debit_account"], errors["debit_account"] = debit_account(typed["account_type"], typed["account_number"])
    values["gmf_applies"] = typed["gmf_applies"] = form.get("gmf_applies") in ("1", "on", "si")
    return Checked(values, typed, {key: message for key, message in errors.items() if message})


def check_new_company(form):
    """A new company: its NIT (with the check digit) and every other field."""
    checked = check_company(form)
    typed = dict(checked.typed, nit=str(form.get("nit") or "").strip())
    base, message = parse_nit(typed["nit"])
    errors = dict(checked.errors, **({"nit": message} if message else {}))
    return Checked(dict(checked.values, nit=base), typed, errors)


# --- signature settings (under four eyes) -----------------------------------------------------

def parse_signatures(form):
    """({"signature_scheme": 1|2, "uploader_may_sign": bool}, None) or (None, message)."""
    raw = str(form.get("signature_scheme") or "").strip()
    if raw not in ("1", "2"):
        return None, "Esquema de firmas: seleccione una o dos firmas."
    return {"signature_scheme": int(raw), "uploader_may_sign": form.get("uploader_may_sign") in ("1", "on", "si")}, None


def describe_signatures(values):
    """«Dos firmas de responsables distintos; quien carga un lote no lo firma»."""
    if not values:
        return "—"
    who = "quien carga un lote puede firmarlo" if values.get("uploader_may_sign") else \
        "quien carga un lote no lo firma"
    return f"{SCHEMES.get(values.get('signature_scheme'), '—')}; {who}"


# --- sucursales ---------------------------------------------------------------------------------

CODE_RULE = "de 1 a 10 dígitos, como en la columna SUCURSAL del archivo de emisión (001)"


def branch_code(raw):
    """The code as the emission file's SUCURSAL writes it, without its leading zeros
    («002» and «2» are the same sucursal); None when it is not one."""
    written = str(raw or "").strip()
    if not written.isascii() or not written.isdigit() or len(written) > 10:
        return None
    return written.lstrip("0") or "0"


def shown_code(code):
    """«2» → «002», as the manual's files write it."""
    return (code or "").zfill(3)


def check_branch(form):
    typed = {key: str(form.get(key) or "").strip() for key in ("code", "name", "city")}
    values, errors = {"code": branch_code(typed["code"])}, {}
    if values["code"] is None:
        errors["code"] = f"Código: escriba {CODE_RULE}." if typed["code"] else "Código: es obligatorio."
    values["name"], errors["name"] = text(typed["name"], "Nombre", 80, True)
    values["city"], errors["city"] = text(typed["city"], "Ciudad", 60, True)
    if values["city"]:
        values["city"] = values["city"].upper()
    return Checked(values, typed, {key: message for key, message in errors.items() if message})
