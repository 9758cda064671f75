"""Configuración › API in a browser: «Crear llave» in the password modal (htmx), the key
shown once, the table after it; «Registrar webhook» and its secret."""
import re

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import WebhookDelivery
from portal.services import webhooks
from tests import factories

pytestmark = pytest.mark.e2e


def test_create_a_key_and_register_a_webhook_in_the_modal(live_server, page, js_errors, shots):
    watch = js_errors
    watch(page)
    with live_server.db():
        user = factories.user("corporate", "jhomez")
        jahc = factories.company("900291499", "JAHC TECHNOLOGIES")
        factories.member(user, jahc, can_admin_company=True)
        company_id = jahc.id
    page.goto(live_server.url + "/empresas/ingresar")
    page.get_by_label("Usuario").fill("jhomez")
    page.get_by_label("Contraseña", exact=True).fill(factories.PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    expect(page).to_have_url(re.compile(r"/empresas/$"))

    page.locator("summary", has_text="Configuración").click()
    page.get_by_role("navigation", name="Menú Conexión Empresas").get_by_role("link", name="API").click()
    expect(page).to_have_url(re.compile(rf"/empresas/configuracion/api/{company_id}$"))
    page.get_by_role("link", name="Crear llave").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Nombre de la llave").fill("ERP nómina")
    dialog.get_by_label("Cargar y confirmar lotes").check()
    dialog.get_by_label("Contraseña").fill(factories.PASSWORD)
    dialog.get_by_role("button", name="Crear llave").click()
    secret = dialog.get_by_label("Llave de API")
    expect(secret).to_have_value(re.compile(r"^pk_[0-9a-f]{12}\."))
    shots(page, "llave")
    key = secret.input_value()
    dialog.get_by_role("link", name="Ya la copié").click()
    expect(page.locator("#api-keys")).to_contain_text("ERP nómina")
    assert key not in page.content()

    page.get_by_role("link", name="Registrar webhook").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("URL que recibirá los eventos").fill("https://erp.example.com/portal/eventos")
    dialog.get_by_label("Contraseña").fill(factories.PASSWORD)
    dialog.get_by_role("button", name="Registrar").click()
    expect(dialog.get_by_label("Secreto de firma")).to_have_value(re.compile(r"^whsec_"))
    shots(page, "webhook")
    dialog.get_by_role("link", name="Ya la copié").click()
    expect(page.locator("#webhooks")).to_contain_text("https://erp.example.com/portal/eventos")
    shots(page, "pagina")

    with live_server.db():  # an event whose only try got a 500, its retries used up
        live_server.app.config["WEBHOOK_RETRY_INTERVALS"] = []
        webhooks.emit(company_id, "order.paid", {"order_id": 1})
        db.session.commit()
        with pytest.raises(webhooks.DeliveryFailed):
            webhooks.deliver(db.session.query(WebhookDelivery).one().id, post=lambda *a, **k: 500)
    page.get_by_role("link", name="Ver entregas").click()
    row = page.locator("#deliveries tbody tr").first
    expect(row).to_contain_text("order.paid")
    expect(row).to_contain_text("HTTP 500")
    shots(page, "entregas")
    row.get_by_role("button", name="Reintentar").click()
    expect(page.locator("#flashes")).to_contain_text("se enviará de nuevo")
    assert watch.errors == []
