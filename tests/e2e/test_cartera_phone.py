"""Estado de Cartera on a phone (issue #4, manual 000): an employer signs in to Hanna,
chooses the branch, downloads the Activos file, edits two rows with openpyxl, uploads it
and Retirados unchanged, sees each checked by the RQ job, generates the volante, pays it
in the sandbox by card, and finds the Cuadre Cartera at "Saldo" $ 0 with the extra
principal explained per worker.

An RQ worker runs in a thread for the test (the live server has none): it works the
"payments" and "default" queues with the live server's app, as worker.py does.
"""
import re
import time

import pytest
from playwright.sync_api import expect

from portal.domain import cartera_layout as layout
from tests import factories
from tests.e2e.test_payments_phone import (
    APPROVED,
    assert_fits_a_phone,
    back_to_merchant,
    checkout_with,
    pay_by_card,
    register_payer,
)

pytestmark = pytest.mark.e2e

EMAIL = "empleador@example.com"
CARTERA = "/hanna/empresas/cartera/"


@pytest.fixture
def phone(new_context, js_errors):
    """A 390 × 844 touch phone in es-CO; no script or CSP errors allowed."""
    def open_page(width=390, height=844):
        context = new_context(viewport={"width": width, "height": height}, is_mobile=True,
                              has_touch=True, device_scale_factor=2, locale="es-CO", accept_downloads=True)
        page = js_errors(context.new_page())
        page.set_default_timeout(15_000)
        return page

    yield open_page
    assert js_errors.errors == []


def make_cartera(server):
    """tests/cartera_helpers.build(), plus a second branch so the employer must choose."""
    from portal.models import Branch
    from tests import cartera_helpers as ch

    with server.db() as session:
        cartera = ch.build(email=EMAIL)
        session.add(Branch(entity_id=cartera.entity.id, code="002", name="NORTE"))
        session.commit()
        return cartera.statement.id


def sign_in_and_open_cartera(page, server, shots):
    page.goto(server.url + "/hanna/ingresar")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Contraseña").fill(factories.PASSWORD)
    page.get_by_role("button", name="Ingresar").tap()
    expect(page).to_have_url(re.compile(r"/hanna/$"))
    expect(page.get_by_role("heading", name="Bienvenido a nuestra plataforma de Servicios Hanna")).to_be_visible()
    empresas = page.locator('[data-app="EMPRESAS"]').get_by_role("link", name="Acceder")
    assert_fits_a_phone(page, empresas, "hanna")
    empresas.tap()

    expect(page).to_have_url(re.compile(r"/hanna/empresas/sucursal$"))
    expect(page.get_by_role("heading", name="Escoja la sucursal de la empresa")).to_be_visible()
    choose = page.get_by_role("button", name="Acceder a la sucursal PRINCIPAL")
    assert_fits_a_phone(page, choose, "sucursales")
    shots(page, "01-sucursal")
    choose.tap()

    expect(page).to_have_url(re.compile(r"/hanna/empresas/$"))
    cartera = page.locator('[data-module="cartera"]').get_by_role("link", name="Acceder")
    assert_fits_a_phone(page, cartera, "empresas")
    cartera.tap()
    expect(page).to_have_url(re.compile(re.escape(CARTERA)))
    expect(page.get_by_role("heading", name="LISTADOS DE ESTADOS DE CARTERA")).to_be_visible()
    expect(page.locator("#vigencia")).to_have_value("2026-10")


def download(page, kind, tmp_path):
    link = page.locator(f'[data-file="{kind}"]').get_by_role("link", name="Descargar Archivo")
    assert_fits_a_phone(page, link, f"descarga {kind}")
    with page.expect_download() as info:
        link.tap()
    file = info.value
    assert file.suggested_filename.startswith(f"{layout.layout(kind).slug}_2026-10_sucursal_")
    path = tmp_path / file.suggested_filename
    file.save_as(path)
    return path


