"""Reportes' downloads: the Cuenta maestra lines as .xlsx (openpyxl write_only, the rows
fetched from the database a chunk at a time and written as they come: never every row in
memory; text cells starting with = + - @ neutralised as adapters/xlsx.py does) and as PDF
(adapters/pdf.py; a range beyond PDF_MAX_ROWS is cut there with a note to use the .xlsx)."""
import contextlib
import gc
import tempfile
from decimal import Decimal

from flask import render_template
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from portal.adapters import pdf
from portal.adapters.xlsx import _safe_text
from portal.domain import card_operations as co
from portal.domain.batches import BATCH
from portal.domain.formatting import today_bogota
from portal.extensions import db
from portal.services import audit, order_pdf, reports

HEADERS = ("Fecha", "Descripción", "Ref.", "Cargo", "Abono", "Saldo")
PDF_MAX_ROWS = 2000
SPOOL_BYTES = 8 * 1024 * 1024  # a bigger workbook goes to a temporary file, not memory


STEMS = {"cuenta-maestra": "Cuenta_maestra", "ordenes-de-servicio": "Ordenes_de_servicio",
         "recargas": "Recargas_por_tarjetahabiente", "lotes": "Lotes", "tarjetas": "Tarjetas"}
BATCH_HEADERS = ("Tipo de lote", "Estado", "Lotes", "Registros", "Válidos", "Monto")
HOLDER_HEADERS = ("Documento", "Nombre", "Tarjeta", "Recargas", "Monto recargado")
CARD_HEADERS = ("Sucursal", "Emitidas", "Afiliadas", "Bloqueadas", "Repuestas")
ORDER_HEADERS = ("Mes", "Órdenes", "Monto comisión", "Monto IVA", "GMF", "Monto OS")


def file_stem(slug, access, found):
    return f"{STEMS[slug]}_{access.company.nit}_{found.start:%Y%m%d}-{found.end:%Y%m%d}"


def xlsx_of(slug, user, access, found):
    return {"cuenta-maestra": master_xlsx, "recargas": holders_xlsx, "lotes": batches_xlsx,
            "tarjetas": cards_xlsx}.get(slug, orders_xlsx)(user, access, found)


def pdf_of(slug, user, access, found):
    return {"cuenta-maestra": master_pdf, "recargas": holders_pdf, "lotes": batches_pdf,
            "tarjetas": cards_pdf}.get(slug, orders_pdf)(user, access, found)


def batch_groups(access, found):
    return reports.batches_by_kind(access, found, order_pdf.kind_label, BATCH.label)


def batch_totals(groups):
    return reports.BatchGroup("Total", "", sum(g.batches for g in groups), sum(g.records for g in groups),
                              sum(g.valid for g in groups), sum((g.amount for g in groups), Decimal(0)))


def _batch_row(g):
    return (g.kind, g.status, g.batches, g.records, g.valid, g.amount)


def batches_xlsx(user, access, found):
    """Lotes by type and status (a few rows) as a workbook file object."""
    groups = batch_groups(access, found)
    return _workbook(user, access, found, "lotes", "Lotes", BATCH_HEADERS, map(_batch_row, groups),
                     _batch_row(batch_totals(groups)))


def batches_pdf(user, access, found):
    groups = batch_groups(access, found)
    return _pdf(user, access, found, "lotes", groups=groups, totals=batch_totals(groups))


def card_groups(access, found):
    return reports.cards_by_branch(access, found, co.REPLACED)


def card_totals(groups):
    return reports.BranchCards("Total", *(sum(getattr(g, k) for g in groups)
                                          for k in ("issued", "affiliated", "blocked", "replaced")))


def _card_row(g):
    return (_safe_text(g.branch), g.issued, g.affiliated, g.blocked, g.replaced)


def cards_xlsx(user, access, found):
    """Tarjetas per sucursal (a row per sucursal) as a workbook file object."""
    groups = card_groups(access, found)
    return _workbook(user, access, found, "tarjetas", "Tarjetas", CARD_HEADERS, map(_card_row, groups),
                     _card_row(card_totals(groups)))


def cards_pdf(user, access, found):
    groups = card_groups(access, found)
    return _pdf(user, access, found, "tarjetas", groups=groups, totals=card_totals(groups))


def _holder_row(h):
    return (_safe_text(h.id_number), _safe_text(h.name), h.card, h.count, h.amount)


