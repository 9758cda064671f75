"""The idle-session warning: "¿Sigue ahí?" before the limit; "Seguir conectado" renews."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.models import UserSession
from tests import factories

pytestmark = pytest.mark.e2e


def test_session_dialog_keeps_the_session_alive(live_server_factory, page, js_errors):
    js_errors(page)
    # The dialog shows SESSION_WARNING_SECONDS before the idle limit: here after ~3 s.
    server = live_server_factory(SESSION_IDLE_TIMEOUT=timedelta(seconds=128),
                                 SESSION_WARNING_SECONDS=125)
    with server.db():
        factories.user("corporate", "jhomez")
    page.goto(server.url + "/empresas/ingresar")
    page.get_by_label("Usuario").fill("jhomez")
    page.get_by_label("Contraseña", exact=True).fill(factories.PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    expect(page).to_have_url(re.compile(r"/empresas/$"))

    dialog = page.locator("#session-dialog")
    expect(dialog).to_be_hidden()
    expect(dialog).to_be_visible(timeout=10_000)
    expect(dialog.get_by_role("heading", name="¿Sigue ahí?")).to_be_visible()
    expect(dialog.locator("[data-session-countdown]")).to_have_text(re.compile(r"^2:0\d$"))
    with server.db() as session:
        seen_before = session.query(UserSession).one().last_seen_at

    with page.expect_response(lambda r: r.url.endswith("/sesion/renovar")) as renewal:
        dialog.get_by_role("button", name="Seguir conectado").click()
    assert renewal.value.status == 200
    expect(dialog).to_be_hidden()
    with server.db() as session:
        record = session.query(UserSession).one()
        assert record.revoked_at is None and record.last_seen_at > seen_before

    # Esc counts as "Seguir conectado" too, instead of a dismissal reopened a second later.
    expect(dialog).to_be_visible(timeout=10_000)
    with page.expect_response(lambda r: r.url.endswith("/sesion/renovar")):
        page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # An htmx:afterRequest without requestConfig (htmx leaves it out on some paths)
    # must not break the page's script.
    page.evaluate("""() => document.dispatchEvent(new CustomEvent("htmx:afterRequest",
        {detail: {xhr: {getResponseHeader: () => "300"}}}))""")
    assert js_errors.errors == []

    page.reload()
    expect(page).to_have_url(re.compile(r"/empresas/$"))
    expect(page.get_by_role("heading", name="Empresas", exact=True)).to_be_visible()
    assert js_errors.errors == []
