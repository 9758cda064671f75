"""Accessibility (issue 8): axe-core with the rules Lighthouse's accessibility category
runs (WCAG 2 A and AA, plus the best-practice rules Lighthouse turns on: heading order,
target size, skip link, …) on every page each kind of user reaches — the pages
bench/lighthouse scores — on a 412 px phone, Lighthouse's mobile preset; and no page
wider than the phone (reflow, WCAG 1.4.10) nor any id repeated, which axe leaves out.

The demo data (portal.demo.load_demo) on one live server for the module; one browser
context per kind of user, its pages visited in sequence. A failure lists every rule
broken on every page of that kind, with the elements."""
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from portal.demo import LOGINS
from tests.conftest import make_app
from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 412, "height": 823}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 1.75, "locale": "es-CO"}

# What Lighthouse 12 asks of axe (core/gather/gatherers/accessibility.js): the WCAG 2 A
# and AA rules, with these turned on or off.
LIGHTHOUSE_RULES = {
    **{rule: {"enabled": True} for rule in (
        "accesskeys", "aria-allowed-role", "aria-conditional-attr", "aria-deprecated-role",
        "aria-dialog-name", "aria-prohibited-attr", "aria-treeitem-name", "aria-text", "empty-heading",
        "heading-order", "html-xml-lang-mismatch", "identical-links-same-purpose", "image-redundant-alt",
        "input-button-name", "label-content-name-mismatch", "landmark-one-main", "link-in-text-block",
        "meta-viewport", "select-name", "skip-link", "tabindex", "table-duplicate-name",
        "table-fake-caption", "target-size", "td-has-header")},
    **{rule: {"enabled": False} for rule in (
        "area-alt", "aria-braille-equivalent", "aria-roledescription", "audio-caption", "blink",
        "duplicate-id", "frame-focusable-content", "frame-title-unique", "marquee", "nested-interactive",
        "no-autoplay-audio", "role-img-alt", "scrollable-region-focusable", "server-side-image-map",
        "summary-name", "svg-img-alt")},
}
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}, "rules": LIGHTHOUSE_RULES,
               "resultTypes": ["violations"]}
AXE = Axe()


@pytest.fixture(scope="module")
def demo(redis_url, tmp_path_factory):
    """A live server with the demo data, shared by the module's tests (each kind signs in
    as its own demo user)."""
    import flask_migrate
    import redis
    from argon2 import PasswordHasher

    from portal.demo import load_demo
    from portal.services import passwords

    folder = tmp_path_factory.mktemp("a11y")
    (folder / "var").mkdir()
    app = make_app(f"sqlite:///{folder / 'demo.db'}", redis_url, folder / "var")
    with pytest.MonkeyPatch.context() as patch:  # tests hash passwords cheaply (tests/conftest.py)
        patch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        with app.app_context():
            flask_migrate.upgrade()
            load_demo()
            from portal.extensions import db
            db.session.remove()
    redis.Redis.from_url(redis_url).flushdb()
    server = LiveServer(app).start()
    yield server
    server.stop()
    redis.Redis.from_url(redis_url).flushdb()  # the jobs it queued (no worker ran them)


