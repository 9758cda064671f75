"""Estado de Cartera, month by month: build each employer branch's statement for a period
and e-mail its three files (Detalle, Activos, Retirados) to the employer's Hanna users.

Plain functions, no request context: the monthly RQ job (portal.jobs) and the staff's
"Volver a generar y enviar" call them. The rules:
- A statement has one line per active credit of the branch with a balance > 0; a line
  is 'retired' when the worker is retired. Building is idempotent: an existing statement
  (uq_statements_period) is returned as it is, its lines never rebuilt, because uploads,
  drafts and volantes point at them.
- Mora on a line is charged on what earlier statements left unpaid (instalment − paid),
  each instalment from its own due date to this statement's due date (the date the
  employer is asked to pay by), after the grace (domain/arrears.py).
- The files of a statement are e-mailed once: Statement.files_sent_at is claimed with a
  conditional UPDATE … WHERE files_sent_at IS NULL in the same transaction that stores
  the messages, so a retried job sends nothing twice. A staff re-run sends deliberately.
"""
import logging
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal

from flask import current_app
from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError

from portal.adapters import xlsx
from portal.domain import arrears as mora
from portal.domain import cartera_layout as layout
from portal.domain.clock import utcnow
from portal.domain.formatting import day, money
from portal.extensions import db
from portal.models import ApplicationRequest, Branch, Credit, Entity, Statement, StatementLine, User, Worker
from portal.services import audit, hanna, messaging
from portal.services.cartera import cartera_lines, statement_of

log = logging.getLogger(__name__)

APPLICATION = "EMPRESAS"
PERIOD_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
FILE_LABELS = {layout.DETAIL: "Archivo Detalle", layout.ACTIVE: "Archivo Activos",
               layout.RETIRED: "Archivo Retirados"}


# --- periods -------------------------------------------------------------------------------

def period_of(today: date) -> str:
    return f"{today.year:04d}-{today.month:02d}"


def valid_period(period) -> bool:
    return isinstance(period, str) and PERIOD_RE.fullmatch(period) is not None


# --- settings ------------------------------------------------------------------------------

def daily_rate():
    rate = current_app.config["CARTERA_ARREARS_DAILY_RATE"]
    if isinstance(rate, float):
        raise TypeError("CARTERA_ARREARS_DAILY_RATE must be a Decimal or a string, not float")
    return Decimal(str(rate))


def grace_days():
    return int(current_app.config["CARTERA_GRACE_BUSINESS_DAYS"])


# --- building a statement ------------------------------------------------------------------

def _eligible(branch):
    """The branch's credits that go on a statement: active, with a balance."""
    return (select(Credit, Worker).join(Worker, Worker.id == Credit.worker_id)
            .where(Credit.branch_id == branch.id, Credit.status == "active", Credit.balance > 0)
            .order_by(Credit.number))


def has_credits(branch):
    return db.session.scalar(select(exists().where(
        Credit.branch_id == branch.id, Credit.status == "active", Credit.balance > 0)))


def unpaid_before(credit_ids, period):
    """{credit id: [(due date, instalment − paid)]} of earlier periods' lines not fully paid."""
    if not credit_ids:
        return {}
    rows = db.session.execute(
        select(StatementLine.credit_id, Statement.due_date, StatementLine.instalment, StatementLine.paid)
        .join(Statement, Statement.id == StatementLine.statement_id)
        .where(StatementLine.credit_id.in_(credit_ids), Statement.period < period,
               StatementLine.instalment > StatementLine.paid)
        .order_by(Statement.due_date))
    out = {}
    for credit_id, due, instalment, paid in rows:
        out.setdefault(credit_id, []).append((due, Decimal(instalment) - Decimal(paid)))
    return out


def line_arrears(overdue, due, balance, rate=None, grace=None):
    """Mora of a line falling due on `due`, on what earlier lines left unpaid."""
    return mora.overdue_arrears(overdue, daily_rate() if rate is None else rate, due,
                                grace_days() if grace is None else grace, limit=balance)


