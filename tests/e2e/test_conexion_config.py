"""Manual 003 ch. 2 in a browser: the «Configuración» menu, the password's eye toggles in
Configuración › Usuario, and a company administrator editing in place (htmx)."""
import re

import pytest
from playwright.sync_api import expect

from portal.models import Membership
from tests import factories

pytestmark = pytest.mark.e2e


def test_configuracion_menu_eye_toggles_and_inline_company_edit(live_server, page, js_errors, shots):
    js_errors(page)
    with live_server.db() as session:
        user = factories.user("corporate", "jhomez")
        user.first_name, user.last_name = "Joffer", "Homez"
        jahc = factories.company("900291499", "JAHC TECHNOLOGIES")
        factories.member(user, jahc, can_admin_company=True)
        company_id = jahc.id
        assert session.query(Membership).count() == 1
    page.goto(live_server.url + "/empresas/ingresar")
    page.get_by_label("Usuario").fill("jhomez")
    page.get_by_label("Contraseña", exact=True).fill(factories.PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    expect(page).to_have_url(re.compile(r"/empresas/$"))

    page.locator("summary", has_text="Configuración").click()
    page.get_by_role("navigation", name="Menú Conexión Empresas").get_by_role("link", name="Usuario").click()
    expect(page.get_by_role("heading", name="Configuración de usuario")).to_be_visible()
    expect(page.locator("dd", has_text="Joffer")).to_be_visible()
    page.get_by_role("region", name="Cambio de contraseña").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/cuenta/contrasena$"))

    current = page.get_by_label("Contraseña actual")
    current.fill("Secreta#1")
    eyes = page.get_by_role("button", name="Mostrar contraseña")
    expect(eyes).to_have_count(3)
    eyes.first.click()
    expect(current).to_have_attribute("type", "text")
    expect(page.get_by_role("button", name="Ocultar contraseña")).to_have_attribute("aria-pressed", "true")
    page.get_by_label("Contraseña nueva").press_sequentially("Nueva#2")
    expect(page.locator('#password-rules li[data-rule="digits"]')).to_have_class("ok")
    shots(page, "contrasena")
    page.get_by_role("button", name="Ocultar contraseña").click()
    expect(current).to_have_attribute("type", "password")

    page.goto(f"{live_server.url}/empresas/configuracion/empresas/{company_id}")
    company_url = page.url
    page.locator("#company-data").get_by_role("link", name="Editar").click()
    phone2 = page.get_by_label("Teléfono 2")
    phone2.fill("12345")
    page.get_by_role("button", name="Guardar").click()
    expect(page.locator("#phone2-msg")).to_contain_text("Teléfono 2: «12345» no es un teléfono colombiano")
    shots(page, "editar")
    page.get_by_label("Teléfono 1").fill("4193333")
    phone2.fill("300 123 4567")
    page.get_by_role("button", name="Guardar").click()
    expect(page.locator("#company-data")).to_contain_text("Los datos de la empresa se guardaron.")
    expect(page.locator("#company-data dd", has_text="300 123 4567")).to_be_visible()
    assert page.url == company_url  # edited in place

    page.get_by_role("link", name="Agregar contacto").click()
    page.get_by_label("Nombre").fill("Luisa Pérez")
    page.get_by_label("Correo electrónico").fill("luisa@jahc.example.com")
    page.locator("#contacts").get_by_role("button", name="Guardar").click()
    expect(page.locator("#contacts")).to_contain_text("Se agregó el contacto Luisa Pérez.")
    shots(page, "empresa")
    assert js_errors.errors == []
