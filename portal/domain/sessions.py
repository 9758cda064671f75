"""Session lifetime rules: idle and absolute limits."""
from datetime import datetime, timedelta


def expiry_reason(created_at: datetime, last_seen_at: datetime, now: datetime,
                  idle: timedelta, absolute: timedelta) -> str | None:
    if now >= created_at + absolute:
        return "absolute"
    if now >= last_seen_at + idle:
        return "idle"
    return None


def seconds_remaining(created_at, last_seen_at, now, idle, absolute) -> int:
    deadline = min(created_at + absolute, last_seen_at + idle)
    return max(0, int((deadline - now).total_seconds()))
