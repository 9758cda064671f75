"""SQLAlchemy tables, one module per aggregate. Import them all so Alembic sees them."""
from portal.models.api import ApiKey, IdempotentRequest, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from portal.models.audit import AuditEvent, OutboxAttachment, OutboxMessage
from portal.models.batches import Batch, BatchDay, BatchLine, CompanyContact
from portal.models.cartera import (
                                   CarteraDraftLine,
                                   CarteraUpload,
                                   CarteraUploadLine,
                                   Credit,
                                   SlipAllocation,
                                   Statement,
                                   StatementLine,
                                   Worker,
)
from portal.models.changes import ChangeRequest
from portal.models.conexion import (
                                   Card,
                                   Company,
                                   CompanyBranch,
                                   LedgerAccount,
                                   LedgerEntry,
                                   Membership,
                                   Product,
)
from portal.models.contact_updates import ContactUpdateRequest
from portal.models.entities import ApplicationRequest, Branch, Entity
from portal.models.files import StoredFile
from portal.models.gateway import GatewayEvent, GatewayTransaction
from portal.models.orders import (
                                   BatchSignature,
    CardOperation,
                                   Counter,
                                   DistributionTariff,
                                   EmailCode,
    MasterDeposit,
    MasterFunding,
                                   OrderDistribution,
                                   OrderPayment,
                                   SandboxBankAccount,
                                   SandboxBankDebit,
                                   ServiceOrder,
                                   Tariff,
)
from portal.models.pagos import AffiliateCredit, KindergartenSlip
from portal.models.payments import Payment, PaymentReview, PaymentSlip
from portal.models.schedule import ScheduledRun
from portal.models.suppliers import SubsidyOrder
from portal.models.users import (
                                   Affiliate,
                                   LoginGuard,
                                   OtpChallenge,
                                   PasswordHistory,
                                   PendingForm,
                                   User,
                                   UserSession,
)

__all__ = [
    "CompanyBranch",
    "Affiliate", "AffiliateCredit", "Batch", "BatchDay", "BatchLine", "CompanyContact", "CarteraDraftLine", "CarteraUpload", "CarteraUploadLine",
    "SlipAllocation", "ApplicationRequest", "AuditEvent", "Branch", "Card",
    "Company", "Credit", "Entity", "GatewayEvent", "GatewayTransaction", "Payment",
    "PaymentReview", "PaymentSlip", "KindergartenSlip", "LedgerAccount", "LedgerEntry",
    "LoginGuard", "Membership", "OtpChallenge", "OutboxAttachment", "OutboxMessage", "PasswordHistory",
    "PendingForm", "Product", "Statement", "StatementLine", "StoredFile", "SubsidyOrder", "User",
    "UserSession", "Worker", "BatchSignature", "Counter", "DistributionTariff", "EmailCode",
    "OrderDistribution", "OrderPayment", "SandboxBankAccount", "SandboxBankDebit", "ServiceOrder", "Tariff",
    "CardOperation", "MasterDeposit", "MasterFunding",
    "ApiKey", "IdempotentRequest", "WebhookAttempt", "WebhookDelivery", "WebhookEndpoint",
    "ContactUpdateRequest", "ChangeRequest",
    "ScheduledRun",
]
