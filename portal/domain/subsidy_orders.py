"""«ADELANTO POR SUBSIDIOS» (manual 002): the order a fund official issues to an affiliate
for one supplier, which the supplier verifies and marks redeemed. Pure rules, no Flask.

States. Stored: issued → redeemed | annulled (both final). «Vencida» is not stored: an
issued order whose «Vigente hasta» (a Bogotá date, valid through that whole day) has
passed is vencida, computed from the date the question is asked — no job has to run at
midnight, and a supplier can never redeem an order a few hours late because a job was
late. The services filter and redeem with the same rule in SQL (valid_until ≥ today).

    state("issued", date(2026, 5, 31), today=date(2026, 6, 1))   # "vencida"

Only a vigente order can be redeemed; an issued one (vigente or vencida) can be annulled.
"""
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from portal.domain.formatting import to_money, typed_day
from portal.domain.master_account import parse_amount
from portal.domain.states import Machine

DOCUMENT_TYPE = "ADELANTO POR SUBSIDIOS"
FIRST_NUMBER = 80001  # the sequence's first order number («Nro Documento»)
COUNTER = "subsidy_order"

ISSUED, REDEEMED, ANNULLED = "issued", "redeemed", "annulled"
STORED = Machine("subsidy_order", {ISSUED: (REDEEMED, ANNULLED), REDEEMED: (), ANNULLED: ()})

VIGENTE, REDIMIDA, ANULADA, VENCIDA = "vigente", "redimida", "anulada", "vencida"
STATES = (VIGENTE, REDIMIDA, ANULADA, VENCIDA)
LABELS = {VIGENTE: "Vigente", REDIMIDA: "Redimida", ANULADA: "Anulada", VENCIDA: "Vencida"}

MAX_ITEMS = 20
MAX_UNIT_VALUE = Decimal("50000000")
MAX_QUANTITY = 999
DESCRIPTION_MAX = 120
REASON_MIN, REASON_MAX = 5, 300
NAME_MAX = 160
MAX_VALIDITY_DAYS = 365
CEDULA_RE = re.compile(r"^\d{5,15}$")


def state(status, valid_until, today):
    """What staff and the supplier read: vigente, redimida, anulada or vencida."""
    if status == REDEEMED:
        return REDIMIDA
    if status == ANNULLED:
        return ANULADA
    return VENCIDA if valid_until is not None and valid_until < today else VIGENTE


def redeem_refusal(current):
    """None when an order in state `current` may be marked redeemed, else why not."""
    return {
        VIGENTE: None,
        REDIMIDA: "Esta orden ya fue redimida; no puede redimirse otra vez.",
        ANULADA: "Esta orden fue anulada por la Caja; no puede redimirse.",
        VENCIDA: "Esta orden está vencida (pasó su fecha de vigencia); no puede redimirse.",
    }[current]


def annul_refusal(current):
    """None when an order in state `current` may be annulled, else why not."""
    if current == ANULADA:
        return "Esta orden ya fue anulada."
    if current == REDIMIDA:
        return "Esta orden ya fue redimida por el proveedor; no puede anularse."
    return None


# --- the staff's form ------------------------------------------------------------------------

@dataclass(frozen=True)
class Item:
    description: str
    quantity: int
    unit_value: Decimal

    @property
    def total(self):
        return to_money(self.unit_value * self.quantity)

    def as_json(self):
        return {"description": self.description, "quantity": self.quantity,
                "unit_value": str(self.unit_value)}


def amount_of(items):
    """The order's amount: the sum of its items (quantity × unit value)."""
    return to_money(sum((item.total for item in items), Decimal(0)))


def parse_cedula(raw):
    text = re.sub(r"[\s.]", "", raw or "")
    if not text:
        return None, "Cédula del afiliado: ingrese el número."
    if not CEDULA_RE.match(text):
        return None, "Cédula del afiliado: escriba solo números (5 a 15 dígitos), sin puntos."
    return text, None