def upload(page, worker, tab, path, shots, step):
    """Choose the tab, send the file, see it queued with its progress bar, then processed."""
    panel = page.locator("#upload-panel")
    panel.evaluate("panel => { panel.dataset.before = 'tab' }")  # gone once htmx swaps the panel in
    panel.get_by_role("navigation", name="Documentos subidos").get_by_role("link", name=tab).tap()
    expect(page.locator("#upload-panel[data-before]")).to_have_count(0)
    expect(panel.get_by_role("link", name=tab)).to_have_attribute("aria-current", "page")
    panel.locator('input[type="file"]').set_input_files(str(path))
    send = panel.get_by_role("button", name="Procesar Archivo")
    assert_fits_a_phone(page, send, f"{tab}, procesar")
    worker.pause()  # the job waits until the progress has been seen
    try:
        send.tap()
        queued = panel.locator(".upload-status[role=status]")
        expect(queued).to_contain_text(f"Procesando «{path.name}»")
        expect(queued.locator("progress")).to_be_visible()
        shots(page, f"{step}-procesando")
    finally:
        worker.resume()
    done = panel.locator('.upload-status[data-upload-status="processed"]')
    expect(done).to_contain_text(f"«{path.name}» procesado", timeout=30_000)
    shots(page, f"{step}-procesado")
    return done


def assert_step_in_view(page, number):
    """The step the employer is on is open and its title is on the first screen, no scrolling."""
    step = page.locator(f"#paso-{number}")
    expect(step).to_have_attribute("open", "")
    page.evaluate("window.scrollTo(0, 0)")
    top = step.bounding_box()["y"]
    assert top + 60 < page.viewport_size["height"], f"step {number} starts at {top}px"


def cuadre(page):
    return page.locator('#summary td[data-label="Saldo"]')


def test_employer_uploads_pays_the_volante_and_the_cartera_squares_on_a_390px_phone(
        live_server, worker, phone, shots, tmp_path):
    from tests import cartera_helpers as ch

    page = phone(390, 844)
    make_cartera(live_server)
    sign_in_and_open_cartera(page, live_server, shots)
    expect(page.locator('td[data-label="Descuento"]')).to_have_text("$ 370.000,50")
    assert_step_in_view(page, 1)
    shots(page, "02-cartera")

    activos = download(page, layout.ACTIVE, tmp_path)
    activos.write_bytes(ch.edit(activos.read_bytes(), {
        ("LI-9001", "Valor a Pagar"): 120000,  # 20.000 above the instalment: extra principal
        ("LI-9002", "Aplica Mora"): "N", ("LI-9002", "Valor a Pagar"): 150000,  # the instalment, no arrears
    }))
    done = upload(page, worker, "Archivo Activos", activos, shots, "03")
    expect(done).to_contain_text("3 créditos por $ 320.000,50")

    retirados = download(page, layout.RETIRED, tmp_path)  # unchanged: every instalment is paid
    done = upload(page, worker, "Archivo Retirados", retirados, shots, "04")
    expect(done).to_contain_text("1 crédito por $ 70.000")

    volante = page.locator("#volante")
    expect(volante).to_contain_text("Valor a pagar: $ 390.000,50")  # both files, refreshed by the jobs
    generate = volante.get_by_role("button", name="Generar volante de pago")
    assert_fits_a_phone(page, generate, "volante")
    generate.tap()
    expect(volante).to_contain_text("Recuerde que este volante tiene validez hasta")
    countdown = volante.locator(".countdown")
    expect(countdown).to_have_text(re.compile(r"^[34]:[0-5]\d:[0-5]\d$"))
    first = countdown.text_content()
    expect(countdown).not_to_have_text(first, timeout=5_000)  # it ticks
    go = volante.get_by_role("link", name="Ir a Pagos Express")
    assert_fits_a_phone(page, go, "volante generado")
    shots(page, "05-volante")
    go.tap()

    expect(page.locator("main")).to_contain_text("$ 390.000,50")
    register_payer(page, shots, "06")

    checkout_with(page, "Pago con tarjeta de crédito", "$ 390.000,50", shots, "07")
    pay_by_card(page, APPROVED, "$ 390.000,50", shots, "08")
    back_to_merchant(page, shots, "09")

    page.goto(live_server.url + CARTERA)
    expect(page.get_by_role("heading", name="Cuadre Cartera")).to_be_visible()
    expect(cuadre(page)).to_have_text("$ 0,00")  # the row shows centavos: one format per table
    expect(page.locator('#summary td[data-label="Valor Descuento"]')).to_have_text("$ 370.000,50")
    expect(page.locator('#summary td[data-label="Estado"]')).to_have_text(["Pagado", "Pagado"])
    differences = page.locator("#summary table", has=page.locator("th", has_text="Abono a capital"))
    ana = differences.locator("tbody tr", has_text="LI-9001")
    expect(ana.locator('td[data-label="Abono a capital"]')).to_have_text("$ 20.000")
    expect(ana.locator('td[data-label="Explicación"]')).to_contain_text(
        re.compile(r"abono extraordinario a capital de \$\s20\.000,00", re.IGNORECASE))
    expect(differences.locator("tbody tr", has_text="LI-9002")).to_contain_text(
        "Sin mora (Aplica Mora = N): $ 3.000,00 no cobrados")
    expect(page.locator("#volante")).to_contain_text(re.compile(r"El volante EL-\d+ por \$\s390\.000,50 fue pagado"))
    assert_step_in_view(page, 4)  # paid: the page opens on the cuadre
    assert_fits_a_phone(page, page.locator("#paso-1 summary"), "cuadre cartera")
    shots(page, "10-cuadre")

    wait_for_events(live_server)  # the acquirer's event, applied after the return: nothing twice
    state = money_state(live_server)
    assert state == {"slip": ("paid", "390000.50"), "payments": [("approved", "390000.50")],
                     "allocated": "370000.50", "events": ["delivered"], "audited": [1, 1],
                     "balances": {"LI-9001": "680000.00", "LI-9002": "0.00", "LI-9003": "349999.50",
                                  "LI-9004": "70000.00"}}


