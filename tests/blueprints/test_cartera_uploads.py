"""Documentos Subidos: upload → RQ job → processed, every refusal named, nothing written
by a bad file; the volante; the allocation of a paid volante to "Saldo" 0."""
import io
import json
import re
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from portal.extensions import db
from portal.models import (
    AuditEvent,
    CarteraUpload,
    CarteraUploadLine,
    Credit,
    PaymentSlip,
    SlipAllocation,
    StatementLine,
)
from tests import cartera_helpers as ch
from tests import payment_helpers as h
from tests.conftest import post

PAYER = {"first_name": "Ana", "last_name": "Gómez", "email": "ana@empresa.co", "mobile": "3001112233",
         "address": "Calle 1 # 2-3"}


@pytest.fixture
def cartera(client):
    return ch.build(sign_in_client=client)




def pay_slip(client, slip):
    url = f"/pagos-express/libranza/{slip.id}/pagar"
    start = post(client, url, PAYER, page=url)
    voucher = h.pay_with_card(client, h.checkout_query(start.headers["Location"]))
    h.back_to_merchant(client, voucher.headers["Location"])
    db.session.expire_all()


def test_upload_is_queued_with_progress_then_processed(client, cartera):
    response = ch.upload(client, "activos", ch.download(client, "activos"))
    body = response.get_data(as_text=True)
    upload = db.session.query(CarteraUpload).one()
    assert upload.status == "queued" and 'hx-trigger="every 1s"' in body and "X-Portal-Poll" in body
    assert "<progress" in body
    ch.run_jobs()
    db.session.expire_all()
    poll = client.get(f"{ch.BASE}/subidos/{upload.id}/estado", headers={"HX-Request": "true", "X-Portal-Poll": "1"})
    assert json.loads(poll.headers["HX-Trigger"]) == {"cartera-changed": None, "open-step": "paso-3"}
    text = poll.get_data(as_text=True)
    assert "every 1s" not in text and "procesado" in text and "3 créditos por $\xa0303.000,50" in text
    assert upload.status == "processed" and upload.rows_total == upload.rows_done == 3
    assert db.session.query(CarteraUploadLine).count() == 3


def test_edited_files_to_paid_slip_and_saldo_zero(client, cartera, frozen_clock):
    activos = ch.edit(ch.download(client, "activos"), {
        ("LI-9001", "Valor a Pagar"): 120000,  # 20.000 more: extra principal
        ("LI-9002", "Aplica Mora"): "N", ("LI-9002", "Valor a Pagar"): 150000,  # no arrears charged
    })
    assert ch.processed(client, "activos", activos).total_amount == Decimal("320000.50")
    assert ch.processed(client, "retirados", ch.download(client, "retirados")).total_amount == Decimal("70000.00")

    section = post(client, f"{ch.BASE}/volante", page=ch.BASE, headers={"HX-Request": "true"}).get_data(as_text=True)
    slip = db.session.query(PaymentSlip).one()
    assert slip.number == f"EL-{slip.id}" and slip.amount == Decimal("390000.50") and slip.status == "open"
    assert "Recuerde que este volante tiene validez hasta" in section and 'data-countdown="14400"' in section
    assert f'href="/pagos-express/libranza/{slip.id}/pagar"' in section and "Ir a Pagos Express" in section

    pay_slip(client, slip)
    assert slip.status == "paid" and slip.allocated_at is not None
    credits = {c.number: c for c in db.session.query(Credit)}
    assert credits["LI-9001"].balance == Decimal("680000.00")
    assert credits["LI-9002"].balance == Decimal("0.00") and credits["LI-9002"].status == "paid"
    assert credits["LI-9004"].balance == Decimal("70000.00")
    assert sum(a.to_instalment for a in db.session.query(SlipAllocation)) == ch.DISCOUNT
    lines = {l.credit.number: l for l in db.session.query(StatementLine)}
    assert lines["LI-9001"].paid == Decimal("120000.00") and lines["LI-9003"].paid == Decimal("50000.50")

    summary = client.get(f"{ch.BASE}/resumen", headers={"HX-Request": "true"}).get_data(as_text=True)
    saldo = re.search(r'data-label="Saldo"><strong>([^<]+)</strong>', summary).group(1)
    assert saldo == "$\xa00,00"  # the row shows centavos (Valor Aplicado has them): one format per table
    assert "Pagado" in summary
    assert "Abono extraordinario a capital de $\xa020.000,00" in summary
    assert "Sin mora (Aplica Mora = N): $\xa03.000,00 no cobrados" in summary
    first = db.session.query(CarteraUpload).order_by(CarteraUpload.id).first()
    assert f"Pagado con el volante {slip.number}" in ch.status_html(client, first)
    assert "Ahora genere el volante" not in ch.status_html(client, first)