def holders_xlsx(user, access, found):
    """Recargas por tarjetahabiente: one row per card, read by chunks."""
    return _workbook(user, access, found, "recargas", "Recargas", HOLDER_HEADERS,
                     map(_holder_row, reports.holders_all(access, found)))


def holders_pdf(user, access, found):
    holders = list(reports.holders_all(access, found, limit=PDF_MAX_ROWS))
    total = len(holders) if len(holders) < PDF_MAX_ROWS else reports.holders_page(access, found, 1, 10)[1].total
    return _pdf(user, access, found, "recargas", holders=holders, total=total, capped=total > len(holders))


def _row(line):
    return (reports.local_time(line.created_at), _safe_text(line.description), _safe_text(line.reference),
            line.charge, line.credit, line.balance)


def master_xlsx(user, access, found, chunk=2000):
    """A file object (positioned at 0) holding the workbook, streamed from the database;
    audited, commits."""
    return _workbook(user, access, found, "cuenta-maestra", "Cuenta maestra", HEADERS,
                     map(_row, reports.master_lines(access, found, chunk=chunk)))


def _workbook(user, access, found, slug, title, headers, rows, totals=None):
    """A report's workbook (stream_workbook); the download audited."""
    out = stream_workbook(title, headers, rows, totals)
    _audit("conexion.report_xlsx", user, access, found, slug)
    return out


def stream_workbook(title, headers, rows, totals=None):
    """A write_only workbook (bold headers, the rows as they come, a bold totals row) in a
    spooled file positioned at 0. Text cells must come neutralised (adapters/xlsx._safe_text)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    bold = Font(bold=True)
    sheet.append([_bold(sheet, h, bold) for h in headers])
    with _no_cyclic_gc():
        for row in rows:
            sheet.append(row)
    if totals is not None:
        sheet.append([_bold(sheet, v, bold) for v in totals])
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    book.save(out)
    out.seek(0)
    return out


@contextlib.contextmanager
def _no_cyclic_gc():
    """The rows make no reference cycles (tuples, Decimals, openpyxl's cells written and
    dropped), so the cyclic collector has nothing to find while they are written; left on,
    it walks the whole app's heap again and again (measured: a third of the export's time
    in a worker). Reference counting still frees every row as it goes."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _bold(sheet, value, font):
    cell = WriteOnlyCell(sheet, value=value)
    cell.font = font
    return cell


def master_pdf(user, access, found):
    """PDF bytes of the range's lines (at most PDF_MAX_ROWS); audited, commits."""
    total = reports.master_count(access, found)
    lines = list(reports.master_lines(access, found, limit=PDF_MAX_ROWS))
    return _pdf(user, access, found, "cuenta-maestra", lines=lines, total=total, capped=total > len(lines))


def orders_totals(months):
    """The «Total» row: orders and every amount summed."""
    return reports.Month("Total", sum(m.orders for m in months),
                         *(sum((getattr(m, k) for m in months), Decimal(0)) for k in ("commission", "iva", "gmf", "total")))


def _order_row(m):
    return (m.month, m.orders, m.commission, m.iva, m.gmf, m.total)


def orders_xlsx(user, access, found):
    """Órdenes de servicio by month (a few rows: one per month) as a workbook file object."""
    months = reports.orders_by_month(access, found)
    return _workbook(user, access, found, "ordenes-de-servicio", "Órdenes de servicio", ORDER_HEADERS,
                     map(_order_row, months), _order_row(orders_totals(months)))


def orders_pdf(user, access, found):
    months = reports.orders_by_month(access, found)
    return _pdf(user, access, found, "ordenes-de-servicio", months=months, totals=orders_totals(months))


def _audit(kind, user, access, found, report="cuenta-maestra"):
    audit.record(kind, user, subject=f"product:{access.product.id}", report=report,
                 desde=found.texts["fecha_inicial"], hasta=found.texts["fecha_final"])
    db.session.commit()


def _pdf_html(slug, **context):
    """A report's PDF page (conexion/reportes/<slug>_pdf.html on _pdf.html's header)."""
    return render_template(f"conexion/reportes/{slug.replace('-', '_')}_pdf.html", font_css=pdf.font_css(),
                           report=reports.BY_SLUG[slug], printed_on=today_bogota(), **context)


def _pdf(user, access, found, slug, **context):
    """PDF bytes of a report (its template on _pdf.html's header); the download audited."""
    data = pdf.from_html(_pdf_html(slug, access=access, found=found, **context))
    _audit("conexion.report_pdf", user, access, found, slug)
    return data
