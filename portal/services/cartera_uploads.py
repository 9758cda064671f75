"""Documentos Subidos (manual 000): an employer sends its edited Activos or Retirados
file — or the draft edited in the browser — and an RQ job checks it whole.

Life of an upload: portal.domain.uploads (queued → processing → processed | invalid |
duplicate | failed); its job's claim, heartbeat and recovery: services.upload_jobs.
- invalid: the errors are stored (every one, with row and column) and `content` becomes
  the file given back with an «Errores» column.
- duplicate: the same data as a file already processed for this period and kind; it
  waits for the user's confirmation (→ processed) or cancellation (→ cancelled).
- processed: its lines are what the next volante collects. Processing one supersedes
  the earlier unpaid upload of the same kind and voids an open volante that collected
  it (its amounts no longer hold), unless that volante is being paid.
"""
import json
from datetime import timedelta
from itertools import repeat
from operator import attrgetter

from flask import current_app
from sqlalchemy import select, update

from portal.adapters import xlsx
from portal.db_bulk import insert_rows
from portal.domain import cartera_layout as layout
from portal.domain import cartera_rows, clock
from portal.domain import payments as payment_rules
from portal.domain import uploads as u
from portal.extensions import db
from portal.models import CarteraUpload, CarteraUploadLine, Payment, PaymentSlip
from portal.services import audit, cartera_drafts, upload_jobs
from portal.services.cartera import file_lines, lines_to_check, paid_upload_ids

DOUBLE_SUBMIT_WINDOW = timedelta(minutes=10)
FAILED_MESSAGE = "Ocurrió un error inesperado al procesar el archivo. Ya quedó registrado; intente de nuevo."
UPLOADS = upload_jobs.UploadKind(
    CarteraUpload, CarteraUploadLine.upload_id, "portal.jobs.process_cartera_upload",
    audit_prefix="cartera.upload", subject="upload",
    failed_values={"errors_json": json.dumps([{"message": FAILED_MESSAGE}], ensure_ascii=False)})


class UploadRefused(Exception):
    """Said to the user as is; nothing was stored."""


# --- sending ---------------------------------------------------------------------------

def payment_in_flight(statement, slips=None):
    """The volante of this period whose payment the bank has not answered yet (none when
    `slips`, cartera.slips_of, has no open or expired one: nothing to ask)."""
    if slips is not None and not any(s.status in ("open", "expired") for s in slips):
        return None
    return db.session.scalars(
        select(PaymentSlip).join(Payment, (Payment.target_id == PaymentSlip.id)
                                 & (Payment.kind == "payment_slip"))
        .where(PaymentSlip.statement_id == statement.id,
               PaymentSlip.status.in_(("open", "expired")),
               Payment.status.in_((payment_rules.CREATED, payment_rules.PENDING)),
               Payment.attempts > 0)).first()


def refuse_while_paying(statement, then=" antes de cargar otro archivo"):
    slip = payment_in_flight(statement)
    if slip is not None:
        raise UploadRefused(f"El volante {slip.number} tiene un pago en proceso. Espere la respuesta "
                            f"del banco{then}.")


def submit_file(user, statement, kind, filename, data):
    """Store an uploaded file and queue its check. A plainly wrong file (empty, too big,
    not an .xlsx, a zip bomb, macros, other or hidden sheets) is refused here and nothing
    is stored."""
    refuse_while_paying(statement)
    problem = xlsx.precheck(data, max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
                            expected_sheet=layout.layout(kind).title)
    if problem:
        raise UploadRefused(problem)
    digest = cartera_rows.file_hash(data)
    again = db.session.scalars(
        select(CarteraUpload).where(
            CarteraUpload.statement_id == statement.id, CarteraUpload.kind == kind,
            CarteraUpload.content_sha256 == digest, CarteraUpload.status.in_(u.WORKING),
            CarteraUpload.created_at >= clock.utcnow() - DOUBLE_SUBMIT_WINDOW)).first()
    if again is not None:  # "Procesar Archivo" pressed twice: one upload
        return again
    upload = CarteraUpload(statement_id=statement.id, kind=kind, source="xlsx",
                           filename=(filename or "archivo.xlsx")[:200], content_sha256=digest,
                           size_bytes=len(data), content=data, uploaded_by_id=user.id,
                           created_at=clock.utcnow())
    return _queue(user, upload)


def submit_draft(user, statement, kind):
    """"Procesar" on the browser table: the draft goes through the same job."""
    refuse_while_paying(statement)
    again = db.session.scalars(
        select(CarteraUpload).where(CarteraUpload.statement_id == statement.id,
                                    CarteraUpload.kind == kind, CarteraUpload.source == "browser",
                                    CarteraUpload.status.in_(u.WORKING))).first()
    if again is not None:
        return again
    upload = CarteraUpload(statement_id=statement.id, kind=kind, source="browser",
                           filename="Edición en el portal", uploaded_by_id=user.id,
                           created_at=clock.utcnow())
    return _queue(user, upload)


