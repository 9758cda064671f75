"""Tarjetas innominadas in Chromium at 1280 px (manual 003 §3.4–3.5): the request with a
wrong embossing line, then right → «El lote fue procesado de forma exitosa.» → Aceptar;
the cards the processor makes (made here as it will) listed in Afiliación; the affiliation
file downloaded, filled with openpyxl for one card, loaded as «Afiliación (Id persona)»
and VALIDO without a reload (a real RQ worker), then confirmed."""
import io
import re
import secrets

import openpyxl
import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import Batch, BatchLine, Card, Product
from tests import factories
from tests.e2e.conftest import menu
from tests.e2e.test_conexion_batches import confirm, load

pytestmark = pytest.mark.e2e


@pytest.fixture
def desk(live_server, worker, corporate):
    """jhomez of EMPRESA DE PRUEBA COOP on its «Clásica In / Visa», 1280 px."""
    with live_server.db():
        user = factories.user("corporate", "jhomez")
        company = factories.company("901343454", "EMPRESA DE PRUEBA COOP")
        company.address = "Calle 72 #54-35, Barranquilla"
        db.session.add(Product(company_id=company.id, name="Clásica In", brand="Visa", bin="450714", named=False))
        db.session.commit()
        factories.member(user, company, can_upload=True)
    return corporate("jhomez", "Clásica In / Visa")


def made_by_the_processor(session, number):
    """A card per line of the batch, linked by BatchLine.card_id (the card processor's part)."""
    batch = session.query(Batch).filter_by(number=number).one()
    for line in session.query(BatchLine).filter_by(batch_id=batch.id):
        last4 = f"{7000 + line.line_no:04d}"
        card = Card(company_id=batch.company_id, product_id=batch.product_id, token=secrets.token_hex(16),
                    pan_first6="450714", pan_last4=last4, account_mask=f"450714****{last4}", status="unaffiliated",
                    expires=batch.card_expiry)
        session.add(card)
        session.flush()
        line.card_id = card.id
    session.commit()


def test_request_list_and_affiliation_file(desk, live_server, tmp_path, shots):
    page = desk
    menu(page, "Lotes › Tarjetas innominadas › Solicitud")
    expect(page.get_by_label("Fecha de vencimiento")).to_have_value(re.compile(r"^\d{2}/\d{4}$"))
    page.get_by_label("Cantidad de tarjetas").fill("3")
    page.get_by_label("Línea de embozo 1").fill("Peña Coop")
    page.get_by_label("Línea de embozo 2").fill("9013434540")
    page.get_by_label("Contraseña").fill(factories.PASSWORD)
    page.get_by_role("button", name="Procesar").click()
    expect(page.get_by_text("«Línea de embozo 1» no admite «Ñ»")).to_be_visible()
    page.get_by_label("Línea de embozo 1").fill("Empresa Coop")
    page.get_by_label("Contraseña").fill(factories.PASSWORD)
    page.get_by_role("button", name="Procesar").click()
    modal = page.locator("dialog[open]")
    expect(modal).to_contain_text("Tarjetas innominadas")
    expect(modal).to_contain_text("El lote fue procesado de forma exitosa.")
    shots(page, "procesado")
    number = re.search(r"Nro\. de lote (\d+)", modal.inner_text()).group(1)
    modal.get_by_role("link", name="Aceptar").click()
    expect(page).to_have_url(re.compile(r"/lotes/$"))
    with live_server.db() as session:
        batch = session.query(Batch).filter_by(number=number).one()
        assert (batch.status, batch.rows_total, batch.emboss_line1) == ("confirmed", 3, "EMPRESA COOP")
        made_by_the_processor(session, number)

    menu(page, "Lotes › Tarjetas innominadas › Afiliación")
    page.get_by_role("link", name=f"Ver el detalle del lote {number}").click()
    for text in ("Detalles", "901343454-0", "EMPRESA DE PRUEBA COOP", number, "Registros del lote",
                 "450714******7001", "450714****7001", "No afiliado"):
        expect(page.get_by_role("main")).to_contain_text(text)
    shots(page, "detalle")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("ARCHIVO DE AFILIACIÓN DE TARJETAHABIENTES")).click()
    book = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))
    sheet = book["Lote"]
    assert sheet.max_row == 4 and sheet["A3"].value == "450714******7002"
    for column, value in zip("CDEFG", ["CC", "1045678434", "Pérez", "Gómez", "María"], strict=True):
        sheet[f"{column}3"] = value
    sheet.delete_rows(4)
    sheet.delete_rows(2)
    filled = tmp_path / "AFILIACION.xlsx"
    book.save(filled)

    loaded = load(page, filled, kind_label="Afiliación (Id persona)")
    expect(page.locator(f"tr:has-text('{loaded}')")).to_contain_text("VALIDO", timeout=20_000)
    confirm(page, loaded)