def test_a_replayed_approval_allocates_once(app, client, cartera):
    from portal.services import cartera_slips

    ch.processed(client, "activos", ch.download(client, "activos"))
    post(client, f"{ch.BASE}/volante", page=ch.BASE)
    slip = db.session.query(PaymentSlip).one()
    pay_slip(client, slip)
    before = db.session.query(SlipAllocation).count()
    assert cartera_slips.allocate_paid_slip(slip.id, slip.amount) is None
    db.session.commit()
    assert db.session.query(SlipAllocation).count() == before == 3
    assert db.session.get(Credit, db.session.query(Credit).filter_by(number="LI-9001").one().id).balance == Decimal("700000.00")


# --- refusals: every error named, nothing written --------------------------------------

def _row_errors(client, upload):
    html = ch.status_html(client, upload)
    return html, re.findall(r'data-label="Fila">(\d+)</td><td data-label="Columna">([^<]+)</td><td data-label="Motivo">([^<]+)',
                            html)


def test_row_errors_are_all_listed_and_the_file_comes_back_with_them(client, cartera):
    bad = ch.edit(ch.download(client, "activos"), {
        ("LI-9001", "Nombre Trabajador"): "OTRA PERSONA",  # locked cell
        ("LI-9002", "Valor a Pagar"): "cien mil",  # text amount
        ("LI-9003", "Valor a Pagar"): -5,  # negative
        ("LI-9003", "Aplica Mora"): "X",
    })
    upload = ch.processed(client, "activos", bad)
    assert upload.status == "invalid" and upload.error_count == 4
    html, errors = _row_errors(client, upload)
    assert ("2", "Nombre Trabajador") == errors[0][:2] and "no se puede modificar" in errors[0][2]
    assert any(e[:2] == ("3", "Valor a Pagar") and "no es un valor numérico" in e[2] for e in errors)
    assert any(e[:2] == ("4", "Valor a Pagar") and "negativo" in e[2] for e in errors)
    assert any(e[:2] == ("4", "Aplica Mora") and "S o N" in e[2] for e in errors)
    assert db.session.query(CarteraUploadLine).count() == 0
    assert "no se registró ningún valor" in html

    back = client.get(f"{ch.BASE}/subidos/{upload.id}/errores.xlsx")
    assert back.status_code == 200 and "con_errores" in back.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(back.data)).worksheets[0]
    headers = [c.value for c in ws[1]]
    assert headers[-1] == "Errores"
    assert "negativo" in ws.cell(row=4, column=len(headers)).value
    # No slip can be generated from an invalid file.
    refused = post(client, f"{ch.BASE}/volante", page=ch.BASE, headers={"HX-Request": "true"})
    assert refused.status_code == 422 and "No hay valores por pagar" in refused.get_data(as_text=True)
    assert db.session.query(PaymentSlip).count() == 0


def test_an_amount_above_balance_plus_arrears_is_named(client, cartera):
    upload = ch.processed(client, "activos", ch.edit(ch.download(client, "activos"),
                                                  {("LI-9002", "Valor a Pagar"): 153000.01}))
    _, errors = _row_errors(client, upload)
    assert errors == [("3", "Valor a Pagar", "el valor a pagar ($\xa0153.000,01) supera el saldo más la mora ($\xa0153.000,00)")]


def _add_column(data):
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    ws.cell(row=1, column=ws.max_column + 1, value="Observaciones")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _rename(data, old, new):
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    for cell in ws[1]:
        if cell.value == old:
            cell.value = new
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _formula(data):
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    ws.cell(row=3, column=[c.value for c in ws[1]].index("Valor a Pagar") + 1, value="=100000+50000")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.parametrize("change,expected", [
    (_add_column, "Este archivo no puede ser modificado en su estructura: se agregó la columna «Observaciones»"),
    (lambda d: _rename(d, "Valor a Pagar", "Valor"), "debe llamarse «Valor a Pagar» y se llama «Valor»"),
    (_formula, "fórmula no permitida"),
])
def test_structure_and_formula_problems_are_named(client, cartera, change, expected):
    upload = ch.processed(client, "activos", change(ch.download(client, "activos")))
    assert upload.status == "invalid"
    assert expected in ch.status_html(client, upload)
    assert db.session.query(CarteraUploadLine).count() == 0


