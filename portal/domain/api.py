"""The ERP API's rules, without Flask: keys and their scopes, request fingerprints for
idempotent retries, opaque cursors, and the webhooks' signature. Pure functions."""
import base64
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass

KEY_PREFIX = "pk_"
ID_MAX = 2**31 - 1  # the tables' INTEGER keys: a larger id names nothing (and must not reach them)
# What a key may do: a subset of its membership's permissions (services.conexion.PERMISSIONS).
SCOPES = {"upload": "Cargar y confirmar lotes", "consult": "Consultar lotes, órdenes y tarjetas",
          "master_account": "Cuenta maestra: saldos, movimientos, abonos y cargos"}
IDEMPOTENCY_HOURS = 24
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no spaces
WEBHOOK_EVENTS = {
    "batch.validated": "Lote validado sin errores",
    "batch.invalid": "Lote con errores",
    "batch.processed": "Lote procesado (tarjetas cargadas)",
    "order.created": "Orden de servicio creada",
    "order.paid": "Orden de servicio pagada",
    "order.annulled": "Orden de servicio anulada",
    "card.loaded": "Tarjeta cargada",
}
# Seconds before each retry of a webhook that was not answered 2xx (RQ's Retry).
WEBHOOK_RETRIES = (30, 120, 600, 3600, 6 * 3600)
WEBHOOK_TOLERANCE_SECONDS = 300


@dataclass(frozen=True)
class NewKey:
    prefix: str  # public: shown in the list, finds the row
    secret: str  # the whole key, shown once
    secret_hash: str


def new_key():
    prefix = KEY_PREFIX + secrets.token_hex(6)
    whole = f"{prefix}.{secrets.token_urlsafe(32)}"
    return NewKey(prefix, whole, key_hash(whole))


def key_hash(whole):
    # A key is 256 random bits: a fast hash is enough (no dictionary to guess from).
    return hashlib.sha256(whole.encode()).hexdigest()


def prefix_of(whole):
    """The prefix of a presented key, or None when it cannot be one of ours."""
    if not isinstance(whole, str) or not whole.startswith(KEY_PREFIX) or "." not in whole:
        return None
    prefix = whole.split(".", 1)[0]
    return prefix if len(prefix) <= 16 else None


def key_matches(stored_hash, whole):
    return hmac.compare_digest(stored_hash, key_hash(whole))


def bearer(header):
    """The key in `Authorization: Bearer <key>`, or None."""
    scheme, _, value = (header or "").partition(" ")
    return (value.strip() or None) if scheme.lower() == "bearer" else None


def parse_scopes(text):
    return frozenset(s for s in (text or "").split() if s in SCOPES)


def parse_ids(text):
    return frozenset(int(s) for s in (text or "").split() if s.isdigit())


def fingerprint(method, path, content_type, parts):
    """SHA-256 over what makes two requests the same: method, path, and the body as
    `parts` (bytes, or for a form its fields and files' bytes in order), so that a
    multipart body sent again with another boundary is the same request."""
    digest = hashlib.sha256(f"{method} {path}\n{(content_type or '').split(';')[0]}\n".encode())
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def encode_cursor(values):
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text):
    """The values an `encode_cursor` made, or None for anything else (never raises)."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        values = json.loads(raw)
    except (ValueError, TypeError):
        return None
    return values if isinstance(values, list) else None


def webhook_signature(secret, timestamp, body):
    """`X-Portal-Signature`: HMAC-SHA256 (hex) of `<timestamp>.<body>` with the
    endpoint's secret. `body` is the bytes posted."""
    message = str(int(timestamp)).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def webhook_verified(secret, timestamp, body, signature, now, tolerance=WEBHOOK_TOLERANCE_SECONDS):
    """What a receiver checks: the signature, and a timestamp no older than `tolerance`
    (a replayed old event is refused)."""
    try:
        age = abs(int(now) - int(timestamp))
    except (TypeError, ValueError):
        return False
    expected = webhook_signature(secret, timestamp, body)
    return age <= tolerance and hmac.compare_digest(expected, str(signature or ""))
