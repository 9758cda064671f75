"""Carga de lotes (manual 003 ch. 3.2, 4.2): a company loads a batch file for a product;
a job checks every line (services.upload_jobs: the pipeline of every upload); the user
confirms it with the password, or deletes it.

- A plainly wrong file (empty, too big, not a spreadsheet or text file, a zip bomb,
  macros, the wrong columns or batch type) is refused by `submit` and nothing is stored.
- «Enviar» pressed twice, a retried request: the same bytes of the same product within
  10 minutes are the same batch.
- The same lines as a batch of the last 30 days of this product (whatever the bytes)
  need an explicit «sí, es otro lote» at confirmation, naming the earlier one.
"""
import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import islice, repeat
from json.encoder import encode_basestring

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from portal import db_bulk
from portal.adapters import templates_zip, xlsx
from portal.domain import batch_json, clock, paging, text_files
from portal.domain import batch_layouts as bl
from portal.domain import batches as b
from portal.domain import webhooks as wh
from portal.domain.formatting import today_bogota
from portal.extensions import db
from portal.models import Batch, BatchDay, BatchLine, Card
from portal.services import audit, auth, tables, upload_jobs, webhooks

DOUBLE_SUBMIT_WINDOW = timedelta(minutes=10)
SAME_CONTENT_DAYS = 30
FAILED_MESSAGE = "Ocurrió un error inesperado al validar el lote. Ya quedó registrado; cárguelo de nuevo."
BATCHES = upload_jobs.UploadKind(
    Batch, BatchLine.batch_id, "portal.jobs.process_batch", audit_prefix="conexion.batch", subject="batch",
    failed_values={"errors_json": json.dumps([FAILED_MESSAGE], ensure_ascii=False)}, machine=b.BATCH)
TEXT_SUFFIXES = (".txt", ".csv")
API = "api"  # the source of a batch sent as JSON lines (the ERP API): a .txt made of them
# A filled-in template («Archivos lotes operativos») brings its «Instrucciones» sheet along;
# its 100,000 lines of 13 columns unzip to ~80 MB as openpyxl writes them (inline text),
# over the 50 MB an xlsx is allowed by default (a 20,000-row cartera file).
XLSX_OPTIONS = {"expected_sheet": templates_zip.SHEET, "ignored_sheets": (templates_zip.INSTRUCTIONS,),
                "max_uncompressed": 200 * 1024 * 1024}


NO_LINES = "El lote no tiene líneas: solo trae los títulos de las columnas."


class BatchRefused(Exception):
    """Said to the user as is; nothing was stored. `errors`: the fields at fault, when
    the refusal names some ([{"field", "line", "message"}], the API lists them)."""

    def __init__(self, message, errors=None):
        super().__init__(message)
        self.errors = errors or []


# --- sending -------------------------------------------------------------------------------

def submit(user, access, kind, filename, data, source=None, **detail):
    """Store a batch file and queue its check, or raise BatchRefused naming the problem.
    `source` is the file's kind (xlsx, txt; by its name unless given); `detail` goes
    into the audit event."""
    spec = _layout_for(access.product, kind)
    source = source or ("txt" if (filename or "").lower().endswith(TEXT_SUFFIXES) else "xlsx")
    headers, encoding = _titles(spec, source, data)
    problem = bl.headers_problem(spec, headers)
    if problem:
        raise BatchRefused(f"El archivo no corresponde a la plantilla: {problem}.")
    digest = hashlib.sha256(data).hexdigest()
    # The day's number first: its UPDATE holds the day's row until this commits, so two
    # copies sent at once take turns, and the second sees the first's batch below.
    number = _next_number()
    again = _same_bytes_just_sent(access.product, digest)
    if again is not None:
        db.session.rollback()  # the number goes back
        return again
    batch = Batch(number=number, company_id=access.company.id, product_id=access.product.id, kind=kind,
                  source=source, filename=(filename or "lote")[:200], encoding=encoding, content=data,
                  content_sha256=digest, size_bytes=len(data), uploaded_by_id=user.id, created_at=clock.utcnow())
    return upload_jobs.submit(BATCHES, batch, user, "conexion.batch_received", number=batch.number, kind=kind,
                              product=access.product.id, size=len(data), sha256=digest, source=source, **detail)


