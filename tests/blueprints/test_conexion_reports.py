"""Reportes (manual 003 ch. 6): the catalogue's drop-down and Cuenta maestra: its criteria,
the table's Saldo against the ledger, paging, the SVG chart, the .xlsx (read back) and the
PDF (pdftotext), a streamed export, 404 for another company's product, 403 without consult."""
import gc
import io
import shutil
import subprocess
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, func, select
from sqlalchemy.engine import Result

from portal.domain.formatting import today_bogota
from portal.extensions import db
from portal.models import LedgerEntry
from portal.services import ledger, report_exports, reports
from tests import factories

D = Decimal
NOW = datetime.utcnow().replace(microsecond=0)


def movements(company):
    """The manual's report: funded 1,000,000, a balance query (60), a load of 1,000 with its
    55, a debit back, and a description that Excel would run; all in the last days."""
    product = company.products[0]
    master = ledger.company_account("master", company, product)
    fees, funding = ledger.program_account("fees"), ledger.program_account("funding")
    card = ledger.company_account("clearing", company, product)  # any other account will do
    steps = [("f1", [(funding, D("-1000000")), (master, D("1000000"))], "Fondeo PSE"),
             ("q1", [(master, D("-60")), (fees, D("60"))], "Comisión consulta de saldo"),
             ("a1", [(master, D("-1055")), (card, D("1000")), (fees, D("55"))], "Abono a tarjeta"),
             ("c1", [(card, D("-500")), (master, D("500"))], "=cmd|' /C calc'!A0"),
             ("q2", [(master, D("-60.25")), (fees, D("60.25"))], "Comisión consulta de saldo")]
    for i, (txn, legs, text) in enumerate(steps):
        ledger.post(f"{company.id}-{txn}", [ledger.Leg(a, amount, text) for a, amount in legs], reference=txn.upper(),
                    when=NOW - timedelta(days=4 - i, minutes=5))
    db.session.commit()
    return master


@pytest.fixture
def jahc(auth):
    company = factories.company()
    user = factories.user("corporate", "ana")
    factories.member(user, company, can_consult=True)
    master = movements(company)
    auth.as_user(user)
    return company, master


def url(company, tail=""):
    return f"/empresas/{company.id}/productos/{company.products[0].id}/reportes/{tail}"


def rows_of(body):
    table = body[body.index("<tbody>"):body.index("</tbody>")]
    return [chunk.split("</tr>")[0] for chunk in table.split('<tr id="entry-')[1:]]


def test_the_catalogue_drop_down_and_the_menu(client, jahc):
    company, _ = jahc
    body = client.get(url(company)).get_data(as_text=True)
    assert "Escoja de la lista desplegable" in body and '<option value="cuenta-maestra"' in body
    assert f'href="{url(company)}"' in body and ">Reportes</a>" in body  # the menu
    chosen = client.get(url(company) + "?reporte=cuenta-maestra")
    assert chosen.status_code == 302 and chosen.headers["Location"].endswith(url(company, "cuenta-maestra"))
    assert client.get(url(company, "inexistente")).status_code == 404  # not in the catalogue
    product = client.get(f"/empresas/{company.id}/productos/{company.products[0].id}/").get_data(as_text=True)
    assert f'href="{url(company)}"' in product


def test_the_table_newest_first_with_the_ledgers_saldo(client, jahc):
    company, master = jahc
    body = client.get(url(company, "cuenta-maestra")).get_data(as_text=True)
    for label in ("Criterios de búsqueda", "Fecha inicial", "Fecha final", "DD/MM/AAAA", "Buscar", "Fecha",
                  "Descripción", "Ref.", "Cargo", "Abono", "Saldo", "Descargar .xlsx", "Descargar PDF"):
        assert label in body, label
    rows = rows_of(body)
    entries = db.session.scalars(select(LedgerEntry).where(LedgerEntry.account_id == master.id)
                                 .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc())).all()
    assert len(rows) == len(entries) == 5
    for row, entry in zip(rows, entries, strict=True):
        after = db.session.scalar(select(func.sum(LedgerEntry.amount)).where(
            LedgerEntry.account_id == master.id, LedgerEntry.created_at <= entry.created_at))
        assert row.startswith(f"{entry.id}\"")
        saldo = row.split('data-label="Saldo">')[1].split("<")[0]
        assert saldo == f"$\xa0{after:,.2f}".replace(",", "X").replace(".", ",").replace("X", "."), (saldo, after)
    assert "999.324,75" in rows[0] and "60,25" in rows[0] and "C1" in rows[1] and "500,00" in rows[1]
    assert "1.000.000,00" in rows[4]
    assert "&lt;" not in body and "=cmd" in body  # shown as text on the page


