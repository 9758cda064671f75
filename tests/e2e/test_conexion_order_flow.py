"""Issue #10 end to end in Chromium at 1280 px (manual 003 §3.3–3.5, ch. 4), with a real RQ
worker and the sandbox bank: a batch loaded, confirmed on its own password page (a new
tab, JavaScript on), signed by two users in two browsers, the order's PDF, «Pagar» with
the e-mailed code, the card processor's work shown in Órdenes de servicio; and unnamed
cards requested, paid, listed in Afiliación, affiliated through Carga de lotes."""
import io
import re
import subprocess
from decimal import Decimal

import openpyxl
import pytest
from playwright.sync_api import expect

from portal.domain import batch_layouts as bl
from portal.extensions import db
from portal.models import Batch, OutboxMessage, SandboxBankAccount, ServiceOrder
from tests import factories
from tests.e2e.conftest import menu
from tests.e2e.test_conexion_batches import load, person
from tests.test_worker import eventually

pytestmark = pytest.mark.e2e

ACCOUNT = "AHORROS 418-000482-1"
PW = factories.PASSWORD


def company_with_bank(scheme, product_name="Clásica", named=True):
    """A company of `scheme` signatures whose product charges 10.00 per record at 12 % IVA
    and whose debit account is a funded sandbox bank account."""
    company = factories.company()
    product = company.products[0]
    product.name, product.named = product_name, named
    product.commission_per_record, product.iva_rate = Decimal("10.00"), Decimal("0.12")
    company.signature_scheme, company.uploader_may_sign = scheme, True
    company.debit_account, company.gmf_applies = ACCOUNT, True
    db.session.add(SandboxBankAccount(number=ACCOUNT, holder=company.name, balance=Decimal("5000000.00"),
                                      behaviour="normal"))
    db.session.commit()
    return company


def member(company, username, full_name):
    user = factories.user("corporate", username, full_name=full_name)
    factories.member(user, company, can_upload=True, can_authorize=True, can_consult=True)
    return user


def flash(page, text):
    expect(page.locator("#flashes")).to_contain_text(text)


def authorize(page, number, *amounts):
    """Lotes › Autorización: the batch chosen, «Autorizar» → the calculation → «Autorizar»."""
    menu(page, "Lotes › Autorización")
    page.get_by_label(number, exact=True).check()
    page.get_by_label("Contraseña").fill(PW)
    page.get_by_role("button", name="Autorizar").click()
    modal = page.locator("dialog[open]")
    expect(modal).to_contain_text("Calcular orden de servicio")
    for text in amounts:
        expect(modal).to_contain_text(text)
    modal.get_by_role("button", name="Autorizar").click()
    expect(modal).to_have_count(0)


def newest_order(live_server, number):
    with live_server.db() as session:
        batch = session.query(Batch).filter_by(number=number).one()
        return session.get(ServiceOrder, batch.order_id)


def pay(page, live_server, order_number, email):
    """Consultas › Órdenes de servicio › «Pagar»: the code read from the e-mail, «Aceptar»."""
    menu(page, "Consultas › Órdenes de servicio")
    page.get_by_role("link", name=f"Pagar orden {order_number}").click()
    modal = page.locator("dialog[open]")
    expect(modal).to_contain_text("Pagar Orden de Servicio")
    with live_server.db() as session:
        mail = (session.query(OutboxMessage).filter(OutboxMessage.recipient == email,
                                                    OutboxMessage.subject.like("Código para pagar%"))
                .order_by(OutboxMessage.id.desc()).first())
        code = re.search(r" es (\d{6})\.", mail.body).group(1)
    modal.get_by_label("Ingrese el código de verificación enviado a tu correo").fill(code)
    modal.get_by_role("button", name="Aceptar").click()
    expect(page.locator("dialog[open]")).to_contain_text("fue pagada")
    page.locator("dialog[open]").get_by_role("link", name="Aceptar").click()
    expect(page.locator("dialog[open]")).to_have_count(0)


def processed(live_server, order_id):
    def status():
        with live_server.db() as session:
            return session.get(ServiceOrder, order_id).status == "processed"
    eventually(status, timeout=30, message="the worker did not process the order")


