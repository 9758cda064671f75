"""Pagos Express and the sandbox acquirer on a phone (manuals 000 and 001).

An affiliate pays an instalment by card and «Otro valor» by PSE, a declined card is
retried with PSE, an employer pays a volante; every page is checked at 360 px: no
sideways scrolling and a main action big enough for a thumb.
"""
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests import factories

pytestmark = pytest.mark.e2e

CEDULA, MOBILE = "1045678434", "3001234434"
APPROVED, DECLINED = "4242 4242 4242 4242", "4111 1111 1111 1111"
NARROW = {"width": 360, "height": 740}
TAP_MIN = 44  # px, the smallest comfortable touch target


@pytest.fixture
def phone(new_context, js_errors):
    """phone(width, height) → a page on a touch phone; no script or CSP errors allowed."""
    def open_page(width=360, height=740):
        context = new_context(viewport={"width": width, "height": height}, is_mobile=True,
                              has_touch=True, device_scale_factor=2, locale="es-CO")
        page = js_errors(context.new_page())
        page.set_default_timeout(10_000)
        return page

    yield open_page
    assert js_errors.errors == []


def assert_fits_a_phone(page, action, name):
    """At 360 px: no sideways scroll (the page's or a table's) and `action` is a whole,
    thumb-sized target on screen. A wider phone is narrowed for the check and restored."""
    page.wait_for_load_state("load")  # the stylesheet too: a loaded machine may measure before it
    size = page.viewport_size
    if size["width"] != NARROW["width"]:
        page.set_viewport_size(NARROW)
    try:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= NARROW["width"], f"{name}: the page is {width}px wide at 360px"
        wide = page.evaluate("""() => [...document.querySelectorAll('main .table-wrap, main table')]
            .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.className || e.tagName)""")
        assert wide == [], f"{name}: these scroll sideways at 360px: {wide}"
        cut = page.evaluate("""() => [...document.querySelectorAll('.menu a')]
            .filter(a => { const r = a.getBoundingClientRect(); return r.left < 0 || r.right > innerWidth; })
            .map(a => a.textContent.trim())""")
        assert cut == [], f"{name}: these menu entries are cut off at 360px: {cut}"
        expect(action).to_be_visible()
        action.scroll_into_view_if_needed()
        box = action.bounding_box()
        assert box["height"] >= TAP_MIN, f"{name}: the main action is {box['height']}px tall"
        assert box["x"] >= 0 and box["x"] + box["width"] <= NARROW["width"], f"{name}: {box}"
    finally:
        if size["width"] != NARROW["width"]:
            page.set_viewport_size(size)


def make_affiliate_with_credit(server):
    from portal.models import AffiliateCredit
    with server.db() as session:
        affiliate = factories.affiliate(cedula=CEDULA, mobile=MOBILE)
        credit = AffiliateCredit(affiliate_id=affiliate.id, number="LI-38", debt=Decimal("1752770.00"),
                                 paid=Decimal("0"), balance=Decimal("1752770.00"),
                                 instalment=Decimal("175277.00"))
        session.add(credit)
        session.commit()
        return credit.id


def sign_in_affiliate(page, server, shots=None):
    page.goto(server.url + "/pagos-express/ingresar")
    page.get_by_label("Cédula de Ciudadanía").fill(CEDULA)
    page.get_by_role("button", name="Ingresar").tap()
    code = page.get_by_label("Código de verificación")
    expect(code).to_be_visible()
    code.fill(server.last_sms_code(MOBILE))
    page.get_by_role("button", name="Ingresar").tap()
    expect(page).to_have_url(re.compile(r"/pagos-express/$"))
    expect(page.get_by_role("heading", name="Bienvenidos a Pagos Express")).to_be_visible()
    assert_fits_a_phone(page, page.get_by_role("link", name="Ver mis créditos"), "home")
    if shots:
        shots(page, "01-home")


