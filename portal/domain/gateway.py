"""The acquirer's public contract (modelled on Wompi's): integrity signatures for the
checkout, checksums for events, amounts in cents. Pure functions, no I/O."""
import hashlib
import hmac
from dataclasses import dataclass
from decimal import Decimal

CURRENCY = "COP"
EVENT_PROPERTIES = ("transaction.id", "transaction.status", "transaction.amount_in_cents")
FINAL_STATUSES = frozenset({"APPROVED", "DECLINED", "ERROR", "VOIDED"})
STATUSES = frozenset({"PENDING"}) | FINAL_STATUSES


def _sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def integrity_signature(reference, amount_in_cents, currency, secret, expiration_time=None):
    """SHA-256 hex of reference + amount_in_cents + currency [+ expiration_time] + secret."""
    return _sha256(f"{reference}{amount_in_cents}{currency}{expiration_time or ''}{secret}")


def signature_matches(expected, given):
    return bool(given) and hmac.compare_digest(expected.lower(), str(given).lower())


def to_cents(amount: Decimal) -> int:
    """Pesos to cents, exactly; an amount with more than 2 decimals is refused."""
    cents = Decimal(amount) * 100
    if cents != cents.to_integral_value():
        raise ValueError("amount has more than two decimals")
    return int(cents)


def from_cents(cents: int) -> Decimal:
    return (Decimal(int(cents)) / 100).quantize(Decimal("0.01"))


def _lookup(body_data, dotted):
    value = body_data
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            raise KeyError(dotted)
        value = value[part]
    return value


def event_checksum(data, properties, timestamp, secret):
    """SHA-256 hex of the listed properties' values (from `data`), in order,
    then the timestamp, then the events secret."""
    values = "".join(str(_lookup(data, prop)) for prop in properties)
    return _sha256(f"{values}{timestamp}{secret}")


def build_event(transaction, timestamp, secret, sent_at, environment="test"):
    data = {"transaction": transaction}
    return {
        "event": "transaction.updated",
        "data": data,
        "environment": environment,
        "signature": {
            "properties": list(EVENT_PROPERTIES),
            "checksum": event_checksum(data, EVENT_PROPERTIES, timestamp, secret),
        },
        "timestamp": timestamp,
        "sent_at": sent_at,
    }


@dataclass(frozen=True)
class EventCheck:
    ok: bool
    reason: str = ""
    transaction: dict | None = None


def verify_event(body, secret, now_ts, max_age_seconds=300):
    """Accept an event only if it is well formed, its checksum matches and it is fresh.
    The properties must cover id, status and amount, so none can be altered unsigned."""
    if not isinstance(body, dict) or body.get("event") != "transaction.updated":
        return EventCheck(False, "unknown_event")
    signature, timestamp = body.get("signature") or {}, body.get("timestamp")
    properties = signature.get("properties")
    if not isinstance(properties, list) or not set(EVENT_PROPERTIES) <= set(properties):
        return EventCheck(False, "properties")
    if not isinstance(timestamp, int) or isinstance(timestamp, bool):
        return EventCheck(False, "timestamp")
    if abs(now_ts - timestamp) > max_age_seconds:
        return EventCheck(False, "stale")
    try:
        expected = event_checksum(body.get("data") or {}, properties, timestamp, secret)
    except KeyError:
        return EventCheck(False, "properties")
    if not signature_matches(expected, signature.get("checksum")):
        return EventCheck(False, "checksum")
    transaction = body["data"]["transaction"]
    if transaction.get("status") not in STATUSES:
        return EventCheck(False, "status")
    return EventCheck(True, transaction=transaction)