def _queue(user, upload):
    return upload_jobs.submit(UPLOADS, upload, user, "cartera.upload_received", statement=upload.statement_id,
                              kind=upload.kind, source=upload.source, size=upload.size_bytes,
                              sha256=upload.content_sha256)


def upload_of(statement, upload_id):
    """Object-level check: an upload of this statement (so of the user's branch)."""
    return db.session.scalars(select(CarteraUpload).where(CarteraUpload.id == upload_id,
                                                          CarteraUpload.statement_id == statement.id)).first()


def latest_upload(statement, kind):
    """Its file (up to MAX_UPLOAD_MB, a StoredFile) is read only if asked for (error_file)."""
    return db.session.scalars(
        select(CarteraUpload)
        .where(CarteraUpload.statement_id == statement.id, CarteraUpload.kind == kind)
        .order_by(CarteraUpload.id.desc())).first()


# --- the job ---------------------------------------------------------------------------

def process(upload_id):
    """Check an upload whole and record its lines; safe to run twice (the claim lets one
    run in). Returns the final status, or None when another run had it."""
    return upload_jobs.run(UPLOADS, upload_id, _process)


def recover_stuck():
    """Left behind by a dead worker (no heartbeat for a minute) or a lost job: run again from 0."""
    return upload_jobs.recover_every(UPLOADS)


def _process(run, upload):
    """Read and check the upload, committed once read (its size for the progress bar,
    and a heartbeat); then its verdict in one transaction: the lines of a valid file
    (with its totals and whatever the verdict supersedes), or the errors and the file
    given back with them. 20,000 rows take well under a second to check and write, so
    the bar goes from reading to done; nothing half written is ever committed."""
    statement = upload.statement
    content, sheet = upload.content, None  # kept: the commit below expires it; an error file starts from them
    if upload.source == "xlsx":
        read = xlsx.read_upload(content, max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
                                expected_sheet=layout.layout(upload.kind).title, keep_sheet=True)
        if not read.ok:
            return _invalid(run, upload, general=read.error)
        sheet = read.sheet
        upload.rows_total = len(read.data_rows)
        run.beat()
        db.session.commit()
        lines, line_ids = file_lines(statement, upload.kind)  # in the verdict's transaction
        check = cartera_rows.check_upload(read.rows, lines, upload.kind, formula_cells=read.formula_cells)
        if check.structure is not None:
            return _invalid(run, upload, general=check.structure.message)
        result = check.result
    else:
        lines, line_ids = lines_to_check(statement)
        result = cartera_rows.check_draft(lines, upload.kind, cartera_drafts.entries(statement, upload.kind))
        upload.rows_total = sum(1 for line in lines if line.kind == upload.kind)
        run.beat()
        db.session.commit()
    if not result.ok:
        return _invalid(run, upload, errors=result.errors, content=content, sheet=sheet)
    _write_lines(upload, line_ids, result)
    run.beat()  # still ours, until this transaction writes the result
    upload.content_key = result.content_key()
    upload.total_amount = result.total
    upload.credits_count = sum(1 for row in result.accepted.values() if row.amount > 0)
    upload.processed_at = clock.utcnow()
    upload.rows_done = upload.rows_total
    if previous_processed(upload) is not None:
        run.finish(upload, u.DUPLICATE)
        audit.record("cartera.upload_duplicate", subject=f"upload:{upload.id}")
    else:
        run.finish(upload, u.PROCESSED)
        _accept(upload)
    db.session.commit()
    return upload.status


def _write_lines(upload, line_ids, result):
    """The accepted rows as the upload's lines, in the verdict's transaction (one
    executemany of tuples on SQLite: db_bulk)."""
    accepted = result.accepted
    rows = accepted.values()
    insert_rows(CarteraUploadLine.__table__, ("upload_id", "line_id", "apply_arrears", "amount"),
                list(zip(repeat(upload.id, len(accepted)), map(line_ids.__getitem__, accepted),
                         map(attrgetter("apply_arrears"), rows), map(attrgetter("amount"), rows), strict=True)))


def _invalid(run, upload, general=None, errors=(), content=None, sheet=None):
    """`content`: the upload's file, as the job read it; `sheet`: its sheet's XML, as
    read_upload kept it (errors of an .xlsx come back in them)."""
    items = ([{"message": general}] if general else []) + [
        {"row": e.row, "column": e.column, "reason": e.reason, "message": e.message} for e in errors]
    if errors and upload.source == "xlsx":  # every row checked: the file given back with them
        upload.content = xlsx.with_error_column(content, errors, sheet=sheet)
    upload.rows_done = upload.rows_total
    run.beat()  # still ours, until this transaction writes the result
    run.finish(upload, u.INVALID)
    upload.error_count = len(items)
    upload.errors_json = json.dumps(items, ensure_ascii=False)
    upload.processed_at = clock.utcnow()
    audit.record("cartera.upload_invalid", subject=f"upload:{upload.id}", errors=len(items))
    db.session.commit()
    return upload.status