class Auditor:
    """One kind's browser context: goes to pages and runs axe on each."""

    def __init__(self, server, context, js_errors):
        self.server, self.page = server, js_errors(context.new_page())
        self.page.set_default_timeout(15_000)
        self.found = []
        self.seen = 0

    def go(self, path):
        self.page.goto(self.server.url + path, wait_until="load")
        return self

    def check(self, path=None, name=None):
        """Audits the page (after going to `path`, if given), its <details> in <main> open."""
        if path:
            self.go(path)
        self.page.wait_for_load_state("load")
        self.seen += 1
        # Besides axe: no id repeated (Lighthouse looks only at the ids ARIA refers to), and
        # nothing that scrolls the page sideways (reflow, WCAG 1.4.10).
        repeated, width = self.page.evaluate("""() => {
            document.querySelectorAll('main details').forEach(d => d.open = true);
            const seen = {};
            document.querySelectorAll('[id]').forEach(e => { seen[e.id] = (seen[e.id] || 0) + 1; });
            const repeated = Object.keys(seen).filter(id => seen[id] > 1);
            return [repeated, document.documentElement.scrollWidth]; }""")
        results = AXE.run(self.page, options=AXE_OPTIONS).response
        where = name or self.page.url.removeprefix(self.server.url)
        where = where if len(where) < 90 else where[:60] + "…" + where[-25:]
        if repeated:
            self.found.append(f"{where}: repeated ids {repeated}")
        if width > (screen := PHONE["viewport"]["width"]):
            self.found.append(f"{where}: the page is {width} px wide on a {screen} px screen")
        for violation in results["violations"]:
            nodes = "\n".join(f"      {' '.join(map(str, n['target']))}: {n['html'][:160]}"
                              for n in violation["nodes"][:6])
            self.found.append(f"{where}: {violation['id']} ({violation['impact']}) "
                              f"{violation['help']}\n{nodes}")
        return self

    def href(self, pattern):
        """The first link on this page whose href matches `pattern`."""
        hrefs = self.page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
        return next((h for h in hrefs if re.search(pattern, h)), None)

    def sign_in(self, login_path, username, password):
        self.go(login_path)  # (audited signed out)
        self.page.locator("input[name=username]").fill(username)
        self.page.locator("input[name=password]").fill(password)
        self.page.locator("main button[type=submit]").first.click()
        self.page.wait_for_load_state("load")
        expect(self.page).not_to_have_url(re.compile(re.escape(login_path) + "$"))


def assert_clean(*audited):
    """audited: (auditor, the fewest pages it must have audited), …"""
    found = [line for auditor, _ in audited for line in auditor.found]
    assert not found, f"{len(found)} accessibility violations:\n" + "\n".join(found)
    seen = [a.seen for a, _ in audited]
    assert all(a.seen >= n for a, n in audited), f"pages audited: {seen}"


@pytest.fixture
def auditor(demo, new_context, js_errors):
    """auditor() → a new Auditor in its own phone-sized browser context; no script errors."""
    yield lambda: Auditor(demo, new_context(**PHONE), js_errors)
    assert js_errors.errors == []


def _login(kind, index=0, **wanted):
    """The demo's `index`-th login of this kind (with these attributes)."""
    found = [login for login in LOGINS if login.kind == kind
             and all(getattr(login, name, None) == value for name, value in wanted.items())]
    return found[index]


def test_signed_out_pages(auditor, demo):
    a = auditor()
    for path in ("/", "/hanna/ingresar", "/hanna/registro", "/pagos-express/ingresar",
                 "/pagos-express/ingresar?tab=empresas", "/empresas/ingresar", "/empresas/olvido",
                 "/empresas/olvido-usuario", "/personal/ingresar", "/pagina-que-no-existe",
                 "/pasarela/checkout", "/dev/outbox"):
        a.check(path)
    # Forms sent empty, with their errors; the SMS code step.
    for path in ("/empresas/ingresar", "/hanna/registro", "/empresas/olvido"):
        a.go(path).page.locator("main form button[type=submit]").last.click()
        expect(a.page.locator("main [aria-invalid=true]").first).to_be_attached()
        a.check(name=f"{path}, empty form sent")
    cedula = _login("affiliate").username
    a.go("/pagos-express/ingresar").page.get_by_label("Cédula de Ciudadanía").fill(cedula)
    a.page.get_by_role("button", name="Ingresar").click()
    expect(a.page.get_by_label("Código de verificación")).to_be_visible()
    a.check(name="/pagos-express/ingresar, the code step")
    assert_clean((a, 16))