def wait_for_events(server, seconds=20):
    """The payments queue's worker delivers the acquirer's event to the live server."""
    from portal.models import GatewayEvent
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with server.db() as session:
            if session.query(GatewayEvent).filter(GatewayEvent.status != "delivered").count() == 0:
                return
        time.sleep(0.2)


def money_state(server):
    from portal.models import AuditEvent, Credit, GatewayEvent, Payment, PaymentSlip, SlipAllocation
    with server.db() as session:
        slip = session.query(PaymentSlip).one()
        return {"slip": (slip.status, str(slip.amount)),
                "payments": [(p.status, str(p.amount)) for p in session.query(Payment)],
                "allocated": str(sum(a.to_instalment for a in session.query(SlipAllocation))),
                "events": [e.status for e in session.query(GatewayEvent)],
                "audited": [session.query(AuditEvent).filter_by(action=action).count()
                            for action in ("payment.applied", "cartera.slip_allocated")],
                "balances": {c.number: str(c.balance) for c in session.query(Credit)}}


def upload_count(server):
    from portal.models import CarteraUpload
    with server.db() as session:
        return session.query(CarteraUpload).count()


def test_a_dropped_upload_offers_a_retry_and_a_too_big_file_is_never_sent(
        live_server, worker, phone, shots, tmp_path, js_errors):
    page = phone(360, 740)
    make_cartera(live_server)
    sign_in_and_open_cartera(page, live_server, shots)
    page.get_by_role("navigation", name="Pasos").get_by_role("link", name="Cargar y procesar").tap()  # one tap away
    panel = page.locator("#upload-panel")
    expect(panel).to_be_visible()
    sent = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" and "/subidos/" in r.url else None)

    # An 11 MB file (the limit is 10 MB) is refused in the browser: nothing goes out.
    big = tmp_path / "grande.xlsx"
    big.write_bytes(b"PK\x03\x04" + b"\0" * (11 * 1024 * 1024))
    panel.locator('input[type="file"]').set_input_files(str(big))
    panel.get_by_role("button", name="Procesar Archivo").tap()
    expect(panel.locator("[data-upload-toobig]")).to_be_visible()
    expect(panel.locator("[data-upload-toobig]")).to_contain_text("supera el tamaño máximo permitido de 10 MB")
    assert sent == []
    shots(page, "20-demasiado-grande")

    # The connection drops while the file goes up: a clear message and "Reintentar".
    activos = download(page, layout.ACTIVE, tmp_path)
    panel.locator('input[type="file"]').set_input_files(str(activos))
    page.route("**/subidos/activos", lambda route: route.abort("connectionreset"))
    panel.get_by_role("button", name="Procesar Archivo").tap()
    failed = panel.locator("[data-upload-failed]")
    expect(failed).to_be_visible()
    expect(failed).to_contain_text("Se interrumpió la conexión")
    expect(panel.locator("[data-upload-toobig]")).to_be_hidden()
    retry = panel.get_by_role("button", name="Reintentar")
    expect(retry).to_be_enabled()
    assert_fits_a_phone(page, retry, "reintentar")
    assert upload_count(live_server) == 0
    shots(page, "21-conexion-perdida")
    # htmx logs the dropped request itself; that one drop is this test's doing.
    dropped = ("console: htmx:afterRequest", "console: htmx:sendError")
    assert sum(e.startswith(dropped) for e in js_errors.errors) == 2
    js_errors.errors[:] = [e for e in js_errors.errors if not e.startswith(dropped)]

    # Back online: the same selected file goes up with one tap.
    page.unroute("**/subidos/activos")
    retry.tap()
    done = panel.locator('.upload-status[data-upload-status="processed"]')
    expect(done).to_contain_text(f"«{activos.name}» procesado", timeout=30_000)
    assert upload_count(live_server) == 1
    shots(page, "22-reintento-procesado")


