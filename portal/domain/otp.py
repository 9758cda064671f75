"""One-time codes for the affiliates' login (manual 001): 6 digits, valid 109 s."""
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

CODE_LENGTH = 6
TTL_SECONDS = 109


def new_code() -> str:
    return f"{secrets.randbelow(10 ** CODE_LENGTH):0{CODE_LENGTH}d}"


def code_hash(secret: str, challenge_id: str, code: str) -> str:
    """Keyed hash: a leaked table does not give the codes back."""
    message = f"{challenge_id}:{code}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def code_matches(secret: str, challenge_id: str, code: str, stored_hash: str | None) -> bool:
    if not stored_hash or not is_well_formed(code):
        return False
    return hmac.compare_digest(code_hash(secret, challenge_id, code), stored_hash)


def is_well_formed(code: str) -> bool:
    return bool(code) and len(code) == CODE_LENGTH and code.isascii() and code.isdigit()


def expires_at(sent_at: datetime, ttl_seconds: int = TTL_SECONDS) -> datetime:
    return sent_at + timedelta(seconds=ttl_seconds)


def is_expired(expiry: datetime, now: datetime) -> bool:
    return now >= expiry


def seconds_left(expiry: datetime, now: datetime) -> int:
    return max(0, int((expiry - now).total_seconds()))


def last_digits(mobile: str, n: int = 3) -> str:
    digits = "".join(ch for ch in mobile if ch.isdigit())
    return digits[-n:]


def decoy_last_digits(secret: str, cedula: str) -> str:
    """Stable fake digits for an unknown cédula, so its screen looks like a known one."""
    digest = hmac.new(secret.encode(), f"decoy:{cedula}".encode(), hashlib.sha256).hexdigest()
    return f"{int(digest[:8], 16) % 1000:03d}"


def masked_mobile(last: str) -> str:
    return f"****{last}"
