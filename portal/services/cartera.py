"""Estado de Cartera (manual 000): an employer branch's statements per period and their
summaries — Documentos Por Pagar, Documentos Procesados, Cuadre Cartera."""
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select, type_coerce
from sqlalchemy.types import NullType

from portal.adapters import xlsx
from portal.domain import cartera_layout as layout
from portal.domain import uploads as u
from portal.domain.cartera_index import LineIndex
from portal.extensions import db
from portal.models import (
    AuditEvent,
    CarteraUpload,
    Credit,
    PaymentSlip,
    SlipAllocation,
    Statement,
    StatementLine,
    Worker,
)
from portal.services import audit

KIND_LABELS = {layout.ACTIVE: "Activo", layout.RETIRED: "Retirado"}


def statements_of(branch):
    """The periods that have a statement, newest first."""
    return db.session.scalars(select(Statement).where(Statement.branch_id == branch.id)
                              .order_by(Statement.period.desc())).all()


def statement_of(branch, period):
    """Object-level check: the statement of this branch (and so of the user's entity)."""
    return db.session.scalars(select(Statement).where(Statement.branch_id == branch.id,
                                                      Statement.period == period)).first()


@dataclass(frozen=True)
class ToPay:
    id: int
    due_date: object
    credits: int
    balance: Decimal
    discount: Decimal


def to_pay(statement):
    credits, balance, discount = db.session.execute(
        select(func.count(), func.coalesce(func.sum(StatementLine.balance), 0),
               func.coalesce(func.sum(StatementLine.instalment), 0))
        .where(StatementLine.statement_id == statement.id)).one()
    return ToPay(statement.id, statement.due_date, credits, Decimal(balance), Decimal(discount))


@dataclass(frozen=True)
class Processed:
    number: int
    kind: str
    credits: int
    amount: Decimal
    paid: bool


def slips_of(statement):
    """The period's volantes, newest first: one read for all a page shows of them (which
    uploads were paid, the open one, the last one, whether one is being paid). Pass it as
    `slips=` to the functions that take it; without it each reads what it needs."""
    return db.session.scalars(select(PaymentSlip).where(PaymentSlip.statement_id == statement.id)
                              .order_by(PaymentSlip.id.desc())).all()


def processed_uploads(statement):
    """The period's processed uploads, oldest first (their files, StoredFile, read only if
    asked for): for processed() and cartera_slips.pending_uploads (`uploads=`)."""
    return db.session.scalars(
        select(CarteraUpload)
        .where(CarteraUpload.statement_id == statement.id, CarteraUpload.status == u.PROCESSED)
        .order_by(CarteraUpload.id)).all()


def paid_upload_ids(statement_id, slips=None):
    """The uploads of this period that a paid volante collected (`slips`: slips_of)."""
    if slips is not None:
        pairs = [(s.active_upload_id, s.retired_upload_id) for s in slips if s.status == "paid"]
    else:
        pairs = db.session.execute(
            select(PaymentSlip.active_upload_id, PaymentSlip.retired_upload_id)
            .where(PaymentSlip.statement_id == statement_id, PaymentSlip.status == "paid"))
    return {i for pair in pairs for i in pair if i}


def processed(statement, slips=None, uploads=None):
    """Uploads processed for this period, and whether a paid volante collected them
    (`slips`: slips_of; `uploads`: processed_uploads)."""
    paid_uploads = paid_upload_ids(statement.id, slips)
    uploads = processed_uploads(statement) if uploads is None else uploads
    return [Processed(u.id, KIND_LABELS[u.kind], u.credits_count, u.total_amount,
                      u.id in paid_uploads) for u in uploads]


@dataclass(frozen=True)
class Balance:
    discount: Decimal
    applied: Decimal

    @property
    def difference(self):
        return self.discount - self.applied


def balance_check(statement, discount=None, applied=None):
    """Cuadre Cartera: the period's instalments («Descuento», pass it when already summed,
    e.g. by to_pay) against what paid volantes applied to them («applied», pass it when
    already summed, e.g. from cartera_slips.applied_by_line). Arrears and extra principal
    paid are not instalments: the per-worker differences (cartera_slips.differences) show them."""
    if discount is None:
        discount = db.session.scalar(select(func.coalesce(func.sum(StatementLine.instalment), 0))
                                     .where(StatementLine.statement_id == statement.id))
    if applied is None:
        applied = db.session.scalar(
            select(func.coalesce(func.sum(SlipAllocation.to_instalment), 0))
            .join(PaymentSlip, PaymentSlip.id == SlipAllocation.slip_id)
            .where(PaymentSlip.statement_id == statement.id))
    return Balance(Decimal(discount), Decimal(applied))


# --- the three files -----------------------------------------------------------------------

# CarteraLine's fields, in its order: a line is built from a row (CarteraLine.from_row).
_LINE_COLUMNS = (Credit.number.label("credit_number"), Worker.id_number, Worker.first_name, Worker.last_name,
                 StatementLine.kind, StatementLine.balance, StatementLine.instalment, StatementLine.arrears_days,
                 StatementLine.arrears, Credit.principal, Credit.granted_on.label("credit_date"),
                 Worker.retired_on, Worker.id_type)


