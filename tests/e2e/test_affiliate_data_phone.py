"""«Actualizar mis datos» on a 390 px phone: a new mobile, its code sent to it, the request
in review; the page fits the screen and the mobile field brings up a numeric keyboard."""
import re

from playwright.sync_api import expect

from tests import factories
from tests.e2e.test_affiliate_phone import CEDULA, MOBILE, no_horizontal_scroll, phone  # noqa: F401

NEW = "3109876567"


def test_affiliate_asks_for_a_new_mobile_on_a_phone(live_server, phone, shots):  # noqa: F811
    page = phone
    with live_server.db():
        factories.affiliate(cedula=CEDULA, mobile=MOBILE)
    page.goto(live_server.url + "/pagos-express/ingresar")
    page.get_by_label("Cédula de Ciudadanía").fill(CEDULA)
    page.get_by_role("button", name="Ingresar").click()
    expect(page.locator(".otp-status")).to_contain_text("****434")
    page.get_by_label("Código de verificación").fill(live_server.last_sms_code(MOBILE))
    page.get_by_role("button", name="Ingresar").click()
    expect(page).to_have_url(re.compile(r"/pagos-express/$"))

    page.get_by_role("link", name="ACTUALIZAR MIS DATOS").click()
    mobile = page.get_by_label("Celular")
    assert mobile.get_attribute("inputmode") == "numeric"
    mobile.fill("31098765")  # two digits short: the message names the field, the rest stays
    page.get_by_label("Dirección").fill("Carrera 54 # 72-80")
    page.get_by_role("button", name="Enviar solicitud").click()
    expect(page.get_by_text("Celular: escriba un celular colombiano de 10 dígitos")).to_be_visible()
    expect(page.get_by_label("Dirección")).to_have_value("Carrera 54 # 72-80")
    assert no_horizontal_scroll(page)
    shots(page, "1-error")

    page.get_by_label("Celular").fill(NEW)
    page.get_by_role("button", name="Enviar solicitud").click()
    expect(page.locator(".otp-status")).to_contain_text("terminado ****567")
    assert no_horizontal_scroll(page)
    shots(page, "2-code")
    page.get_by_label("Código de verificación").fill(live_server.last_sms_code(NEW))
    page.get_by_role("button", name="Confirmar").click()
    expect(page.get_by_text("Celular confirmado.")).to_be_visible()
    expect(page.locator("#data-request")).to_contain_text("En revisión")
    assert no_horizontal_scroll(page)
    shots(page, "3-in-review")
