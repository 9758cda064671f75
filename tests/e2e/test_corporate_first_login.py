"""Manual 003 chapter 1: first login to Conexión Empresas → terms → forced password change."""
import re

import pytest
from playwright.sync_api import expect

from tests import factories

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "Nueva#25bq"


def test_first_login_goes_through_terms_and_password_change(live_server, page, js_errors):
    js_errors(page)
    with live_server.db():
        factories.user("corporate", "jhomez", terms=False, must_change=True)
    page.goto(live_server.url + "/empresas/ingresar")
    page.get_by_label("Usuario").fill("jhomez")
    page.get_by_label("Contraseña", exact=True).fill(factories.PASSWORD)
    page.get_by_role("button", name="Ingresar").click()

    expect(page).to_have_url(re.compile(r"/empresas/terminos$"))
    expect(page.get_by_role("heading", name="Términos y condiciones de uso")).to_be_visible()
    page.get_by_label("He leído y acepto los términos y condiciones de uso").check()
    page.get_by_role("button", name="Aceptar y continuar").click()

    expect(page).to_have_url(re.compile(r"/empresas/cambio-contrasena$"))
    expect(page.get_by_role("heading", name="Cambio de contraseña")).to_be_visible()
    page.get_by_label("Contraseña actual").fill(factories.PASSWORD)
    new = page.get_by_label("Contraseña nueva")
    digits = page.locator('#password-rules li[data-rule="digits"]')
    length = page.locator('#password-rules li[data-rule="length"]')
    expect(digits).to_have_class("no")
    new.press_sequentially("Nueva#")
    expect(length).to_have_class("no")
    new.press_sequentially("2")  # 1 number: ok
    expect(digits).to_have_class("ok")
    expect(length).to_have_class("no")
    new.press_sequentially("345")  # 4 numbers: too many
    expect(digits).to_have_class("no")
    expect(length).to_have_class("ok")

    new.fill(NEW_PASSWORD)
    expect(digits).to_have_class("ok")
    expect(page.locator("#password-rules li.no")).to_have_count(0)
    page.get_by_label("Confirma la contraseña").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Aceptar").click()

    expect(page).to_have_url(re.compile(r"/empresas/$"))
    expect(page.get_by_role("heading", name="Empresas", exact=True)).to_be_visible()
    expect(page.get_by_text("Su contraseña se cambió correctamente.")).to_be_visible()
    assert js_errors.errors == []