def test_editing_in_the_browser_saves_each_row_and_procesar_takes_the_draft(
        live_server, worker, phone, shots):
    page = phone(390, 844)
    make_cartera(live_server)
    sign_in_and_open_cartera(page, live_server, shots)
    page.get_by_role("navigation", name="Pasos").get_by_role("link", name="Cargar y procesar").tap()
    page.locator("#upload-panel").get_by_role("link", name="Editar Aplica Mora y Valor a Pagar en el portal").tap()
    expect(page.get_by_role("heading", name="Editar Archivo de Activos · vigencia 2026-10")).to_be_visible()

    search = page.get_by_label("Buscar…")
    search.fill("barrios")
    expect(page.locator("#draft-table tbody tr")).to_have_count(1)
    amount = page.get_by_label("Valor a Pagar, crédito LI-9002")
    expect(amount).to_have_attribute("inputmode", "decimal")
    expect(amount).to_have_value("153000,00")  # instalment + mora: Aplica Mora S by default

    def saved_after(action):
        """Each change is saved at once: wait for that row's answer before going on."""
        with page.expect_response(lambda r: r.url.endswith("/editar/activos/fila")) as answer:
            action()
        return answer.value.status

    def type_amount(value):
        field = page.get_by_label("Valor a Pagar, crédito LI-9002")
        field.fill(value)
        field.press("Tab")

    assert saved_after(lambda: type_amount("150.000")) == 200  # leaving the search box reloads nothing
    expect(page.locator("#fila-LI-9002")).to_contain_text("Guardado")
    assert saved_after(lambda: page.get_by_label("Aplica Mora, crédito LI-9002").select_option("N")) == 200
    expect(page.locator("#fila-LI-9002 select")).to_have_value("N")

    assert saved_after(lambda: type_amount("153000")) == 422  # above the balance now that mora is not charged
    expect(page.locator("#fila-LI-9002")).to_contain_text("supera el saldo ($ 150.000,00)")
    expect(page.get_by_label("Valor a Pagar, crédito LI-9002")).to_have_value("153000")  # what was typed stays
    shots(page, "30-fila-con-error")
    assert saved_after(lambda: type_amount("150.000")) == 200
    expect(page.locator("#fila-LI-9002")).to_contain_text("Guardado")
    search.fill("")
    expect(page.locator("#draft-table tbody tr")).to_have_count(3)
    expect(page.locator("[data-draft-count]")).to_contain_text("1 fila editada sin procesar")
    shots(page, "31-borrador")

    page.get_by_role("button", name="Procesar").tap()
    done = page.locator('.upload-status[data-upload-status="processed"]')
    expect(done).to_contain_text("«Edición en el portal» procesado", timeout=30_000)
    expect(done).to_contain_text("3 créditos por $ 300.000,50")
    expect(page.locator("#volante")).to_contain_text("Valor a pagar: $ 300.000,50")
    shots(page, "32-procesado")
