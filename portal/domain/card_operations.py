"""«Consulta de tarjetas» (manual 003 §5.1 pasos 2–10): what each operation on a card does
with money, its rules and the search's criteria. Pure: no Flask, no database.

What each operation moves, as legs by account role (+ credit, − debit; they sum to zero):

    balance      master −fee, fees +fee                         (Consultar saldo)
    credit       master −fee and −amount, card +amount, fees +fee  (Abonar a tarjeta)
    debit        card −amount, master +amount and −fee, fees +fee  (Cargo a tarjeta)
    replacement  old card −its balance, new card +it, master −cost, fees +cost

The commission is a leg of the same movement, so an operation and its commission are
written together or not at all; the ledger refuses a movement that would leave the master
account or a card below zero (services/ledger.py)."""
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from portal.domain.cells import parse_amount

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("100000000")  # one operation: a typo guard, not a business limit
MAX_CARDS = 100  # one multi-card abono: one transaction, kept short
NOTE_MAX = 60  # «Descripción» of an abono (manual 004 «Ingresa el monto y la descripción»)

KINDS = {"balance": "Consultar saldo", "credit": "Abonar a tarjeta", "debit": "Cargo a tarjeta",
         "block": "Bloquear tarjeta", "unblock": "Desbloquear tarjeta", "replacement": "Reposición de tarjeta"}
WITH_AMOUNT = ("credit", "debit")
BLOCK_REASONS = {"perdida": "Pérdida", "robo": "Robo", "deterioro": "Deterioro"}
REPLACED = "reposicion"  # the reason a replaced card is blocked with
REASON_LABELS = dict(BLOCK_REASONS, **{REPLACED: "Reposición"})
STATUS_LABELS = {"affiliated": "Afiliada", "unaffiliated": "No afiliada", "blocked": "Bloqueada"}

MASTER_SHORT = "Saldo insuficiente en la cuenta maestra para {what} (se requieren {need})."
CARD_SHORT = "Saldo insuficiente en la tarjeta {card} para el cargo (saldo disponible {available})."
OVER_MAX = "El abono supera el saldo máximo permitido por tarjeta ({limit}): la tarjeta {card} quedaría con {after}."
BLOCKED = "La tarjeta {card} está bloqueada: no admite abonos ni cargos."
ALREADY_BLOCKED = "La tarjeta {card} ya está bloqueada."
NOT_BLOCKED = "La tarjeta {card} no está bloqueada."
REPLACED_STAYS = "La tarjeta {card} fue repuesta por otra: no se desbloquea."
ALREADY_REPLACED = "La tarjeta {card} ya fue repuesta."
NO_HOLDER = "La tarjeta {card} no tiene tarjetahabiente: solo se repone una tarjeta afiliada."
OTHERS_REFUSED = "No se abonó: la operación se rechazó completa porque otra tarjeta no la admitió."


def key_hash(form_key, part=""):
    """The stored form of an idempotency key (a multi-card form: one per card, `part`)."""
    return hashlib.sha256(f"{form_key}:{part}".encode()).hexdigest()


def txn_id(hashed):
    return f"cop-{hashed[:32]}"


def amount_error(text):
    """(Decimal amount, None) or (None, the rule it breaks, in Spanish)."""
    if not (text or "").strip():
        return None, "Monto: ingrese el monto de la operación."
    amount, reason = parse_amount(text.strip())
    if reason:
        return None, f"Monto: {reason}."
    if amount <= 0:
        return None, "Monto: debe ser mayor que cero."
    if amount != amount.quantize(CENT):
        return None, "Monto: a lo sumo dos decimales (centavos)."
    if amount > MAX_AMOUNT:
        return None, "Monto: no puede superar $ 100.000.000 en una operación."
    return amount, None


def note_error(text):
    """(the abono's «Descripción», None) — None when left empty: the movement keeps its
    usual text — or (None, the rule it breaks). Plain text: spaces collapsed, invisible
    characters (control, format: a zero-width space) left out, no < >, at most NOTE_MAX
    characters."""
    text = " ".join("".join(ch for ch in (text or "") if ch.isspace() or not unicodedata.category(ch).startswith("C"))
                    .split())
    if not text:
        return None, None
    if len(text) > NOTE_MAX:
        return None, f"Descripción: máximo {NOTE_MAX} caracteres."
    if "<" in text or ">" in text:
        return None, "Descripción: solo texto, sin los signos < >."
    return text, None


@dataclass(frozen=True)
class Move:
    role: str  # master, card, new_card, fees
    amount: Decimal
    description: str


