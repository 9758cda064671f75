"""An affiliate's request to change mobile, e-mail or address (domain/contact_updates.py)."""
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import UtcDateTime, utcnow

OPEN_WHERE = "status in ('awaiting_code', 'pending')"


class ContactUpdateRequest(db.Model):
    """The values on file when it was asked (old_*) beside the new ones (new_*: None when
    that one does not change). A new mobile is confirmed with an SMS code sent to it; only
    the code's keyed hash is kept, as in the login (OtpChallenge)."""

    __tablename__ = "contact_update_requests"
    __table_args__ = (
        CheckConstraint("status in ('awaiting_code', 'pending', 'approved', 'rejected', 'replaced')",
                        name="ck_contact_update_status"),
        # One open request per affiliate: a second submit (double click, two tabs) fails here.
        Index("uq_contact_update_one_open", "affiliate_id", unique=True,
              sqlite_where=text(OPEN_WHERE), postgresql_where=text(OPEN_WHERE)),
        Index("ix_contact_update_status_submitted", "status", "submitted_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    affiliate_id: Mapped[int] = mapped_column(ForeignKey("affiliates.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    old_mobile: Mapped[str] = mapped_column(String(15))
    old_email: Mapped[str | None] = mapped_column(String(254))
    old_address: Mapped[str | None] = mapped_column(String(200))
    new_mobile: Mapped[str | None] = mapped_column(String(15))
    new_email: Mapped[str | None] = mapped_column(String(254))
    new_address: Mapped[str | None] = mapped_column(String(200))
    code_hash: Mapped[str | None] = mapped_column(String(64))
    code_expires_at: Mapped[object | None] = mapped_column(UtcDateTime)
    code_sends: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)
    submitted_at: Mapped[object | None] = mapped_column(UtcDateTime)  # sent to staff (pending)
    decided_at: Mapped[object | None] = mapped_column(UtcDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(String(500))  # why it was rejected

    affiliate = relationship("Affiliate")
    decided_by = relationship("User")

    def old(self, name):
        return getattr(self, f"old_{name}")

    def new(self, name):
        return getattr(self, f"new_{name}")

    @property
    def changed(self):
        """The fields this request changes, in the form's order."""
        return [name for name in ("mobile", "email", "address") if self.new(name) is not None]