def parse_name(raw):
    text = " ".join((raw or "").split()).upper()
    if not text:
        return None, "Nombre del afiliado: ingréselo (la cédula no está entre los afiliados de la Caja)."
    if len(text) > NAME_MAX:
        return None, f"Nombre del afiliado: máximo {NAME_MAX} caracteres."
    return text, None


def parse_valid_until(raw, today):
    """«Vigente hasta»: AAAA-MM-DD (the date input) or DD/MM/AAAA, from today to a year."""
    text = (raw or "").strip()
    if not text:
        return None, "Vigente hasta: ingrese la fecha."
    day = typed_day(text)
    if day is None:
        return None, "Vigente hasta: escriba la fecha como DD/MM/AAAA."
    if day < today:
        return None, "Vigente hasta: no puede ser anterior a hoy."
    if day > today + timedelta(days=MAX_VALIDITY_DAYS):
        return None, f"Vigente hasta: máximo {MAX_VALIDITY_DAYS} días desde hoy."
    return day, None


def _quantity(raw, line):
    text = (raw or "").strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_QUANTITY:
        return None, f"Ítem {line}: la cantidad debe ser un número entero de 1 a {MAX_QUANTITY}."
    return int(text), None


def _item(line, description, quantity, unit_value):
    """(Item, []) or (None, the line's messages)."""
    description = " ".join((description or "").split())
    errors = []
    if not description:
        errors.append(f"Ítem {line}: ingrese la descripción.")
    elif len(description) > DESCRIPTION_MAX:
        errors.append(f"Ítem {line}: la descripción admite máximo {DESCRIPTION_MAX} caracteres.")
    count, problem = _quantity(quantity, line)
    errors += [problem] if problem else []
    value, problem = parse_amount(unit_value, "valor unitario", MAX_UNIT_VALUE)
    errors += [f"Ítem {line}: {problem[0].lower()}{problem[1:]}"] if problem else []
    return (None, errors) if errors else (Item(description, count, value), [])


def parse_items(rows):
    """rows: (description, quantity, unit value) as typed; blank rows are skipped and the
    others numbered as the form shows them. Returns (items, [messages])."""
    items, errors = [], []
    for line, row in enumerate(rows, start=1):
        if not any((cell or "").strip() for cell in row):
            continue
        item, problems = _item(line, *row)
        errors += problems
        if item:
            items.append(item)
    if not items and not errors:
        errors.append("Ítems: ingrese al menos un ítem (descripción, cantidad y valor unitario).")
    if len(items) > MAX_ITEMS:
        errors.append(f"Ítems: máximo {MAX_ITEMS} por orden.")
    return items, errors


def parse_reason(raw):
    text = " ".join((raw or "").split())
    if len(text) < REASON_MIN:
        return None, f"Motivo de la anulación: escríbalo (mínimo {REASON_MIN} caracteres)."
    if len(text) > REASON_MAX:
        return None, f"Motivo de la anulación: máximo {REASON_MAX} caracteres."
    return text, None


# --- the stored items ------------------------------------------------------------------------

def _decimal(value):
    if value is None or isinstance(value, (bool, float)):
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def _stored_item(raw):
    """One stored item; older rows (demo data before this module) spell the keys in
    Spanish and may give only a line value."""
    if not isinstance(raw, dict):
        return Item(str(raw), 1, Decimal(0))
    description = next((str(raw[k]) for k in ("description", "descripcion", "detalle") if raw.get(k)), "")
    quantity = next((raw[k] for k in ("quantity", "cantidad") if raw.get(k) is not None), 1)
    quantity = int(quantity) if str(quantity).isdigit() and int(quantity) > 0 else 1
    unit = next((_decimal(raw[k]) for k in ("unit_value", "valor") if raw.get(k) is not None), None)
    if unit is None:  # only the line's amount
        line = _decimal(raw.get("amount")) or Decimal(0)
        return Item(description, quantity, to_money(line / quantity))
    return Item(description, quantity, to_money(unit))


def items_from_json(text):
    try:
        raw = json.loads(text or "[]")
    except ValueError:
        return []
    return [_stored_item(item) for item in raw] if isinstance(raw, list) else []


def items_to_json(items):
    return json.dumps([item.as_json() for item in items], ensure_ascii=False)