def submit_lines(user, access, kind, lines, **detail):
    """A batch sent as lines ({field key: value}, the ERP API): the text file they make
    goes through `submit`, the one pipeline of every batch (its job, its checks,
    «Enviar» twice). Its lines are numbered by their position (1 the first): the job
    and its messages count them so. BatchRefused names a key the layout lacks or a
    value no file could carry."""
    spec = _layout_for(access.product, kind)
    misfits = batch_json.misfits(spec, lines)
    if misfits:
        errors = [{"field": f"lines.{m.index}" + (f".{m.key}" if m.key else ""), "line": m.index + 1,
                   "message": m.reason} for m in misfits]
        said = "; ".join(f"línea {m.index + 1}" + (f", campo «{m.key}»" if m.key else "") + f": {m.reason}"
                         for m in misfits[:5])
        raise BatchRefused(f"Revise las líneas enviadas: {said}.", errors)
    return submit(user, access, kind, batch_json.filename(spec), batch_json.text_file(spec, lines), source=API,
                  **detail)


def _layout_for(product, kind):
    spec = bl.LAYOUTS.get(kind)
    if spec is None:
        raise BatchRefused("Seleccione el tipo de lote.")
    if spec.needs_named_product is not None and spec.needs_named_product != product.named:
        raise BatchRefused(f"El producto {product.label} no admite lotes de {spec.label}.")
    return spec


def _titles(spec, source, data):
    """(the title row, the encoding of a text file); BatchRefused for a plainly wrong file."""
    limit = current_app.config["BATCH_MAX_BYTES"]
    if source == "xlsx":
        problem = xlsx.precheck(data, max_bytes=limit, **XLSX_OPTIONS)
        headers, problem = (None, problem) if problem else xlsx.first_row(data, max_bytes=limit, **XLSX_OPTIONS)
        if problem:
            raise BatchRefused(problem)
        return headers, None
    if not data:
        raise BatchRefused("El archivo está vacío: seleccione el archivo del lote que diligenció.")
    if len(data) > limit:
        raise BatchRefused(f"El archivo pesa más de {limit // (1024 * 1024)} MB, el máximo permitido.")
    decoded = text_files.decode(data)
    if not decoded.ok:
        raise BatchRefused(f"No se puede leer el archivo: {decoded.error}.")
    first = text_files.first_line(decoded.text)
    sep, problem = _text_separator(spec, first)
    if problem:
        raise BatchRefused(f"El archivo no corresponde a la plantilla: {problem}.")
    return text_files.rows(first, sep)[0], decoded.encoding


def _text_separator(spec, first_line):
    """The separator of a text batch: the one giving the layout's columns (or those and
    the «Errores» column of a file given back)."""
    sep, problem = text_files.separator(first_line, len(spec.fields))
    if sep is None:
        sep = text_files.separator(first_line, len(spec.fields) + 1)[0]
    return (sep, None) if sep else (None, problem)


def _same_bytes_just_sent(product, digest):
    return db.session.scalars(select(Batch).where(
        Batch.product_id == product.id, Batch.content_sha256 == digest, Batch.status != b.DELETED,
        Batch.created_at >= clock.utcnow() - DOUBLE_SUBMIT_WINDOW)).first()


