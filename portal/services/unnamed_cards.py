"""Tarjetas innominadas (manual 003 §3.4 Solicitud, §3.5 Afiliación), for products of
unnamed cards only.

- Solicitud: the request (domain/embossing.py: its rules) becomes an «Emisión Innominada»
  batch with no file (source «form»): one line per card, all valid, and the batch goes
  through the batch machine as any other — born «valid» (its lines are checked before
  anything is stored, as the job checks a file's) and moved to «confirmed» by the
  password at once, so it waits in Autorización. The card processor turns each line into
  an unaffiliated card and sets BatchLine.card_id.
- «Procesar» pressed twice, a request retried: the form carries a key (hashed, unique in
  `batches.request_key`); the same key is the same batch, whichever request comes second.
- Afiliación: the product's requested batches, a batch's cards (those its lines point
  to), and the «Archivo de afiliación de tarjetahabientes»: the `affiliation` layout's
  template with the batch's cards, to fill in and load through Carga de lotes.
"""
import hashlib
import json
import secrets
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from portal.adapters import templates_zip
from portal.domain import batch_layouts as bl
from portal.domain import batches as b
from portal.domain import clock, embossing, paging
from portal.domain import companies as company_rules
from portal.domain.formatting import today_bogota
from portal.domain.forms import Checked
from portal.extensions import db
from portal.models import Batch, BatchLine, Card
from portal.services import audit, auth, batches, companies, tables, upload_jobs

KIND = "unnamed_emission"
SOURCE = "form"
SINGLE_BRANCH = "Sucursal única"
CARD_STATES = {"affiliated": "Afiliado", "unaffiliated": "No afiliado", "blocked": "Bloqueada"}
FILE_NOTES = (
    "Archivo de afiliación de tarjetahabientes: escriba en la fila de cada tarjeta que entrega el tipo y "
    "número de documento y los apellidos y el nombre de la persona; borre las filas de las demás tarjetas "
    "(también las ya afiliadas, que vienen diligenciadas) y cargue el archivo en Lotes › Carga de lotes "
    "como «Afiliación (Id persona)».",
)


@dataclass(frozen=True)
class Branch:
    code: str  # digits: the SUCURSAL of the affiliation file
    name: str  # what the batch keeps (branch_name): the destination of its cards
    label: str = ""  # the choice as the form shows it (the name when empty)


def branches(company):
    """The «Sucursal» choices: the company's active sucursales (Personal › Empresas), by the
    name Reportes › Tarjetas shows. A company with none has the manual's one choice,
    «Sucursal unica»: its address, shown with it (the destination of the cards on the
    service order)."""
    registered = [Branch(branch.code, branch.name, f"{company_rules.shown_code(branch.code)} · {branch.name} "
                                                   f"({branch.city})")
                  for branch in companies.branches(company) if branch.active]
    if registered:
        return registered
    address = " ".join((company.address or "").split())
    name = f"{SINGLE_BRANCH} - {address}" if address else SINGLE_BRANCH
    return [Branch("1", name[:80])]


def new_form_key():
    return secrets.token_urlsafe(24)


def valid_form_key(text):
    return isinstance(text, str) and 16 <= len(text) <= 64 and text.isascii()


def expiry(product):
    """The cards' Fecha de vencimiento: today in Bogotá + the product's validity, MM/YYYY."""
    return embossing.card_expiry(today_bogota(), product.card_validity_months)


# --- Solicitud -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Requested:
    ok: bool
    message: str = ""
    batch: Batch | None = None
    checked: Checked | None = None
    locked: bool = False


