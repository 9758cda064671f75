"""The job of an uploaded file, whatever kind of upload it is: one run claims it, keeps
its heartbeat while it works, and an upload whose worker died is given to a new run.

A kind of upload (UploadKind) is a model with `id`, `status` (queued → processing → …),
`created_at`, `heartbeat_at`, `rows_total` and `rows_done`; a table of lines the job
writes; and the job that processes one, given its id.

The heartbeat is written at the claim and at every commit the job makes anyway (after
reading the file, every step of lines a batch writes, the result): the longest step
between two of them, checking a 20,000-row cartera file and writing its lines or its
error file, takes well under a second here. Each write checks the upload is still this run's (status and the
heartbeat it last wrote): a run given up for dead meanwhile stops (Abandoned) and
writes nothing more.

recover() (worker.py's cron, every 30 s):
- 'processing' with no heartbeat for UPLOAD_HEARTBEAT_TIMEOUT_SECONDS: its worker
  died. Its partial lines are dropped and it goes back to 'queued' from 0, queued again;
  the third time a run of it dies it is 'failed' (a file that kills its worker would
  otherwise do so forever).
- 'queued' for UPLOAD_QUEUED_TIMEOUT_SECONDS since it was (last) queued: its job was
  lost (Redis restarted, a worker died between taking the job and claiming the
  upload). It is queued again; if the first job was merely slow, the claim lets one in.
Both are conditional UPDATEs: when two recoveries run at once, one wins.
"""
import contextlib
import gc
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update

from portal.domain import clock
from portal.domain import uploads as u
from portal.extensions import db
from portal.models import AuditEvent, StoredFile
from portal.queue import enqueue_after_commit
from portal.services import audit

DEATHS_BEFORE_FAILING = 3
FILE_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class UploadKind:
    model: type
    line_upload_id: object  # the lines' column naming their upload, e.g. CarteraUploadLine.upload_id
    job: str  # dotted path of the job, called with the upload's id
    audit_prefix: str  # e.g. "cartera.upload": cartera.upload_abandoned, cartera.upload_requeued
    subject: str  # audit subject "<subject>:<id>"
    failed_values: dict = field(default_factory=dict)  # written with status 'failed' (its errors)
    machine: object = u.UPLOAD  # its statuses and moves (a batch's extend an upload's)


def submit(upload_kind, upload, user, action, **detail):
    """A new upload stored, audited as `action` and its job queued once the commit lands."""
    db.session.add(upload)
    db.session.flush()
    audit.record(action, user, subject=f"{upload_kind.subject}:{upload.id}", **detail)
    enqueue_after_commit(upload_kind.job, upload.id)
    db.session.commit()
    return upload


def move(kind, upload_id, new, *where, **values):
    """The upload to `new` (and `values`) if it is in a status the machine lets reach it
    (and matches `where`): a conditional UPDATE, so a double click or a second worker
    moves it once. True when this call moved it."""
    model = kind.model
    return bool(db.session.execute(
        update(model).where(model.id == upload_id, model.status.in_(kind.machine.sources(new)), *where)
        .values(status=new, **values).execution_options(synchronize_session=False)).rowcount)


def file_bytes(file_id):
    """A stored file's bytes (a bytearray; None when there is none), read a megabyte at
    a time into one buffer: psycopg receives a bytea as hex text, so a single SELECT of a
    12.7 MB batch file held ~36 MB more at its peak than the file itself."""
    where = StoredFile.id == file_id
    size = db.session.scalar(select(func.length(StoredFile.content)).where(where))
    if size is None:
        return None
    out = bytearray(size)
    for start in range(0, size, FILE_CHUNK):
        out[start:start + FILE_CHUNK] = db.session.scalar(
            select(func.substr(StoredFile.content, start + 1, FILE_CHUNK)).where(where))
    return out


def progress(upload):
    """0–100 for the progress bar: reading counts for a tenth, then rows written."""
    if upload.status not in u.WORKING:
        return 100
    if not upload.rows_total:
        return 5 if upload.status == u.PROCESSING else 0
    return 10 + int(90 * upload.rows_done / upload.rows_total)


def error_file_name(filename, default="archivo"):
    """«Activos marzo.xlsx» → «Activos marzo_con_errores.xlsx»."""
    return f"{(filename or default).rsplit('.', 1)[0]}_con_errores.xlsx"


def run(kind, upload_id, work):
    """The job of one upload: claimed (else None: another run has it), then
    `work(run, upload)`, the cyclic collector paused (collector_paused); a run given up
    for dead stops quietly (None), anything unexpected makes the upload 'failed' with
    its partial lines dropped. The upload's file (a StoredFile) is read only if the job
    asks for it."""
    this_run = Run(kind, upload_id)
    if not this_run.claim():
        return None
    upload = db.session.get(kind.model, upload_id)
    try:
        with collector_paused():
            return work(this_run, upload)
    except Abandoned:
        db.session.rollback()
        current_app.logger.warning("%s %s was given up for dead and rerun; this run stops", kind.subject, upload_id)
        return None
    except Exception:
        db.session.rollback()
        current_app.logger.exception("%s %s failed", kind.subject, upload_id)
        return this_run.fail()


