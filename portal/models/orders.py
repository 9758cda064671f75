"""Conexión Empresas: signatures, service orders and how they are paid (manual 003 §3.3,
ch. 4; domain/orders.py, domain/signatures.py)."""
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import Money, UtcDateTime, utcnow

ORDER_STATUSES = ("pending_payment", "paying", "paid", "processed", "annulled")


class Counter(db.Model):
    """A named sequence (e.g. «service_order»), taken with a conditional UPDATE."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last: Mapped[int] = mapped_column()


class Tariff(db.Model):
    """A product's commission per record for one batch type (the order's «Precio Unitario»);
    without one, Product.commission_per_record."""

    __tablename__ = "tariffs"
    __table_args__ = (UniqueConstraint("product_id", "kind", name="uq_tariffs"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    commission = mapped_column(Money, nullable=False)


class DistributionTariff(db.Model):
    """What delivering one card to a destination (CIUDAD ENTREGA) costs for a product;
    other destinations cost Product.distribution_cost."""

    __tablename__ = "distribution_tariffs"
    __table_args__ = (UniqueConstraint("product_id", "destination", name="uq_distribution_tariffs"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    destination: Mapped[str] = mapped_column(String(60))  # upper case
    cost = mapped_column(Money, nullable=False)


class BatchSignature(db.Model):
    """The first of two signatures on some batches (Batch.signature_id), waiting for the
    second until `lapses_at`; then completed (an order was made) or lapsed."""

    __tablename__ = "batch_signatures"
    __table_args__ = (
        CheckConstraint("status in ('waiting', 'completed', 'lapsed')", name="ck_batch_signatures_status"),
        CheckConstraint("mode in ('lote', 'tipo')", name="ck_batch_signatures_mode"),
        Index("ix_batch_signatures_product_status", "product_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    mode: Mapped[str] = mapped_column(String(4))
    status: Mapped[str] = mapped_column(String(10), default="waiting")
    signer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)
    lapses_at: Mapped[object] = mapped_column(UtcDateTime, index=True)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    completed_at: Mapped[object | None] = mapped_column(UtcDateTime)

    signer = relationship("User", foreign_keys=[signer_id])


class ServiceOrder(db.Model):
    """«Orden de servicio»: what a company pays for its authorized batches of one type
    (their lines: Batch.order_id; the money: domain/orders.py)."""

    __tablename__ = "service_orders"
    __table_args__ = (
        Index("ix_service_orders_status_created", "status", "created_at"),  # services/staff_home
        CheckConstraint("status in (" + ", ".join(f"'{s}'" for s in ORDER_STATUSES) + ")",
                        name="ck_service_orders_status"),
        CheckConstraint("to_pay = total + amount + gmf", name="ck_service_orders_to_pay"),
        CheckConstraint("total = commission + iva", name="ck_service_orders_total"),
        Index("ix_service_orders_product_created", "product_id", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    kind: Mapped[str] = mapped_column(String(20))  # the batch type of all its batches
    status: Mapped[str] = mapped_column(String(16), default="pending_payment")
    total_price = mapped_column(Money, nullable=False)  # Total Precio
    total_distribution = mapped_column(Money, nullable=False)  # Total Gastos Distribución
    commission = mapped_column(Money, nullable=False)  # Monto comisión: SubTotal
    iva_rate = mapped_column(Numeric(5, 4), nullable=False)
    iva = mapped_column(Money, nullable=False)
    total = mapped_column(Money, nullable=False)  # Monto OS: TOTAL ORDEN SERVICIO
    amount = mapped_column(Money, nullable=False)  # Monto: to load on cards
    gmf = mapped_column(Money, nullable=False)
    to_pay = mapped_column(Money, nullable=False)  # TOTAL A PAGAR
    deposited = mapped_column(Money, nullable=False, default=0)  # Monto depositado
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)  # Fecha de Autorización
    first_signer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    second_signer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    paid_at: Mapped[object | None] = mapped_column(UtcDateTime)
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    annulled_at: Mapped[object | None] = mapped_column(UtcDateTime)
    annulled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    processed_at: Mapped[object | None] = mapped_column(UtcDateTime)
    # The card processor's sign of life while the paid order is processed (a commit per step
    # of lines); silent too long, worker.py's cron queues it again (services/card_processor.py).
    heartbeat_at: Mapped[object | None] = mapped_column(UtcDateTime)

    company = relationship("Company")
    product = relationship("Product")
    first_signer = relationship("User", foreign_keys=[first_signer_id])
    second_signer = relationship("User", foreign_keys=[second_signer_id])
    batches = relationship("Batch", order_by="Batch.number", viewonly=True)
    distribution = relationship("OrderDistribution", order_by="OrderDistribution.destination",
                                cascade="all, delete-orphan")


class OrderDistribution(db.Model):
    """«GASTOS DE DISTRIBUCIÓN»: Cantidad, Destino, Costo."""

    __tablename__ = "order_distribution"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("service_orders.id", ondelete="CASCADE"), index=True)
    destination: Mapped[str] = mapped_column(String(60))
    quantity: Mapped[int] = mapped_column()
    unit_cost = mapped_column(Money, nullable=False)
    cost = mapped_column(Money, nullable=False)


class EmailCode(db.Model):
    """A one-time code e-mailed to a user to confirm an action (e.g. «Pagar orden»); only
    its keyed hash is stored. `tries` counts wrong codes across resends."""

    __tablename__ = "email_codes"
    __table_args__ = (Index("ix_email_codes_subject", "purpose", "subject", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(43), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    purpose: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(String(40))  # e.g. «order:12»
    code_hash: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[object] = mapped_column(UtcDateTime)
    sends: Mapped[int] = mapped_column(default=1)
    tries: Mapped[int] = mapped_column(default=0)
    consumed_at: Mapped[object | None] = mapped_column(UtcDateTime)


class OrderPayment(db.Model):
    """One attempt to pay an order by debiting the company's bank account: what the bank
    answered (approved, declined, pending, error) and why."""

    __tablename__ = "order_payments"
    __table_args__ = (
        Index("ix_order_payments_status_created", "status", "created_at"),  # services/staff_home
        CheckConstraint("status in ('sent', 'approved', 'declined', 'pending', 'error')",
                        name="ck_order_payments_status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("service_orders.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reference: Mapped[str] = mapped_column(String(40), unique=True)  # sent to the bank: its idempotency key
    amount = mapped_column(Money, nullable=False)
    status: Mapped[str] = mapped_column(String(10), default="sent")
    reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)
    decided_at: Mapped[object | None] = mapped_column(UtcDateTime)


class SandboxBankAccount(db.Model):
    """The built-in sandbox bank's accounts (adapters/bank.py): a balance to debit and
    how the account answers (normal, pending: settled later, error)."""

    __tablename__ = "sandbox_bank_accounts"
    __table_args__ = (
        CheckConstraint("balance >= 0", name="ck_sandbox_bank_balance"),
        CheckConstraint("behaviour in ('normal', 'pending', 'error')", name="ck_sandbox_bank_behaviour"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    holder: Mapped[str] = mapped_column(String(160))
    balance = mapped_column(Money, nullable=False)
    behaviour: Mapped[str] = mapped_column(String(8), default="normal")


class SandboxBankDebit(db.Model):
    """A debit the sandbox bank received, once per reference (its idempotency key)."""

    __tablename__ = "sandbox_bank_debits"
    __table_args__ = (
        CheckConstraint("status in ('approved', 'declined', 'pending', 'error')",
                        name="ck_sandbox_bank_debits_status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    account_number: Mapped[str] = mapped_column(String(30), index=True)
    amount = mapped_column(Money, nullable=False)
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)
    settled_at: Mapped[object | None] = mapped_column(UtcDateTime)


class MasterFunding(db.Model):
    """«Servicios › Cuenta maestra» funded by PSE: what a company user asked to add to the
    product's master account, paid through the gateway (Payment.kind 'master_funding',
    target_id = this row) and credited once, by the ledger transaction `ledger_txn`."""

    __tablename__ = "master_fundings"
    __table_args__ = (CheckConstraint("amount > 0", name="ck_master_fundings_amount"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    amount = mapped_column(Money, nullable=False)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)
    applied_at: Mapped[object | None] = mapped_column(UtcDateTime)
    ledger_txn: Mapped[str | None] = mapped_column(String(36), unique=True)


class MasterDeposit(db.Model):
    """A bank deposit to a product's master account, registered by one staff member and
    confirmed (or rejected) by another; confirmed, it is credited once («Monto depositado»)."""

    __tablename__ = "master_deposits"
    __table_args__ = (
        Index("ix_master_deposits_status_registered", "status", "registered_at"),  # services/staff_home
        CheckConstraint("amount > 0", name="ck_master_deposits_amount"),
        CheckConstraint("status in ('registered', 'confirmed', 'rejected')", name="ck_master_deposits_status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    amount = mapped_column(Money, nullable=False)
    bank_reference: Mapped[str] = mapped_column(String(40))
    deposited_on = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(10), default="registered")
    registered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    registered_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[object | None] = mapped_column(UtcDateTime)
    reason: Mapped[str | None] = mapped_column(String(200))
    ledger_txn: Mapped[str | None] = mapped_column(String(36), unique=True)


class CardOperation(db.Model):
    """One operation on the master account or a card (Consultar saldo, Abonar, Cargo,
    Transferencia maestra, bloqueo, reposición), once per form key: a form submitted
    twice finds the first one's row and shows its result again."""

    __tablename__ = "card_operations"
    __table_args__ = (
        CheckConstraint("kind in ('balance', 'credit', 'debit', 'transfer', 'block', 'unblock', 'replacement')",
                        name="ck_card_operations_kind"),
        CheckConstraint("status in ('done', 'refused')", name="ck_card_operations_status"),
        Index("ix_card_operations_product_created", "product_id", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)  # the form's idempotency key (hashed)
    kind: Mapped[str] = mapped_column(String(12))
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    card_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    amount = mapped_column(Money, nullable=True)
    fee = mapped_column(Money, nullable=True)
    description: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(8))
    message: Mapped[str | None] = mapped_column(String(200))  # a refusal's reason, or the result shown
    ledger_txn: Mapped[str | None] = mapped_column(String(36), unique=True)
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)