def request_cards(user, access, form):
    """«Procesar»: the request checked whole, the password, then one confirmed batch of N
    lines. The same form key again is the batch it already made. Audited; commits."""
    checked = embossing.check_request(form, current_app.config["UNNAMED_MAX_CARDS"],
                                      {branch.code for branch in branches(access.company)})
    if not checked.ok:
        return Requested(False, "Revise los datos marcados.", checked=checked)
    key = _request_key(user, access, form.get("solicitud", ""))
    if key is None:
        return Requested(False, "La página expiró: vuelva a cargarla e intente de nuevo.", checked=checked)
    earlier = _made_by(key)
    if earlier is not None:
        return _again(earlier, checked)
    check = auth.confirm_password(user, form.get("password", ""), "conexion.unnamed_request")
    if not check.ok:
        return Requested(False, auth.WRONG_PASSWORD, checked=checked, locked=check.locked)
    try:
        batch = _make(user, access, checked.values, key)
    except IntegrityError:  # the same key, stored by a request of the same instant
        db.session.rollback()
        return _again(_made_by(key), checked)
    return Requested(True, "El lote fue procesado de forma exitosa.", batch=batch)


def _request_key(user, access, form_key):
    if not valid_form_key(form_key):
        return None
    return hashlib.sha256(f"{user.id}:{access.product.id}:{form_key}".encode()).hexdigest()


def _made_by(key):
    return db.session.scalars(select(Batch).where(Batch.request_key == key)).first()


def _again(batch, checked):
    """The batch this form already made: the same request is its success again; other
    values with the same key are not a new request."""
    if batch is None:  # pragma: no cover - the key's batch was there a moment ago
        return Requested(False, "No se pudo procesar la solicitud; intente de nuevo.", checked=checked)
    values = checked.values
    same = (batch.rows_total, batch.emboss_line1, batch.emboss_line2, batch.branch_name) == (
        values["quantity"], values["emboss_line1"], values["emboss_line2"], _branch(batch.company, values).name)
    if same:
        return Requested(True, "El lote fue procesado de forma exitosa.", batch=batch)
    return Requested(False, f"Esta solicitud ya se procesó como el lote Nro. {batch.number}. Para solicitar "
                            "otras tarjetas, vuelva a cargar la página.", checked=checked)


def _make(user, access, values, key):
    """The batch and its lines in one transaction: valid, then confirmed by the machine."""
    now, count = clock.utcnow(), values["quantity"]
    branch = _branch(access.company, values)
    batch = Batch(number=batches.next_number(), company_id=access.company.id, product_id=access.product.id,
                  kind=KIND, status=b.VALID, source=SOURCE, size_bytes=0, rows_total=count, rows_done=count,
                  valid_count=count, error_count=0, total_amount=0, emboss_line1=values["emboss_line1"],
                  emboss_line2=values["emboss_line2"], card_expiry=expiry(access.product),
                  branch_name=branch.name, request_key=key, uploaded_by_id=user.id, created_at=now,
                  checked_at=now)
    db.session.add(batch)
    db.session.flush()
    line = batches.values_json({"emboss_line1": batch.emboss_line1, "emboss_line2": batch.emboss_line2,
                                "branch": branch.code})
    db.session.execute(insert(BatchLine.__table__), [
        {"batch_id": batch.id, "line_no": n, "ok": True, "id_type": "", "id_number": "", "values_json": line}
        for n in range(1, count + 1)])  # no holder yet: empty, as a file's lines without one
    if not upload_jobs.move(batches.BATCHES, batch.id, b.CONFIRMED, confirmed_by_id=user.id, confirmed_at=now):
        raise RuntimeError(f"batch {batch.id} was not valid right after it was made")
    audit.record("conexion.unnamed_requested", user, subject=f"batch:{batch.id}", number=batch.number,
                 cards=count, expiry=batch.card_expiry, branch=branch.name, product=access.product.id)
    db.session.commit()
    db.session.refresh(batch)
    return batch


def _branch(company, values):
    return next(branch for branch in branches(company) if branch.code == values["branch"])


def done_batch(access, batch_id):
    """The batch whose «procesado» modal a page shows (?lote=), if it is this product's."""
    text = str(batch_id or "")
    return batch_of(access, int(text)) if text.isascii() and text.isdigit() and len(text) <= 9 else None


# --- Afiliación ------------------------------------------------------------------------------

