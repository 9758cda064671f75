"""Editing Activos/Retirados in the browser (beyond the manual): each row's «Aplica
Mora» and «Valor a Pagar» saved at once as a draft, by the file's rules. «Procesar»
hands the draft to the upload job (cartera_uploads.submit_draft), which turns it into
an upload like a file's and clears it."""
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from portal.domain import cartera_layout as layout
from portal.domain import cartera_rows, clock, paging
from portal.domain.cells import YES
from portal.extensions import db
from portal.models import CarteraDraftLine, Credit, StatementLine
from portal.services import audit
from portal.services.cartera import cartera_lines


def entries(statement, kind):
    """credit number → (apply_arrears, amount) of the rows edited in the browser."""
    rows = db.session.execute(
        select(Credit.number, CarteraDraftLine.apply_arrears, CarteraDraftLine.amount)
        .join(StatementLine, StatementLine.id == CarteraDraftLine.line_id)
        .join(Credit, Credit.id == StatementLine.credit_id)
        .where(StatementLine.statement_id == statement.id, StatementLine.kind == kind))
    return {number: (apply_arrears, amount) for number, apply_arrears, amount in rows}


def count(statement, kind):
    return db.session.scalar(
        select(func.count()).select_from(CarteraDraftLine)
        .join(StatementLine, StatementLine.id == CarteraDraftLine.line_id)
        .where(StatementLine.statement_id == statement.id, StatementLine.kind == kind))


@dataclass(frozen=True)
class DraftRow:
    line: layout.CarteraLine
    apply_arrears: bool  # what the row pays now: the draft, else the file's default
    amount: Decimal
    edited: bool


def page_of_rows(statement, kind, query="", number=1, per_page=25):
    """One page of the Activos/Retirados rows with the draft applied, filtered by name,
    identification or credit number. Returns (rows, paging.Page)."""
    lines = [line for line in cartera_lines(statement) if line.kind == kind]
    needle = " ".join(query.split()).casefold()
    if needle:
        lines = [line for line in lines
                 if needle in line.name.casefold() or needle in line.id_number or needle in line.credit_number.casefold()]
    page = paging.page_of(len(lines), number, per_page)
    edited = entries(statement, kind)
    rows = []
    for line in lines[page.offset:page.offset + page.per_page]:
        entry = edited.get(line.credit_number)
        apply_arrears, amount = entry or (line.default_apply_arrears == YES, line.default_amount)
        rows.append(DraftRow(line, apply_arrears, amount, entry is not None))
    return rows, page


def save_row(user, statement, kind, credit_number, flag, amount):
    """Save one edited row at once, by the file's rules (`flag`: the S or N typed for
    «Aplica Mora»). Returns (DraftRow, errors) where errors are (column, reason);
    nothing is saved when there are errors."""
    found = db.session.execute(
        select(StatementLine.id).join(Credit, Credit.id == StatementLine.credit_id)
        .where(StatementLine.statement_id == statement.id, StatementLine.kind == kind,
               Credit.number == credit_number)).first()
    line = next(iter(cartera_lines(statement, credit_number)), None)
    if found is None or line is None:
        return None, [("Nro Crédito", f"el crédito «{credit_number}» no pertenece a este archivo")]
    checked, errors = cartera_rows.check_entry(line, flag, amount)
    if errors:
        return DraftRow(line, flag == YES, Decimal(0), False), errors
    apply_arrears, value = checked
    line_id = found[0]
    draft = db.session.scalars(select(CarteraDraftLine).where(CarteraDraftLine.line_id == line_id)).first()
    if draft is None:
        draft = CarteraDraftLine(line_id=line_id)
        db.session.add(draft)
    draft.apply_arrears, draft.amount, draft.updated_by_id = apply_arrears, value, user.id
    draft.updated_at = clock.utcnow()
    try:
        db.session.commit()
    except IntegrityError:  # the same row saved twice at once: the other save stands, apply ours on it
        db.session.rollback()
        db.session.execute(update(CarteraDraftLine).where(CarteraDraftLine.line_id == line_id)
                           .values(apply_arrears=apply_arrears, amount=value, updated_by_id=user.id,
                                   updated_at=clock.utcnow()))
        db.session.commit()
    return DraftRow(line, apply_arrears, value, True), []


def clear(statement_id, kind):
    """Drop the draft rows of one file (discarded, or become an upload); how many."""
    kind_lines = select(StatementLine.id).where(StatementLine.statement_id == statement_id,
                                                StatementLine.kind == kind)
    return db.session.execute(delete(CarteraDraftLine).where(CarteraDraftLine.line_id.in_(kind_lines))).rowcount


def discard(user, statement, kind):
    removed = clear(statement.id, kind)
    audit.record("cartera.draft_discarded", user, subject=f"statement:{statement.id}", kind=kind, rows=removed)
    db.session.commit()
    return removed
