"""The merchant's payment: one thing to pay, many attempts at the acquirer.

A payment follows its latest attempt: created → pending → approved | declined | error.
After a decline or an error the payer may try again (another attempt, same payment).
Approved is final, and the money is applied exactly once (the caller guards that with
a conditional UPDATE; this module says what a status report means).
"""
import re
from dataclasses import dataclass
from decimal import Decimal

from portal.domain.formatting import to_money

CREATED, PENDING, APPROVED, DECLINED, ERROR = "created", "pending", "approved", "declined", "error"
FINAL = frozenset({APPROVED})
RETRYABLE = frozenset({CREATED, DECLINED, ERROR})
PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
FROM_GATEWAY = {"PENDING": PENDING, "APPROVED": APPROVED, "DECLINED": DECLINED,
                "ERROR": ERROR, "VOIDED": DECLINED}


class PaymentError(Exception):
    """Base of the expected refusals."""


class AttemptInProgress(PaymentError):
    """A new attempt while one is still pending at the acquirer."""


class AlreadyPaid(PaymentError):
    """A new attempt on an approved payment."""


@dataclass(frozen=True)
class Outcome:
    status: str
    apply: bool = False  # this report is the approval: apply the money now
    changed: bool = False


def can_start_attempt(status):
    if status == APPROVED:
        raise AlreadyPaid("Este pago ya fue aprobado.")
    if status == PENDING:
        raise AttemptInProgress("Hay un intento de pago en proceso; espere su confirmación.")
    return True


def on_gateway_status(current, gateway_status):
    """What the acquirer's status for the latest attempt does to the payment."""
    new = FROM_GATEWAY.get(gateway_status)
    if new is None:
        raise PaymentError(f"estado desconocido: {gateway_status}")
    if current == APPROVED:
        return Outcome(APPROVED)
    return Outcome(new, apply=new == APPROVED, changed=new != current)


@dataclass(frozen=True)
class Mismatch:
    field: str
    expected: str
    received: str


def mismatches(expected_reference, expected_cents, received):
    """Differences between what we asked for and what the acquirer reports."""
    found = []
    for field, expected in (("reference", expected_reference),
                            ("amount_in_cents", expected_cents), ("currency", "COP")):
        got = received.get(field)
        if str(got) != str(expected):
            found.append(Mismatch(field, str(expected), str(got)))
    return found


def check_other_amount(raw, balance: Decimal):
    """'Otro valor': > 0 and ≤ balance, at most 2 decimals. Returns (amount, error)."""
    text = (raw or "").strip().replace("$", "").replace(" ", "").replace("\u00a0", "")
    if not text:
        return None, "Escriba el valor a pagar."
    # es-CO: 175.277,50 — dots group thousands, the comma marks the cents.
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    elif text.count(".") > 1 or (text.count(".") == 1 and len(text.split(".")[1]) == 3):
        text = text.replace(".", "")
    if not PLAIN_NUMBER.match(text):
        return None, "El valor a pagar debe ser un número, por ejemplo 150000 o 150.000,50."
    amount = Decimal(text)
    if amount.as_tuple().exponent < -2:
        return None, "El valor a pagar admite máximo dos decimales."
    if amount <= 0:
        return None, "El valor a pagar debe ser mayor que cero."
    if amount > balance:
        return None, "El valor a pagar no puede ser mayor que el saldo de la deuda."
    return to_money(amount), None
