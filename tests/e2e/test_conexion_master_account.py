"""Issue #11 in Chromium at 1280 px: the master account funded by PSE at the sandbox checkout
(manual 003 §5.1), «Consulta de tarjetas» (Consultar saldo, Abonar, Cargo with their
commissions 60 / 55 / 55), then Reportes › Cuenta maestra: the movements with the running
Saldo, the SVG chart and the same rows in the .xlsx and the PDF."""
import io
import re
import subprocess
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from portal.models import Card
from portal.services import conexion
from tests import card_helpers, factories
from tests.e2e.conftest import menu

pytestmark = pytest.mark.e2e

PRODUCT = "Clásica / Visa"
NBSP = "\u00a0"
# (description, Ref., Cargo, Abono, Saldo) as the master account's ledger writes them, oldest first:
# each commission a row of its own beside its transfer, as the manual's report shows them.
CARD = "450714******1234"
ROWS = [
    ("Cuenta maestra Clásica / Visa: Recarga de marzo", None, None, "250.000,00", "250.000,00"),
    (f"Comisión consulta de saldo tarjeta {CARD}", "Tarjeta 1234", "60,00", None, "249.940,00"),
    (f"Comisión abono a tarjeta {CARD}", "Tarjeta 1234", "55,00", None, "249.885,00"),
    (f"Abono a tarjeta {CARD}", "Tarjeta 1234", "1.000,00", None, "248.885,00"),
    (f"Cargo a tarjeta {CARD}", "Tarjeta 1234", None, "200,00", "249.085,00"),
    (f"Comisión cargo a tarjeta {CARD}", "Tarjeta 1234", "55,00", None, "249.030,00"),
]
NEWEST_FIRST = ROWS[::-1]


def company_with_cards(live_server):
    """A member with «master_account» and «consult», two named cards with money on them;
    the master account empty until the PSE funding."""
    with live_server.db():
        user = factories.user("corporate", "tesorera")
        company = factories.company()
        factories.member(user, company, can_master_account=True, can_consult=True)
        access = conexion.access(user, company.id, company.products[0].id)
        first = card_helpers.card(access, "1234", balance="300.00", holder="1045678434", name="MARIA PEREZ")
        card_helpers.card(access, "5678", balance="80.00", holder="79123456", name="JUAN GOMEZ")
        return first.id


def fund_by_pse(page):
    menu(page, "Servicios › Cuenta maestra")
    expect(page.locator("#master-balance")).to_have_text(f"${NBSP}0,00")
    page.get_by_label("Monto").fill("250000")
    page.get_by_label("Descripción").fill("Recarga de marzo")
    page.get_by_role("button", name="Pagar con PSE").click()
    expect(page).to_have_url(re.compile(r"/pasarela/checkout\?"))
    expect(page.get_by_role("heading", name="Total a Pagar: $ 250.000,00")).to_be_visible()
    page.get_by_role("link", name="Pago con cuenta bancaria").click()
    page.get_by_label("Número de documento").fill("1045678434")
    page.get_by_label("Banco").select_option(label="Banco que aprueba")
    page.get_by_role("button", name="Pagar con PSE").click()
    expect(page.get_by_role("heading", name="Resultado de la Transacción - Voucher")).to_be_visible()
    page.get_by_role("link", name="Regresar al Comercio").click()
    expect(page.get_by_role("heading", name="Recarga aprobada")).to_be_visible()
    page.get_by_role("link", name="Volver a la cuenta maestra").click()
    expect(page.locator("#master-balance")).to_have_text(f"${NBSP}250.000,00")


def operate(page, card_id, label, password, amount=None):
    """One operation in the password modal; returns the modal with its «Datos de la transacción»."""
    row = page.locator(f"#card-{card_id}")
    row.get_by_role("link", name=re.compile(f"^{label}")).click()
    modal = page.locator("#modal")
    expect(modal.get_by_role("heading", name=label)).to_be_visible()
    if amount:
        modal.get_by_label(re.compile("^Monto a")).fill(amount)
    modal.get_by_label("Contraseña").fill(password)
    modal.get_by_role("button", name="Aceptar").click()
    expect(modal.get_by_role("status").filter(has_text="Transacción exitosa.")).to_be_visible()
    return modal


def close(modal):
    modal.get_by_role("link", name="Aceptar").click()
    expect(modal.get_by_role("heading")).to_have_count(0)