def moves(kind, amount=Decimal(0), fee=Decimal(0), card="", new_card="", note=None):
    """The legs of an operation by account role (module docstring); they sum to zero. An
    abono's `note` (its «Descripción») describes the money's own legs, not the commission's."""
    legs = {
        "balance": [Move("master", -fee, f"Comisión consulta de saldo tarjeta {card}"),
                    Move("fees", fee, f"Comisión consulta de saldo tarjeta {card}")],
        # The commission is its own master leg (its own row of the Cuenta maestra report, as the manual's)
        "credit": [Move("master", -fee, f"Comisión abono a tarjeta {card}"),
                   Move("master", -amount, note or f"Abono a tarjeta {card}"),
                   Move("card", amount, note or "Abono desde la cuenta maestra"),
                   Move("fees", fee, f"Comisión abono a tarjeta {card}")],
        "debit": [Move("card", -amount, "Cargo a la cuenta maestra"),
                  Move("master", amount, f"Cargo a tarjeta {card}"),
                  Move("master", -fee, f"Comisión cargo a tarjeta {card}"),
                  Move("fees", fee, f"Comisión cargo a tarjeta {card}")],
        "replacement": [Move("card", -amount, f"Saldo trasladado a la tarjeta {new_card} (reposición)"),
                        Move("new_card", amount, f"Saldo trasladado de la tarjeta {card} (reposición)"),
                        Move("master", -fee, f"Costo de reposición de la tarjeta {card}"),
                        Move("fees", fee, f"Costo de reposición de la tarjeta {card}")],
    }[kind]
    return [leg for leg in legs if leg.amount]


def master_need(kind, amount, fee):
    """What the master account must cover (net): a refusal's message names it."""
    return {"credit": amount + fee, "debit": fee - amount}.get(kind, fee)


def over_max(balance, amount, limit):
    """Would a credit leave the card above the product's maximum (None: no limit)?"""
    return limit is not None and balance + amount > limit


def card_refusal(kind, status, reason, replaced, has_holder):
    """Why a card's state refuses `kind` (a message template naming {card}), or None."""
    blocked = status == "blocked"
    if kind in WITH_AMOUNT:
        return BLOCKED if blocked else None
    if kind == "block":
        return ALREADY_BLOCKED if blocked else None
    if kind == "unblock":
        return (REPLACED_STAYS if reason == REPLACED or replaced else None) if blocked else NOT_BLOCKED
    if kind == "replacement":
        return ALREADY_REPLACED if replaced else (None if has_holder else NO_HOLDER)
    return None


# --- «Criterios de Búsqueda» ------------------------------------------------------------------

FIELDS = (("orden", "Número de orden de servicio"), ("documento", "Documento de identidad"),
          ("lote", "Número de lote"), ("tarjeta", "Número de tarjeta"))
MAX_ORDER_NUMBER = 2_147_483_647  # the database's INTEGER: a larger number names no order
_CARD = re.compile(r"^(?:(\d{6})\*{2,6})?(\d{4})$")


@dataclass
class Criteria:
    texts: dict
    searched: bool = False  # «Buscar» was pressed (else the page only shows the form)
    order: int | None = None
    document: str | None = None
    batch: str | None = None
    first6: str | None = None
    last4: str | None = None
    errors: dict = field(default_factory=dict)
    message: str | None = None

    @property
    def ok(self):
        return self.searched and not self.errors and not self.message

    @property
    def params(self):
        return {name: text for name, text in self.texts.items() if text}


def parse_criteria(args):
    """The search form's values checked: at least one, each in its shape."""
    texts = {name: (args.get(name) or "").strip()[:40] for name, _ in FIELDS}
    found = Criteria(texts, searched="buscar" in args or any(texts.values()))
    if texts["orden"]:
        if texts["orden"].isascii() and texts["orden"].isdigit() and int(texts["orden"]) <= MAX_ORDER_NUMBER:
            found.order = int(texts["orden"])
        else:
            found.errors["orden"] = "El número de orden de servicio tiene solo dígitos (hasta 2147483647)."
    if texts["documento"]:
        if re.fullmatch(r"[0-9A-Za-z]{3,15}", texts["documento"]):
            found.document = texts["documento"].upper()
        else:
            found.errors["documento"] = "El documento de identidad tiene de 3 a 15 letras o dígitos, sin puntos."
    if texts["lote"]:
        if texts["lote"].isdigit() and len(texts["lote"]) <= 12:
            found.batch = texts["lote"]
        else:
            found.errors["lote"] = "El número de lote tiene solo dígitos (hasta 12)."
    _card_criterion(found, texts["tarjeta"].replace(" ", ""))
    if found.searched and not any(texts.values()):
        found.message = "Ingrese al menos un criterio de búsqueda: orden de servicio, documento, lote o tarjeta."
    return found


def _card_criterion(found, text):
    if not text:
        return
    match = _CARD.match(text)
    if match is None:
        found.errors["tarjeta"] = "Número de tarjeta: escriba sus últimos 4 dígitos o 450714******1234."
        return
    found.first6, found.last4 = match.group(1), match.group(2)
