"""Conexión Empresas: companies, their card products, users' permissions, cards, ledger."""
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import Money, UtcDateTime, utcnow


class Company(db.Model):
    __tablename__ = "companies"
    __table_args__ = (CheckConstraint("signature_scheme in (1, 2)", name="ck_company_sig"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    nit: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    legal_name: Mapped[str] = mapped_column(String(160))
    contact: Mapped[str | None] = mapped_column(String(160))
    address: Mapped[str | None] = mapped_column(String(200))
    billing_address: Mapped[str | None] = mapped_column(String(200))
    phone1: Mapped[str | None] = mapped_column(String(20))
    phone2: Mapped[str | None] = mapped_column(String(20))
    phone3: Mapped[str | None] = mapped_column(String(20))
    signature_scheme: Mapped[int] = mapped_column(default=1)
    # May whoever loaded a batch sign its authorization? (maker-checker, DESIGN §9)
    uploader_may_sign: Mapped[bool] = mapped_column(default=True, server_default=true())
    debit_account: Mapped[str | None] = mapped_column(String(30))  # debited to pay service orders
    gmf_applies: Mapped[bool] = mapped_column(default=False, server_default=false())  # 4×1000

    products = relationship("Product", back_populates="company", order_by="Product.id")
    contacts = relationship("CompanyContact", order_by="CompanyContact.id", cascade="all, delete-orphan")


class CompanyBranch(db.Model):
    """A company's sucursal: the code its emission files write in SUCURSAL (digits), shown
    by its name in the reports. Deactivated, never deleted: old cards still name it."""

    __tablename__ = "company_branches"
    __table_args__ = (UniqueConstraint("company_id", "code", name="uq_company_branches_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(10))  # digits, without leading zeros (domain/companies)
    name: Mapped[str] = mapped_column(String(80))
    city: Mapped[str] = mapped_column(String(60))
    active: Mapped[bool] = mapped_column(default=True, server_default=true())


class Product(db.Model):
    """A card product of a company, e.g. "Clásica / Visa" (named) or "Clásica In / Visa"."""

    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("company_id", "name", name="uq_products_company_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    brand: Mapped[str] = mapped_column(String(20), default="Visa")
    bin: Mapped[str] = mapped_column(String(6))
    named: Mapped[bool] = mapped_column(default=True)  # nominada / innominada
    commission_per_record = mapped_column(Money, nullable=False, default=0)  # when no Tariff says
    iva_rate = mapped_column(Numeric(5, 4), nullable=False, default=Decimal("0.19"))
    card_validity_months: Mapped[int] = mapped_column(default=36, server_default="36")
    distribution_cost = mapped_column(Money, nullable=False, default=0, server_default="0")  # per card
    # The program's commissions on the master account's operations (manual 003 6.1.1's
    # report: 60.00 a balance query, 55.00 a transfer), a replacement card's cost, and the
    # most a card may hold (None: no limit).
    balance_query_fee = mapped_column(Money, nullable=False, default=60, server_default="60")
    transfer_fee = mapped_column(Money, nullable=False, default=55, server_default="55")
    debit_fee = mapped_column(Money, nullable=False, default=55, server_default="55")
    replacement_cost = mapped_column(Money, nullable=False, default=0, server_default="0")
    max_card_balance = mapped_column(Money, nullable=True)

    company = relationship("Company", back_populates="products")

    @property
    def label(self):
        return f"{self.name} / {self.brand}"


class Membership(db.Model):
    """A corporate user's access to a company, with the manual's permissions."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "company_id", name="uq_memberships"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    can_upload: Mapped[bool] = mapped_column(default=True)
    can_authorize: Mapped[bool] = mapped_column(default=False)
    can_consult: Mapped[bool] = mapped_column(default=True)
    can_master_account: Mapped[bool] = mapped_column(default=False)
    # Configuración › Empresas: may edit the company's contacts, phones and billing address.
    can_admin_company: Mapped[bool] = mapped_column(default=False, server_default=false())

    user = relationship("User")
    company = relationship("Company")


class Card(db.Model):
    """A prepaid card. Only first-6/last-4 of the PAN are ever stored."""

    __tablename__ = "cards"
    __table_args__ = (
        CheckConstraint("status in ('affiliated', 'unaffiliated', 'blocked')", name="ck_cards_status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    token: Mapped[str] = mapped_column(String(40), unique=True)
    pan_first6: Mapped[str] = mapped_column(String(6))
    pan_last4: Mapped[str] = mapped_column(String(4))
    account_mask: Mapped[str] = mapped_column(String(20))
    holder_id_type: Mapped[str | None] = mapped_column(String(4))
    holder_id_number: Mapped[str | None] = mapped_column(String(15), index=True)
    holder_name: Mapped[str | None] = mapped_column(String(160))
    status: Mapped[str] = mapped_column(String(14), default="affiliated")
    expires: Mapped[str] = mapped_column(String(7))  # MM/YYYY
    # Bloqueo (pérdida, robo, deterioro, reposición) and the card that replaced this one.
    blocked_reason: Mapped[str | None] = mapped_column(String(20))
    blocked_at: Mapped[object | None] = mapped_column(UtcDateTime)
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id"))
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow)

    product = relationship("Product")

    @property
    def masked_pan(self):
        return f"{self.pan_first6}******{self.pan_last4}"


class LedgerAccount(db.Model):
    """An account in the double-entry ledger: a company product's master account,
    a card, one of the program's own accounts (funding, commissions, taxes), or a
    company product's clearing account (what its paid orders will load on cards)."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        CheckConstraint("kind in ('master', 'card', 'funding', 'fees', 'taxes', 'clearing')", name="ck_ledger_kind"),
        # One program account per kind, one per kind of a company's product: made on first
        # use, so two first uses at once must not make two.
        Index("ux_ledger_program", "kind", unique=True,
              sqlite_where=text("company_id IS NULL AND card_id IS NULL"),
              postgresql_where=text("company_id IS NULL AND card_id IS NULL")),
        Index("ux_ledger_company", "kind", "company_id", "product_id", unique=True,
              sqlite_where=text("company_id IS NOT NULL AND card_id IS NULL"),
              postgresql_where=text("company_id IS NOT NULL AND card_id IS NULL")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(120))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    card_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id"), unique=True)
    # The sum of its entries, kept in the same transaction as they are written
    # (services/ledger.post), so a balance is one row away; never below zero for a
    # company's or a card's account (the program's funding is the outside world's side).
    balance = mapped_column(Money, nullable=False, default=0, server_default="0")


class LedgerEntry(db.Model):
    """One leg of a movement; the legs of a transaction (same txn_id) sum to zero."""

    __tablename__ = "ledger_entries"
    # Reportes › Cuenta maestra: an account's entries by date, newest first, and the sum of
    # those after a row (its Saldo) read from the index alone (amount is in it).
    __table_args__ = (Index("ix_ledger_entries_account_created", "account_id", "created_at", "id", "amount"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    txn_id: Mapped[str] = mapped_column(String(36), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    amount = mapped_column(Money, nullable=False)  # + credit to the account, - debit
    description: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[object] = mapped_column(UtcDateTime, default=utcnow, index=True)
