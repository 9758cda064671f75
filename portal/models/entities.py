"""Employers and suppliers behind Hanna users, their branches and application requests."""
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import UtcDateTime, utcnow

APPLICATIONS = ("EMPRESAS", "PROVEEDORES")
REQUEST_STATUSES = ("pending", "approved", "rejected")


class Entity(db.Model):
    __tablename__ = "entities"
    id: Mapped[int] = mapped_column(primary_key=True)
    nit: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)

    branches = relationship("Branch", back_populates="entity", order_by="Branch.code")
    users = relationship("User", back_populates="entity")


class Branch(db.Model):
    __tablename__ = "branches"
    __table_args__ = (UniqueConstraint("entity_id", "code", name="uq_branches_entity_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    code: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(120))
    city: Mapped[str | None] = mapped_column(String(80))

    entity = relationship("Entity", back_populates="branches")


class ApplicationRequest(db.Model):
    """'Solicitud de aplicaciones': a Hanna user asks for EMPRESAS or PROVEEDORES."""

    __tablename__ = "application_requests"
    __table_args__ = (
        Index("ix_appreq_queue", "application", "status", "created_at"),  # services/staff_home
        CheckConstraint("application in ('EMPRESAS', 'PROVEEDORES')", name="ck_appreq_app"),
        CheckConstraint("status in ('pending', 'approved', 'rejected')", name="ck_appreq_status"),
        UniqueConstraint("user_id", "application", name="uq_appreq_user_app"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    application: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[object | None] = mapped_column(UtcDateTime)
    review_note: Mapped[str | None] = mapped_column(Text)

    user = relationship("User", foreign_keys=[user_id])
    entity = relationship("Entity")
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])
