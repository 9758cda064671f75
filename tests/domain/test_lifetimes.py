"""Session lifetime rules (idle 30 min, absolute 12 h)."""
from datetime import datetime, timedelta

import pytest

from portal.domain import sessions

T0 = datetime(2026, 1, 1, 8, 0, 0)
IDLE, ABSOLUTE = timedelta(minutes=30), timedelta(hours=12)


@pytest.mark.parametrize("created,seen,now,reason", [
    (T0, T0, T0 + timedelta(minutes=29, seconds=59), None),
    (T0, T0, T0 + timedelta(minutes=30), "idle"),
    (T0, T0 + timedelta(hours=11, minutes=50), T0 + timedelta(hours=11, minutes=59), None),
    (T0, T0 + timedelta(hours=11, minutes=50), T0 + timedelta(hours=12), "absolute"),
])
def test_expiry_reason(created, seen, now, reason):
    assert sessions.expiry_reason(created, seen, now, IDLE, ABSOLUTE) == reason


def test_remaining_is_the_nearer_deadline():
    seen = T0 + timedelta(hours=11, minutes=50)
    assert sessions.seconds_remaining(T0, seen, seen, IDLE, ABSOLUTE) == 600
    assert sessions.seconds_remaining(T0, T0, T0, IDLE, ABSOLUTE) == 1800
