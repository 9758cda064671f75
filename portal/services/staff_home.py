"""The staff home: every work queue a staff member's roles allow, each with how many items
wait and since when (the oldest one), read in one statement.

QUEUES is the registry: to add a queue, add one `Queue` to it — a name, its Spanish label,
the roles that see it, a one-row select of «count» and «oldest» (use `waiting`) and the
endpoint of its page (None while it has none: the home then shows the figures without a
link). Each select must stay cheap with a large queue: filter on indexed columns, with the
oldest column last in the index (migration 0014_staffhome). The selects are cross-joined
into one row, built once per combination of visible queues (building a select costs about
as much as running it); the current time is the bound parameter «now».
"""
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Date, bindparam, func, select, true, union_all

from portal.domain import applications as apps
from portal.domain import batches as b
from portal.domain import contact_updates as contact
from portal.domain import four_eyes
from portal.domain import orders as o
from portal.domain import subsidy_orders as subsidy
from portal.domain import uploads as u
from portal.domain.clock import utcnow
from portal.domain.formatting import local
from portal.extensions import db
from portal.models import (
    ApplicationRequest,
    Batch,
    BatchLine,
    CarteraUpload,
    ChangeRequest,
    ContactUpdateRequest,
    LoginGuard,
    MasterDeposit,
    OrderPayment,
    OutboxMessage,
    Payment,
    PaymentReview,
    ServiceOrder,
    SubsidyOrder,
    User,
)


@dataclass(frozen=True)
class Queue:
    name: str  # a key: [a-z_]+, unique
    label: str  # Spanish, as the home shows it
    roles: tuple  # staff roles that see it (admin sees every queue); () every staff member
    select: Callable  # () -> a one-row select with the columns «count» and «oldest»
    endpoint: str | None = None  # its page; None while it has none
    args: dict = field(default_factory=dict)  # the link's query arguments (a filter)
    started: Callable | None = None  # «oldest» -> when that item started waiting, if not itself

    def visible_to(self, staff_user):
        return not self.roles or staff_user.has_role(*self.roles)


def waiting(oldest_column, *where, count=None):
    """The usual part: how many rows match and the smallest `oldest_column` among them."""
    return select((count if count is not None else func.count()).label("count"),
                  func.min(oldest_column).label("oldest")).where(*where)


def _application_requests(application):
    return lambda: waiting(ApplicationRequest.created_at, ApplicationRequest.status == "pending",
                           ApplicationRequest.application == application)


def _rejected_lines():
    """Processed batches with lines the card processor rejected (their money is left in
    clearing), since the oldest was processed."""
    return waiting(Batch.processed_at, BatchLine.outcome == "rejected", Batch.status == b.PROCESSED,
                   count=func.count(func.distinct(BatchLine.batch_id))) \
        .select_from(BatchLine).join(Batch, Batch.id == BatchLine.batch_id)


def _failed_debits():
    """Orders back to «por pagar» after the bank declined the debit or failed."""
    return waiting(OrderPayment.decided_at, OrderPayment.status.in_(("declined", "error")),
                   ServiceOrder.status == o.PENDING_PAYMENT,
                   count=func.count(func.distinct(OrderPayment.order_id))) \
        .select_from(OrderPayment).join(ServiceOrder, ServiceOrder.id == OrderPayment.order_id)


def _locked_accounts():
    """Users and affiliates' cédulas (login_guards) locked by failed sign-ins right now."""
    now = bindparam("now")
    locks = union_all(select(User.locked_until.label("until")).where(User.locked_until > now),
                      select(LoginGuard.locked_until.label("until")).where(LoginGuard.locked_until > now)
                      ).subquery("locks")
    return select(func.count().label("count"), func.min(locks.c.until).label("oldest"))


def _lock_started(until):
    """A lock lasts LOGIN_LOCK_MINUTES: the earliest end is the oldest lock's start."""
    return until - timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])


PAGOS, CARTERA, TARJETAS, ADMIN = ("pagos",), ("cartera",), ("tarjetas",), ("admin",)

