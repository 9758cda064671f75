"""The ERP API (issue #12): a company's keys, the responses kept for idempotent retries,
and the webhooks it receives."""
from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import UtcDateTime, utcnow


class ApiKey(db.Model):
    """A key acts for the member who made it (their membership of the company), narrowed
    to some of that membership's permissions and, optionally, to some products. Only a
    hash of the secret is kept; `prefix` (public, unique) finds the row."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 hex of the whole key
    scopes: Mapped[str] = mapped_column(String(80))  # space-separated: upload consult master_account
    product_ids: Mapped[str | None] = mapped_column(String(200))  # space-separated; None: every product
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)
    last_used_at: Mapped[object | None] = mapped_column(UtcDateTime)
    last_used_ip: Mapped[str | None] = mapped_column(String(45))
    revoked_at: Mapped[object | None] = mapped_column(UtcDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    membership = relationship("Membership")
    company = relationship("Company")


class IdempotentRequest(db.Model):
    """The first response to a POST with an Idempotency-Key, kept 24 h per company and
    key with the request's fingerprint; `status_code` is None while it runs."""

    __tablename__ = "idempotent_requests"
    __table_args__ = (UniqueConstraint("company_id", "key", name="uq_idempotent_requests_company_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"))
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow, index=True)
    status_code: Mapped[int | None] = mapped_column()
    content_type: Mapped[str | None] = mapped_column(String(100))
    location: Mapped[str | None] = mapped_column(String(300))
    body = mapped_column(LargeBinary, nullable=True)


class WebhookEndpoint(db.Model):
    """A URL of the company's that receives its events, signed with its own secret."""

    __tablename__ = "webhook_endpoints"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)
    disabled_at: Mapped[object | None] = mapped_column(UtcDateTime)


class WebhookDelivery(db.Model):
    """One event for one endpoint: written in the transaction that made the event, then
    posted by a job (RQ retries it with backoff; the cron picks up any Redis lost)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id"), index=True)
    event_id: Mapped[str] = mapped_column(String(36))
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)  # the JSON body, exactly as posted
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[object | None] = mapped_column(UtcDateTime)
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow, index=True)
    delivered_at: Mapped[object | None] = mapped_column(UtcDateTime)

    endpoint = relationship("WebhookEndpoint")
    tries = relationship("WebhookAttempt", order_by="WebhookAttempt.id", cascade="all, delete-orphan")


class WebhookAttempt(db.Model):
    __tablename__ = "webhook_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id"), index=True)
    at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)
    status_code: Mapped[int | None] = mapped_column()  # None: no answer (refused, timeout)
    error: Mapped[str | None] = mapped_column(String(200))
    duration_ms: Mapped[int | None] = mapped_column()
