"""Reportes (manual 003 ch. 6, manual 004 ch. 8): the queries of each report of the catalogue.

Cuenta maestra (6.1.1): the product's master account entries in a date range, newest
first, with Fecha, Descripción, Ref., Cargo, Abono and Saldo, the balance after the entry.
Saldo is never a sum of the whole history per row: the account's running balance minus the
entries after the page's first row (one index range, ix_ledger_entries_account_created,
which holds the amounts), then each next row is the previous Saldo minus its amount: the
rows of a date range are contiguous in (created_at, id), the order of the balance."""
import json
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from portal.domain import charts, order_search, paging
from portal.domain import companies as company_rules
from portal.domain import orders as o
from portal.extensions import db
from portal.models import Batch, BatchLine, Card, LedgerAccount, LedgerEntry, ServiceOrder
from portal.services import companies, tables

DEFAULT_DAYS = 30  # without Fecha inicial: the last 30 days (Bogotá), today included
BOGOTA_OFFSET = timedelta(hours=-5)  # Colombia keeps no daylight saving time


@dataclass(frozen=True)
class Report:
    slug: str
    title: str
    summary: str


CATALOGUE = (Report("cuenta-maestra", "Cuenta maestra",
                    "Las transacciones realizadas con la cuenta concentradora y su saldo."),
             Report("ordenes-de-servicio", "Órdenes de servicio",
                    "Comisiones, IVA y GMF de las órdenes de servicio, por mes."),
             Report("lotes", "Lotes", "Los lotes cargados por tipo y estado en el periodo."),
             Report("recargas", "Recargas por tarjetahabiente",
                    "Cuántas recargas y cuánto dinero recibió cada tarjetahabiente en el periodo."),
             Report("tarjetas", "Tarjetas",
                    "Las tarjetas emitidas, afiliadas, bloqueadas y repuestas de cada sucursal en el periodo."))
BY_SLUG = {r.slug: r for r in CATALOGUE}


@dataclass(frozen=True)
class Line:
    entry_id: int
    created_at: object
    description: str
    reference: str
    amount: Decimal
    balance: Decimal  # after this entry

    @property
    def charge(self):  # Cargo: money out of the master account
        return -self.amount if self.amount < 0 else None

    @property
    def credit(self):  # Abono
        return self.amount if self.amount > 0 else None


def criteria(args, today, days=DEFAULT_DAYS):
    """The report's Fecha inicial / Fecha final (order_search's rules and messages); an
    empty Fecha inicial is `days` days before the Fecha final (or today)."""
    found = order_search.parse({k: v for k, v in args.items() if k != "dias"}, today)
    if found.errors or found.start:
        return found
    end = found.end or today
    start = end - timedelta(days=days - 1)
    texts = {"fecha_inicial": f"{start:%d/%m/%Y}", "fecha_final": f"{end:%d/%m/%Y}"}
    return order_search.Criteria(texts, start, end)


def master_account(access):
    """The product's master account, or None when nothing was ever posted to it (read
    only: a report makes no account)."""
    return db.session.scalar(select(LedgerAccount).where(
        LedgerAccount.kind == "master", LedgerAccount.company_id == access.company.id,
        LedgerAccount.product_id == access.product.id, LedgerAccount.card_id.is_(None)))


def _in_range(account, found):
    since, before = order_search.utc_bounds(found.start, found.end)
    where = [LedgerEntry.account_id == account.id]
    if since:
        where.append(LedgerEntry.created_at >= since)
    if before:
        where.append(LedgerEntry.created_at < before)
    return where


def _after(account, created_at, entry_id):
    """The sum of the account's entries after (created_at, entry_id) in balance order."""
    return db.session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
        LedgerEntry.account_id == account.id,
        or_(LedgerEntry.created_at > created_at,
            and_(LedgerEntry.created_at == created_at, LedgerEntry.id > entry_id))))


def _newest_first(where):
    return (select(LedgerEntry.id, LedgerEntry.created_at, LedgerEntry.description, LedgerEntry.reference,
                   LedgerEntry.txn_id, LedgerEntry.amount)
            .where(*where).order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc()))


def _lines(account, rows):
    """Lines with their Saldo from rows newest first (contiguous in balance order)."""
    saldo = None
    for row in rows:
        if saldo is None:
            saldo = Decimal(account.balance) - Decimal(_after(account, row.created_at, row.id))
        yield Line(row.id, row.created_at, row.description, row.reference or row.txn_id[:12], Decimal(row.amount),
                   saldo)
        saldo -= Decimal(row.amount)