def _build(branch, period, today):
    """(statement, created)."""
    if not valid_period(period):
        raise ValueError(f"period must be YYYY-MM: {period!r}")
    if period > period_of(today):
        raise ValueError(f"the period {period} has not begun on {today}")
    statement = statement_of(branch, period)
    if statement is not None:
        return statement, False
    due = mora.due_date(period)
    rate, grace = daily_rate(), grace_days()
    rows = db.session.execute(_eligible(branch)).all()
    overdue = unpaid_before([credit.id for credit, _ in rows], period)
    statement = Statement(entity_id=branch.entity_id, branch_id=branch.id, period=period, due_date=due)
    db.session.add(statement)
    try:
        db.session.flush()
    except IntegrityError:  # another run built it in the meantime
        return _built_meanwhile(branch, period), False
    total_arrears = Decimal("0.00")
    for credit, worker in rows:
        balance = Decimal(credit.balance)
        late = line_arrears(overdue.get(credit.id, ()), due, balance, rate, grace)
        total_arrears += late.amount
        db.session.add(StatementLine(
            statement_id=statement.id, credit_id=credit.id, worker_id=credit.worker_id,
            kind="retired" if worker.status == "retired" else "active",
            instalment=min(Decimal(credit.instalment), balance), balance=balance,
            arrears_days=late.days, arrears=late.amount, paid=Decimal("0.00")))
    audit.record("cartera.statement_built", None, subject=f"statement:{statement.id}", period=period,
                 entity_id=branch.entity_id, branch_id=branch.id, lines=len(rows), arrears=total_arrears)
    try:
        db.session.commit()
    except IntegrityError:
        return _built_meanwhile(branch, period), False
    return statement, True


def _built_meanwhile(branch, period):
    db.session.rollback()
    statement = statement_of(branch, period)
    if statement is None:
        raise RuntimeError(f"statement of branch {branch.id} for {period} refused by the database")
    return statement


def build_statement(branch, period, today):
    """The branch's statement for `period` ('YYYY-MM'): the existing one, or a new one
    with a line per active credit with a balance. Commits. A period after today's month
    is refused (ValueError)."""
    return _build(branch, period, today)[0]


# --- e-mailing the three files -------------------------------------------------------------

def approved_entities():
    """Employers with the EMPRESAS application approved for at least one of their users."""
    return (select(Entity).where(exists().where(
        ApplicationRequest.entity_id == Entity.id, ApplicationRequest.application == APPLICATION,
        ApplicationRequest.status == "approved")).order_by(Entity.name, Entity.id))


def is_approved(entity):
    return db.session.scalar(select(exists().where(
        ApplicationRequest.entity_id == entity.id, ApplicationRequest.application == APPLICATION,
        ApplicationRequest.status == "approved")))


def recipients(entity):
    """The entity's active Hanna users who have EMPRESAS (and so Estado de Cartera), one
    per e-mail address."""
    users = db.session.scalars(select(User).where(
        User.entity_id == entity.id, User.kind == "hanna", User.is_active_account.is_(True))
        .order_by(User.id)).all()
    seen, out = set(), []
    for user in users:
        email = (user.email or "").strip().lower()
        if email and email not in seen and hanna.has_approved(user, APPLICATION):
            seen.add(email)
            out.append(user)
    return out


def attachments_for(statement):
    """[(file name, content type, bytes)] of Detalle, Activos and Retirados."""
    lines = cartera_lines(statement)
    files = xlsx.build_statement_files(lines)
    return lines, [(layout.file_name(kind, statement.period), xlsx.MIME, files[kind])
                   for kind in layout.KINDS]


def _subject(statement, entity, branch):
    return (f"Estado de Cartera {statement.period} · {entity.name} · "
            f"Sucursal {branch.code} {branch.name}")[:200]


def _body(user, statement, entity, branch, lines, resend):
    balance = sum((line.balance for line in lines), Decimal("0.00"))
    discount = sum((line.instalment for line in lines), Decimal("0.00"))
    arrears = sum((line.arrears for line in lines), Decimal("0.00"))
    names = [layout.file_name(kind, statement.period) for kind in layout.KINDS]
    text = [f"Hola {user.full_name}:", ""]
    if resend:
        text += ["La Caja le envía de nuevo los archivos de esta vigencia.", ""]
    text += [
        f"Le enviamos el Estado de Cartera de la vigencia {statement.period} de {entity.name} "
        f"(NIT {entity.nit}), sucursal {branch.code} {branch.name}, con sus tres (3) archivos adjuntos:",
        "",
        f"- {FILE_LABELS[layout.DETAIL]} ({names[0]}): el listado de todos los trabajadores con "
        "obligación adquirida y su estado actual de cartera.",
        f"- {FILE_LABELS[layout.ACTIVE]} ({names[1]}): los trabajadores por los cuales usted asumió "
        "el compromiso de pago de obligaciones los días 10 de cada mes.",
        f"- {FILE_LABELS[layout.RETIRED]} ({names[2]}): los trabajadores en condición de retiro por "
        "los cuales usted aún mantiene un compromiso de pago.",
        "",
        "Documentos Por Pagar",
        f"Fecha Pago: {day(statement.due_date)}",
        f"Nro Créditos: {len(lines)}",
        f"Valor Saldo: {money(balance)}",
        f"Descuento: {money(discount)}",
    ]
    if arrears > 0:
        text.append(f"Mora a la fecha de pago (si aplica): {money(arrears)}")
    text += [
        "",
        "TENGA EN CUENTA: el Archivo de Detalle es informativo; en los archivos Activos y Retirados "
        "los campos que usted puede modificar son: Aplica Mora y Valor a Pagar. Los archivos no "
        "pueden ser modificados en su estructura (no se pueden adicionar columnas).",
        "",
        "Puede utilizar los archivos de este correo o los de la Plataforma Hanna (Estado De "
        "Cartera); cualquiera de ellos es totalmente válido. Adjunte los archivos Activos y "
        "Retirados en la Plataforma Hanna, haga clic en «Procesar Archivo» y luego en «Generar "
        "volante de pago».",
        "",
        "Para que los pagos se hagan efectivos envíe los archivos a tiempo y evite que se "
        "generen intereses por mora, que serían asumidos por el empleador.",
    ]
    return "\n".join(text)