def batch_of(access, batch_id):
    """Object-level check: an unnamed-card request of this company's product."""
    return db.session.scalars(select(Batch).where(
        Batch.id == batch_id, Batch.kind == KIND, Batch.company_id == access.company.id,
        Batch.product_id == access.product.id)).first()


def requested(access, q="", number=1, per_page=paging.DEFAULT_PER_PAGE):
    """The product's unnamed-card requests, newest first; `q` searches the number."""
    query = select(Batch).where(Batch.kind == KIND, Batch.company_id == access.company.id,
                                Batch.product_id == access.product.id, Batch.status != b.DELETED)
    q = (q or "").strip()[:40]
    if q:
        query = query.where(Batch.number.contains(q, autoescape=True))
    return tables.paged(query, number, per_page, Batch.id.desc())


def _cards_query(batch):
    return (select(Card).join(BatchLine, BatchLine.card_id == Card.id)
            .where(BatchLine.batch_id == batch.id, Card.product_id == batch.product_id))


def cards(batch, q="", number=1, per_page=paging.DEFAULT_PER_PAGE):
    """«Registros del lote»: the cards made for the batch's lines, in their order; `q`
    searches the last digits, the holder's document or name."""
    query = _cards_query(batch)
    q = (q or "").strip()[:60]
    if q:
        query = query.where(or_(Card.pan_last4.contains(q, autoescape=True),
                                Card.holder_id_number.contains(q, autoescape=True),
                                Card.holder_name.icontains(q, autoescape=True)))
    return tables.paged(query, number, per_page, BatchLine.line_no)


def has_cards(batch):
    return db.session.scalar(select(func.count()).select_from(_cards_query(batch).subquery())) > 0


def affiliation_file(user, batch):
    """(file name, .xlsx bytes) of the batch's cards in the `affiliation` layout, the
    affiliated ones filled in; None while the batch has no cards. Audited."""
    rows = [_file_row(card, code, names) for card, code, names in _file_cards(batch)]
    if not rows:
        return None
    audit.record("conexion.unnamed_affiliation_file", user, subject=f"batch:{batch.id}", number=batch.number,
                 cards=len(rows))
    db.session.commit()
    data = templates_zip.xlsx_filled(bl.layout("affiliation"), rows, notes=FILE_NOTES)
    return f"afiliacion_tarjetahabientes_{batch.number}.xlsx", data


def _file_cards(batch):
    """(card, its line's branch code, the names of the affiliation that gave it its holder)
    of the batch's cards that may be affiliated or already are (not blocked)."""
    found = db.session.execute(_cards_query(batch).add_columns(BatchLine.values_json)
                               .where(Card.status != "blocked").order_by(BatchLine.line_no)).all()
    names = _affiliations([card.id for card, _ in found if card.status == "affiliated"])
    return [(card, json.loads(values).get("branch") or "", names.get(card.id)) for card, values in found]


def _affiliations(card_ids):
    """{card id: the values of the last processed affiliation line that reached it}."""
    if not card_ids:
        return {}
    rows = db.session.execute(
        select(BatchLine.card_id, BatchLine.values_json).join(Batch, Batch.id == BatchLine.batch_id)
        .where(BatchLine.card_id.in_(card_ids), Batch.kind == "affiliation", BatchLine.ok.is_(True),
               BatchLine.outcome == b.LINE_PROCESSED).order_by(BatchLine.id))
    return {card_id: json.loads(values) for card_id, values in rows}


def _file_row(card, branch_code, names):
    """No. TARJETA, SUCURSAL, TIPO ID, ID PERSONA, PRIMER APELLIDO, SEGUNDO APELLIDO,
    PRIMER NOMBRE: an unaffiliated card's holder columns empty, to fill in."""
    if card.status != "affiliated":
        return [card.masked_pan, branch_code, "", "", "", "", ""]
    if names:
        person = [names.get("last_name_1"), names.get("last_name_2"), names.get("first_name_1")]
    else:  # affiliated without an affiliation batch (by the Caja): the name as it is kept
        person = ["", "", card.holder_name]
    return [card.masked_pan, branch_code, card.holder_id_type or "", card.holder_id_number or "", *person]
