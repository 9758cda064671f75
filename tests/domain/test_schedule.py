"""The tick a scheduled run belongs to: the same on every host, whatever the moment in it."""
from datetime import datetime

import pytest

from portal.domain.schedule import cron_tick, interval_tick


@pytest.mark.parametrize("now,seconds,tick", [
    (datetime(2026, 11, 30, 10, 0, 0), 60, datetime(2026, 11, 30, 10, 0, 0)),
    (datetime(2026, 11, 30, 10, 0, 59, 999999), 60, datetime(2026, 11, 30, 10, 0, 0)),
    (datetime(2026, 11, 30, 10, 1, 0), 60, datetime(2026, 11, 30, 10, 1, 0)),
    (datetime(2026, 11, 30, 10, 0, 44), 30, datetime(2026, 11, 30, 10, 0, 30)),
    (datetime(2026, 11, 30, 10, 59, 59), 3600, datetime(2026, 11, 30, 10, 0, 0)),
    (datetime(2026, 11, 30, 10, 0, 0, 500000), 1, datetime(2026, 11, 30, 10, 0, 0)),
])
def test_a_job_every_n_seconds_ticks_on_the_n_second_windows(now, seconds, tick):
    assert interval_tick(now, seconds) == tick


MONTHLY = "0 6 1 * *"  # the 1st at 06:00 Bogotá = 11:00 UTC


@pytest.mark.parametrize("now,tick", [
    (datetime(2026, 12, 1, 11, 0, 0), datetime(2026, 12, 1, 11, 0)),  # at the occurrence itself
    (datetime(2026, 12, 1, 11, 0, 0, 250000), datetime(2026, 12, 1, 11, 0)),
    (datetime(2026, 12, 1, 14, 30), datetime(2026, 12, 1, 11, 0)),  # a worker that took it late
    (datetime(2026, 12, 1, 10, 59, 59), datetime(2026, 11, 1, 11, 0)),  # still last month's
    (datetime(2026, 12, 1, 4, 0), datetime(2026, 11, 1, 11, 0)),  # the 1st in UTC, the 30th in Bogotá
])
def test_a_cron_job_ticks_on_its_latest_occurrence_in_bogota(now, tick):
    assert cron_tick(now, MONTHLY, "America/Bogota") == tick