def master_page(access, found, number, per_page):
    """(lines of page `number`, paging.Page) of the master account in the criteria's range."""
    account = master_account(access)
    if account is None or found.errors:
        return [], paging.page_of(0, number, per_page)
    where = _in_range(account, found)
    total = db.session.scalar(select(func.count()).select_from(LedgerEntry).where(*where))
    page = paging.page_of(total, number, per_page)
    rows = db.session.execute(_newest_first(where).limit(page.per_page).offset(page.offset)).all()
    return list(_lines(account, rows)), page


def master_lines(access, found, chunk=2000, limit=None):
    """Every line of the range newest first, fetched `chunk` rows at a time (an export
    never holds them all); `limit` caps them."""
    account = master_account(access)
    if account is None or found.errors:
        return iter(())
    query = _newest_first(_in_range(account, found))
    if limit is not None:
        query = query.limit(limit)
    rows = db.session.execute(query.execution_options(yield_per=chunk))
    return _lines(account, rows)


def master_after(access, found, after=None, limit=20):
    """The API's movements: (up to `limit` lines newest first after `after` — the
    (created_at, entry id) of the last line seen — with their Saldo, more?)."""
    account = master_account(access)
    if account is None or found.errors:
        return [], False
    rows, more = tables.newest_after(_newest_first(_in_range(account, found)).order_by(None), LedgerEntry.created_at,
                                     LedgerEntry.id, after, limit, entities=False)
    return list(_lines(account, rows)), more


def master_count(access, found):
    account = master_account(access)
    if account is None or found.errors:
        return 0
    return db.session.scalar(select(func.count()).select_from(LedgerEntry).where(*_in_range(account, found)))


def _local_day():
    """The Bogotá day of an entry, in SQL (UTC − 5 h)."""
    if db.engine.dialect.name == "sqlite":
        return func.date(LedgerEntry.created_at, "-5 hours")
    return func.date(LedgerEntry.created_at + BOGOTA_OFFSET)


def master_chart(access, found):
    """The balance at the close of each day of the range that had movements (a LineChart)."""
    account = master_account(access)
    if account is None or found.errors:
        return charts.line([])
    day = _local_day().label("day")
    sums = db.session.execute(select(day, func.sum(LedgerEntry.amount)).where(*_in_range(account, found))
                              .group_by(day).order_by(day.desc())).all()
    if not sums:
        return charts.line([])
    _, before = order_search.utc_bounds(found.start, found.end)
    closing = Decimal(account.balance) - Decimal(_after_instant(account, before))
    series = []
    for day_value, total in sums:  # newest first: each earlier close is this one minus the day's movements
        series.append((_day_label(day_value), closing))
        closing -= Decimal(total)
    return charts.line(series[::-1])


def _after_instant(account, before):
    if before is None:
        return 0
    return db.session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
        LedgerEntry.account_id == account.id, LedgerEntry.created_at >= before))


def _day_label(value):
    text = str(value)[:10]  # SQLite returns 'YYYY-MM-DD', PostgreSQL a date
    return f"{text[8:10]}/{text[5:7]}"


def local_time(moment):
    """A stored naive-UTC time as Bogotá's wall clock, naive (for a spreadsheet cell):
    UTC − 5 h, which is what formatting.local gives for Colombia at a fraction of its cost
    per row of a 100,000-row export."""
    return moment + BOGOTA_OFFSET


# --- Órdenes de servicio: commissions, IVA and GMF per month ------------------------------

ORDERS_DAYS = 365  # without Fecha inicial: the last year


@dataclass(frozen=True)
class Month:
    month: str  # MM/AAAA
    orders: int
    commission: Decimal
    iva: Decimal
    gmf: Decimal
    total: Decimal  # Monto OS


def _local_month(column):
    if db.engine.dialect.name == "sqlite":
        return func.strftime("%Y-%m", column, "-5 hours")
    return func.to_char(column + BOGOTA_OFFSET, "YYYY-MM")


def orders_by_month(access, found):
    """The product's orders authorized in the range (not the annulled ones), newest month first."""
    if found.errors:
        return []
    since, before = order_search.utc_bounds(found.start, found.end)
    month = _local_month(ServiceOrder.created_at).label("month")
    query = (select(month, func.count(), func.sum(ServiceOrder.commission), func.sum(ServiceOrder.iva),
                    func.sum(ServiceOrder.gmf), func.sum(ServiceOrder.total))
             .where(ServiceOrder.company_id == access.company.id, ServiceOrder.product_id == access.product.id,
                    ServiceOrder.status != o.ANNULLED, ServiceOrder.created_at >= since,
                    ServiceOrder.created_at < before)
             .group_by(month).order_by(month.desc()))
    return [Month(f"{m[5:7]}/{m[:4]}", count, *(_cents(v) for v in sums))
            for m, count, *sums in db.session.execute(query)]