def send_files(statement, resend=False, actor=None, entity=None, branch=None, users=None):
    """E-mail the statement's three files to the entity's users. Returns
    'sent' | 'already_sent' | 'no_recipients'. Without `resend` the files go at most once."""
    entity = entity or db.session.get(Entity, statement.entity_id)
    branch = branch or db.session.get(Branch, statement.branch_id)
    users = recipients(entity) if users is None else users
    if not users:
        return "no_recipients"
    conditions = [Statement.id == statement.id]
    if not resend:
        conditions.append(Statement.files_sent_at.is_(None))
    claimed = db.session.execute(update(Statement).where(*conditions).values(files_sent_at=utcnow())
                                 .execution_options(synchronize_session=False)).rowcount
    if not claimed:
        db.session.rollback()
        return "already_sent"
    lines, attachments = attachments_for(statement)
    subject = _subject(statement, entity, branch)
    for user in users:
        messaging.send_email(user.email, subject, _body(user, statement, entity, branch, lines, resend),
                             attachments=attachments)
    audit.record("cartera.statement_files_sent", actor, subject=f"statement:{statement.id}",
                 period=statement.period, nit=entity.nit, branch=branch.code, resend=resend,
                 lines=len(lines), to=[u.email for u in users])
    db.session.commit()
    db.session.refresh(statement)
    return "sent"


# --- the monthly run -----------------------------------------------------------------------

@dataclass
class RunResult:
    period: str
    entities: int = 0
    built: int = 0  # statements created by this run
    existing: int = 0  # statements that were already there
    sent: int = 0  # statements whose files were e-mailed by this run
    already_sent: int = 0
    emails: int = 0
    no_credits: int = 0  # branches without credits to collect (no statement)
    no_recipients: int = 0  # statements not sent: the employer has no user with EMPRESAS
    failed: int = 0
    errors: list = field(default_factory=list)

    def as_dict(self):
        return asdict(self)


def run_monthly(period, today, entity=None, resend=False, actor=None):
    """Every approved employer's statements of `period` (or only `entity`'s), built if
    missing, their files e-mailed. Safe to run twice; `resend` e-mails them again."""
    if not valid_period(period):
        raise ValueError(f"period must be YYYY-MM: {period!r}")
    if entity is not None and not isinstance(entity, Entity):
        entity = db.session.get(Entity, entity)
    if entity is None:
        entity_ids = db.session.scalars(approved_entities().with_only_columns(Entity.id)).all()
    else:
        entity_ids = [entity.id] if is_approved(entity) else []
    result = RunResult(period)
    for entity_id in entity_ids:
        _run_entity(db.session.get(Entity, entity_id), period, today, resend, actor, result)
    audit.record("cartera.statements_run", actor, subject=f"period:{period}",
                 entity=entity.nit if entity is not None else None,
                 **{k: v for k, v in result.as_dict().items() if k not in ("period", "errors")})
    db.session.commit()
    return result


def _run_entity(entity, period, today, resend, actor, result):
    result.entities += 1
    users = recipients(entity)
    branches = db.session.scalars(select(Branch).where(Branch.entity_id == entity.id)
                                  .order_by(Branch.code)).all()
    for branch in branches:
        try:
            if statement_of(branch, period) is None and not has_credits(branch):
                result.no_credits += 1
                continue
            statement, created = _build(branch, period, today)
            result.built += created
            result.existing += not created
            outcome = send_files(statement, resend, actor, entity, branch, users)
        except Exception as exc:  # one branch's failure must not stop the others
            db.session.rollback()
            log.exception("statement of %s branch %s for %s failed", entity.nit, branch.code, period)
            result.failed += 1
            result.errors.append(f"{entity.nit}/{branch.code}: {type(exc).__name__}")
            continue
        if outcome == "sent":
            result.sent += 1
            result.emails += len(users)
        elif outcome == "already_sent":
            result.already_sent += 1
        else:
            result.no_recipients += 1