def _next_number():
    """The manual's number: today (Bogotá) and its sequence, taken by a conditional
    UPDATE so that two batches of the same instant never share one."""
    day = today_bogota()
    for _ in range(3):
        taken = db.session.execute(update(BatchDay).where(BatchDay.day == day).values(last=BatchDay.last + 1)
                                   .returning(BatchDay.last)).scalar()
        if taken is not None:
            return b.number(day, taken)
        try:
            with db.session.begin_nested():
                db.session.add(BatchDay(day=day, last=0))
            return b.number(day, 0)
        except IntegrityError:  # another batch opened the day first: take the next one
            continue
    raise RuntimeError("no batch number after three tries")


next_number = _next_number  # for batches made without a file (services/unnamed_cards.py)


# --- the job -------------------------------------------------------------------------------

def process(batch_id):
    """Check every line of a batch; safe to run twice (the claim lets one run in)."""
    return upload_jobs.run(BATCHES, batch_id, _process)


def recover_stuck():
    """Left behind by a dead worker (no heartbeat for a minute) or a lost job: run again from 0."""
    return upload_jobs.recover_every(BATCHES)


def _process(run, batch):
    """Read the file, then check and write its lines step by step: each step's lines
    checked (the layout's rules, the same person or card twice in the file, the
    product's cards), written with one INSERT and committed with the progress, so the
    bar follows the work and only a step's lines (and of a large .xlsx, a window of its
    rows) are ever held at once."""
    spec = bl.layout(batch.kind)
    try:
        lines, problem = _read(batch, spec)
        if problem:
            return _finish(run, batch, b.INVALID, general=problem)
        return _check_all(run, batch, spec, lines)
    except xlsx.SheetUnreadable:  # a window of a large sheet, met halfway: none of its lines stay
        db.session.rollback()
        run.beat(rows_total=0)  # still ours (else Abandoned) before its lines go
        run.drop_lines()
        return _finish(run, batch, b.INVALID, general=xlsx.UNREADABLE)


def _check_all(run, batch, spec, lines):
    run.beat(rows_total=lines.count)  # one UPDATE: on SQLite each rewrites the row, its file included
    db.session.commit()
    tally = _Tally(batch.kind)
    checker = _LineChecker(spec, batch)
    per_insert, inserts_per_step = _steps(lines.count)
    batch_id, done = batch.id, 0
    for n, chunk in enumerate(_chunks(lines.rows, per_insert), 1):
        rows = tally.rows(batch_id, checker.check(chunk, done))
        db_bulk.insert_rows(BatchLine.__table__, LINE_COLUMNS, rows)
        done += len(chunk)
        if n % inserts_per_step == 0 or done == lines.count:
            run.beat(rows_done=done)
            db.session.commit()  # the progress of «Lotes pendientes» reads it
    if not done:  # an .xlsx whose rows under the titles were all empty
        return _finish(run, batch, b.INVALID, general=NO_LINES)
    batch.rows_total = done
    batch.valid_count, batch.error_count = tally.valid, done - tally.valid
    batch.total_amount = tally.total
    batch.content_key = tally.digest.hexdigest()
    return _finish(run, batch, b.VALID if batch.error_count == 0 else b.INVALID)


STEPS = 20  # progress committed every 5 % of the lines (at most) ...
MIN_LINES_PER_STEP = 1000  # ... but a small batch is not committed a few lines at a time
MAX_LINES_PER_INSERT = 1000  # what a step holds at once: its lines checked, their rows