QUEUES = [
    *[Queue(f"requests_{app.lower()}", f"Solicitudes de aplicaciones {app}", apps.REVIEWER_ROLES[app],
            _application_requests(app), "staff.requests", {"aplicacion": app})
      for app in apps.APPLICATIONS],
    Queue("cartera_errors", "Archivos de cartera con errores", CARTERA,
          lambda: waiting(CarteraUpload.created_at, CarteraUpload.status.in_(u.WITH_ERRORS)),
          "staff.cartera_uploads", {"estado": "con_errores"}),
    Queue("cartera_duplicates", "Archivos de cartera por confirmar", CARTERA,
          lambda: waiting(CarteraUpload.created_at, CarteraUpload.status == u.DUPLICATE),
          "staff.cartera_uploads", {"estado": "por_confirmar"}),
    Queue("payment_reviews", "Pagos por revisar", PAGOS,
          lambda: waiting(PaymentReview.created_at, PaymentReview.status == "open"), "staff.payments"),
    Queue("payments_waiting", "Pagos en espera del banco", PAGOS,
          lambda: waiting(Payment.created_at, Payment.status == "pending"), "staff.payments"),
    Queue("contact_updates", "Actualizaciones de datos de afiliados", PAGOS,
          lambda: waiting(ContactUpdateRequest.submitted_at, ContactUpdateRequest.status == contact.PENDING),
          "staff.contact_updates"),
    Queue("subsidy_orders", "Órdenes de subsidio vigentes por redimir", PAGOS,
          lambda: waiting(SubsidyOrder.issued_at, SubsidyOrder.status == subsidy.ISSUED,
                          SubsidyOrder.valid_until >= bindparam("today", type_=Date)),
          "staff.subsidy_orders_list", {"estado": subsidy.VIGENTE}),
    Queue("batches_in_process", "Lotes en proceso", TARJETAS,
          lambda: waiting(Batch.created_at, Batch.status == b.IN_PROCESS), "staff.card_batches", {"estado": "en_proceso"}),
    Queue("batches_rejected", "Lotes con registros rechazados", TARJETAS, _rejected_lines,
          "staff.card_batches", {"estado": "rechazados"}),
    Queue("orders_unpaid", "Órdenes de servicio por pagar", TARJETAS,
          lambda: waiting(ServiceOrder.created_at, ServiceOrder.status == o.PENDING_PAYMENT),
          "staff.card_orders", {"estado": "por_pagar"}),
    Queue("orders_failed_debit", "Órdenes con débito rechazado o fallido", TARJETAS, _failed_debits,
          "staff.card_orders", {"estado": "debito_fallido"}),
    Queue("orders_bank", "Débitos de órdenes en espera del banco", TARJETAS,
          lambda: waiting(OrderPayment.created_at, OrderPayment.status.in_(("sent", "pending"))),
          "staff.card_orders", {"estado": "en_banco"}),
    Queue("master_deposits", "Consignaciones por confirmar", TARJETAS,
          lambda: waiting(MasterDeposit.registered_at, MasterDeposit.status == "registered"),
          "staff.master_deposits"),
    Queue("changes_pending", "Cambios por aprobar (cuatro ojos)", TARJETAS,
          lambda: waiting(ChangeRequest.proposed_at, ChangeRequest.status == four_eyes.PENDING), "staff.changes"),
    Queue("locked_accounts", "Cuentas bloqueadas por intentos fallidos", ADMIN, _locked_accounts,
          "staff.accounts_list", {"estado": "intentos"}, started=_lock_started),
    Queue("outbox_failed", "Mensajes que no se pudieron enviar", (),
          lambda: waiting(OutboxMessage.created_at, OutboxMessage.status == "failed"),
          "staff.messages", {"estado": "failed"}),
    Queue("outbox_unknown", "Mensajes sin confirmación de envío (no se reenvían)", (),
          lambda: waiting(OutboxMessage.created_at, OutboxMessage.status == "unknown"),
          "staff.messages", {"estado": "unknown"}),
]
_statements = {}


@dataclass(frozen=True)
class Figure:
    queue: Queue
    count: int
    oldest: datetime | None  # when the oldest item started waiting (naive UTC)


def visible(staff_user):
    """The queues this staff member sees, in the registry's order."""
    return [queue for queue in QUEUES if queue.visible_to(staff_user)]


def figures(staff_user, now=None):
    """Each visible queue's count and oldest item, in one statement."""
    queues = visible(staff_user)
    if not queues:
        return []
    now = now or utcnow()
    row = db.session.execute(_statement(tuple(q.name for q in queues)), {"now": now, "today": local(now).date()}).one()
    out = []
    for queue in queues:
        oldest = getattr(row, f"{queue.name}__oldest")
        if oldest is not None and queue.started:
            oldest = queue.started(oldest)
        out.append(Figure(queue, int(getattr(row, f"{queue.name}__count") or 0), oldest))
    return out


def _statement(names):
    if names not in _statements:
        by_name = {queue.name: queue for queue in QUEUES}
        parts = [by_name[name].select().subquery(name) for name in names]
        statement = select(*[column.label(f"{part.name}__{column.name}") for part in parts for column in part.c])
        statement = statement.select_from(parts[0])
        for part in parts[1:]:
            statement = statement.join(part, true())  # one row each: a cross join
        _statements[names] = statement
    return _statements[names]