def previous_processed(upload):
    """A processed upload of this period and kind with the very same data."""
    return db.session.scalars(
        select(CarteraUpload).where(CarteraUpload.statement_id == upload.statement_id,
                                    CarteraUpload.kind == upload.kind, CarteraUpload.id != upload.id,
                                    CarteraUpload.status == u.PROCESSED,
                                    CarteraUpload.content_key == upload.content_key)
        .order_by(CarteraUpload.id.desc())).first()


def _accept(upload):
    """A processed upload replaces the earlier unpaid one of its period and kind."""
    paid = paid_upload_ids(upload.statement_id)
    db.session.execute(
        update(CarteraUpload).where(CarteraUpload.statement_id == upload.statement_id,
                                    CarteraUpload.kind == upload.kind, CarteraUpload.id != upload.id,
                                    CarteraUpload.status.in_(u.UPLOAD.sources(u.SUPERSEDED)),
                                    CarteraUpload.id.not_in(paid or [0]))
        .values(status=u.SUPERSEDED).execution_options(synchronize_session=False))
    _void_open_slips(upload.statement)
    if upload.source == "browser":  # the draft became this upload
        cartera_drafts.clear(upload.statement_id, upload.kind)
    audit.record("cartera.upload_processed", subject=f"upload:{upload.id}",
                 total=str(upload.total_amount), credits=upload.credits_count)


def _void_open_slips(statement):
    if payment_in_flight(statement) is not None:
        return
    db.session.execute(update(PaymentSlip).where(PaymentSlip.statement_id == statement.id,
                                                 PaymentSlip.status == "open")
                       .values(status="void").execution_options(synchronize_session=False))


def paid_slip_of(upload, slips=None):
    """The paid volante that collected this upload, if any (`slips`: cartera.slips_of of
    its period: a volante collects uploads of its own period only)."""
    if slips is not None:
        return next((s for s in slips if s.status == "paid"
                     and upload.id in (s.active_upload_id, s.retired_upload_id)), None)
    return db.session.scalars(
        select(PaymentSlip).where(PaymentSlip.status == "paid",
                                  (PaymentSlip.active_upload_id == upload.id)
                                  | (PaymentSlip.retired_upload_id == upload.id))).first()


# --- after the job: the user's answers -------------------------------------------------

def confirm_duplicate(user, upload):
    """"Sí, procesarlo de nuevo": the user knows it is the same data."""
    if upload.status != u.DUPLICATE:
        return False
    refuse_while_paying(upload.statement)
    if not upload_jobs.move(UPLOADS, upload.id, u.PROCESSED, CarteraUpload.status == u.DUPLICATE):
        # confirmed (or cancelled) by another click meanwhile
        db.session.rollback()
        return False
    upload.status = u.PROCESSED  # as the UPDATE wrote it
    _accept(upload)
    audit.record("cartera.upload_duplicate_confirmed", user, subject=f"upload:{upload.id}")
    db.session.commit()
    return True


def cancel_duplicate(user, upload):
    changed = upload_jobs.move(UPLOADS, upload.id, u.CANCELLED)
    if changed:
        audit.record("cartera.upload_cancelled", user, subject=f"upload:{upload.id}")
    db.session.commit()
    db.session.refresh(upload)
    return bool(changed)


def errors_of(upload):
    return json.loads(upload.errors_json) if upload.errors_json else []


def has_error_file(upload):
    return upload.status == u.INVALID and upload.source == "xlsx" and upload.file_id is not None


def error_file(user, upload, action="cartera.error_file_downloaded", **detail):
    """(file name, bytes) of an invalid upload with its «Errores» column, the download
    audited as `action` (the employer's, or staff's)."""
    if not has_error_file(upload):
        return None
    audit.record(action, user, subject=f"upload:{upload.id}", **detail)
    db.session.commit()
    return upload_jobs.error_file_name(upload.filename), upload.content


UNRESOLVED = (*u.WORKING, u.INVALID, u.FAILED, u.DUPLICATE)


def unresolved(statement):
    """Whether the latest upload of Activos or Retirados still needs the employer: being
    checked, with errors, or waiting for «Sí, procesarlo de nuevo»."""
    latest = {}
    for kind, status in db.session.execute(select(CarteraUpload.kind, CarteraUpload.status)
                                           .where(CarteraUpload.statement_id == statement.id)
                                           .order_by(CarteraUpload.id.desc())):
        latest.setdefault(kind, status)
    return any(status in UNRESOLVED for status in latest.values())