def test_the_chart_is_an_svg_with_title_and_description(client, jahc):
    company, _ = jahc
    body = client.get(url(company, "cuenta-maestra")).get_data(as_text=True)
    svg = body[body.index("<svg"):body.index("</svg>")]
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg and "viewBox" in svg
    assert "<polyline" in svg and "<script" not in body[body.index("<svg"):body.index("</figure>")]
    assert "Saldo de la cuenta maestra del " in svg


def test_criteria_messages_and_the_range(client, jahc):
    company, _ = jahc
    bad = client.get(url(company, "cuenta-maestra") + "?fecha_inicial=31/02/2026&fecha_final=hoy")
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "Fecha inicial: «31/02/2026» no es una fecha válida" in body and "Fecha final: «hoy»" in body
    assert "<tbody>" not in body
    backwards = client.get(url(company, "cuenta-maestra") + "?fecha_inicial=10/05/2026&fecha_final=01/05/2026")
    assert "debe ser anterior o igual a la Fecha final" in backwards.get_data(as_text=True)
    today = today_bogota()
    only_today = client.get(url(company, "cuenta-maestra") + f"?fecha_inicial={today:%d/%m/%Y}"
                            f"&fecha_final={today:%d/%m/%Y}").get_data(as_text=True)
    assert "No se encontraron registros" in only_today or len(rows_of(only_today)) <= 1
    old = client.get(url(company, "cuenta-maestra") + "?fecha_inicial=01/01/2020&fecha_final=31/12/2020")
    assert "No se encontraron registros para tu consulta" in old.get_data(as_text=True)
    assert "Sin movimientos en el periodo" in old.get_data(as_text=True)


def test_paging_keeps_the_saldo_across_pages(client, jahc):
    company, _ = jahc
    first = rows_of(client.get(url(company, "cuenta-maestra") + "?por_pagina=10").get_data(as_text=True))
    for i in range(20):
        ledger.post(f"extra-{i}", [ledger.Leg(ledger.company_account("master", company, company.products[0]),
                                              D("-1"), f"Cargo {i}"),
                                   ledger.Leg(ledger.program_account("fees"), D("1"), "x")])
    db.session.commit()
    one = client.get(url(company, "cuenta-maestra") + "?por_pagina=10").get_data(as_text=True)
    three = client.get(url(company, "cuenta-maestra") + "?por_pagina=10&pagina=3").get_data(as_text=True)
    assert "del 1 al 10 de un total de 25" in one and "del 21 al 25 de un total de 25" in three
    assert "pagina=2" in one
    assert "999.304,75" in rows_of(one)[0]  # 20 pesos less
    assert rows_of(three)[-1] == first[-1] and rows_of(three)[0] == first[0]


def test_xlsx_read_back_with_the_formula_neutralised(client, jahc):
    company, master = jahc
    got = client.get(url(company, "cuenta-maestra.xlsx"))
    assert got.status_code == 200 and got.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in got.headers["Content-Disposition"] and "Cuenta_maestra_900291499" in \
        got.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(got.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("Fecha", "Descripción", "Ref.", "Cargo", "Abono", "Saldo")
    assert len(values) == 6
    assert values[1][1:] == ("Comisión consulta de saldo", "Q2", 60.25, None, 999324.75)
    assert values[2][1] == "'=cmd|' /C calc'!A0" and values[2][4] == 500 and values[2][5] == 999385
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert values[5][4] == 1000000 and values[5][5] == 1000000
    assert isinstance(values[1][0], datetime)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")
def test_pdf_read_back_with_pdftotext(client, jahc):
    company, _ = jahc
    got = client.get(url(company, "cuenta-maestra.pdf"))
    assert got.status_code == 200 and got.mimetype == "application/pdf"
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=got.data, capture_output=True,
                          check=True).stdout.decode()
    for label in ("Reporte Cuenta maestra", "JAHC TECHNOLOGIES", "Saldo", "Abono a tarjeta", "999.324,75",
                  "1.000.000,00", "=cmd"):
        assert label in text, label


def test_a_pdf_of_a_big_range_is_capped_with_a_word_about_the_xlsx(client, jahc, monkeypatch):
    company, _ = jahc
    monkeypatch.setattr(report_exports, "PDF_MAX_ROWS", 2)
    got = client.get(url(company, "cuenta-maestra.pdf"))
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=got.data, capture_output=True, check=True).stdout.decode()
        assert "descargue el .xlsx" in " ".join(text.split()) and "1.000.000,00" not in text