def card_operations(page, card_id):
    menu(page, "Servicios › Consulta de tarjetas")
    page.get_by_label("Documento de identidad").fill("1045678434")
    page.get_by_role("button", name="Buscar").click()
    rows = page.locator("table.cards tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("MARIA PEREZ")

    modal = operate(page, card_id, "Consultar saldo", factories.PASSWORD)
    result = modal.locator("tbody tr")
    expect(result).to_contain_text(f"${NBSP}300,00")  # the Saldo
    expect(result).to_contain_text(f"${NBSP}60,00")  # the Comisión
    close(modal)

    modal = operate(page, card_id, "Abonar a tarjeta", factories.PASSWORD, "1000")
    expect(modal.locator("tbody tr")).to_contain_text(f"${NBSP}55,00")
    expect(modal.locator("tbody tr")).to_contain_text(f"Nuevo saldo: ${NBSP}1.300,00")
    close(modal)

    modal = operate(page, card_id, "Cargo a tarjeta", factories.PASSWORD, "200")
    expect(modal.locator("tbody tr")).to_contain_text(f"${NBSP}55,00")
    expect(modal.locator("tbody tr")).to_contain_text(f"Nuevo saldo: ${NBSP}1.100,00")
    close(modal)


def money_cell(text):
    return f"${NBSP}{text}" if text else ""


def assert_report_rows(page):
    rows = page.locator("#report tbody tr")
    expect(rows).to_have_count(len(ROWS))
    for row, (description, ref, charge, credit, balance) in zip(rows.all(), NEWEST_FIRST, strict=True):
        cells = row.locator("td")
        expect(cells.nth(1)).to_have_text(description)
        if ref:
            expect(cells.nth(2)).to_have_text(ref)
        else:
            expect(cells.nth(2)).to_have_text(re.compile(r"^\S+$"))  # the PSE payment's reference
        expect(cells.nth(3)).to_have_text(money_cell(charge))
        expect(cells.nth(4)).to_have_text(money_cell(credit))
        expect(cells.nth(5)).to_have_text(money_cell(balance))


def number(text):
    return Decimal(text.replace(".", "").replace(",", ".")) if text else None


def assert_xlsx(path):
    sheet = load_workbook(io.BytesIO(path.read_bytes()), read_only=True).active
    values = [row for row in sheet.iter_rows(values_only=True) if any(v is not None for v in row)]
    header = values.index(("Fecha", "Descripción", "Ref.", "Cargo", "Abono", "Saldo"))
    found = [(r[1], Decimal(str(r[3])) if r[3] is not None else None, Decimal(str(r[4])) if r[4] is not None
              else None, Decimal(str(r[5]))) for r in values[header + 1:header + 1 + len(ROWS)]]
    assert found == [(d, number(c), number(a), number(s)) for d, _, c, a, s in NEWEST_FIRST]


def assert_pdf(path):
    """The rows newest first, each description (wrapped in its cell) then Ref., amount and Saldo."""
    raw = subprocess.run(["pdftotext", "-raw", str(path), "-"], check=True, capture_output=True, text=True).stdout
    text = " ".join(raw.split())
    assert f"{len(ROWS)} movimiento(s)" in text
    pattern = r".*?".join(rf"{re.escape(description)} {re.escape(ref) if ref else r'PX[0-9A-F]+'} "
                          rf"\$ {re.escape(charge or credit)} \$ {re.escape(balance)}"
                          for description, ref, charge, credit, balance in NEWEST_FIRST)
    assert re.search(pattern, text), text


def test_master_account_funded_by_pse_then_card_operations_and_the_report(live_server, corporate, js_errors,
                                                                         shots, tmp_path):
    card_id = company_with_cards(live_server)
    page = corporate("tesorera", PRODUCT)
    fund_by_pse(page)
    shots(page, "01-fondeada")
    card_operations(page, card_id)
    shots(page, "02-tarjetas")

    page.get_by_role("navigation", name="Menú Conexión Empresas").get_by_role("link", name="Reportes").click()
    page.get_by_label("Reporte").select_option(label="Cuenta maestra")
    page.get_by_role("button", name="Ver reporte").click()
    expect(page.get_by_role("heading", name="Reporte: Cuenta maestra")).to_be_visible()
    chart = page.locator("#report svg[role=img]")
    expect(chart.locator("title")).to_have_text(re.compile(r"^Saldo de la cuenta maestra del \d\d/\d\d/\d{4}"))
    expect(chart.locator("polyline, circle")).to_have_count(1)
    assert_report_rows(page)
    shots(page, "03-reporte")

    for name, check in (("Descargar .xlsx", assert_xlsx), ("Descargar PDF", assert_pdf)):
        with page.expect_download() as info:
            page.get_by_role("link", name=name).click()
        path = tmp_path / info.value.suggested_filename
        info.value.save_as(path)
        check(path)
    with live_server.db() as session:  # the card's own balance moved: 300 + 1.000 − 200
        assert card_helpers.card_balance(session.get(Card, card_id)) == Decimal("1100.00")
    assert js_errors.errors == []