def recover_every(kind):
    """recover() with the configured timeouts (worker.py's cron calls it every 30 s)."""
    config = current_app.config
    return recover(kind, timedelta(seconds=config["UPLOAD_HEARTBEAT_TIMEOUT_SECONDS"]),
                   timedelta(seconds=config["UPLOAD_QUEUED_TIMEOUT_SECONDS"]))


@contextlib.contextmanager
def collector_paused():
    """Python's cyclic garbage collector off while a job works through its lines: what
    the lines make (rows, values, JSON) is freed by reference counting, but the
    collector, set off by those allocations, scans the worker's whole heap (the app's
    objects too) again and again — ~15 % of a 100,000-line batch here, and about a
    third of a 10,000-row cartera file's CPU (its statement's lines: 0.2 s → 0.08 s)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Abandoned(Exception):
    """Recovery gave this run's upload to another run: stop, write nothing more."""


class Run:
    """One run of an upload's job. It claims the upload, then beats (in the job's own
    transaction, committed by the caller) wherever it commits."""

    def __init__(self, kind, upload_id):
        self.kind, self.upload_id = kind, upload_id
        self.beat_at = None  # heartbeat_at as this run last wrote it

    def claim(self):
        """queued → processing, committed; False when another run has it."""
        model, now = self.kind.model, clock.utcnow()
        claimed = db.session.execute(
            update(model).where(model.id == self.upload_id, model.status == u.QUEUED)
            .values(status=u.PROCESSING, heartbeat_at=now).execution_options(synchronize_session=False)).rowcount
        db.session.commit()
        self.beat_at = now
        return bool(claimed)

    def beat(self, **values):
        """The heartbeat (and `values`, e.g. rows_done, in the same UPDATE), in the job's
        transaction; Abandoned if the upload is not ours. Before the job sets the
        upload's status, since ours means still 'processing'."""
        now = clock.utcnow()
        if not db.session.execute(update(self.kind.model).where(*self._ours()).values(heartbeat_at=now, **values)
                                  .execution_options(synchronize_session=False)).rowcount:
            raise Abandoned(f"{self.kind.subject} {self.upload_id}")
        self.beat_at = now

    def fail(self):
        """'failed' with its partial lines dropped, if still ours; 'failed' or None."""
        model = self.kind.model
        failed = db.session.execute(update(model).where(*self._ours())
                                    .values(status=u.FAILED, **self.kind.failed_values)
                                    .execution_options(synchronize_session=False)).rowcount
        if failed:
            _drop_lines(self.kind, self.upload_id)
        db.session.commit()
        return u.FAILED if failed else None

    def drop_lines(self):
        """The lines this run wrote and committed so far, deleted (in the job's transaction)."""
        _drop_lines(self.kind, self.upload_id)

    def finish(self, upload, status):
        """The job's verdict on the upload (committed by the caller, after a last beat)."""
        upload.status = self.kind.machine.check(u.PROCESSING, status)

    def _ours(self):
        model = self.kind.model
        return model.id == self.upload_id, model.status == u.PROCESSING, model.heartbeat_at == self.beat_at


def recover(kind, heartbeat_timeout, queued_timeout):
    """Give uploads left behind by dead workers to a new run; how many were."""
    now = clock.utcnow()
    dead = _waiting_since(kind.model, u.PROCESSING, now - heartbeat_timeout)
    lost = _waiting_since(kind.model, u.QUEUED, now - queued_timeout)
    taken = [upload_id for upload_id in dead if _requeue(kind, upload_id, u.PROCESSING, now - heartbeat_timeout, now)]
    taken += [upload_id for upload_id in lost if _requeue(kind, upload_id, u.QUEUED, now - queued_timeout, now)]
    db.session.commit()
    return len(taken)


def _last_sign_of_life(model):
    return func.coalesce(model.heartbeat_at, model.created_at)


def _waiting_since(model, status, cutoff):
    return db.session.scalars(select(model.id).where(model.status == status,
                                                     _last_sign_of_life(model) < cutoff)).all()


def _requeue(kind, upload_id, status, cutoff, now):
    """Back to 'queued' from 0 (or 'failed', the third time its run died) if it is still
    `status` and silent since `cutoff`; False when another recovery, or its run, was first."""
    model, subject = kind.model, f"{kind.subject}:{upload_id}"
    deaths = 1 + _deaths(kind, subject) if status == u.PROCESSING else 0
    values = {"status": u.QUEUED, "heartbeat_at": now, "rows_done": 0, "rows_total": 0}
    if deaths >= DEATHS_BEFORE_FAILING:
        values.update(status=u.FAILED, **kind.failed_values)
    if not db.session.execute(
            update(model).where(model.id == upload_id, model.status == status, _last_sign_of_life(model) < cutoff)
            .values(**values).execution_options(synchronize_session=False)).rowcount:
        return False
    if deaths:
        _drop_lines(kind, upload_id)
        audit.record(f"{kind.audit_prefix}_abandoned", subject=subject, deaths=deaths)
    else:
        audit.record(f"{kind.audit_prefix}_requeued", subject=subject)
    if values["status"] == u.QUEUED:
        enqueue_after_commit(kind.job, upload_id)
    return True


def _deaths(kind, subject):
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == f"{kind.audit_prefix}_abandoned", AuditEvent.subject == subject))


def _drop_lines(kind, upload_id):
    db.session.execute(delete(kind.line_upload_id.table).where(kind.line_upload_id == upload_id))
