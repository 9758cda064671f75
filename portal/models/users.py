"""Who signs in: portal users (Hanna, Conexión Empresas, staff) and affiliates."""
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import UtcDateTime, utcnow

USER_KINDS = ("hanna", "corporate", "staff")
STAFF_ROLES = ("cartera", "pagos", "tarjetas", "admin")


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        Index("ix_users_locked_until", "locked_until"),  # services/staff_home
        CheckConstraint("kind in ('hanna', 'corporate', 'staff')", name="ck_users_kind"),
        UniqueConstraint("kind", "username", name="uq_users_kind_username"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # Hanna users sign in with their e-mail; corporate and staff users with a username.
    username: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    full_name: Mapped[str] = mapped_column(String(160))
    # Configuración › Usuario (manual 003, 2.2): nombre, apellido, cargo, área. Optional:
    # full_name stays the name shown everywhere; users created before these have none.
    first_name: Mapped[str | None] = mapped_column(String(80))
    last_name: Mapped[str | None] = mapped_column(String(80))
    position: Mapped[str | None] = mapped_column(String(80))  # cargo
    area: Mapped[str | None] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(255))
    # Staff: comma-separated roles out of STAFF_ROLES.
    roles: Mapped[str] = mapped_column(String(80), default="")
    # Hanna users belong to the entity (employer or supplier) that registered them.
    entity_id: Mapped[int | None] = mapped_column(ForeignKey("entities.id"))
    is_active_account: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[object | None] = mapped_column(UtcDateTime)
    # Blocked by an administrator (Personal › Usuarios): no sign-in until one lifts it.
    blocked_at: Mapped[object | None] = mapped_column(UtcDateTime)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    terms_accepted_at: Mapped[object | None] = mapped_column(UtcDateTime)
    password_changed_at: Mapped[object | None] = mapped_column(UtcDateTime)
    # "¿Olvidaste tu contraseña?" e-mails a temporary password kept here, beside the
    # user's own: it replaces that one only when it is used to sign in.
    recovery_hash: Mapped[str | None] = mapped_column(String(255))
    recovery_expires_at: Mapped[object | None] = mapped_column(UtcDateTime)
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)
    last_login_at: Mapped[object | None] = mapped_column(UtcDateTime)

    entity = relationship("Entity", back_populates="users")

    @property
    def is_active(self):
        return self.is_active_account

    def get_id(self):
        return f"user:{self.id}"

    @property
    def principal_type(self):
        return "user"

    @property
    def role_set(self):
        return {r for r in (self.roles or "").split(",") if r}

    def has_role(self, *roles):
        return "admin" in self.role_set or bool(self.role_set.intersection(roles))

    @property
    def display_name(self):
        return self.full_name


class PasswordHistory(db.Model):
    """The hashes of a user's recent passwords (the current one included)."""

    __tablename__ = "password_history"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)


class Affiliate(UserMixin, db.Model):
    """A member of the fund; signs in to Pagos Express with cédula + SMS code."""

    __tablename__ = "affiliates"
    id: Mapped[int] = mapped_column(primary_key=True)
    cedula: Mapped[str] = mapped_column(String(15), unique=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    mobile: Mapped[str] = mapped_column(String(15))
    email: Mapped[str | None] = mapped_column(String(254))
    # «Actualizar mis datos» (manual 001's note); changed only by an approved request.
    address: Mapped[str | None] = mapped_column(String(200))
    employer_name: Mapped[str | None] = mapped_column(String(160))
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)

    kind = "affiliate"
    is_active = True

    def get_id(self):
        return f"affiliate:{self.id}"

    @property
    def principal_type(self):
        return "affiliate"

    def has_role(self, *roles):
        return False

    @property
    def display_name(self):
        return f"{self.first_name} {self.last_name}"


class UserSession(db.Model):
    """Server-side record of a signed-in session; the cookie only carries its id.

    Revoking the row (logout, lock, password change) makes a copied cookie useless.
    """

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_principal", "principal_type", "principal_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    principal_type: Mapped[str] = mapped_column(String(16))
    principal_id: Mapped[int] = mapped_column()
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)
    last_seen_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[object | None] = mapped_column(UtcDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(40))
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(255))


class LoginGuard(db.Model):
    """Failure counter and lock for a login subject that is not a User row
    (an affiliate's cédula, known or not, so both behave the same)."""

    __tablename__ = "login_guards"
    __table_args__ = (Index("ix_login_guards_locked_until", "locked_until"),)  # services/staff_home
    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(80), unique=True)
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[object | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class OtpChallenge(db.Model):
    """A one-time code sent by SMS; only its keyed hash is stored."""

    __tablename__ = "otp_challenges"
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(43), unique=True)
    cedula: Mapped[str] = mapped_column(String(15), index=True)
    affiliate_id: Mapped[int | None] = mapped_column(ForeignKey("affiliates.id"))
    code_hash: Mapped[str | None] = mapped_column(String(64))
    mobile_last_digits: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[object] = mapped_column(UtcDateTime)
    sends: Mapped[int] = mapped_column(default=1)
    consumed_at: Mapped[object | None] = mapped_column(UtcDateTime)


class PendingForm(db.Model):
    """A form posted after the session expired, kept until the user signs in again."""

    __tablename__ = "pending_forms"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    principal: Mapped[str] = mapped_column(String(40))
    path: Mapped[str] = mapped_column(String(500))
    fields_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)