def test_the_export_streams_its_rows_in_chunks(app, jahc, monkeypatch):
    """Never .all(): the rows come by yield_per chunks (a server-side cursor on PostgreSQL)."""
    company, master = jahc
    for i in range(45):
        ledger.post(f"many-{i}", [ledger.Leg(master, D("1"), f"Abono {i}"),
                                  ledger.Leg(ledger.program_account("funding"), D("-1"), "x")])
    db.session.commit()
    seen = []

    def spy(conn, cursor, statement, parameters, context, executemany):
        if "ledger_entries" in statement and "ORDER BY" in statement:
            seen.append(dict(context.execution_options))

    def refuse(*args, **kwargs):
        raise AssertionError("an export must not fetch every row at once")

    monkeypatch.setattr(report_exports, "_audit", lambda *args: None)  # its commit is not the rows' fetch
    monkeypatch.setattr(Result, "all", refuse)
    monkeypatch.setattr(Result, "fetchall", refuse)
    event.listen(db.engine, "before_cursor_execute", spy)
    try:
        access = type("A", (), {"company": company, "product": company.products[0]})()
        found = reports.criteria({}, today_bogota())
        with app.test_request_context():
            out = report_exports.master_xlsx(None, access, found, chunk=10)
    finally:
        event.remove(db.engine, "before_cursor_execute", spy)
    assert any(o.get("yield_per") == 10 and o.get("stream_results") for o in seen), seen
    assert gc.isenabled()  # switched off only while the rows were written
    monkeypatch.undo()
    values = list(load_workbook(out).active.iter_rows(values_only=True))
    assert len(values) == 1 + 5 + 45 and values[1][5] == 999324.75 + 45


def test_another_companys_product_is_404_and_without_consult_403(client, jahc, auth):
    company, _ = jahc
    other = factories.company("800100200", "OTRA S.A.S.")
    for tail in ("", "cuenta-maestra", "cuenta-maestra.xlsx", "cuenta-maestra.pdf"):
        assert client.get(url(other, tail)).status_code == 404, tail
    blind = factories.user("corporate", "ciego")
    factories.member(blind, company, can_consult=False, can_upload=True)
    client = client.application.test_client()
    auth.as_user(blind, client=client)
    for tail in ("", "cuenta-maestra", "cuenta-maestra.xlsx", "cuenta-maestra.pdf"):
        assert client.get(url(company, tail)).status_code == 403, tail
    product = client.get(f"/empresas/{company.id}/productos/{company.products[0].id}/").get_data(as_text=True)
    assert url(company) not in product


def test_htmx_swaps_only_the_report_block(client, jahc):
    company, _ = jahc
    got = client.get(url(company, "cuenta-maestra") + "?por_pagina=10", headers={"HX-Request": "true"})
    body = got.get_data(as_text=True)
    assert got.status_code == 200 and body.lstrip().startswith("<div id=\"report\">") and "<html" not in body
    assert 'hx-target="#report"' in body and len(rows_of(body)) == 5


def test_a_card_operations_commission_is_its_own_row(client, auth):
    """An abono and a cargo by «Consulta de tarjetas»: each commission a row apart from its
    transfer, as the manual's report shows them (-55.00, then -100.00)."""
    from portal.services import card_operations
    from tests import card_helpers

    user, access, company = card_helpers.setup("1000.00", can_consult=True)
    card = card_helpers.card(access, balance="10.00")
    for key, kind, amount in (("k-1", "credit", D("100.00")), ("k-2", "debit", D("30.00"))):
        assert card_operations.operate(user, access, key, factories.PASSWORD, kind, [card], amount=amount).ok
    auth.as_user(user)
    rows = rows_of(client.get(url(company, "cuenta-maestra")).get_data(as_text=True))
    cells = [[cell.split("<")[0] for cell in row.split('data-label="')[2:]] for row in rows]
    assert [[c.split('">')[1] for c in row if not c.startswith(("Fecha", "Ref."))] for row in cells] == [
        ["Comisión cargo a tarjeta 450714******1234", "$\xa055,00", "", "$\xa0820,00"],
        ["Cargo a tarjeta 450714******1234", "", "$\xa030,00", "$\xa0875,00"],
        ["Abono a tarjeta 450714******1234", "$\xa0100,00", "", "$\xa0845,00"],
        ["Comisión abono a tarjeta 450714******1234", "$\xa055,00", "", "$\xa0945,00"],
        ["Fondeo", "", "$\xa01.000,00", "$\xa01.000,00"]]