def open_credit_payment(page, shots):
    """CRÉDITOS → «Pagar» on LI-38 → «Monto a Pagar»."""
    page.get_by_role("navigation", name="Menú Pagos Express").get_by_role("link", name="CRÉDITOS").tap()
    expect(page.get_by_role("heading", name="CRÉDITOS")).to_be_visible()
    row = page.locator("tbody tr", has_text="LI-38")
    pay = row.get_by_role("link", name="Pagar")
    assert_fits_a_phone(page, pay, "créditos")
    shots(page, "02-creditos")
    pay.tap()
    expect(page.get_by_role("heading", name="Monto a Pagar")).to_be_visible()
    button = page.get_by_role("button", name="PAGAR POR PSE")
    assert_fits_a_phone(page, button, "monto a pagar")
    for choice in ("Cuota mensual", "Saldo total de la deuda", "Otro valor"):  # radios a thumb can hit
        assert page.locator("label.choice", has_text=choice).bounding_box()["height"] >= TAP_MIN, choice
    return button


def register_payer(page, shots, step):
    """Registro de Clientes before an employer's volante: the payer's data, then pay."""
    expect(page.get_by_role("heading", name="Registro de Clientes")).to_be_visible()
    for label, value in PAYER.items():
        page.get_by_label(label, exact=True).fill(value)
    submit = page.get_by_role("button", name="Realizar Pago")
    assert_fits_a_phone(page, submit, "registro de clientes")
    shots(page, f"{step}-registro")
    submit.tap()


def checkout_with(page, method, total, shots, step):
    """On the acquirer's checkout: the total, then the payment method's tab."""
    expect(page).to_have_url(re.compile(r"/pasarela/checkout\?"))
    expect(page.get_by_role("heading", name=f"Total a Pagar: {total}")).to_be_visible()
    tab = page.get_by_role("link", name=method)
    assert_fits_a_phone(page, tab, "checkout")
    shots(page, f"{step}-checkout")
    tab.tap()


def pay_by_card(page, number, total, shots, step):
    page.get_by_label("Número de tarjeta").fill(number)
    page.get_by_label("Nombre del titular").fill("MARIA PEREZ")
    page.get_by_label("Vencimiento (MM/AA)").fill("12/30")
    page.get_by_label("CVC").fill("123")
    pay = page.get_by_role("button", name=f"Pagar {total}")
    assert_fits_a_phone(page, pay, "checkout, tarjeta")
    shots(page, f"{step}-tarjeta")
    pay.tap()
    expect(page.get_by_role("heading", name="Resultado de la Transacción - Voucher")).to_be_visible()


def pay_by_pse(page, shots, step, bank="Banco que aprueba"):
    page.get_by_label("Número de documento").fill(CEDULA)
    page.get_by_label("Banco").select_option(label=bank)
    pay = page.get_by_role("button", name="Pagar con PSE")
    assert_fits_a_phone(page, pay, "checkout, PSE")
    shots(page, f"{step}-pse")
    pay.tap()
    expect(page.get_by_role("heading", name="Resultado de la Transacción - Voucher")).to_be_visible()


def voucher_row(page, label):
    return page.locator(".voucher-table tr", has=page.locator("th", has_text=re.compile(f"^{label}$"))).locator("td")


def breaks_after(cell):
    """The characters after which the cell's text wraps to a new line."""
    return cell.evaluate("""td => {
        const text = td.textContent.trim(), range = document.createRange(), walker =
            document.createTreeWalker(td, NodeFilter.SHOW_TEXT), chars = [];
        for (let node; (node = walker.nextNode());)
            for (let i = 0; i < node.length; i++) {
                range.setStart(node, i); range.setEnd(node, i + 1);
                const box = range.getBoundingClientRect();
                if (box.width) chars.push([node.data[i], box.top]);
            }
        return chars.slice(1).filter((c, i) => c[1] > chars[i][1] + 2).map((c, i, all) =>
            chars[chars.indexOf(c) - 1][0]);
    }""")