def test_hanna_employer_supplier_and_applicant(auditor, demo):
    employer = _login("hanna", 0)
    a = auditor()
    a.sign_in(employer.path, employer.username, employer.password)
    a.check("/hanna/")
    a.check("/hanna/empresas/sucursal")
    a.page.locator("main form button[type=submit]").first.click()
    expect(a.page).to_have_url(re.compile(r"/hanna/empresas/$"))
    a.check()
    cartera = a.check("/hanna/empresas/cartera/")
    draft = cartera.href(r"^/hanna/empresas/cartera/\d{4}-\d{2}/editar/[a-z]+$")
    a.check(draft.partition("/editar/")[0])  # the period's page
    a.check(draft)
    for path in ("/hanna/solicitudes", "/cuenta/contrasena", "/pagos-express/", "/pagos-express/libranza"):
        a.check(path)
    a.check(a.href(r"/pagos-express/libranza/\d+/pagar$"))  # Registro de Clientes

    supplier = _login("hanna", 1)
    b = auditor()
    b.sign_in(supplier.path, supplier.username, supplier.password)
    b.check()
    b.check("/hanna/proveedores/")
    b.page.get_by_role("button", name=re.compile("Consultar", re.I)).click()  # errors shown
    expect(b.page.locator("main [aria-invalid=true]").first).to_be_attached()
    b.check(name="/hanna/proveedores/, empty form sent")
    b.page.get_by_label("Nit / Cédula").fill("72145338")  # the demo's first order, vigente
    b.page.get_by_label("Nro Documento").fill("80231")
    b.page.get_by_role("button", name="Consultar").click()
    expect(b.page.get_by_role("button", name="Marcar como redimida")).to_be_visible()
    b.check(name="/hanna/proveedores/, an order found")

    applicant = _login("hanna", 2)
    c = auditor()
    c.sign_in(applicant.path, applicant.username, applicant.password)
    c.check()
    c.check("/hanna/empresas/")
    assert_clean((a, 11), (b, 3), (c, 1))


def test_affiliate_pays_a_credit(auditor, demo):
    from portal.models import Affiliate

    login = next(login for login in LOGINS if login.kind == "affiliate" and "jardín" in login.note)
    child = re.search(r"niño (\d+)", login.note).group(1)
    with demo.db() as session:
        mobile = session.query(Affiliate).filter_by(cedula=login.username).one().mobile
    a = auditor()
    a.go("/pagos-express/ingresar").page.get_by_label("Cédula de Ciudadanía").fill(login.username)
    a.page.get_by_role("button", name="Ingresar").click()
    expect(a.page.get_by_label("Código de verificación")).to_be_visible()
    a.page.get_by_label("Código de verificación").fill(demo.last_sms_code(mobile))
    a.page.get_by_role("button", name="Ingresar").click()
    expect(a.page).to_have_url(re.compile(r"/pagos-express/$"))
    a.check()
    a.check("/pagos-express/creditos")
    a.check(a.href(r"/pagos-express/creditos/\d+/pagar$"))
    a.check("/pagos-express/jardin")
    a.check(f"/pagos-express/jardin?child_id={child}")
    a.page.get_by_label("Número de Identificación del Alumno").fill("12")  # too short: an error
    a.page.get_by_role("button", name=re.compile("Consultar|Buscar", re.I)).click()
    expect(a.page.locator("#kindergarten-results").get_by_role("alert")).to_be_visible()
    a.check(name="/pagos-express/jardin, refused search")

    a.go("/pagos-express/creditos").go(a.href(r"/pagos-express/creditos/\d+/pagar$"))
    a.page.get_by_role("button", name="PAGAR POR PSE").click()
    expect(a.page).to_have_url(re.compile(r"/pasarela/checkout\?"))
    a.check()
    for method, medio in (("Pago con tarjeta de crédito", "tarjeta"), ("Pago con cuenta bancaria", "pse")):
        a.page.get_by_role("link", name=method).click()
        expect(a.page).to_have_url(re.compile(f"medio={medio}$"))
        a.check()
    a.page.get_by_label("Número de documento").fill(login.username)
    a.page.get_by_label("Banco").select_option(label="Banco que aprueba")
    a.page.get_by_role("button", name="Pagar con PSE").click()
    expect(a.page.get_by_role("heading", name="Resultado de la Transacción - Voucher")).to_be_visible()
    a.check()
    back = a.href(r"/pagos-express/pagos/[^/]+/resultado")  # «Regresar al comercio»
    if back:
        a.check(back.removeprefix(demo.url))
    assert_clean((a, 10))


