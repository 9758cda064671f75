"""Scheduled work (portal/services/schedule.py): one row per claimed tick of a job."""
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.base import UtcDateTime


class ScheduledRun(db.Model):
    """The run of `name` for the tick starting at `tick`: the primary key is the claim."""

    __tablename__ = "scheduled_runs"
    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    tick: Mapped[object] = mapped_column(UtcDateTime, primary_key=True)
    started_at: Mapped[object] = mapped_column(UtcDateTime)
    finished_at: Mapped[object | None] = mapped_column(UtcDateTime)
    outcome: Mapped[str] = mapped_column(String(10))  # running | ok | failed
    error: Mapped[str | None] = mapped_column(String(255))
    process: Mapped[str] = mapped_column(String(80))  # host:pid of the worker that ran it