def _steps(count):
    """(lines per INSERT, INSERTs per commit of the progress): a commit every 5 % at
    most (on SQLite each rewrites the batch's row, its file included), an INSERT of at
    most 1,000 lines (5,000 lines and their rows held at once took ~20 MB more)."""
    step = max(MIN_LINES_PER_STEP, count // STEPS)
    inserts = -(-step // MAX_LINES_PER_INSERT)
    return step // inserts, inserts


def _chunks(rows, size):
    rows = iter(rows)
    while chunk := list(islice(rows, size)):
        yield chunk


@dataclass(frozen=True)
class _Lines:
    rows: object  # an iterable of the data rows, each a list of cells, read once
    count: int


def _read(batch, spec):
    """(the data rows, None) or (None, a problem of the whole file). The rows are read
    as they are checked: a .txt's by text_files.Rows, an .xlsx's by
    xlsx.read_upload_rows (python-calamine holds the sheet; its cells become Python
    objects a step at a time). An .xlsx's count may include empty rows at its end, which
    are never given."""
    limit = current_app.config["BATCH_MAX_LINES"]
    # Read once, outside the session's objects: held by a StoredFile, every commit would
    # expire it and the next look reload it (12 MB for a 100,000-line .txt).
    content = upload_jobs.file_bytes(batch.file_id)
    if batch.source == "xlsx":
        read = xlsx.read_upload_rows(content, max_bytes=current_app.config["BATCH_MAX_BYTES"], max_rows=limit,
                                     **XLSX_OPTIONS)
        if not read.ok:
            return None, read.error
        rows, count = read.rows, read.count
    else:
        decoded = text_files.decode(content)
        del content
        if not decoded.ok:
            return None, decoded.error
        sep, problem = _text_separator(spec, text_files.first_line(decoded.text))
        if problem:
            return None, f"El archivo no corresponde a la plantilla: {problem}."
        text_rows = text_files.Rows(decoded.text, sep)
        rows, count = iter(text_rows), text_rows.count
    headers = next(rows, [])
    problem = bl.headers_problem(spec, headers)
    if problem:
        return None, f"El archivo no corresponde a la plantilla: {problem}."
    if count < 2:
        return None, NO_LINES
    if count - 1 > limit:
        return None, f"El lote tiene {count - 1:,} líneas; el máximo es {limit:,}.".replace(",", ".")
    if bl.has_errors_column(spec, headers):  # given back and fixed: its «Errores» column goes
        width = len(spec.fields)
        rows = (row[:width] + row[width + 1:] for row in rows)
    return _Lines(rows, count - 1), None


class _LineChecker:
    """Every rule of a line: the layout's, then within the file (the same person or card
    twice), then against the product's cards (services: the database)."""

    def __init__(self, spec, batch):
        self.spec, self.today, self.seen = spec, today_bogota(), {}
        self.product_id, self.company_id = batch.product_id, batch.company_id
        # The title row of a file is its line 1; lines sent as JSON count from their first.
        self.first_line = 1 if batch.source == API else 2
        self.repeated_field = spec.fields[1 if spec.kind != "affiliation" else 0].header
        self.masked = None  # affiliation: the product's cards by masked number, loaded once

    def check(self, rows, done):
        """The CheckedLines of a step's rows (`done` lines before them)."""
        step = bl.check_lines(self.spec, rows, done + self.first_line, self.today)
        self._repeated(step)
        self._check_cards(step)
        return step

    def _repeated(self, step):
        """The same person (or card) twice in the file: the second line is refused."""
        seen, first = self.seen, step.first_line
        keys = step.column("card") if self.spec.kind == "affiliation" else \
            zip(step.column("id_type"), step.column("id_number"), strict=True)
        for at, key in enumerate(keys):
            if key and key in seen:
                step.refuse(at, self.repeated_field, f"ya aparece en la línea {seen[key]} de este lote")
            elif key:
                seen[key] = first + at

    def _check_cards(self, step):
        """What needs the product's cards, for the lines still valid: the cards of their
        people looked up per step (an emission or top-up), or all the product's loaded
        once (an affiliation, by masked number)."""
        ok = [at for at in range(step.count) if at not in step.errors]
        if not ok:
            return
        types, numbers, cards = step.column("id_type"), step.column("id_number"), step.column("card")
        held = self._held([numbers[at] for at in ok])
        if not held and self.spec.kind == "emission":
            return  # nobody here holds a card of the product: every emission may go
        for at in ok:
            reason, header = _card_rule(self.spec, (types[at], numbers[at]), cards[at], held, self.masked,
                                        self.company_id)
            if reason:
                step.refuse(at, header, reason)

    def _held(self, numbers):
        """{(id type, id number): cards} of active cards of the product: those of `numbers`,
        or (affiliation) every one, loaded once with the masked numbers."""
        if self.spec.kind == "affiliation":
            if self.masked is None:
                self._load_masked(select(Card.holder_id_type, Card.holder_id_number, func.count()).where(
                    Card.product_id == self.product_id, Card.status != "blocked", Card.holder_id_number != ""))
            return self.held
        held = {}
        for id_type, number, product_id, status in db.session.execute(  # by the holder's index, whatever the planner
                select(Card.holder_id_type, Card.holder_id_number, Card.product_id, Card.status)
                .where(db_bulk.among(Card.holder_id_number, {n for n in numbers if n}))):
            if product_id == self.product_id and status != "blocked":
                held[id_type, number] = held.get((id_type, number), 0) + 1
        return held

    def _load_masked(self, held):
        self.held = dict(_by_person(held))
        self.masked = {}
        for card in db.session.execute(select(Card.pan_first6, Card.pan_last4, Card.status, Card.company_id)
                                       .where(Card.product_id == self.product_id, Card.status != "blocked")):
            self.masked.setdefault(f"{card.pan_first6}******{card.pan_last4}", []).append(card)


def _by_person(query):
    """((id type, id number), cards) of a query of (type, number, count) per person."""
    for id_type, number, count in db.session.execute(query.group_by(Card.holder_id_type, Card.holder_id_number)):
        yield (id_type, number), count


def _card_rule(spec, person, card, held, masked, company_id):
    if spec.kind == "emission" and held.get(person):
        return "ya tiene una tarjeta activa de este producto", "ID PERSONA"
    if spec.kind == "topup" and held.get(person, 0) != 1:
        return (("no tiene tarjeta activa de este producto" if not held.get(person) else
                 "tiene varias tarjetas activas de este producto; recárguela desde Servicios"), "ID PERSONA")
    if spec.kind == "affiliation":
        found = masked.get(card, [])
        if not found or all(card.company_id != company_id for card in found):
            return "no es una tarjeta innominada de esta empresa y producto", "No. TARJETA"
        if len(found) > 1:
            return "hay varias tarjetas con ese número enmascarado; comuníquese con la Caja", "No. TARJETA"
        if found[0].status != "unaffiliated":
            return "ya está afiliada a una persona", "No. TARJETA"
        if held.get(person):
            return "esta persona ya tiene una tarjeta de este producto", "ID PERSONA"
    return None, None


def _values_json():
    """A function values → json.dumps(values, default=str, sort_keys=True,
    ensure_ascii=False), the same text (the content key hashes it) with its C encoder
    made once: json.dumps makes one per call, half the time of a line's JSON."""
    try:
        from json.encoder import c_make_encoder
    except ImportError:  # pragma: no cover - CPython has them
        c_make_encoder = None
    if c_make_encoder is None:  # pragma: no cover
        return lambda values: json.dumps(values, default=str, sort_keys=True, ensure_ascii=False)
    encode = c_make_encoder(None, str, encode_basestring, None, ": ", ", ", True, False, True)
    return lambda values: "".join(encode(values, 0))


values_json = _values_json()


def json_texts(step):
    """values_json(step.values(at)) of each line, a column at a time: every value of a
    field as JSON at once (encode_basestring over a column of text), then each line's
    text from one template of the sorted keys, as json.dumps lays them out. The lines
    with a refused cell (their values as typed) go one by one."""
    keys = sorted(step.columns)
    template = "{{" + ", ".join(f"{encode_basestring(key)}: {{}}" for key in keys) + "}}"
    texts = list(map(template.format, *(_json_column(step.columns[key]) for key in keys)))
    for at, typed in step.typed.items():
        texts[at] = values_json(typed)
    return texts


_TEXT_ONLY = {str}
_AS_STR = {Decimal, date}  # values_json's default=str


def _json_column(values):
    types = set(map(type, values))
    if types == _TEXT_ONLY:
        return list(map(encode_basestring, values))
    if len(types) == 1 and types <= _AS_STR:  # a column of dates, or of amounts
        return list(map(encode_basestring, map(str, values)))
    return [_json_value(value) for value in values]


def _json_value(value):
    if value is None:
        return "null"
    if type(value) is str:
        return encode_basestring(value)
    if type(value) in _AS_STR:
        return encode_basestring(str(value))
    return json.dumps(value, default=str, ensure_ascii=False)


LINE_COLUMNS = ("batch_id", "line_no", "ok", "id_type", "id_number", "holder_name", "amount", "values_json", "errors")


class _Tally:
    """What the batch row says of its lines, counted as they are written: the valid
    ones, their amount, and the content key (same lines, same key, whatever the file's
    bytes: xlsx or txt, saved again)."""

    def __init__(self, kind):
        self.valid, self.total = 0, 0
        self.digest = hashlib.sha256(kind.encode())

    def rows(self, batch_id, step):
        """The batch_lines rows of a step's CheckedLines, as tuples of LINE_COLUMNS, a
        column at a time."""
        count, errors = step.count, step.errors
        ok = [at not in errors for at in range(count)]
        amounts = [amount if good else None for amount, good in zip(step.column("amount"), ok, strict=True)]
        self.valid += sum(ok)
        self.total += sum(amount for amount in amounts if amount)
        texts = json_texts(step)
        texts.append("")
        self.digest.update("\n".join(texts).encode())  # each line's JSON and "\n", as the key always hashed them
        texts.pop()
        return list(zip(repeat(batch_id), range(step.first_line, step.first_line + count), ok,
                        [(v or "")[:3] for v in step.column("id_type")], [(v or "")[:15] for v in step.column("id_number")],
                        _names(step), amounts, texts, [_errors_text(errors.get(at)) for at in range(count)], strict=False))


def _names(step):
    """«First name first surname second surname» of each line (None without any)."""
    return [" ".join(part for part in parts if part)[:160] or None for parts in zip(
        step.column("first_name_1"), step.column("last_name_1"), step.column("last_name_2"), strict=True)]


def _errors_text(errors):
    return "; ".join(f"{e.field}: {e.reason}" for e in errors) if errors else None


def _finish(run, batch, status, general=None):
    run.beat()  # still ours, until this transaction writes the verdict
    run.finish(batch, status)
    if general:
        batch.errors_json = json.dumps([general], ensure_ascii=False)
        batch.error_count = max(batch.error_count, 1)
    batch.rows_done = batch.rows_total
    batch.checked_at = clock.utcnow()
    audit.record(f"conexion.batch_{status}", subject=f"batch:{batch.id}", number=batch.number,
                 lines=batch.rows_total, errors=batch.error_count)
    webhooks.emit(batch.company_id, "batch.validated" if status == b.VALID else "batch.invalid", wh.batch_data(batch))
    db.session.commit()
    return status


# --- «Lotes pendientes», the detail --------------------------------------------------------

def batch_of(access, batch_id):
    """Object-level check: a batch of this company's product."""
    return db.session.scalars(select(Batch).where(Batch.id == batch_id, Batch.company_id == access.company.id,
                                                  Batch.product_id == access.product.id)).first()


def pending(access, q="", number=1, per_page=paging.DEFAULT_PER_PAGE):
    """The product's batches not yet confirmed, newest first; `q` searches number or type."""
    query = select(Batch).where(Batch.product_id == access.product.id, Batch.company_id == access.company.id,
                                Batch.status.in_(b.PENDING))
    q = (q or "").strip()[:40]
    if q:
        kinds = [k for k, spec in bl.LAYOUTS.items() if q.casefold() in (spec.label + spec.code).casefold()]
        query = query.where(or_(Batch.number.contains(q, autoescape=True), Batch.kind.in_(kinds)))
    return tables.paged(query, number, per_page, Batch.id.desc())


def lines(batch, q="", ok=None, number=1, per_page=paging.DEFAULT_PER_PAGE):
    """A page of the batch's lines (`ok`: None every line, False those with errors, True
    the valid ones: «Registros del lote»), searchable by document or name."""
    query = select(BatchLine).where(BatchLine.batch_id == batch.id)
    if ok is not None:
        query = query.where(BatchLine.ok.is_(ok))
    q = (q or "").strip()[:60]
    if q:
        query = query.where(or_(BatchLine.id_number.contains(q, autoescape=True),
                                BatchLine.holder_name.icontains(q, autoescape=True)))
    return tables.paged(query, number, per_page, BatchLine.line_no)


def general_errors(batch):
    return json.loads(batch.errors_json) if batch.errors_json else []


def same_content_before(batch):
    """A batch of the last 30 days of this product with the very same lines."""
    if not batch.content_key:
        return None
    return db.session.scalars(select(Batch).where(
        Batch.product_id == batch.product_id, Batch.id != batch.id, Batch.content_key == batch.content_key,
        Batch.status != b.DELETED, Batch.created_at >= batch.created_at - timedelta(days=SAME_CONTENT_DAYS))
        .order_by(Batch.id.desc())).first()


# --- the user's decisions ------------------------------------------------------------------

@dataclass(frozen=True)
class Decision:
    ok: bool
    message: str
    locked: bool = False
    reason: str | None = None  # of a refusal: one of REFUSALS


# Why a decision was refused: the batch's status, an invalid batch without valid lines,
# the same lines as an earlier batch not acknowledged, the password.
STATUS, NOTHING_VALID, SAME_CONTENT, PASSWORD = "status", "nothing_valid", "same_content", "password"
REFUSALS = (STATUS, NOTHING_VALID, SAME_CONTENT, PASSWORD)


def confirm(user, batch, password, same_content_ok=False):
    """«Confirmar» of the page: `confirm_as` with the password, asked after the rules."""
    return confirm_as(user, batch, same_content_ok, verify=_password(user, password, "conexion.batch_confirm"))


def delete(user, batch, password):
    """«Eliminar» of the page: `delete_as` with the password, asked after the rules."""
    return delete_as(user, batch, verify=_password(user, password, "conexion.batch_delete"))


def _password(user, password, action):
    def verify():
        check = auth.confirm_password(user, password, action)
        return None if check.ok else Decision(False, auth.WRONG_PASSWORD, locked=check.locked, reason=PASSWORD)
    return verify


def confirm_as(user, batch, same_content_ok=False, verify=None, **detail):
    """Confirm for `user`, whoever verified who acts (the page: the password; the API:
    its key): a valid batch whole, an invalid one with its valid lines only (the
    rejected ones stay in the detail and its file). `verify()` runs once the rules
    allow it; a Decision it returns refuses. `detail` goes into the audit event."""
    refusal, earlier = _confirm_refusal(batch, same_content_ok)
    refusal = refusal or (verify() if verify else None)
    if refusal:
        return refusal
    now = clock.utcnow()
    if not upload_jobs.move(BATCHES, batch.id, b.CONFIRMED, confirmed_by_id=user.id, confirmed_at=now):
        db.session.rollback()
        return Decision(False, f"El lote Nro: {batch.number} ya fue confirmado o eliminado.", reason=STATUS)
    audit.record("conexion.batch_confirmed", user, subject=f"batch:{batch.id}", number=batch.number,
                 lines=batch.valid_count, rejected=batch.error_count, amount=str(batch.total_amount),
                 same_content_as=earlier.number if earlier else None, **detail)
    db.session.commit()
    return Decision(True, f"El lote Nro: {batch.number} fue confirmado exitosamente.")


def _confirm_refusal(batch, same_content_ok):
    """(a Decision refusing, or None; the earlier batch of the same lines, or None)."""
    if batch.status not in b.BATCH.sources(b.CONFIRMED):
        return Decision(False, f"El lote Nro: {batch.number} ya no se puede confirmar "
                               f"({b.BATCH.label(batch.status)}).", reason=STATUS), None
    if batch.status == b.INVALID and not batch.valid_count:
        return Decision(False, "El lote no tiene líneas válidas para confirmar; elimínelo y cargue uno corregido.",
                        reason=NOTHING_VALID), None
    earlier = same_content_before(batch)
    if earlier is not None and not same_content_ok:
        return Decision(False, f"Este lote tiene las mismas líneas que el lote Nro: {earlier.number} del "
                               f"{_local_day(earlier.created_at)}. Marque que es otro lote para confirmarlo.",
                        reason=SAME_CONTENT), earlier
    return None, earlier


def delete_as(user, batch, verify=None, **detail):
    """Delete for `user` before authorization, whoever verified who acts; `verify()` as
    in confirm_as."""
    if batch.status not in b.BATCH.sources(b.DELETED):
        return Decision(False, f"El lote Nro: {batch.number} ya no se puede eliminar "
                               f"({b.BATCH.label(batch.status)}).", reason=STATUS)
    refusal = verify() if verify else None
    if refusal:
        return refusal
    if not upload_jobs.move(BATCHES, batch.id, b.DELETED, deleted_by_id=user.id, deleted_at=clock.utcnow()):
        db.session.rollback()
        return Decision(False, f"El lote Nro: {batch.number} ya fue eliminado o autorizado.", reason=STATUS)
    audit.record("conexion.batch_deleted", user, subject=f"batch:{batch.id}", number=batch.number,
                 status=batch.status, **detail)
    db.session.commit()
    return Decision(True, f"El lote Nro: {batch.number} fue eliminado.")


def _local_day(moment):
    from portal.domain.formatting import local

    return local(moment).strftime("%d/%m/%Y")


# --- the rejected lines, back as a file ----------------------------------------------------

def rejected_file(user, batch, **detail):
    """(file name, bytes, MIME type) of the rejected lines with an «Errores» column, in
    the batch's own format (.xlsx, or .txt in its encoding), ready to fix and load again;
    None when no line was rejected. Audited (with `detail`)."""
    rows = db.session.execute(select(BatchLine.values_json, BatchLine.errors).where(
        BatchLine.batch_id == batch.id, BatchLine.ok.is_(False)).order_by(BatchLine.line_no)).all()
    if not rows:
        return None
    spec = bl.layout(batch.kind)
    table = [[json.loads(r.values_json).get(f.key) or "" for f in spec.fields] + [r.errors] for r in rows]
    headers = spec.headers + [bl.ERRORS_HEADER]
    stem = (batch.filename or f"lote_{batch.number}").rsplit(".", 1)[0]
    audit.record("conexion.batch_rejected_file", user, subject=f"batch:{batch.id}", lines=len(rows), **detail)
    db.session.commit()
    if batch.source in ("txt", API):  # lines sent as JSON come back as the text file they made
        text = "\r\n".join(";".join(_txt_cell(v) for v in row) for row in [headers] + table) + "\r\n"
        encoding = batch.encoding if batch.encoding in ("cp1252", "utf-8-sig") else "utf-8-sig"
        return f"{stem}_rechazadas.txt", text.encode(encoding, "replace"), "text/plain; charset=" + encoding
    text_columns = [i for i, f in enumerate(spec.fields) if f.is_text] + [len(spec.fields)]
    return f"{stem}_rechazadas.xlsx", xlsx.simple_sheet("Lote", headers, table, text_columns), xlsx.MIME


def _txt_cell(value):
    text = str(value or "")
    return f'"{text.replace(chr(34), chr(34) * 2)}"' if any(ch in text for ch in ';"\r\n') else text
