"""Issue #13 in Chromium at 1280 px (manual 004: «los accesos al sistema son creados por
personal autorizado»; manual 003 ch. 1): a staff member («tarjetas») creates a corporate
user for the demo company JAHC; a second staff member sees the pending change in the staff
home, opens the queue and approves the permissions; the new user signs in with the
e-mailed temporary password, accepts the terms, changes the password and sees JAHC."""
import re

import pytest
from playwright.sync_api import expect

from portal.models import OutboxMessage
from tests import factories

pytestmark = pytest.mark.e2e
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "es-CO"}
NEW_PASSWORD = "Nueva#25bq"


def page_for(new_context, js_errors):
    page = js_errors(new_context(**DESKTOP).new_page())
    page.set_default_timeout(15_000)
    return page


def sign_in(page, server, path, username, password=factories.PASSWORD):
    page.goto(server.url + path)
    page.get_by_label("Usuario").fill(username)
    page.get_by_label("Contraseña", exact=True).fill(password)
    page.get_by_role("button", name="Ingresar").click()


def create_user(staff, shots):
    staff.get_by_role("navigation", name="Menú del personal").get_by_role("link", name="Usuarios de empresas").click()
    staff.get_by_role("link", name="Crear usuario").click()
    staff.get_by_label("Usuario (obligatorio)").fill("pperez")
    staff.get_by_label("Correo electrónico").fill("pedro@jahc.example")
    staff.get_by_label("Nombres").fill("Pedro")
    staff.get_by_label("Apellidos").fill("Pérez Ríos")
    staff.get_by_label("Empresa (obligatorio)").select_option(label="JAHC TECHNOLOGIES (900291499-3)")
    staff.get_by_label("Cargar lotes").check()
    staff.get_by_label("Consultar").check()
    shots(staff, "00-crear")
    staff.get_by_role("button", name="Crear usuario").click()
    expect(staff.get_by_role("heading", name="Usuario pperez")).to_be_visible()
    expect(staff.get_by_text("Sus permisos quedan pendientes")).to_be_visible()
    expect(staff.locator("td[data-permissions]")).to_have_text("Ninguno")


def approve(second, shots):
    row = second.locator('tr[data-queue="changes_pending"]')
    expect(row.locator("td[data-count]")).to_have_text("1")
    row.get_by_role("link", name="Cambios por aprobar (cuatro ojos)").click()
    change = second.locator("#changes-table tbody tr").first
    expect(change).to_contain_text("pperez (Pedro Pérez Ríos) en JAHC TECHNOLOGIES")
    expect(change.locator('[data-side="after"]')).to_have_text("Cargar lotes, Consultar")
    shots(second, "01-cola")
    change.get_by_role("button", name="Aprobar").click()  # htmx swaps the row
    expect(second.locator('#changes-table tr[data-status="approved"]')).to_contain_text("ya está vigente")
    shots(second, "02-aprobado")


def first_login(user, server, temporary, shots):
    sign_in(user, server, "/empresas/ingresar", "pperez", temporary)
    expect(user).to_have_url(re.compile(r"/empresas/terminos$"))
    user.get_by_label("He leído y acepto los términos y condiciones de uso").check()
    user.get_by_role("button", name="Aceptar y continuar").click()
    expect(user).to_have_url(re.compile(r"/empresas/cambio-contrasena$"))
    user.get_by_label("Contraseña actual").fill(temporary)
    user.get_by_label("Contraseña nueva").fill(NEW_PASSWORD)
    user.get_by_label("Confirma la contraseña").fill(NEW_PASSWORD)
    user.get_by_role("button", name="Aceptar").click()
    expect(user).to_have_url(re.compile(r"/empresas/$"))
    expect(user.locator('[data-company="900291499"]').get_by_role("link", name="JAHC TECHNOLOGIES")).to_be_visible()
    shots(user, "03-empresas")


def test_staff_create_a_corporate_user_another_approves_and_the_user_signs_in(live_server, new_context,
                                                                             js_errors, shots):
    with live_server.db():
        factories.company()  # JAHC TECHNOLOGIES, NIT 900291499
        factories.user("staff", "ana", roles="tarjetas", full_name="Ana Torres")
        factories.user("staff", "luis", roles="tarjetas", full_name="Luis Mejía")
    staff = page_for(new_context, js_errors)
    sign_in(staff, live_server, "/personal/ingresar", "ana")
    create_user(staff, shots)

    second = page_for(new_context, js_errors)
    sign_in(second, live_server, "/personal/ingresar", "luis")
    expect(second).to_have_url(re.compile(r"/personal/$"))
    approve(second, shots)

    with live_server.db() as session:
        body = session.query(OutboxMessage).filter_by(recipient="pedro@jahc.example").one().body
    temporary = re.search(r"Contraseña temporal: (\S+)", body).group(1)
    first_login(page_for(new_context, js_errors), live_server, temporary, shots)

    staff.reload()
    expect(staff.locator("td[data-permissions]")).to_have_text("Cargar lotes, Consultar")
    shots(staff, "04-usuario")
    assert js_errors.errors == []