def test_the_retirados_file_in_the_activos_tab_is_named(client, cartera):
    upload = ch.processed(client, "activos", ch.download(client, "retirados"))
    assert "este es el Archivo de Retirados, no el Archivo de Activos" in ch.status_html(client, upload)


def _zip_bomb():
    out = io.BytesIO()
    import zipfile
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    return out.getvalue()


@pytest.mark.parametrize("data,expected", [
    (b"", "El archivo está vacío"),
    (b"Identificacion;Nombre;Valor\n1;ANA;100\n", "El archivo no es un Excel .xlsx válido"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "El archivo no es un Excel .xlsx válido"),
    (_zip_bomb(), "posible «bomba zip»"),
])
def test_plainly_wrong_files_are_refused_at_once_and_nothing_is_stored(client, cartera, data, expected):
    response = ch.upload(client, "activos", data)
    assert response.status_code == 422
    assert expected in response.get_data(as_text=True)
    assert db.session.query(CarteraUpload).count() == 0


def _workbook(data, change):
    wb = load_workbook(io.BytesIO(data))
    change(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _sheet_first(wb):
    wb.create_sheet("Hoja1", 0)["A1"] = "Notas del contador"


def _hidden_sheet(wb):
    ws = wb.create_sheet("Cálculos")
    ws["A1"] = 1
    ws.sheet_state = "hidden"


def _with_macros(data):
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "[Content_Types].xml":  # what Excel writes for an .xlsm
                body = body.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
            target.writestr(info.filename, body)
        target.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    return out.getvalue()


@pytest.mark.parametrize("change,expected", [
    (lambda d: _workbook(d, _sheet_first), "El archivo tiene 2 hojas («Hoja1», «Activos»); debe tener solo la "
                                           "hoja «Activos» que descargó del portal. Elimine la hoja «Hoja1»."),
    (lambda d: _workbook(d, _hidden_sheet), "La hoja «Cálculos» está oculta"),
    (_with_macros, "El archivo tiene macros (.xlsm); guárdelo como “Libro de Excel (.xlsx)” y vuelva a cargarlo."),
])
def test_extra_or_hidden_sheets_and_macros_are_refused_at_once_and_nothing_is_stored(client, cartera, change, expected):
    response = ch.upload(client, "activos", change(ch.download(client, "activos")))
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and expected in body, body
    assert "falta la columna" not in body
    ch.run_jobs()
    assert db.session.query(CarteraUpload).count() == 0


def test_a_file_with_only_the_header_is_invalid_not_processed_with_0_rows(client, cartera):
    def header_only(wb):
        ws = wb.worksheets[0]
        ws.delete_rows(2, ws.max_row)

    upload = ch.processed(client, "activos", _workbook(ch.download(client, "activos"), header_only))
    assert upload.status == "invalid" and upload.rows_total == 0
    html = ch.status_html(client, upload)
    assert "El archivo no tiene filas de trabajadores: solo trae los títulos de las columnas." in html
    assert db.session.query(CarteraUploadLine).count() == 0


def test_a_20_mb_file_is_refused_clearly(client, cartera):
    response = ch.upload(client, "activos", b"PK\x03\x04" + b"\0" * (20 * 1024 * 1024))
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "supera el tamaño máximo permitido de 10 MB" in body
    assert 'id="upload-panel"' in body
    assert db.session.query(CarteraUpload).count() == 0
    plain = ch.upload(client, "activos", b"PK\x03\x04" + b"\0" * (20 * 1024 * 1024), htmx=False)
    assert plain.status_code == 303
    assert "supera el tamaño máximo" in client.get(plain.headers["Location"]).get_data(as_text=True)


def test_urls_keep_the_files_spanish_words_and_the_upload_stores_its_kind(client, cartera):
    """Bookmarks and the manual's steps keep working: /subidos/retirados, ?archivo=retirados."""
    response = ch.upload(client, "retirados", ch.download(client, "retirados"), htmx=False)
    assert response.status_code == 303 and response.headers["Location"].endswith("?archivo=retirados#subidos")
    assert db.session.query(CarteraUpload).one().kind == "retired"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r'href="[^"]*\?archivo=retirados#subidos"\s+hx-get="[^"]*/subidos/retirados"[^>]*'
                     r'aria-current="page"', page)
    assert f'action="{ch.BASE}/subidos/retirados"' in page and f'href="{ch.BASE}/editar/retirados"' in page
    for word in ("retired", "active", "detalle"):  # the code's words are not URLs; Detalle is never uploaded
        assert client.get(f"{ch.BASE}/subidos/{word}", headers={"HX-Request": "true"}).status_code == 404


