"""One clock for the whole portal, so tests can freeze and move it."""
from datetime import UTC, datetime, timedelta

_frozen: datetime | None = None


def utcnow() -> datetime:
    """Naive UTC, the form every timestamp is stored in."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC).replace(tzinfo=None)


def freeze(at: datetime) -> None:
    global _frozen
    _frozen = at


def advance(seconds: float) -> None:
    freeze(utcnow() + timedelta(seconds=seconds))


def unfreeze() -> None:
    global _frozen
    _frozen = None
