"""Staff: the queue of Estado de Cartera uploads (Activos/Retirados files and browser
drafts sent by employers) — who sent what, for which period, and what came of it.

Plain functions, no request context. Reading an upload's detail and downloading its
file with the «Errores» column are audited by the caller's actor.
"""
from dataclasses import dataclass

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import aliased

from portal.domain import cartera_layout as layout
from portal.domain import paging
from portal.domain import uploads as u
from portal.extensions import db
from portal.models import Branch, CarteraUpload, Entity, Statement, User
from portal.services import audit, cartera_uploads
from portal.services.cartera_uploads import errors_of, has_error_file

# filter (Spanish, it shows in the address bar) → statuses; None is every status
FILTERS = {
    "todos": None,
    "en_proceso": u.WORKING,
    "con_errores": u.WITH_ERRORS,
    "por_confirmar": (u.DUPLICATE,),
    "procesados": (u.PROCESSED,),
}
STATUS_BADGES = {u.QUEUED: "pending", u.PROCESSING: "pending", u.DUPLICATE: "pending",
                 u.PROCESSED: "approved", u.INVALID: "rejected", u.FAILED: "rejected"}
KIND_LABELS = {layout.ACTIVE: "Activos", layout.RETIRED: "Retirados"}
SOURCE_LABELS = {"xlsx": "Excel", "browser": "Edición en el portal"}


@dataclass(frozen=True)
class UploadRow:
    upload: CarteraUpload
    nit: str
    entity_name: str
    branch_code: str
    branch_name: str
    period: str
    uploader_email: str | None

    @property
    def status_label(self):
        return u.UPLOAD.label(self.upload.status)

    @property
    def badge(self):
        return STATUS_BADGES.get(self.upload.status, "")

    @property
    def kind_label(self):
        return KIND_LABELS.get(self.upload.kind, self.upload.kind)

    @property
    def source_label(self):
        return SOURCE_LABELS.get(self.upload.source, self.upload.source)

    @property
    def has_error_file(self):
        return has_error_file(self.upload)


@dataclass(frozen=True)
class UploadListing:
    rows: list
    page: paging.Page
    counts: dict  # filter name → number of uploads (the search applied)


def _query(q):
    uploader = aliased(User)
    query = (select(CarteraUpload, Entity.nit, Entity.name, Branch.code, Branch.name, Statement.period,
                    uploader.email)
             .join(Statement, Statement.id == CarteraUpload.statement_id)
             .join(Entity, Entity.id == Statement.entity_id)
             .join(Branch, Branch.id == Statement.branch_id)
             .outerjoin(uploader, uploader.id == CarteraUpload.uploaded_by_id))
    q = " ".join((q or "").split())[:100]
    if q:
        query = query.where(or_(Entity.nit.icontains(q, autoescape=True),
                                Entity.name.icontains(q, autoescape=True),
                                Statement.period.icontains(q, autoescape=True)))
    return query


def _counts_select(query):
    """One row: the uploads of each filter (a column named after each)."""
    return query.with_only_columns(*[
        func.coalesce(func.sum(case((CarteraUpload.status.in_(statuses), 1), else_=0)), 0).label(name)
        if statuses else func.count(CarteraUpload.id).label(name)
        for name, statuses in FILTERS.items()]).order_by(None)


def _counts(query):
    return counts_of(db.session.execute(_counts_select(query)).one()._mapping)


def counts_of(row):
    return {name: int(row[name]) for name in FILTERS}


def uploads(q="", status="todos", number=1, per_page=paging.DEFAULT_PER_PAGE):
    """Uploads newest first, searched by NIT, razón social or vigencia, filtered by one
    of FILTERS; with the count of each filter (the search applied)."""
    query = _query(q)
    counts = _counts(query)
    if status not in FILTERS:
        status = "todos"
    if FILTERS[status]:
        query = query.where(CarteraUpload.status.in_(FILTERS[status]))
    page = paging.page_of(counts[status], number, per_page)
    rows = db.session.execute(query.order_by(CarteraUpload.created_at.desc(), CarteraUpload.id.desc())
                              .limit(page.per_page).offset(page.offset)).all()
    return UploadListing([UploadRow(*row) for row in rows], page, counts)


def upload_row(upload_id):
    """One upload with its employer, branch, period and uploader, or None."""
    found = db.session.execute(_query("").where(CarteraUpload.id == upload_id)).first()
    return UploadRow(*found) if found else None


def view(staff_user, upload_id):
    """(row, errors) of one upload, the viewing audited; None when there is no such upload."""
    row = upload_row(upload_id)
    if row is None:
        return None
    audit.record("staff.cartera_upload_viewed", staff_user, subject=f"upload:{upload_id}",
                 nit=row.nit, period=row.period, status=row.upload.status)
    db.session.commit()
    return row, errors_of(row.upload)


def error_file(staff_user, upload_id):
    """(file name, bytes) of an invalid Excel upload with its «Errores» column, the
    download audited; None when there is none."""
    upload = db.session.get(CarteraUpload, upload_id)
    if upload is None:
        return None
    return cartera_uploads.error_file(staff_user, upload, action="staff.cartera_error_file_downloaded",
                                      errors=upload.error_count)
