"""Conexión Empresas administration, products (staff role «tarjetas»): the list, create, a
product's page and the edit of its card data (BIN and emission type locked once it has
cards), and its tariffs, changed only when a second staff member approves (four eyes).
Other roles are refused; every POST needs its CSRF token; bad input names the field."""
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import AuditEvent, Card, ChangeRequest, DistributionTariff, Product, Tariff
from portal.services import products
from tests import factories
from tests.conftest import post
from tests.services.test_product_tariffs import form_of

LIST, NEW, CHANGES = "/personal/productos/", "/personal/productos/nuevo", "/personal/cambios"
CARD = {"name": "Alimentación", "brand": "Visa", "bin": "450799", "named": "nominada", "card_validity_months": "24",
        "max_card_balance": "2.000.000"}
TARIFFS = {"commission_emission": "10", "commission_topup": "2,50", "commission_affiliation": "0",
           "commission_unnamed_emission": "8.50", "iva_rate": "19", "balance_query_fee": "60",
           "transfer_fee": "55", "debit_fee": "55", "replacement_cost": "12000", "distribution_cost": "6.500"}


@pytest.fixture
def jahc():
    return factories.company()


@pytest.fixture
def ana(auth):
    return auth.as_new("staff", "ana", roles="tarjetas", full_name="Ana Torres")


def page(product):
    return f"/personal/productos/{product.id}"


def add_card(product):
    db.session.add(Card(company_id=product.company_id, product_id=product.id, token=f"tok-{product.id}",
                        pan_first6=product.bin, pan_last4="1234", account_mask=f"{product.bin}****1234",
                        expires="05/2029"))
    db.session.commit()


def test_create_a_product_with_its_first_tariffs(client, ana, jahc):
    assert f'href="{LIST}" aria-current="page">Productos' in client.get(LIST).get_data(as_text=True)
    assert "Crear producto de Conexión Empresas" in client.get(NEW).get_data(as_text=True)
    data = dict(CARD, **TARIFFS, empresa=str(jahc.id), ciudad=["barranquilla", ""], costo=["0", ""])
    response = post(client, NEW, data, page=NEW)
    product = db.session.query(Product).filter_by(name="Alimentación").one()
    assert response.status_code == 303 and response.headers["Location"] == page(product)
    assert (product.company_id, product.bin, product.named, product.card_validity_months) == (jahc.id, "450799",
                                                                                              True, 24)
    assert product.max_card_balance == Decimal("2000000.00") and product.iva_rate == Decimal("0.19")
    assert (product.replacement_cost, product.distribution_cost) == (Decimal("12000.00"), Decimal("6500.00"))
    assert {t.kind: t.commission for t in db.session.query(Tariff).filter_by(product_id=product.id)} == {
        "emission": Decimal("10.00"), "topup": Decimal("2.50"), "affiliation": Decimal("0.00"),
        "unnamed_emission": Decimal("8.50")}
    assert [(d.destination, d.cost) for d in db.session.query(DistributionTariff)] == [("BARRANQUILLA",
                                                                                        Decimal("0.00"))]
    assert db.session.query(AuditEvent).filter_by(action="staff.product_created").count() == 1
    body = client.get(page(product)).get_data(as_text=True)
    assert "Comisión por registro: Recarga (Id persona): $\xa02,50" in body and "Tasa de IVA (%): 19 %" in body


def test_bad_input_names_each_field_and_creates_nothing(client, ana, jahc):
    data = {**CARD, **TARIFFS, "empresa": "999", "name": "", "bin": "4507", "named": "otra",
            "card_validity_months": "0", "max_card_balance": "mucho", "commission_topup": "-1", "iva_rate": "119",
            "ciudad": ["CALI", ""], "costo": ["", "5"]}
    response = post(client, NEW, data, page=NEW)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    for text in ("Empresa: seleccione una.", "Nombre: es obligatorio.", "BIN: debe tener exactamente 6 dígitos",
                 "Tipo de emisión: elija nominada o innominada.", "Vigencia de la tarjeta (meses): escriba",
                 "Saldo máximo por tarjeta: «mucho» no es un valor en pesos",
                 "Comisión por registro: Recarga (Id persona): no puede ser negativo.",
                 "Tasa de IVA (%): escriba un porcentaje de 0 a 100", "Distribución, fila 1 (CALI), costo por tarjeta: "
                 "es obligatorio.", "Distribución, fila 2: escriba la ciudad"):
        assert text in body, text
    assert 'value="4507"' in body  # what was typed comes back
    assert db.session.query(Product).count() == 1 and db.session.query(AuditEvent).filter(
        AuditEvent.action.like("staff.product%")).count() == 0


