"""Failure counting and temporary locks, shared by every login."""
from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_FAILURES = 5
LOCK_MINUTES = 15


@dataclass(frozen=True)
class FailureOutcome:
    failures: int
    locked_until: datetime | None

    @property
    def locked(self):
        return self.locked_until is not None


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    return locked_until is not None and now < locked_until


def register_failure(failures: int, now: datetime, max_failures=MAX_FAILURES,
                     lock_minutes=LOCK_MINUTES) -> FailureOutcome:
    """One more failure; the 5th locks for 15 minutes and resets the counter."""
    failures += 1
    if failures >= max_failures:
        return FailureOutcome(0, now + timedelta(minutes=lock_minutes))
    return FailureOutcome(failures, None)


def minutes_left(locked_until: datetime, now: datetime) -> int:
    seconds = (locked_until - now).total_seconds()
    return max(1, int(-(-seconds // 60)))