def _cents(value):
    return Decimal(value or 0).quantize(Decimal("0.01"))


def orders_chart(months):
    """Commission + IVA + GMF of each month, oldest first."""
    return charts.bars([(m.month, m.commission + m.iva + m.gmf) for m in reversed(months)])


# --- Recargas por tarjetahabiente -------------------------------------------------------------

@dataclass(frozen=True)
class Holder:
    id_number: str
    name: str
    card: str  # masked: first 6 / last 4
    count: int
    amount: Decimal


def _holders_query(access, found):
    """Each card's recargas in the range: credits to its account whose movement takes the
    money from the company's clearing account (a paid order) or master account (an abono),
    so a replacement's balance moved to the new card is not a recarga."""
    source, source_account = aliased(LedgerEntry), aliased(LedgerAccount)
    since, before = order_search.utc_bounds(found.start, found.end)
    amount = func.sum(LedgerEntry.amount).label("amount")
    return (select(Card.holder_id_number, Card.holder_name, Card.account_mask, func.count().label("count"), amount)
            .join(LedgerAccount, LedgerAccount.card_id == Card.id)
            .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
            .join(source, (source.txn_id == LedgerEntry.txn_id) & (source.amount < 0))
            .join(source_account, (source_account.id == source.account_id)
                  & source_account.kind.in_(("clearing", "master")) & (source_account.company_id == Card.company_id))
            .where(Card.company_id == access.company.id, Card.product_id == access.product.id,
                   LedgerEntry.amount > 0, LedgerEntry.created_at >= since, LedgerEntry.created_at < before)
            .group_by(Card.id, Card.holder_id_number, Card.holder_name, Card.account_mask)
            .order_by(amount.desc(), Card.holder_id_number))


def holders_page(access, found, number, per_page):
    if found.errors:
        return [], paging.page_of(0, number, per_page)
    query = _holders_query(access, found)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page = paging.page_of(total, number, per_page)
    rows = db.session.execute(query.limit(page.per_page).offset(page.offset))
    return [_holder(r) for r in rows], page


def holders_all(access, found, chunk=2000, limit=None):
    """Every card's line, largest first, fetched `chunk` rows at a time; `limit` caps them."""
    if found.errors:
        return iter(())
    query = _holders_query(access, found)
    if limit is not None:
        query = query.limit(limit)
    return (_holder(r) for r in db.session.execute(query.execution_options(yield_per=chunk)))


def _holder(row):
    return Holder(row[0] or "", row[1] or "", row[2], row[3], _cents(row[4]))


def holders_chart(access, found, top=10):
    """The `top` holders by amount recharged (bars, largest first)."""
    if found.errors:
        return charts.bars([])
    rows = db.session.execute(_holders_query(access, found).limit(top))
    return charts.bars([(r[0] or r[2][-4:], _cents(r[4])) for r in rows])


# --- Lotes: by type and status --------------------------------------------------------------

@dataclass(frozen=True)
class BatchGroup:
    kind: str  # Tipo de lote, as the manual writes it
    status: str  # Estado, as «Lotes pendientes» shows it
    batches: int
    records: int
    valid: int
    amount: Decimal


def batches_by_kind(access, found, kind_label, status_label):
    """The product's batches uploaded in the range, counted by type and status."""
    if found.errors:
        return []
    since, before = order_search.utc_bounds(found.start, found.end)
    query = (select(Batch.kind, Batch.status, func.count(), func.sum(Batch.rows_total), func.sum(Batch.valid_count),
                    func.sum(Batch.total_amount))
             .where(Batch.company_id == access.company.id, Batch.product_id == access.product.id,
                    Batch.created_at >= since, Batch.created_at < before)
             .group_by(Batch.kind, Batch.status).order_by(Batch.kind, Batch.status))
    return [BatchGroup(kind_label(kind), status_label(status), count, int(rows or 0), int(valid or 0), _cents(amount))
            for kind, status, count, rows, valid, amount in db.session.execute(query)]


def batches_chart(groups):
    """Batches per type (every status together)."""
    per_kind = {}
    for g in groups:
        per_kind[g.kind] = per_kind.get(g.kind, 0) + g.batches
    return charts.bars(list(per_kind.items()))