def back_to_merchant(page, shots, step):
    expect(voucher_row(page, "Descripción Respuesta")).to_have_text("Aprobada")
    assert set(breaks_after(voucher_row(page, "# Transacción"))) <= {"-"}  # never inside a group of digits
    back = page.get_by_role("link", name="Regresar al Comercio")
    assert_fits_a_phone(page, back, "voucher")
    shots(page, f"{step}-voucher")
    back.tap()
    expect(page).to_have_url(re.compile(r"/pagos-express/pagos/[^/]+/resultado\?id="))
    expect(page.get_by_role("heading", name="Pago aprobado")).to_be_visible()
    expect(page.get_by_text("Su pago fue aplicado.")).to_be_visible()
    number = page.locator("#payment-status tr", has=page.locator("th", has_text="# Transacción")).locator("td")
    assert set(breaks_after(number)) <= {"-"}  # never inside a group of digits
    assert_fits_a_phone(page, page.get_by_role("link", name="Volver al inicio"), "estado del pago")
    shots(page, f"{step}-aprobado")


def credit_cells(page):
    page.get_by_role("navigation", name="Menú Pagos Express").get_by_role("link", name="CRÉDITOS").tap()
    row = page.locator("tbody tr", has_text="LI-38")
    return row.locator('td[data-label="Pagado"]'), row.locator('td[data-label="Saldo"]')


def money_state(server, credit_id):
    from portal.models import AffiliateCredit, AuditEvent, GatewayTransaction, Payment, PaymentReview
    with server.db() as session:
        credit = session.get(AffiliateCredit, credit_id)
        return {"paid": credit.paid, "balance": credit.balance,
                "payments": [(p.status, p.amount, p.applied_at is not None) for p in session.query(Payment)],
                "applied": session.query(AuditEvent).filter_by(action="payment.applied").count(),
                "transactions": sorted(t.status for t in session.query(GatewayTransaction)),
                "reviews": session.query(PaymentReview).count()}


def test_affiliate_pays_an_instalment_by_card_on_a_360px_phone(live_server, phone, shots):
    page = phone(360, 740)
    credit_id = make_affiliate_with_credit(live_server)
    sign_in_affiliate(page, live_server, shots)

    button = open_credit_payment(page, shots)
    expect(page.get_by_role("radio", name="Cuota mensual")).to_be_checked()
    expect(page.locator("label.choice", has_text="Cuota mensual")).to_contain_text("$ 175.277")
    shots(page, "03-monto")
    button.tap()

    checkout_with(page, "Pago con tarjeta de crédito", "$ 175.277,00", shots, "04")
    pay_by_card(page, APPROVED, "$ 175.277,00", shots, "05")
    expect(page.get_by_text("Transacción aprobada.")).to_be_visible()
    expect(voucher_row(page, "Tarjeta")).to_contain_text("424242******4242")
    expect(voucher_row(page, "Total")).to_have_text("$ 175.277,00")
    assert "4242424242424242" not in page.content()
    back_to_merchant(page, shots, "06")
    page.reload()  # the payer reloads the return page: still applied once
    expect(page.get_by_role("heading", name="Pago aprobado")).to_be_visible()

    paid, balance = credit_cells(page)
    expect(paid).to_have_text("$ 175.277")
    expect(balance).to_have_text("$ 1.577.493")
    shots(page, "07-creditos-despues")

    state = money_state(live_server, credit_id)
    assert state == {"paid": Decimal("175277.00"), "balance": Decimal("1577493.00"),
                     "payments": [("approved", Decimal("175277.00"), True)], "applied": 1,
                     "transactions": ["APPROVED"], "reviews": 0}


