"""The tick a scheduled run belongs to (portal/services/schedule.py claims it). Times are
naive UTC, as stored.

- A job every N seconds: the N-second window of wall-clock time, counted from the Unix
  epoch, that holds the moment (every host computes the same windows).
- A job on a cron expression (the month's statements): its latest occurrence at or before
  the moment, the expression read in the portal's time zone.
"""
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter

EPOCH = datetime(1970, 1, 1)


def interval_tick(now, seconds):
    """The start of the `seconds`-long window that holds `now`."""
    window = timedelta(seconds=seconds)
    return EPOCH + (now - EPOCH) // window * window


def cron_tick(now, expression, zone):
    """The latest occurrence of `expression` (in `zone`) at or before `now`."""
    zone = ZoneInfo(zone)
    local = now.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)
    # croniter's previous occurrence is strictly before its start: start a second later so
    # that a run at the occurrence itself (06:00:00) belongs to it. Cron has no seconds.
    occurrence = croniter(expression, local.replace(microsecond=0) + timedelta(seconds=1)).get_prev(datetime)
    return occurrence.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)
