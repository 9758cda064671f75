"""Carga de lotes in Chromium at 1280 px (issue 9, manual 003 ch. 3.2): sign in → company
→ product → download the templates zip → fill the emission template with openpyxl →
load it → VALIDO appears without a reload (a real RQ worker) → confirm in the modal with
the password; the same with a .txt saved in Windows-1252 with accents; and a batch with
errors confirmed with its valid lines only."""
import io
import re
import zipfile

import openpyxl
import pytest
from playwright.sync_api import expect

from portal.domain import batch_layouts as bl
from portal.models import Batch
from tests import factories
from tests.e2e.conftest import menu

pytestmark = pytest.mark.e2e

PERSON = ["CC", "1045678434", "Peña", "Álvarez", "María", "José", "15/03/1985", "maria@empresa.co", "3001234567",
          "Calle 30 # 1-25", "Barranquilla", "001", "150.000,00"]


def person(n, **changes):
    row = list(PERSON)
    row[1] = str(1045678434 + n)
    for index, value in changes.items():
        row[int(index[1:])] = value
    return row


@pytest.fixture
def desk(live_server, worker, corporate):
    """jhomez of JAHC, signed in on a 1280 px screen, on «Carga de lotes» of Clásica / Visa."""
    with live_server.db():
        user = factories.user("corporate", "jhomez")
        company = factories.company("900291499", "JAHC TECHNOLOGIES")
        factories.member(user, company, can_upload=True)
    page = corporate("jhomez", "Clásica / Visa")
    expect(page.get_by_role("navigation", name="Ruta")).to_contain_text("Detalle del producto")
    return page


def load(page, path, kind_label="Emisión nominada (Id persona)"):
    menu(page, "Lotes › Carga de lotes")
    page.get_by_label("Tipo de lote").select_option(label=kind_label)
    page.get_by_label("Clic aquí para seleccionar el archivo de lote.").set_input_files(str(path))
    page.get_by_role("button", name="Enviar").click()
    modal = page.locator("dialog[open]")
    expect(modal).to_contain_text("Lote cargado exitosamente. La validación de los registros está en proceso.")
    number = re.search(r"Nro\. de lote (\d+)", modal.inner_text()).group(1)
    modal.get_by_role("button", name="Aceptar").click()
    expect(modal).to_have_count(0)
    return number


def confirm(page, number, password=factories.PASSWORD, button="Confirmar"):
    page.get_by_role("link", name=f"Confirmar el lote {number}").click()
    modal = page.locator("dialog[open]")
    expect(modal).to_contain_text("Confirmación de lote")
    expect(modal).to_contain_text(number)
    modal.get_by_label("Contraseña").fill(password)
    modal.get_by_role("button", name=button).click()
    expect(page.get_by_role("status").filter(has_text=f"El lote Nro: {number} fue confirmado exitosamente.")).to_be_visible()


def test_templates_to_a_confirmed_batch(desk, live_server, tmp_path, shots):
    page = desk
    page.locator("summary", has_text="Configuración").click()
    page.get_by_role("link", name="Descargas").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Archivos lotes operativos").click()
    archive = zipfile.ZipFile(download.value.path())
    book = openpyxl.load_workbook(io.BytesIO(archive.read("emision_nominada_id.xlsx")))
    sheet = book.worksheets[0]
    for n in range(3):
        sheet.append(person(n))
    filled = tmp_path / "EMISION.xlsx"
    book.save(filled)
    page.go_back()  # to the product, whose menu has «Lotes»

    number = load(page, filled)
    row = page.locator(f"tr:has-text('{number}')")
    expect(row).to_contain_text("VALIDO", timeout=20_000)  # the row polled itself: no reload
    shots(page, "valido")
    page.get_by_role("link", name=f"Confirmar el lote {number}").click()
    modal = page.locator("dialog[open]")
    for text in ("NIT", "900291499-3", "JAHC TECHNOLOGIES", "Cantidad de registros", "3", "$ 450.000,00"):
        expect(modal).to_contain_text(text)
    modal.get_by_label("Contraseña").fill("equivocada")
    modal.get_by_role("button", name="Confirmar").click()
    expect(page.locator("dialog[open]")).to_contain_text("La contraseña no es correcta.")
    shots(page, "contrasena-mala")
    page.locator("dialog[open]").get_by_label("Contraseña").fill(factories.PASSWORD)
    page.locator("dialog[open]").get_by_role("button", name="Confirmar").click()
    expect(page.get_by_role("status").filter(has_text=f"El lote Nro: {number} fue confirmado exitosamente.")).to_be_visible()
    with live_server.db() as session:
        assert session.query(Batch).filter_by(number=number).one().status == "confirmed"


def test_a_windows_1252_txt_with_accents(desk, live_server, tmp_path):
    page = desk
    rows = [";".join(bl.layout("emission").headers)] + [";".join(person(n)) for n in range(2)]
    path = tmp_path / "EMISION.txt"
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1252"))
    number = load(page, path)
    expect(page.locator(f"tr:has-text('{number}')")).to_contain_text("VALIDO", timeout=20_000)
    page.get_by_role("link", name=f"Detalle del lote {number}").click()
    expect(page.get_by_role("cell", name="MARÍA PEÑA ÁLVAREZ").first).to_be_visible()
    page.get_by_role("link", name="Volver").click()
    confirm(page, number)


def test_a_batch_with_errors_is_confirmed_with_its_valid_lines_only(desk, live_server, tmp_path, shots):
    page = desk
    book = openpyxl.Workbook()
    book.active.append(bl.layout("emission").headers)
    for row in (person(0), person(1, c8="123"), person(2, c0="XX")):
        book.active.append(row)
    path = tmp_path / "EMISION_ERRORES.xlsx"
    book.save(path)
    number = load(page, path)
    expect(page.locator(f"tr:has-text('{number}')")).to_contain_text("CON ERRORES", timeout=20_000)
    page.get_by_role("link", name=f"Confirmar el lote {number}").click()
    modal = page.locator("dialog[open]")
    expect(modal).to_contain_text("2 líneas rechazadas")
    with page.expect_download() as download:
        modal.get_by_role("link", name="archivo de líneas rechazadas").click()
    back = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    assert [c.value for c in back[1]][-1] == "Errores" and back.max_row == 3
    shots(page, "con-errores")
    modal.get_by_label("Contraseña").fill(factories.PASSWORD)
    modal.get_by_role("button", name="Confirmar solo las líneas válidas").click()
    expect(page.get_by_role("status").filter(has_text=f"El lote Nro: {number} fue confirmado exitosamente.")).to_be_visible()
    with live_server.db() as session:
        batch = session.query(Batch).filter_by(number=number).one()
        assert (batch.status, batch.valid_count, batch.error_count) == ("confirmed", 1, 2)