def test_a_company_has_one_product_of_a_name(client, ana, jahc):
    response = post(client, NEW, dict(CARD, **TARIFFS, empresa=str(jahc.id), name="clásica"), page=NEW)
    assert response.status_code == 422 and "la empresa ya tiene un producto «clásica»" in response.get_data(
        as_text=True)


def test_edit_the_card_data_at_once_audited(client, ana, jahc):
    product = jahc.products[0]
    data = dict(CARD, max_card_balance="")
    response = post(client, page(product), data, page=page(product))
    assert response.status_code == 303
    db.session.expire_all()
    assert (product.name, product.bin, product.card_validity_months, product.max_card_balance) == (
        "Alimentación", "450799", 24, None)
    event = db.session.query(AuditEvent).filter_by(action="staff.product_updated").one()
    assert '"bin": "450714"' in event.detail and '"bin": "450799"' in event.detail
    same = post(client, page(product), data, page=page(product))
    assert same.status_code == 422 and "son los que ya tiene" in same.get_data(as_text=True)
    bad = post(client, page(product), dict(data, max_card_balance="0", brand=""), page=page(product))
    assert bad.status_code == 422 and "Marca: es obligatorio." in bad.get_data(as_text=True)
    assert "debe ser mayor que cero (vacío: sin límite)" in bad.get_data(as_text=True)


def test_bin_and_emission_type_stay_once_the_product_has_cards(client, ana, jahc):
    product = jahc.products[0]
    add_card(product)
    typed = {"name": product.name, "brand": "Visa", "bin": "450714", "named": "nominada",
             "card_validity_months": "36", "max_card_balance": ""}
    for field, value, label in (("bin", "450799", "BIN"), ("named", "innominada", "Tipo de emisión")):
        refused = post(client, page(product), dict(typed, **{field: value}), page=page(product))
        body = refused.get_data(as_text=True)
        assert refused.status_code == 422 and f"{label}: el producto ya tiene tarjetas emitidas (1)" in body
    db.session.expire_all()
    assert (product.bin, product.named) == ("450714", True)
    assert post(client, page(product), dict(typed, card_validity_months="48"), page=page(product)).status_code == 303
    db.session.expire_all()
    assert product.card_validity_months == 48  # the rest may change


def test_tariffs_change_only_when_another_staff_member_approves_once(client, auth, ana, jahc):
    product = jahc.products[0]
    before = products.tariffs(product)
    url = f"{page(product)}/tarifas"
    same = post(client, url, form_of(before), page=page(product))
    assert same.status_code == 422 and "son las vigentes" in same.get_data(as_text=True)
    form = dict(form_of(before, topup="3.00"), ciudad=["Cali"], costo=["4.000"])
    assert post(client, url, form, page=page(product)).status_code == 303
    db.session.expire_all()
    assert products.tariffs(product) == before  # nothing before the approval
    change = db.session.query(ChangeRequest).one()
    assert change.kind == "product_tariffs" and change.proposed_by_id == ana.id
    detail = client.get(page(product)).get_data(as_text=True)
    assert f"Cambio {change.id}" in detail and "Proponer cambio de tarifas" not in detail
    again = post(client, url, dict(form, commission_topup="4"), page=page(product))
    assert again.status_code == 422 and "Ya hay un cambio de tarifas pendiente" in again.get_data(as_text=True)

    own = post(client, f"{CHANGES}/{change.id}/aprobar", page=CHANGES, follow_redirects=True)
    assert "no puede aprobarlo ni rechazarlo" in own.get_data(as_text=True)
    db.session.expire_all()
    assert products.tariffs(product) == before
    luis = auth.new_client("staff", "luis", roles="tarjetas")
    queue = luis.get(CHANGES).get_data(as_text=True)
    assert "Tarifas de un producto" in queue and "Producto Clásica / Visa de JAHC TECHNOLOGIES" in queue
    assert "Comisión por registro: Recarga (Id persona): $\xa00,00" in queue  # before
    assert "Comisión por registro: Recarga (Id persona): $\xa03,00" in queue  # after
    assert "Distribución a CALI: $\xa04.000,00" in queue and "Distribución a CALI: sin costo propio" in queue
    assert "Comisión por registro: Emisión" not in queue  # only what changes
    approved = post(luis, f"{CHANGES}/{change.id}/aprobar", page=CHANGES, headers={"HX-Request": "true"})
    assert approved.status_code == 200 and 'data-status="approved"' in approved.get_data(as_text=True)
    db.session.expire_all()
    now = products.tariffs(product)
    assert now["commission"]["topup"] == "3.00" and now["distribution"] == {"CALI": "4000.00"}
    twice = post(luis, f"{CHANGES}/{change.id}/aprobar", page=CHANGES, headers={"HX-Request": "true"})
    assert twice.status_code == 422 and "ya fue aprobado" in twice.get_data(as_text=True)
    assert db.session.query(AuditEvent).filter_by(action="staff.change_approved").count() == 1


