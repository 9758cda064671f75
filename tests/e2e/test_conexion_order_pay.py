"""«Pagar orden» in Chromium at 1280 px (manual 003 §3.3 pasos 5–6), on its own page (the
orders list opens the same form as a modal): the code read from the e-mail, a wrong one
first, then «Aceptar» pays and the bank's balance moves once."""
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from portal.models import OutboxMessage, SandboxBankAccount, ServiceOrder
from tests.services.test_order_payments import ACCOUNT, signed_order

pytestmark = pytest.mark.e2e


def test_paying_an_order_with_the_emailed_code(live_server, corporate, js_errors, shots):
    with live_server.db():
        order, ana, access = signed_order()
        url = f"/empresas/{access.company.id}/productos/{access.product.id}/ordenes/{order.id}/pagar"
        order_id, email = order.id, ana.email
    page = corporate("ana")
    page.goto(live_server.url + url)
    expect(page.get_by_role("heading", name="Pagar Orden de Servicio")).to_be_visible()
    expect(page.locator("main")).to_contain_text("$\u00a01.015,20")
    expect(page.locator("main")).to_contain_text("AHORROS ****4821")
    with live_server.db() as session:
        mail = session.query(OutboxMessage).filter_by(recipient=email).order_by(OutboxMessage.id.desc()).first()
        code = re.search(r" es (\d{6})\.", mail.body).group(1)
    field = page.get_by_label("Ingrese el código de verificación enviado a tu correo")
    field.fill(f"{(int(code) + 1) % 1_000_000:06d}")
    page.get_by_role("button", name="Aceptar").click()
    expect(page.get_by_role("alert")).to_contain_text("Le quedan 4 intentos")
    page.get_by_label("Ingrese el código de verificación enviado a tu correo").fill(code)
    page.get_by_role("button", name="Aceptar").click()
    expect(page.get_by_text("fue pagada")).to_be_visible()
    shots(page, "pagada")
    with live_server.db() as session:
        assert session.get(ServiceOrder, order_id).status == "paid"
        assert session.query(SandboxBankAccount).filter_by(number=ACCOUNT).one().balance == Decimal("3984.80")
    assert js_errors.errors == []