# --- Tarjetas: issued, affiliated, blocked and replaced per sucursal ------------------------

NO_BRANCH = "Sin sucursal"
EMISSION_KINDS = ("emission", "unnamed_emission")
_IDS_PER_QUERY = 500  # card ids per IN (…) list


@dataclass(frozen=True)
class BranchCards:
    branch: str
    issued: int  # Emitidas: made in the range
    affiliated: int  # Afiliadas: made in the range and holding a cardholder now
    blocked: int  # Bloqueadas: blocked in the range (pérdida, robo, deterioro), still blocked
    replaced: int  # Repuestas: blocked in the range because a new card replaced them


def cards_by_branch(access, found, replaced_reason):
    """The product's cards per sucursal (its batch line's), «Sin sucursal» last."""
    if found.errors:
        return []
    since, before = order_search.utc_bounds(found.start, found.end)
    made = (Card.created_at >= since) & (Card.created_at < before)
    blocked = (Card.blocked_at >= since) & (Card.blocked_at < before)
    rows = db.session.execute(select(Card.id, Card.created_at, Card.holder_id_number, Card.blocked_at,
                                     Card.blocked_reason)
                              .where(Card.company_id == access.company.id, Card.product_id == access.product.id,
                                     made | blocked)).all()
    branch_of = card_branches([r.id for r in rows], companies.branch_names(access.company.id))
    counts = {}
    for r in rows:
        new = since <= r.created_at < before
        out = r.blocked_at is not None and since <= r.blocked_at < before
        row = counts.setdefault(branch_of.get(r.id) or NO_BRANCH, [0, 0, 0, 0])
        row[0] += new
        row[1] += new and bool(r.holder_id_number)
        row[2] += out and r.blocked_reason != replaced_reason
        row[3] += out and r.blocked_reason == replaced_reason
    names = sorted(counts, key=lambda b: (b == NO_BRANCH, b))
    return [BranchCards(b, *counts[b]) for b in names]


def card_branches(card_ids, names=None):
    """{card id: sucursal} from the emission line that made each card (an unnamed batch's
    branch_name, an emission line's «branch»: the name of the company's sucursal of that
    code in `names` ({code: name}), else «Sucursal 002»); a replacement card has its first
    card's."""
    names = names or {}
    found = _line_branches(list(card_ids), names)
    chase = {card: card for card in card_ids if card not in found}  # card -> the one looked back from
    for _ in range(10):  # replacements of replacements, a few deep at most
        previous = _replaced(list(chase.values()))  # {replacement: the card it replaced}
        chase = {card: previous[at] for card, at in chase.items() if at in previous}
        if not chase:
            break
        lines = _line_branches(list(set(chase.values())), names)
        found.update({card: lines[at] for card, at in chase.items() if at in lines})
        chase = {card: at for card, at in chase.items() if at not in lines}
    return found


def _chunks(ids):
    for i in range(0, len(ids), _IDS_PER_QUERY):
        yield ids[i:i + _IDS_PER_QUERY]


def _line_branches(card_ids, names):
    found = {}
    for chunk in _chunks(card_ids):
        rows = db.session.execute(select(BatchLine.card_id, Batch.kind, Batch.branch_name, BatchLine.values_json)
                                  .join(Batch, Batch.id == BatchLine.batch_id)
                                  .where(BatchLine.card_id.in_(chunk), Batch.kind.in_(EMISSION_KINDS))
                                  .order_by(BatchLine.id))
        for card_id, kind, branch_name, values in rows:
            found.setdefault(card_id, _branch(kind, branch_name, values, names))
    return found


def _branch(kind, branch_name, values, names):
    if kind == "unnamed_emission":
        return branch_name or NO_BRANCH
    try:  # JSON text, read here: SQLite and PostgreSQL differ in their JSON functions
        code = json.loads(values or "{}").get("branch")
    except (ValueError, AttributeError):
        code = None
    if not code:
        return NO_BRANCH
    return names.get(company_rules.branch_code(code)) or f"Sucursal {code}"


def _replaced(card_ids):
    """{new card id: the card it replaced} of the given cards."""
    found = {}
    for chunk in _chunks(card_ids):
        found.update(db.session.execute(select(Card.replaced_by_id, Card.id).where(Card.replaced_by_id.in_(chunk))).all())
    return found


def cards_chart(groups):
    """Cards issued per sucursal."""
    return charts.bars([(g.branch if len(g.branch) <= 18 else g.branch[:17] + "…", g.issued) for g in groups])