def test_corporate_pages(auditor, demo):
    login = _login("corporate", username="jhomez")
    a = auditor()
    a.sign_in(login.path, login.username, login.password)
    a.check()
    a.check("/empresas/seleccionar")
    products = a.go("/empresas/").page.eval_on_selector_all(
        "main a[href*='/productos/']", "links => links.map(a => a.getAttribute('href'))")
    for product in products:  # the first product with batches
        a.go(product).go(a.href(r"/lotes/$"))
        if a.href(r"/lotes/\d+/confirmar$"):
            break
    a.check(product.partition("productos/")[0])  # its company
    a.check(product)
    lotes = a.check(a.href(r"/lotes/$")).page.url.removeprefix(demo.url)
    detail, confirm, delete = (a.href(p) for p in
                               (r"/lotes/\d+/$", r"/lotes/\d+/confirmar$", r"/lotes/\d+/eliminar$"))
    # The confirmation in its modal (htmx), then the same form as a page.
    a.page.locator(f'a[href="{confirm}"]').click()
    expect(a.page.locator("dialog[open]")).to_be_visible()
    a.check(name=f"{lotes} with the confirmation modal")
    for path in (detail, confirm, delete, "/empresas/configuracion/usuario",
                 "/empresas/configuracion/descargas", "/cuenta/contrasena"):
        a.check(path)
    companies = a.go("/empresas/configuracion/empresas/").page.eval_on_selector_all(
        "#empresa option", "options => options.map(o => o.value)")  # its «Empresa» selector
    for path in (f"/empresas/configuracion/empresas/{company}" for company in companies):
        a.check(path)
        for pattern in (r"/editar$", r"/contactos/nuevo$", r"/contactos/\d+/editar$"):
            found = a.go(path).href(re.escape(path) + pattern)
            if found:
                a.check(found)
    a.check("/empresas/ayuda/")
    for chapter in sorted(set(a.page.eval_on_selector_all(
            "main a[href^='/empresas/ayuda/']", "links => links.map(a => a.getAttribute('href'))"))):
        a.check(chapter)

    first = _login("corporate", first_login=True)
    b = auditor()
    b.sign_in(first.path, first.username, first.password)
    expect(b.page).to_have_url(re.compile(r"/empresas/terminos$"))
    b.check()
    b.page.get_by_role("button", name="Aceptar y continuar").click()  # not ticked: its error
    b.check(name="/empresas/terminos, not accepted")
    b.page.get_by_label("He leído y acepto los términos y condiciones de uso").check()
    b.page.get_by_role("button", name="Aceptar y continuar").click()
    expect(b.page).to_have_url(re.compile(r"/empresas/cambio-contrasena$"))
    b.check()
    assert_clean((a, 22), (b, 3))


def test_staff_pages(auditor, demo):
    login = _login("staff", username="admin")
    a = auditor()
    a.sign_in(login.path, login.username, login.password)
    # the queues' figures arrive by htmx once the frame is loaded
    expect(a.page.locator('[data-queue="outbox_failed"] td[data-count]')).to_have_text(re.compile(r"^\d+$"))
    a.check()
    a.page.evaluate("document.getElementById('session-dialog').showModal()")  # «¿Sigue ahí?»
    a.check(name="/personal/ with the session dialog")
    for path in ("/personal/solicitudes", "/personal/solicitudes?estado=all", "/personal/pagos",
                 "/personal/cartera", "/personal/cartera/archivos", "/personal/auditoria",
                 "/personal/mensajes", "/cuenta/contrasena", "/personal/subsidios/nueva",
                 "/personal/cambios", "/personal/usuarios-empresas/nuevo", "/personal/empresas/nueva"):
        a.check(path)
    a.go("/personal/cartera/archivos")
    a.check(a.href(r"^/personal/cartera/archivos/\d+"))
    subsidies = a.check("/personal/subsidios/")
    a.check(subsidies.href(r"^/personal/subsidios/\d+$"))
    corporate_users = a.check("/personal/usuarios-empresas/")
    a.check(corporate_users.href(r"^/personal/usuarios-empresas/\d+$"))
    users = a.check("/personal/usuarios")
    a.check(users.href(r"^/personal/usuarios/\d+$"))
    companies = a.check("/personal/empresas/")
    a.check(companies.href(r"^/personal/empresas/\d+$"))
    for path in ("/personal/lotes", "/personal/ordenes", "/personal/auditoria?fecha_inicial=31/02/2026"):
        a.check(path)
    assert_clean((a, 25))