def test_other_value_by_pse_after_a_refused_value(live_server, phone, shots):
    page = phone(360, 740)
    credit_id = make_affiliate_with_credit(live_server)
    sign_in_affiliate(page, live_server)
    button = open_credit_payment(page, shots)

    page.get_by_role("radio", name="Otro valor").tap()
    page.get_by_role("textbox", name="Otro Valor").fill("0")
    button.tap()
    expect(page.get_by_role("alert")).to_have_text("El valor a pagar debe ser mayor que cero.")
    expect(page.get_by_role("textbox", name="Otro Valor")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("radio", name="Otro valor")).to_be_checked()  # the choice survives the error
    assert_fits_a_phone(page, page.get_by_role("button", name="PAGAR POR PSE"), "monto a pagar, error")
    shots(page, "03-otro-valor-error")
    assert money_state(live_server, credit_id)["payments"] == []

    page.get_by_role("textbox", name="Otro Valor").fill("150.000,50")
    page.get_by_role("button", name="PAGAR POR PSE").tap()
    checkout_with(page, "Pago con cuenta bancaria", "$ 150.000,50", shots, "04")
    pay_by_pse(page, shots, "05")
    expect(voucher_row(page, "Total")).to_have_text("$ 150.000,50")
    back_to_merchant(page, shots, "06")

    paid, balance = credit_cells(page)
    expect(paid).to_have_text("$ 150.000,50")  # cents shown, not rounded to 150.001
    expect(balance).to_have_text("$ 1.602.769,50")
    shots(page, "07-creditos-despues")
    page.locator("tbody tr", has_text="LI-38").get_by_role("link", name="Pagar").tap()
    expect(page.locator("label.choice", has_text="Saldo total")).to_contain_text("$ 1.602.769,50")
    state = money_state(live_server, credit_id)
    assert state == {"paid": Decimal("150000.50"), "balance": Decimal("1602769.50"),
                     "payments": [("approved", Decimal("150000.50"), True)], "applied": 1,
                     "transactions": ["APPROVED"], "reviews": 0}


def test_a_declined_card_then_pse_is_applied_once(live_server, phone, shots):
    page = phone(360, 740)
    credit_id = make_affiliate_with_credit(live_server)
    sign_in_affiliate(page, live_server)
    open_credit_payment(page, shots).tap()

    checkout_with(page, "Pago con tarjeta de crédito", "$ 175.277,00", shots, "04")
    pay_by_card(page, DECLINED, "$ 175.277,00", shots, "05")
    expect(voucher_row(page, "Descripción Respuesta")).to_have_text(re.compile(r"^Rechazada"))
    expect(page.get_by_role("alert")).to_contain_text("La transacción no fue aprobada")
    retry = page.get_by_role("link", name="Intentar con otro medio de pago")
    expect(page.locator("#voucher .actions .primary")).to_have_text("Intentar con otro medio de pago")
    assert_fits_a_phone(page, retry, "voucher rechazado")
    shots(page, "06-rechazada")
    assert money_state(live_server, credit_id)["paid"] == 0
    retry.tap()

    checkout_with(page, "Pago con cuenta bancaria", "$ 175.277,00", shots, "07")
    pay_by_pse(page, shots, "08")
    back_to_merchant(page, shots, "09")

    paid, balance = credit_cells(page)
    expect(paid).to_have_text("$ 175.277")
    expect(balance).to_have_text("$ 1.577.493")
    state = money_state(live_server, credit_id)
    assert state == {"paid": Decimal("175277.00"), "balance": Decimal("1577493.00"),
                     "payments": [("approved", Decimal("175277.00"), True)], "applied": 1,
                     "transactions": ["APPROVED", "DECLINED"], "reviews": 0}


def test_kindergarten_search_on_a_360px_phone(live_server, phone, shots):
    from portal.models import KindergartenSlip
    page = phone(360, 740)
    make_affiliate_with_credit(live_server)
    with live_server.db() as session:
        session.add(KindergartenSlip(number="VM-2021-1", child_id="1100223344",
                                     student_name="ESTUDIANTE GENERICO", concept="VOLANTES DE MATRICULA",
                                     period="2021", amount=Decimal("482213.00")))
        session.commit()
    sign_in_affiliate(page, live_server)
    page.get_by_role("navigation", name="Menú Pagos Express").get_by_role("link", name="JARDÍN").tap()
    expect(page.get_by_role("heading", name="JARDÍN")).to_be_visible()
    search = page.get_by_role("button", name="Consultar")
    assert_fits_a_phone(page, search, "jardín")

    page.get_by_label("Número de Identificación del Alumno").fill("1100223344")
    search.tap()
    row = page.locator("#kindergarten-results tbody tr", has_text="VM-2021-1")
    expect(row.locator('td[data-label="Alumno"]')).to_have_text("ESTUDIANTE GENERICO")
    expect(row.locator('td[data-label="Valor"]')).to_have_text("$ 482.213")
    expect(page).to_have_url(re.compile(r"child_id=1100223344"))
    assert_fits_a_phone(page, row.get_by_role("button", name="Pagar"), "jardín con resultados")
    shots(page, "02-jardin-resultados")

    page.get_by_label("Número de Identificación del Alumno").fill("123456")
    search.tap()
    expect(page.get_by_role("heading", name="Ups! No se encontró nada.")).to_be_visible()
    expect(page.get_by_text("317 647 5902")).to_be_visible()
    assert_fits_a_phone(page, search, "jardín sin resultados")
    shots(page, "03-jardin-vacio")