def _lines_query(statement, *extra):
    return (select(*_LINE_COLUMNS, *extra)
            .join(Credit, Credit.id == StatementLine.credit_id)
            .join(Worker, Worker.id == StatementLine.worker_id)
            .where(StatementLine.statement_id == statement.id))


_BY_NAME = (Worker.last_name, Worker.first_name, Credit.number)  # the files' and the browser table's order


def cartera_lines(statement, credit_number=None):
    """The statement's lines as the files show them, by worker name (only one credit's
    line when `credit_number` is given). Plain columns, not ORM objects: 10,000 lines
    load in a tenth of the time."""
    query = _lines_query(statement).order_by(*_BY_NAME)
    if credit_number is not None:
        query = query.where(Credit.number == credit_number)
    return list(map(layout.CarteraLine.from_row, db.session.execute(query).all()))


def lines_to_check(statement):
    """(the statement's lines by worker name, the table's order; their StatementLine ids by
    credit number): what the job checking a browser draft needs, run on the session's
    connection (the ORM's result machinery costs a third more for 10,000 rows; a job has
    nothing pending to flush here) and fetched at once (row by row costs a fetchone each)."""
    lines, ids, width = [], {}, len(_LINE_COLUMNS)
    for row in db.session.connection().execute(_lines_query(statement, StatementLine.id).order_by(*_BY_NAME)).all():
        lines.append(layout.CarteraLine.from_row(row[:width]))
        ids[row[0]] = row[width]
    return lines, ids


# What checking a file needs of each line of its kind (cartera_index.LineIndex's columns),
# then the line's id. Money comes as the driver gives it (no Decimal built per value by
# SQLAlchemy): exact_money makes it an int or a Decimal.
_INDEX_FIELDS = ("credit_number", "id_number", "first_name", "last_name", "balance", "instalment",
                 "arrears_days", "arrears", "retired_on", "id")
_INDEX_COLUMNS = (Credit.number, Worker.id_number, Worker.first_name, Worker.last_name,
                  type_coerce(StatementLine.balance, NullType()), type_coerce(StatementLine.instalment, NullType()),
                  StatementLine.arrears_days, type_coerce(StatementLine.arrears, NullType()), Worker.retired_on,
                  StatementLine.id)


def file_lines(statement, kind):
    """(a LineIndex of the statement's lines for a file of `kind`, their StatementLine ids
    by credit number): what the job checking an uploaded Activos or Retirados file
    needs: the lines of that kind in one query on the session's connection, fetched at
    once (only what the file shows of them, no CarteraLine built: the index builds one
    for a row that needs the full rules); the other file's credit numbers (to name the
    file a credit belongs to) only if a row's credit is not of this file."""
    connection = db.session.connection()
    rows = connection.execute(select(*_INDEX_COLUMNS).join(Credit, Credit.id == StatementLine.credit_id)
                              .join(Worker, Worker.id == StatementLine.worker_id)
                              .where(StatementLine.statement_id == statement.id, StatementLine.kind == kind)).all()
    columns = dict(zip(_INDEX_FIELDS, zip(*rows, strict=True) if rows else [()] * len(_INDEX_FIELDS), strict=True))
    for name in ("balance", "instalment", "arrears"):
        columns[name] = exact_money(columns[name])
    ids = dict(zip(columns["credit_number"], columns.pop("id"), strict=True))
    others = (select(Credit.number, StatementLine.kind).join(Credit, Credit.id == StatementLine.credit_id)
              .where(StatementLine.statement_id == statement.id, StatementLine.kind != kind))
    return LineIndex(kind, columns, lambda: db.session.execute(others).all()), ids


def exact_money(values):
    """Money column values as the driver gives them, as int (whole pesos) or Decimal,
    the amounts SQLAlchemy reads: PostgreSQL's driver gives Decimal; SQLite's NUMERIC
    affinity stores a whole amount as an integer and one with cents as a REAL, which
    SQLAlchemy reads as Decimal("%.2f" % value) for a Numeric of scale 2 (Money)."""
    return [value if type(value) is not float else Decimal(f"{value:.2f}") for value in values]


def statement_file(user, statement, kind):
    """(file name, xlsx bytes) of Detalle, Activos or Retirados; the download is audited."""
    data = xlsx.build_statement_file(cartera_lines(statement), kind)
    audit.record("cartera.file_downloaded", user, subject=f"statement:{statement.id}", kind=kind)
    db.session.commit()
    return f"{layout.layout(kind).slug}_{statement.period}_sucursal_{statement.branch_id}.xlsx", data


def downloaded(statement):
    """Whether a file of this statement was downloaded (the download is audited)."""
    return db.session.query(AuditEvent.id).filter_by(action="cartera.file_downloaded",
                                                     subject=f"statement:{statement.id}").first() is not None
