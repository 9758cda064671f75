"""Staff changes under four eyes (domain/four_eyes.py): proposed by one staff member,
approved or rejected by another, applied only when approved."""
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import UtcDateTime, utcnow

PENDING_WHERE = "status = 'pending'"


class ChangeRequest(db.Model):
    """`kind` says what changes (domain/four_eyes.KINDS) and `target` which row
    («membership:12»); `proposed` holds the new values and `previous` those in force when
    it was proposed (JSON), so the queue shows both."""

    __tablename__ = "change_requests"
    __table_args__ = (
        CheckConstraint("status in ('pending', 'approved', 'rejected')", name="ck_change_requests_status"),
        # One pending change per target: a second proposal (double click, two staff members)
        # fails here instead of leaving two to be approved in either order.
        Index("uq_change_requests_one_pending", "target", unique=True,
              sqlite_where=text(PENDING_WHERE), postgresql_where=text(PENDING_WHERE)),
        Index("ix_change_requests_status_proposed", "status", "proposed_at"),  # services/staff_home
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(60))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    proposed: Mapped[str] = mapped_column(Text)
    previous: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[object | None] = mapped_column(UtcDateTime)
    reason: Mapped[str | None] = mapped_column(String(500))

    company = relationship("Company")
    proposed_by = relationship("User", foreign_keys=[proposed_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