PAYER = {"Nombres": "Ana", "Apellidos": "Gómez", "Email": "ana@empresa.co", "Celular": "3001112233",
         "Dirección": "Calle 1 # 2-3"}


def make_employer_with_slip(server):
    from portal.domain import clock
    from portal.models import ApplicationRequest, Branch, PaymentSlip
    with server.db() as session:
        entity = factories.entity()
        branch = Branch(entity_id=entity.id, code="01", name="Principal")
        session.add(branch)
        session.flush()
        user = factories.user("hanna", "empleador@example.com", entity=entity)
        session.add(ApplicationRequest(user_id=user.id, entity_id=entity.id, application="EMPRESAS",
                                       status="approved"))
        slip = PaymentSlip(number="EL-3", entity_id=entity.id, branch_id=branch.id, period="2020-04",
                           amount=Decimal("200.00"), expires_at=clock.utcnow() + timedelta(hours=4))
        session.add(slip)
        session.commit()
        return slip.id


def test_employer_pays_a_slip_on_a_390px_phone(live_server, phone, shots):
    from portal.models import Payment, PaymentSlip
    page = phone(390, 844)
    slip_id = make_employer_with_slip(live_server)

    page.goto(live_server.url + "/pagos-express/ingresar?tab=empresas")
    expect(page.get_by_role("link", name="EMPRESAS")).to_have_attribute("aria-current", "page")
    page.get_by_label("Email").fill("empleador@example.com")
    page.get_by_label("Contraseña").fill(factories.PASSWORD)
    sign_in = page.get_by_role("button", name="Ingresar")
    assert_fits_a_phone(page, sign_in, "ingreso empresas")
    shots(page, "01-ingreso-empresas")
    sign_in.tap()
    expect(page).to_have_url(re.compile(r"/pagos-express/$"))
    expect(page.get_by_role("heading", name="Bienvenidos a Pagos Express")).to_be_visible()
    assert_fits_a_phone(page, page.get_by_role("link", name="Pagar libranza empresas", exact=True),
                        "home empresas")

    page.get_by_role("navigation", name="Menú Pagos Express").get_by_role(
        "link", name="PAGAR LIBRANZA EMPRESAS").tap()
    expect(page.get_by_role("heading", name="PAGAR LIBRANZA EMPRESAS")).to_be_visible()
    row = page.locator("tbody tr", has_text="EL-3")
    expect(row.locator('td[data-label="Vigencia"]')).to_have_text("2020-04")
    expect(row.locator('td[data-label="Valor a Pagar"]')).to_have_text("$ 200")
    pay = row.get_by_role("link", name="Pagar")
    assert_fits_a_phone(page, pay, "libranza")
    shots(page, "02-libranza")
    pay.tap()

    register_payer(page, shots, "03")

    checkout_with(page, "Pago con tarjeta de crédito", "$ 200,00", shots, "04")
    pay_by_card(page, APPROVED, "$ 200,00", shots, "05")
    expect(voucher_row(page, "Tarjeta")).to_contain_text("424242******4242")
    back_to_merchant(page, shots, "06")
    expect(page.locator("#payment-status")).to_contain_text("ana@empresa.co")

    with live_server.db() as session:
        assert session.get(PaymentSlip, slip_id).status == "paid"
        payment = session.query(Payment).one()
        assert (payment.status, payment.amount, payment.kind) == ("approved", Decimal("200.00"), "payment_slip")
        assert (payment.payer_first_name, payment.payer_last_name, payment.payer_mobile) == ("Ana", "Gómez", "3001112233")