def test_two_signatures_pdf_pay_and_process(live_server, worker, corporate, js_errors, tmp_path, shots):
    with live_server.db():
        company = company_with_bank(scheme=2)
        ana = member(company, "ana", "Ana Uribe")
        member(company, "beto", "Beto Rojas")
        ana_email = ana.email
    page = corporate("ana", "Clásica / Visa")
    book = openpyxl.Workbook()
    book.active.append(bl.layout("emission").headers)
    for n in range(2):
        book.active.append(person(n))
    path = tmp_path / "EMISION.xlsx"
    book.save(path)
    number = load(page, path)
    expect(page.locator(f"tr:has-text('{number}')")).to_contain_text("VALIDO", timeout=20_000)

    # The «Confirmar» password page opened in a new tab (not as a modal): htmx runs on it
    # and its form posts into the page's own #modal.
    href = page.get_by_role("link", name=f"Confirmar el lote {number}").get_attribute("href")
    tab = js_errors(page.context.new_page())
    tab.goto(live_server.url + href)
    expect(tab.get_by_role("heading", name="Confirmación de lote")).to_be_visible()
    tab.get_by_label("Contraseña").fill(PW)
    tab.get_by_role("button", name="Confirmar").click()
    flash(tab, f"El lote Nro: {number} fue confirmado exitosamente.")
    tab.close()

    # 2 × 10.00 + 12 % IVA = 22.40; 300,000.00 to the cards; GMF 1,200.00 → 301,222.40
    authorize(page, number, "$\xa022,40", "$\xa0300.000,00", "$\xa0301.222,40")
    flash(page, "Su firma quedó registrada. Los lotes esperan la firma de otro responsable de la empresa.")
    expect(page.locator(f"tr:has-text('{number}')")).to_contain_text("Firmado por Ana Uribe")
    shots(page, "primera-firma")

    other = corporate("beto", "Clásica / Visa")
    authorize(other, number, "Segunda firma: Ana Uribe", "$\xa0301.222,40")
    order = newest_order(live_server, number)
    flash(other, f"Lotes autorizados. Orden de servicio Nro. {order.number}.")
    expect(other.get_by_role("heading", level=1)).to_contain_text("Órdenes de servicio")

    row = page.locator("tr", has_text=str(order.number))
    menu(page, "Consultas › Órdenes de servicio")
    with page.expect_download() as download:
        row.get_by_role("link", name=f"Descargar como PDF la orden {order.number}").click()
    pdf = download.value.path()
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert re.search(r"Autorizado por: ana y beto\b", text), text  # the signers, by user name
    assert re.search(r"TOTAL A PAGAR +\$ 301\.222,40", text), text

    pay(page, live_server, order.number, ana_email)
    processed(live_server, order.id)
    page.reload()
    expect(row).to_contain_text("Procesada")
    row.get_by_role("link", name=f"Ver los lotes de la orden {order.number}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Orden de servicio {order.number}")
    batch_row = page.locator("tr", has_text=number)
    expect(batch_row).to_contain_text("Procesado")
    expect(batch_row).to_contain_text("$\xa0300.000,00")
    shots(page, "orden-procesada")
    batch_row.get_by_role("link", name=number).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Registros del lote")
    lines = page.locator("#registros tbody tr")
    expect(lines).to_have_count(2)
    for n in range(2):
        expect(lines.filter(has_text=str(1045678434 + n))).to_contain_text("Procesado")
    with live_server.db() as session:
        assert session.query(SandboxBankAccount).one().balance == Decimal("5000000.00") - Decimal("301222.40")
    assert js_errors.errors == []


def test_unnamed_cards_requested_paid_and_affiliated(live_server, worker, corporate, js_errors, tmp_path, shots):
    with live_server.db():
        company = company_with_bank(scheme=1, product_name="Clásica In", named=False)
        user = member(company, "jhomez", "Jaime Gómez")
        email = user.email
    page = corporate("jhomez", "Clásica In / Visa")

    menu(page, "Lotes › Tarjetas innominadas › Solicitud")
    page.get_by_label("Cantidad de tarjetas").fill("3")
    page.get_by_label("Línea de embozo 1").fill("Empresa Coop")
    page.get_by_label("Línea de embozo 2").fill("9013434540")
    page.get_by_label("Contraseña").fill(PW)
    page.get_by_role("button", name="Procesar").click()
    modal = page.locator("dialog[open]")
    expect(modal).to_contain_text("El lote fue procesado de forma exitosa.")
    number = re.search(r"Nro\. de lote (\d+)", modal.inner_text()).group(1)
    modal.get_by_role("link", name="Aceptar").click()

    authorize(page, number, "TOTAL A PAGAR")
    order = newest_order(live_server, number)
    flash(page, f"Lotes autorizados. Orden de servicio Nro. {order.number}.")
    pay(page, live_server, order.number, email)
    processed(live_server, order.id)

    menu(page, "Lotes › Tarjetas innominadas › Afiliación")
    page.get_by_role("link", name=f"Ver el detalle del lote {number}").click()
    cards = page.locator("#unnamed-cards tbody tr")
    expect(cards).to_have_count(3)
    for n in range(3):
        expect(cards.nth(n)).to_contain_text("No afiliado")
    shots(page, "innominadas")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("ARCHIVO DE AFILIACIÓN DE TARJETAHABIENTES")).click()
    book = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))
    sheet = book["Lote"]
    assert sheet.max_row == 4
    masked = sheet["A2"].value
    for column, value in zip("CDEFG", ["CC", "1045678434", "Pérez", "Gómez", "María"], strict=True):
        sheet[f"{column}2"] = value
    sheet.delete_rows(3, 2)
    filled = tmp_path / "AFILIACION.xlsx"
    book.save(filled)
    detail_url = page.url

    affiliation = load(page, filled, kind_label="Afiliación (Id persona)")
    expect(page.locator(f"tr:has-text('{affiliation}')")).to_contain_text("VALIDO", timeout=20_000)
    page.get_by_role("link", name=f"Confirmar el lote {affiliation}").click()
    modal = page.locator("dialog[open]")
    modal.get_by_label("Contraseña").fill(PW)
    modal.get_by_role("button", name="Confirmar").click()
    flash(page, f"El lote Nro: {affiliation} fue confirmado exitosamente.")
    authorize(page, affiliation, "TOTAL A PAGAR")
    second = newest_order(live_server, affiliation)
    pay(page, live_server, second.number, email)
    processed(live_server, second.id)

    page.goto(detail_url)
    card = page.locator("#unnamed-cards tbody tr", has_text=masked)
    expect(card).to_contain_text("Afiliado")
    expect(card).not_to_contain_text("No afiliado")
    expect(card).to_contain_text("1045678434")
    expect(card).to_contain_text(re.compile("MAR[IÍ]A", re.I))
    expect(page.locator("#unnamed-cards tbody tr", has_text="No afiliado")).to_have_count(2)
    shots(page, "afiliada")
    assert js_errors.errors == []