def test_bad_tariffs_name_the_field_and_propose_nothing(client, ana, jahc):
    product = jahc.products[0]
    form = dict(form_of(products.tariffs(product)), transfer_fee="55,555", ciudad=["CALI", "cali"], costo=["1", "2"])
    response = post(client, f"{page(product)}/tarifas", form, page=page(product))
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "Comisión por transferencia (abono): " in body
    assert "Distribución, fila 2: la ciudad CALI ya está en otra fila." in body
    assert db.session.query(ChangeRequest).count() == 0


def test_search_by_name_bin_or_company_paged(client, ana, jahc):
    coop = factories.company(nit="901343454", name="EMPRESA DE PRUEBA COOP")
    for n in range(11):
        db.session.add(Product(company_id=coop.id, name=f"Bono {n:02d}", bin=f"5{n:05d}"))
    db.session.commit()
    clasica = f'id="product-{jahc.products[0].id}"'
    first = client.get(LIST).get_data(as_text=True)
    assert "de un total de 13 registro(s)" in first and "Bono 00" in first and clasica not in first
    second = client.get(LIST + "?pagina=2", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in second and clasica in second and "Bono 00" not in second
    assert "de un total de 1 registro(s)" in client.get(LIST + "?q=900291499").get_data(as_text=True)
    assert "Bono 03" in client.get(LIST + "?q=500003").get_data(as_text=True)
    by_company = client.get(f"{LIST}?empresa={jahc.id}").get_data(as_text=True)
    assert "de un total de 1 registro(s)" in by_company and clasica in by_company


def test_without_csrf_token_nothing_is_done(client, ana, jahc):
    product = jahc.products[0]
    before = products.tariffs(product)
    assert client.post(NEW, data=dict(CARD, **TARIFFS, empresa=str(jahc.id))).status_code == 400
    assert client.post(page(product), data=CARD).status_code == 400
    assert client.post(f"{page(product)}/tarifas", data=form_of(before, topup="9")).status_code == 400
    db.session.expire_all()
    assert db.session.query(Product).count() == 1 and product.name == "Clásica"
    assert db.session.query(ChangeRequest).count() == 0


@pytest.mark.parametrize("kind, roles", [("staff", "cartera"), ("staff", "pagos"), ("corporate", "")])
def test_other_roles_are_refused(client, auth, jahc, kind, roles):
    product = jahc.products[0]
    auth.as_new(kind, "otro", roles=roles)
    if kind == "staff":
        assert f'href="{LIST}"' not in client.get("/personal/").get_data(as_text=True)  # no menu entry
    for url in (LIST, NEW, page(product)):
        assert client.get(url).status_code == 403, url
    for url in (NEW, page(product), f"{page(product)}/tarifas"):
        assert post(client, url, dict(CARD, **TARIFFS, empresa=str(jahc.id))).status_code == 403, url
    db.session.expire_all()
    assert db.session.query(Product).count() == 1 and product.name == "Clásica"
    assert db.session.query(ChangeRequest).count() == 0


def test_anonymous_is_sent_to_sign_in_and_admin_may(client, auth, jahc):
    assert client.get(LIST).headers["Location"].startswith("/personal/ingresar")
    auth.as_new("staff", "jefe", roles="admin")
    assert client.get(LIST).status_code == 200
    assert client.get("/personal/productos/999").status_code == 404
    assert post(client, "/personal/productos/999/tarifas", TARIFFS, page=LIST).status_code == 404
    assert post(client, "/personal/productos/999", CARD, page=LIST).status_code == 404
