"""Consultas › Órdenes de servicio in Chromium at 1280 px (manual 003 ch. 4): the menu, «5
días» fills the dates without a reload, a bad date is named, the lupa shows the batches
and their records, «Anular orden» in the modal with the password."""
import re

import pytest
from playwright.sync_api import expect

from portal.models import ServiceOrder
from tests import factories
from tests.e2e.conftest import menu
from tests.services.test_service_orders import make_order, manual_company

pytestmark = pytest.mark.e2e


@pytest.fixture
def desk(live_server, corporate):
    """ana of JAHC (two signatures, with beto) on the product's page; one order pending payment."""
    with live_server.db():
        company, loader, ana, beto = manual_company(scheme=2)
        number = make_order(company, loader, ana, beto).number
    return corporate("ana", "Clásica / Visa"), number


def test_search_detail_and_annul(desk, live_server, js_errors, shots):
    page, number = desk
    menu(page, "Consultas › Órdenes de servicio")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Órdenes de servicio")
    row = page.locator("tr", has_text=str(number))
    expect(row).to_contain_text("$\xa011,20")
    page.get_by_role("button", name="5 días").click()
    expect(page.get_by_label("Fecha final")).to_have_value(re.compile(r"\d{2}/\d{2}/\d{4}"))
    expect(row).to_be_visible()
    shots(page, "lista")
    page.get_by_label("Fecha inicial").fill("31/02/2026")
    page.get_by_role("button", name="Buscar").click()
    expect(page.get_by_role("alert")).to_contain_text("Fecha inicial: «31/02/2026» no es una fecha válida")
    page.get_by_label("Fecha inicial").fill("")
    page.get_by_label("Fecha final").fill("")
    page.get_by_role("button", name="Buscar").click()

    row.get_by_role("link", name=f"Ver los lotes de la orden {number}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Orden de servicio {number}")
    shots(page, "detalle")
    page.locator("table a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Registros del lote")
    expect(page.locator("table")).to_contain_text("1045678434")
    shots(page, "registros")
    page.get_by_role("link", name="Volver").click()
    page.get_by_role("link", name="Volver").click()

    page.locator("tr", has_text=str(number)).get_by_role("link", name=f"Anular orden {number}").click()
    modal = page.locator("dialog[open]")
    expect(modal).to_contain_text(f"Por favor ingresa la contraseña para anular la orden de servicio: {number}")
    shots(page, "anular")
    modal.get_by_label("Contraseña").fill(factories.PASSWORD)
    modal.get_by_role("button", name="Aceptar").click()
    expect(page.locator("#flashes")).to_contain_text(f"La orden de servicio {number} fue anulada exitosamente.")
    expect(page.locator("tr", has_text=str(number))).to_contain_text("Anulada")
    with live_server.db() as session:
        assert session.query(ServiceOrder).one().status == "annulled"
    assert js_errors.errors == []


def test_the_orders_pages_are_accessible_on_a_phone(live_server, new_context, js_errors):
    """axe's Lighthouse rules, no sideways scroll at 412 px (tests/e2e/test_accessibility.py)."""
    from tests.e2e.test_accessibility import PHONE, Auditor, assert_clean

    with live_server.db():
        company, loader, ana, beto = manual_company(scheme=2)
        order = make_order(company, loader, ana, beto)
        base = f"/empresas/{company.id}/productos/{company.products[0].id}/ordenes/"
        order_id, batch_id = order.id, order.batches[0].id
    a = Auditor(live_server, new_context(**PHONE), js_errors)
    a.sign_in("/empresas/ingresar", "ana", factories.PASSWORD)
    a.check(base)
    a.check(base + "?fecha_inicial=31/02/2026", name="the list with a bad date")
    a.go(base).page.locator(f'a[href="{base}{order_id}/anular"]').click()
    expect(a.page.locator("dialog[open]")).to_be_visible()
    a.check(name="the list with the «Anular» modal")
    for path in (f"{order_id}/", f"{order_id}/lotes/{batch_id}", f"{order_id}/anular"):
        a.check(base + path)
    assert_clean((a, 6))
    assert js_errors.errors == []
