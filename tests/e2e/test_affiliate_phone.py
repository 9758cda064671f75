"""Manual 001 on a phone: cédula → "Validación en Proceso!" → SMS code → Pagos Express."""
import re

import pytest
from playwright.sync_api import expect

from tests import factories

pytestmark = pytest.mark.e2e

CEDULA, MOBILE = "1045678434", "3001234434"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2, "locale": "es-CO"}


def no_horizontal_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.fixture
def phone(new_context, js_errors):
    page = js_errors(new_context(**PHONE).new_page())
    yield page
    assert js_errors.errors == []


def test_affiliate_signs_in_on_a_390px_phone(live_server, phone, shots):
    page = phone
    with live_server.db():
        factories.affiliate(cedula=CEDULA, mobile=MOBILE)
    page.goto(live_server.url + "/pagos-express/ingresar")
    expect(page.get_by_role("heading", name="Bienvenidos a Pagos Express")).to_be_visible()
    assert no_horizontal_scroll(page)
    shots(page, "1-cedula")

    page.get_by_label("Cédula de Ciudadanía").fill(CEDULA)
    page.get_by_role("button", name="Ingresar").click()
    status = page.locator(".otp-status")
    expect(status).to_contain_text("Validación en Proceso")
    expect(status).to_contain_text("terminado ****434")
    expect(page).to_have_url(re.compile(r"/pagos-express/codigo$"))  # HX-Push-Url
    code_input = page.get_by_label("Código de verificación")
    expect(code_input).to_be_focused()
    assert code_input.get_attribute("inputmode") == "numeric"
    assert code_input.get_attribute("autocomplete") == "one-time-code"

    # The countdown starts at 109 (or a second less) and goes down by itself.
    first = int(page.locator("[data-countdown]").text_content())
    assert 107 <= first <= 109
    page.wait_for_function(
        "n => parseInt(document.querySelector('[data-countdown]').textContent, 10) < n",
        arg=first, timeout=3000)
    expect(page.locator("#code-expired")).to_be_hidden()
    assert no_horizontal_scroll(page)
    shots(page, "2-code")

    # A wrong code: the message comes back in place (htmx swaps the 422).
    code = live_server.last_sms_code(MOBILE)
    code_input.fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="Ingresar").click()
    expect(page.get_by_role("alert")).to_contain_text("El código no es correcto")
    expect(page.locator(".otp-status")).to_contain_text("****434")
    assert no_horizontal_scroll(page)
    shots(page, "3-wrong-code")

    page.get_by_label("Código de verificación").fill(code)
    shots(page, "3b-typed")
    page.get_by_role("button", name="Ingresar").click()
    expect(page).to_have_url(re.compile(r"/pagos-express/$"))
    expect(page.get_by_role("heading", name="Bienvenidos a Pagos Express")).to_be_visible()
    expect(page.get_by_text("MARIA PEREZ")).to_be_visible()
    assert no_horizontal_scroll(page)
    shots(page, "4-home")


def test_resent_code_keeps_its_own_countdown(live_server_factory, phone):
    """A short TTL: the first code's countdown, swapped out by "Reenviar código", must
    not mark the new code as expired; the new one expires on time."""
    server = live_server_factory(OTP_TTL_SECONDS=3)
    page = phone
    with server.db():
        factories.affiliate(cedula=CEDULA, mobile=MOBILE)
    page.goto(server.url + "/pagos-express/ingresar")
    page.get_by_label("Cédula de Ciudadanía").fill(CEDULA)
    page.get_by_role("button", name="Ingresar").click()
    countdown = page.locator("[data-countdown]")
    expect(countdown).to_have_text("1", timeout=4000)
    first_end = int(countdown.get_attribute("data-countdown-end"))  # the page's clock, in ms
    page.get_by_role("button", name="Reenviar código").click()
    expect(page.get_by_text("Le enviamos un código nuevo.")).to_be_visible()
    # Past the first code's end by one tick of its one-second timer: a timer left running
    # would have shown «El código venció» by then. The new code, sent after the first
    # showed 1 s left, still has a second or more to go.
    page.wait_for_function("end => Date.now() >= end + 1000", arg=first_end)
    expect(page.locator("#code-expired")).to_be_hidden()
    expect(page.locator("#code-expired")).to_be_visible(timeout=4000)
    expect(countdown).to_have_text("0")


def test_rate_limit_is_explained_not_silent(live_server_factory, phone):
    """htmx does not swap a 429 in; the page must still say what happened."""
    server = live_server_factory(RATELIMIT_LOGIN_PER_ACCOUNT="1 per minute")
    page = phone
    page.goto(server.url + "/pagos-express/ingresar")
    page.get_by_label("Cédula de Ciudadanía").fill(CEDULA)
    page.get_by_role("button", name="Ingresar").click()
    expect(page.locator(".otp-status")).to_contain_text("Validación en Proceso")
    page.get_by_role("link", name="Cambiar cédula").click()
    page.get_by_label("Cédula de Ciudadanía").fill(CEDULA)
    page.get_by_role("button", name="Ingresar").click()
    alert = page.locator("#flashes [role=alert]")
    expect(alert).to_contain_text("Demasiados intentos")
    expect(alert).to_contain_text("Espere un momento")
    expect(page.get_by_role("button", name="Ingresar")).to_be_enabled()
