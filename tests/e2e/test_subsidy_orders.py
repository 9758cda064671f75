"""Issue #13 in Chromium at 1280 px (manual 002): a staff member («pagos») issues an
ADELANTO POR SUBSIDIOS order — the affiliate's name filled in from the cédula — and prints
it; the supplier finds it in PROVEEDORES › CONSULTAR ORDEN and marks it redeemed; staff
then see it «Redimida»."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.domain.formatting import today_bogota
from tests import factories
from tests import subsidy_helpers as h

pytestmark = pytest.mark.e2e
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "es-CO"}


def sign_in(page, server, path, username):
    page.goto(server.url + path)
    page.get_by_label("Email" if path.startswith("/hanna") else "Usuario").fill(username)
    page.get_by_label("Contraseña", exact=True).fill(factories.PASSWORD)
    page.get_by_role("button", name="Ingresar").click()


def issue_order(page, valid_until, shots):
    page.get_by_role("navigation", name="Menú del personal").get_by_role("link", name="Órdenes de subsidio").click()
    page.get_by_role("link", name="Emitir orden").click()
    page.get_by_label("Cédula del afiliado").fill("1045678434")
    expect(page.get_by_label("Nombre del afiliado")).to_have_value("MARÍA PÉREZ")  # from the affiliates, by htmx
    page.get_by_label("Proveedor").select_option(label="MERCADOS LA ECONOMÍA S.A.S. (900765432)")
    page.get_by_label("Vigente hasta").fill(valid_until.isoformat())
    page.get_by_label("Ítem 1: descripción").fill("Mercado básico")
    page.get_by_label("Ítem 1: cantidad").fill("2")
    page.get_by_label("Ítem 1: valor unitario").fill("150.000")
    page.get_by_label("Ítem 2: descripción").fill("Útiles escolares")
    page.get_by_label("Ítem 2: cantidad").fill("1")
    page.get_by_label("Ítem 2: valor unitario").fill("85.500,50")
    shots(page, "00-formulario")
    page.get_by_role("button", name="Emitir orden").click()
    expect(page.get_by_role("heading", name="ADELANTO POR SUBSIDIOS Nro 80001")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("$\u00a0385.500,50")


def test_staff_issue_and_the_supplier_redeems(live_server, new_context, js_errors, shots):
    with live_server.db():
        factories.user("staff", "ana", roles="pagos", full_name="Ana Torres")
        factories.affiliate("1045678434", first="María", last="Pérez")
        _, supplier = h.supplier()
        supplier_email = supplier.username
    staff = js_errors(new_context(accept_downloads=True, **DESKTOP).new_page())
    staff.set_default_timeout(15_000)
    sign_in(staff, live_server, "/personal/ingresar", "ana")
    expect(staff).to_have_url(re.compile(r"/personal/$"))
    issue_order(staff, today_bogota() + timedelta(days=15), shots)
    shots(staff, "01-emitida")
    with staff.expect_download() as download:
        staff.get_by_role("link", name="Descargar PDF").click()
    assert download.value.suggested_filename == "Orden_adelanto_subsidios_80001.pdf"
    order_url = staff.url

    supplier_page = js_errors(new_context(**DESKTOP).new_page())
    supplier_page.set_default_timeout(15_000)
    sign_in(supplier_page, live_server, "/hanna/ingresar", supplier_email)
    supplier_page.locator('[data-app="PROVEEDORES"]').get_by_role("link", name="Acceder").click()
    supplier_page.get_by_label("Nit / Cédula").fill("1045678434")
    supplier_page.get_by_label("Nro Documento").fill("80001")
    supplier_page.get_by_role("button", name="Consultar").click()
    result = supplier_page.locator(".order-result")
    expect(result.get_by_role("heading", name="ADELANTO POR SUBSIDIOS Nro 80001")).to_be_visible()
    expect(result).to_contain_text("Vigente")
    expect(result).to_contain_text("Útiles escolares")
    shots(supplier_page, "02-consulta")
    supplier_page.once("dialog", lambda dialog: dialog.accept())
    result.get_by_role("button", name="Marcar como redimida").click()
    expect(supplier_page.get_by_text("Orden Nro 80001 marcada como redimida.")).to_be_visible()
    expect(supplier_page.locator('.order-result [data-state="redimida"]')).to_have_text("Redimida")
    expect(supplier_page.get_by_role("button", name="Marcar como redimida")).to_have_count(0)
    shots(supplier_page, "03-redimida")

    staff.goto(order_url)
    expect(staff.locator('.facts [data-state="redimida"]')).to_have_text("Redimida")
    expect(staff.get_by_role("button", name="Anular orden")).to_have_count(0)
    staff.get_by_role("link", name="← Órdenes de adelanto por subsidios").click()
    staff.get_by_label("Estado", exact=True).select_option(label="Redimida")  # htmx swaps the table
    expect(staff.locator('#subsidy-orders-table tr[data-state="redimida"]')).to_contain_text("MARÍA PÉREZ")
    expect(staff).to_have_url(re.compile(r"estado=redimida"))
    shots(staff, "04-lista")
    assert js_errors.errors == []