def test_no_file_chosen_is_named(client, cartera):
    response = post(client, f"{ch.BASE}/subidos/activos", {}, page=ch.BASE, headers={"HX-Request": "true"})
    assert response.status_code == 422 and "Seleccione el archivo de Excel" in response.get_data(as_text=True)


# --- twice -----------------------------------------------------------------------------

def test_procesar_pressed_twice_makes_one_upload(client, cartera):
    data = ch.download(client, "activos")
    ch.upload(client, "activos", data)
    ch.upload(client, "activos", data)
    assert db.session.query(CarteraUpload).count() == 1


def test_the_same_content_again_needs_confirmation(client, cartera):
    first = ch.processed(client, "activos", ch.download(client, "activos"))
    again = ch.processed(client, "activos", ch.edit(ch.download(client, "activos"), {}))  # saved again: other bytes
    assert again.content_sha256 != first.content_sha256 and again.status == "duplicate"
    html = ch.status_html(client, again)
    assert "Este archivo ya fue procesado" in html and f"NroPago {first.id}" in html
    cancel = post(client, f"{ch.BASE}/subidos/{again.id}/cancelar", page=ch.BASE, headers={"HX-Request": "true"})
    assert "Se canceló" in cancel.get_data(as_text=True)
    db.session.expire_all()
    assert again.status == "cancelled" and first.status == "processed"

    third = ch.processed(client, "activos", ch.download(client, "activos"))
    assert third.status == "duplicate"
    post(client, f"{ch.BASE}/subidos/{third.id}/confirmar", page=ch.BASE, headers={"HX-Request": "true"})
    db.session.expire_all()
    assert third.status == "processed" and first.status == "superseded"


# --- the volante -----------------------------------------------------------------------

def test_one_open_slip_it_expires_and_is_replaced_without_reuploading(client, cartera, frozen_clock):
    ch.processed(client, "activos", ch.download(client, "activos"))
    post(client, f"{ch.BASE}/volante", page=ch.BASE)
    post(client, f"{ch.BASE}/volante", page=ch.BASE)
    first = db.session.query(PaymentSlip).one()
    frozen_clock.advance(4 * 3600 + 1)
    page = client.get(ch.BASE).get_data(as_text=True)
    assert "Generar volante de pago" in page
    post(client, f"{ch.BASE}/volante", page=ch.BASE)
    db.session.expire_all()
    slips = db.session.query(PaymentSlip).order_by(PaymentSlip.id).all()
    assert [s.status for s in slips] == ["expired", "open"] and slips[1].amount == first.amount
    assert f"El volante {first.number} venció" not in client.get(ch.BASE).get_data(as_text=True)


def test_a_new_file_voids_the_open_slip(client, cartera):
    ch.processed(client, "activos", ch.download(client, "activos"))
    post(client, f"{ch.BASE}/volante", page=ch.BASE)
    ch.processed(client, "activos", ch.edit(ch.download(client, "activos"), {("LI-9001", "Valor a Pagar"): 1}))
    assert db.session.query(PaymentSlip).one().status == "void"
    post(client, f"{ch.BASE}/volante", page=ch.BASE)
    assert db.session.query(PaymentSlip).filter_by(status="open").one().amount == Decimal("203001.50")


# --- access ----------------------------------------------------------------------------

def test_another_employers_upload_is_404(app, client, cartera):
    upload = ch.processed(client, "activos", ch.download(client, "activos"))
    other_client = app.test_client()
    other = ch.build(nit="900900900", email="otro@example.com", sign_in_client=other_client)
    other_base = f"/hanna/empresas/cartera/{ch.PERIOD}"
    assert other.statement.id != cartera.statement.id
    assert other_client.get(f"{other_base}/subidos/{upload.id}/estado").status_code == 404
    assert other_client.get(f"{other_base}/subidos/{upload.id}/errores.xlsx").status_code == 404
    response = post(other_client, f"{other_base}/subidos/{upload.id}/confirmar", page=other_base)
    assert response.status_code == 404


