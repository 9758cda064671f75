"""A code e-mailed to confirm an action (e.g. «Pagar orden»), without Flask or the
database: 6 digits (domain/otp.py), valid some minutes, at most MAX_TRIES wrong codes in
all — «Reenviar código» makes a new code but keeps the count —, a resend at most once
every so many seconds. A blocked code stays blocked until it would have expired; only
then may a new one (with a new count) be asked for."""
from datetime import datetime

MAX_TRIES = 5
OPEN, EXPIRED, BLOCKED, USED = "open", "expired", "blocked", "used"


def state(consumed_at: datetime | None, tries: int, expires_at: datetime, now: datetime) -> str:
    if consumed_at is not None:
        return USED
    if tries >= MAX_TRIES:
        return BLOCKED
    if now >= expires_at:
        return EXPIRED
    return OPEN


def tries_left(tries: int) -> int:
    return max(0, MAX_TRIES - tries)


def still_blocked(tries: int, expires_at: datetime, now: datetime) -> bool:
    """A blocked code keeps its order's payment closed to this user until its expiry."""
    return tries >= MAX_TRIES and now < expires_at


def resend_wait(sent_at: datetime, now: datetime, every_seconds: int) -> int:
    """Whole seconds before «Reenviar código» may send again (0: now)."""
    waited = (now - sent_at).total_seconds()
    return max(0, int(every_seconds - waited + 0.999))