def test_uploads_and_slips_are_audited(client, cartera):
    ch.processed(client, "activos", ch.download(client, "activos"))
    post(client, f"{ch.BASE}/volante", page=ch.BASE)
    actions = {a for (a,) in db.session.query(AuditEvent.action)}
    assert {"cartera.upload_received", "cartera.upload_processed", "cartera.slip_generated"} <= actions


def test_a_voided_slip_cannot_be_paid(client, cartera):
    ch.processed(client, "activos", ch.download(client, "activos"))
    post(client, f"{ch.BASE}/volante", page=ch.BASE)
    slip = db.session.query(PaymentSlip).one()
    ch.processed(client, "activos", ch.edit(ch.download(client, "activos"), {("LI-9001", "Valor a Pagar"): 1}))
    response = client.get(f"/pagos-express/libranza/{slip.id}/pagar")
    assert response.status_code == 409 and f"El volante {slip.number} fue anulado" in response.get_data(as_text=True)
    assert slip.number not in client.get("/pagos-express/libranza").get_data(as_text=True)


def test_an_upload_left_behind_by_a_dead_worker_runs_again(client, cartera, frozen_clock):
    from portal.services import cartera_uploads

    ch.upload(client, "activos", ch.download(client, "activos"))
    upload = db.session.query(CarteraUpload).one()
    upload.status, upload.rows_done = "processing", 2  # its worker died half way
    db.session.add(CarteraUploadLine(upload_id=upload.id, line_id=db.session.query(StatementLine).first().id,
                                     amount=Decimal("1.00")))
    db.session.commit()
    ch.run_jobs()  # the first job finds it taken: nothing
    db.session.expire_all()
    assert upload.status == "processing"
    assert cartera_uploads.recover_stuck() == 0  # not long enough to call it stuck
    frozen_clock.advance(31 * 60)
    assert cartera_uploads.recover_stuck() == 1
    ch.run_jobs()
    db.session.expire_all()
    assert upload.status == "processed" and upload.total_amount == Decimal("303000.50")
    assert db.session.query(CarteraUploadLine).count() == 3


def test_a_credit_left_unpaid_is_explained_and_stays_in_the_saldo(client, cartera):
    ch.processed(client, "activos", ch.download(client, "activos"))  # Retirados never sent
    post(client, f"{ch.BASE}/volante", page=ch.BASE)
    pay_slip(client, db.session.query(PaymentSlip).one())
    summary = client.get(f"{ch.BASE}/resumen", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert re.search(r'data-label="Saldo"><strong>([^<]+)</strong>', summary).group(1) == "$\xa070.000,00"
    row = re.search(r"<tr>(?:(?!</tr>).)*LI-9004(?:(?!</tr>).)*</tr>", summary, re.S).group(0)
    assert "No se pagó en esta vigencia" in row and "DARIO DAZA" in row
    assert "LI-9001" not in summary  # paid exactly: nothing to explain
    beto = re.search(r"<tr>(?:(?!</tr>).)*LI-9002(?:(?!</tr>).)*</tr>", summary, re.S).group(0)
    assert 'data-label="Mora pagada">$\xa03.000<' in beto and "Se pagó la cuota y la mora." in beto


def open_step(client):
    """The number of the step the page opens (the others are collapsed)."""
    page = client.get(ch.BASE).get_data(as_text=True)
    opened = re.findall(r'<details class="step" id="paso-(\d)" open>', page)
    assert len(opened) == 1, opened
    assert f'href="#paso-{opened[0]}" data-open-step aria-current="step"' in page
    return int(opened[0])


def test_the_page_opens_the_step_the_employer_is_on(client, cartera):
    assert open_step(client) == 1  # nothing done yet: download
    data = ch.download(client, "activos")
    assert open_step(client) == 2  # downloaded: upload and process
    ch.processed(client, "activos", data)
    assert open_step(client) == 3  # processed: the volante
    post(client, f"{ch.BASE}/volante", page=ch.BASE)
    assert open_step(client) == 3  # open volante: pay it
    pay_slip(client, db.session.query(PaymentSlip).one())
    assert open_step(client) == 4  # paid: the Cuadre
    bad = ch.edit(data, {("LI-9001", "Valor a Pagar"): "abc"})
    ch.processed(client, "activos", bad)
    assert open_step(client) == 2  # a file with errors needs fixing
