"""Lotes › Autorización (manual 003 §3.3 pasos 1–4) over HTTP: the product's batches
awaiting a signature, «Calcular orden de servicio» before signing, one or two signatures
(two signers in two browsers), the e-mails, «Eliminar», and who may do what."""
from datetime import timedelta
from decimal import Decimal

import pytest

from portal import jobs
from portal.domain import clock
from portal.extensions import db
from portal.models import AuditEvent, Batch, BatchSignature, OutboxMessage, Product, ServiceOrder
from portal.services import batches
from tests import factories
from tests.conftest import menu_entries, post
from tests.order_helpers import access_of, confirmed_emission, emission_file, signers

HTMX = {"HX-Request": "true"}
NBSP = "\u00a0"


def money(text):
    return f"${NBSP}{text}"


@pytest.fixture
def company(app):
    """The manual's product: commission 10.00 per record, IVA 12 %."""
    company = factories.company()
    product = company.products[0]
    product.commission_per_record, product.iva_rate = Decimal("10.00"), Decimal("0.12")
    db.session.commit()
    return company


def named(users, *names):
    for user, name in zip(users, names, strict=True):
        user.full_name = name
    db.session.commit()
    return users


def page(company, tail=""):
    return f"/empresas/{company.id}/productos/{company.products[0].id}/lotes/autorizacion{tail}"


def browser(app, auth, user):
    client = app.test_client()
    auth.as_user(user, client=client)
    return client


def calculate(client, company, batch_ids, mode="lote", password=factories.PASSWORD, headers=HTMX):
    return post(client, page(company, "/calcular"), {"lote": [str(i) for i in batch_ids], "modo": mode,
                                                     "password": password}, page=page(company), headers=headers)


def sign(client, company, batch_ids, mode="lote", password=factories.PASSWORD, headers=HTMX, seen=None):
    """The calculation's «Autorizar»: `seen`, the first signature it showed (none: a first signature)."""
    return post(client, page(company, "/firmar"), {"lote": [str(i) for i in batch_ids], "modo": mode,
                                                   "password": password, "primera_firma": str(seen or "")},
                page=page(company), headers=headers)


def emails(subject_part):
    return db.session.query(OutboxMessage).filter(OutboxMessage.channel == "email",
                                                  OutboxMessage.subject.contains(subject_part)).all()


def text(response):
    return response.get_data(as_text=True)


# --- the list ----------------------------------------------------------------------------------

def test_the_list_shows_only_this_products_batches_awaiting_a_signature(app, auth, company):
    loader, ana, _ = signers(company, scheme=2)
    ours = confirmed_emission(loader, company)
    other_product = Product(company_id=company.id, name="Platino", brand="Visa", bin="450714")
    db.session.add(other_product)
    db.session.commit()
    elsewhere = confirmed_emission(loader, company, (("1045678440", "500", "CALI"),), product=other_product)
    unconfirmed = batches.submit(loader, access_of(loader, company), "emission", "V.xlsx",
                                 emission_file((("1045678441", "700", "CALI"),)))
    batches.process(unconfirmed.id)
    other = factories.company("800191045", "OTRA EMPRESA")
    stranger = factories.user("corporate", "ajeno")
    factories.member(stranger, other, can_upload=True, can_authorize=True)
    foreign = confirmed_emission(stranger, other, (("1045678442", "900", "CALI"),))
    db.session.commit()

    body = text(browser(app, auth, ana).get(page(company)))
    assert f'id="batch-{ours.id}"' in body and ours.number in body
    for absent in (elsewhere, unconfirmed, foreign):
        assert f'id="batch-{absent.id}"' not in body
    assert money("1.000,00") in body and "Emisión" in body
    assert "Procesar por lote" in body and "Procesar por tipo de lote" in body and ">Eliminar<" in body
    assert "Lotes › Autorización" in menu_entries(body)


def test_a_batch_signed_once_shows_who_signed_and_when_it_lapses(app, auth, company, frozen_clock):
    loader, ana, beto = named(signers(company, scheme=2), "Carlos Carga", "Ana Ríos", "Beto Díaz")
    batch = confirmed_emission(loader, company)
    assert sign(browser(app, auth, ana), company, [batch.id]).status_code == 204
    body = text(browser(app, auth, beto).get(page(company)))
    # signed 26/05/2026 20:00 UTC = 15:00 Bogotá; lapses 24 h later
    assert "Firmado por Ana Ríos" in body and "vence el 27/05/2026 3:00:00 p. m." in body


# --- «Calcular orden de servicio» -----------------------------------------------------------

def test_the_calculation_shows_the_manuals_order_and_stores_nothing(app, auth, company):
    loader, ana, _ = signers(company, scheme=1)
    batch = confirmed_emission(loader, company)
    client = browser(app, auth, ana)
    response = calculate(client, company, [batch.id])
    body = text(response)
    assert response.status_code == 200 and "<dialog open" in body and "Calcular orden de servicio" in body
    for amount in ("10,00", "1,20", "11,20", "1.000,00", "1.011,20"):  # comisión, IVA, OS, Monto, TOTAL A PAGAR
        assert money(amount) in body
    assert "IVA (12.0%)" in body and "TOTAL A PAGAR" in body and "BARRANQUILLA" in body
    assert 'hx-include="#autorizacion-password"' in body  # the list's password goes with the signature
    assert f'name="lote" value="{batch.id}"' in body and 'name="modo" value="lote"' in body
    assert db.session.get(Batch, batch.id).status == "confirmed"
    assert db.session.query(ServiceOrder).count() == 0
    # without JavaScript: a page, asking for the password again
    page_body = text(calculate(client, company, [batch.id], headers={}))
    assert "data-modal" not in page_body and 'id="firma-password"' in page_body and money("11,20") in page_body


@pytest.mark.parametrize("form, message", [
    (dict(batch_ids=[]), "Seleccione los lotes"),
    (dict(mode="otro"), "Procesar por lote"),
    (dict(password=""), "Ingrese su contraseña"),
    (dict(password="mala"), "La contraseña no es correcta"),
])
def test_the_calculation_refuses_a_bad_form_in_spanish(app, auth, company, form, message):
    loader, ana, _ = signers(company, scheme=1)
    batch = confirmed_emission(loader, company)
    client = browser(app, auth, ana)
    args = dict(dict(batch_ids=[batch.id]), **form)
    response = calculate(client, company, **args)
    assert response.status_code == 422 and message in text(response)
    assert db.session.get(Batch, batch.id).status == "confirmed"
    no_js = calculate(client, company, **args, headers={})
    assert no_js.status_code == 422 and message in text(no_js) and "data-modal" not in text(no_js)


# --- signatures ------------------------------------------------------------------------------

def test_one_signature_makes_the_order_end_to_end(app, auth, company):
    loader, ana, _ = signers(company, scheme=1)
    batch = confirmed_emission(loader, company)
    client = browser(app, auth, ana)
    assert calculate(client, company, [batch.id]).status_code == 200
    response = sign(client, company, [batch.id])
    assert response.status_code == 204
    order = db.session.query(ServiceOrder).one()
    assert (order.number, order.commission, order.iva, order.total) == (12397, Decimal("10.00"), Decimal("1.20"),
                                                                         Decimal("11.20"))
    assert order.first_signer_id == ana.id and order.second_signer_id is None
    assert db.session.get(Batch, batch.id).status == "authorized"
    product_id = company.products[0].id
    assert response.headers["HX-Redirect"] == f"/empresas/{company.id}/productos/{product_id}/ordenes/"
    assert "Orden de servicio Nro. 12397" in text(client.get(response.headers["HX-Redirect"]))  # the flash
    assert f'id="batch-{batch.id}"' not in text(client.get(page(company)))


def test_a_signer_who_may_not_consult_stays_on_autorizacion(app, auth, company):
    loader, ana, _ = signers(company, scheme=1)
    db.session.query(factories.Membership).filter_by(user_id=ana.id).update({"can_consult": False})
    db.session.commit()
    batch = confirmed_emission(loader, company)
    client = browser(app, auth, ana)
    response = sign(client, company, [batch.id])
    assert response.status_code == 204 and response.headers["HX-Redirect"] == page(company)
    assert "Orden de servicio Nro. 12397" in text(client.get(page(company)))


def test_two_signatures_by_two_people_with_the_emails(app, auth, company, frozen_clock):
    loader, ana, beto = named(signers(company, scheme=2), "Carlos Carga", "Ana Ríos", "Beto Díaz")
    batch = confirmed_emission(loader, company)
    first, second = browser(app, auth, ana), browser(app, auth, beto)

    assert calculate(first, company, [batch.id], mode="tipo").status_code == 200
    assert sign(first, company, [batch.id], mode="tipo").status_code == 204
    flash = text(first.get(page(company)))
    assert "Su firma quedó registrada" in flash and "27/05/2026 3:00:00 p. m." in flash
    assert db.session.get(Batch, batch.id).status == "signed"
    asked = emails("esperan su firma")
    assert sorted(m.recipient for m in asked) == ["beto@example.com", "carga@example.com"]  # not ana
    body = asked[0].body
    assert batch.number in body and "Clásica / Visa" in body and "Ana Ríos" in body
    assert "27/05/2026 3:00:00 p. m." in body and "hora de Bogotá" in body

    seen = db.session.query(BatchSignature).one().id
    again = sign(first, company, [batch.id], seen=seen)  # the same user cannot give the second signature
    assert again.status_code == 422 and "Usted ya firmó" in text(again)
    assert db.session.query(ServiceOrder).count() == 0

    calc = calculate(second, company, [batch.id])  # beto sees the first signature and its mode
    assert "Segunda firma: Ana Ríos" in text(calc) and 'name="modo" value="tipo"' in text(calc)
    assert f'name="primera_firma" value="{seen}"' in text(calc)
    assert sign(second, company, [batch.id], seen=seen).status_code == 204
    order = db.session.query(ServiceOrder).one()
    assert (order.first_signer_id, order.second_signer_id) == (ana.id, beto.id)
    assert db.session.get(Batch, batch.id).status == "authorized"
    done = emails("lotes autorizados")
    assert sorted(m.recipient for m in done) == ["ana@example.com", "beto@example.com"]
    assert all(f"Orden Nro. {order.number}" in m.body and batch.number in m.body for m in done)


def test_a_signer_signs_what_the_calculation_showed(app, auth, company):
    """Ana and Beto calculate at once; Ana signs first: Beto's «Autorizar» would now be the
    second signature, so he is shown the calculation again instead of signing blind."""
    loader, ana, beto = signers(company, scheme=2)
    batch = confirmed_emission(loader, company)
    first, second = browser(app, auth, ana), browser(app, auth, beto)
    assert 'name="primera_firma" value=""' in text(calculate(second, company, [batch.id]))
    assert sign(first, company, [batch.id], mode="tipo").status_code == 204
    stale = sign(second, company, [batch.id])
    assert stale.status_code == 422 and "cambiaron mientras revisaba" in text(stale)
    assert "Segunda firma" in text(stale) and 'id="firma-password"' in text(stale)
    assert db.session.get(Batch, batch.id).status == "signed" and db.session.query(ServiceOrder).count() == 0


def test_a_wrong_password_at_the_signature_and_the_lock(app, auth, company):
    loader, ana, _ = signers(company, scheme=1)
    batch = confirmed_emission(loader, company)
    client = browser(app, auth, ana)
    wrong = sign(client, company, [batch.id], password="mala")
    assert wrong.status_code == 422 and "La contraseña no es correcta" in text(wrong)
    assert 'id="firma-password"' in text(wrong)  # asked in the modal now
    for _ in range(3):
        sign(client, company, [batch.id], password="mala")
    locked = sign(client, company, [batch.id], password="mala")
    assert locked.status_code == 204 and locked.headers["HX-Redirect"] == "/empresas/ingresar"
    assert db.session.get(Batch, batch.id).status == "confirmed"
    assert client.get(page(company)).status_code in (302, 303)  # the session ended


def test_the_uploader_may_be_forbidden_to_sign_and_is_not_asked(app, auth, company):
    loader, ana, beto = signers(company, scheme=2, uploader_may_sign=False)
    batch = confirmed_emission(loader, company)
    own = browser(app, auth, loader)
    refused = calculate(own, company, [batch.id])
    assert refused.status_code == 422 and "cargó" in text(refused)
    assert sign(own, company, [batch.id]).status_code == 422
    assert db.session.get(Batch, batch.id).status == "confirmed"
    assert sign(browser(app, auth, ana), company, [batch.id]).status_code == 204
    assert [m.recipient for m in emails("esperan su firma")] == ["beto@example.com"]


def test_the_lapse_job_returns_the_batches_and_tells_the_signer(app, auth, company):
    loader, ana, _ = signers(company, scheme=2)
    batch = confirmed_emission(loader, company)
    assert sign(browser(app, auth, ana), company, [batch.id]).status_code == 204
    assert jobs.lapse_signatures() == 0
    clock.freeze(clock.utcnow() + timedelta(hours=25))
    try:
        assert jobs.lapse_signatures() == 1
    finally:
        clock.unfreeze()
    db.session.expire_all()
    assert db.session.get(Batch, batch.id).status == "confirmed"
    assert db.session.query(BatchSignature).one().status == "lapsed"
    told = emails("su firma venció")
    assert [m.recipient for m in told] == ["ana@example.com"] and batch.number in told[0].body


# --- «Eliminar» --------------------------------------------------------------------------------

def test_delete_the_chosen_batches_with_the_password_but_not_one_signed(app, auth, company):
    loader, ana, beto = signers(company, scheme=2)
    signed = confirmed_emission(loader, company)
    one = confirmed_emission(loader, company, (("1045678450", "100", "CALI"),))
    two = confirmed_emission(loader, company, (("1045678451", "200", "CALI"),))
    assert sign(browser(app, auth, ana), company, [signed.id]).status_code == 204
    client = browser(app, auth, beto)
    url = page(company, "/eliminar")

    refused = post(client, url, {"lote": [str(signed.id), str(one.id)], "password": factories.PASSWORD},
                   page=page(company), headers=HTMX)
    assert refused.status_code == 422 and "ya tiene una firma" in text(refused)
    wrong = post(client, url, {"lote": [str(one.id), str(two.id)], "password": "mala"}, page=page(company))
    assert wrong.status_code == 422 and "La contraseña no es correcta" in text(wrong)
    assert {db.session.get(Batch, b.id).status for b in (one, two)} == {"confirmed"}

    done = post(client, url, {"lote": [str(one.id), str(two.id)], "password": factories.PASSWORD},
                page=page(company), headers=HTMX)
    assert done.status_code == 204
    db.session.expire_all()
    assert {db.session.get(Batch, b.id).status for b in (one, two)} == {"deleted"}
    assert db.session.get(Batch, signed.id).status == "signed"
    assert "eliminados" in text(client.get(page(company)))


# --- who -------------------------------------------------------------------------------------------

def test_without_the_authorize_permission_it_is_403_and_no_menu(app, auth, company):
    loader, _, _ = signers(company, scheme=1)
    batch = confirmed_emission(loader, company)
    clerk = factories.user("corporate", "digitador")
    factories.member(clerk, company, can_upload=True, can_authorize=False)
    client = browser(app, auth, clerk)
    assert client.get(page(company)).status_code == 403
    response = post(client, page(company, "/calcular"), {"lote": str(batch.id), "modo": "lote",
                                                         "password": factories.PASSWORD}, page="/empresas/")
    assert response.status_code == 403
    product_page = text(client.get(f"/empresas/{company.id}/productos/{company.products[0].id}/"))
    assert "Autorización" not in product_page and "Carga de lotes" in product_page


def test_another_companys_batch_is_404_and_audited(app, auth, company):
    loader, ana, _ = signers(company, scheme=1)
    ours = confirmed_emission(loader, company)
    other = factories.company("800191045", "OTRA EMPRESA")
    stranger = factories.user("corporate", "ajeno")
    factories.member(stranger, other, can_upload=True, can_authorize=True)
    theirs = confirmed_emission(stranger, other, (("1045678460", "900", "CALI"),))
    client = browser(app, auth, ana)
    for tail in ("/calcular", "/firmar", "/eliminar"):
        response = post(client, page(company, tail), {"lote": [str(ours.id), str(theirs.id)], "modo": "lote",
                                                      "password": factories.PASSWORD}, page=page(company))
        assert response.status_code == 404, tail
    other_page = f"/empresas/{other.id}/productos/{other.products[0].id}/lotes/autorizacion"
    assert client.get(other_page).status_code == 404
    assert db.session.get(Batch, theirs.id).status == "confirmed" and db.session.get(Batch, ours.id).status == "confirmed"
    assert db.session.query(AuditEvent).filter_by(action="conexion.access_refused").count() == 4


def test_an_authorizer_without_the_upload_permission_sees_the_batch_detail(app, auth, company):
    loader, _, _ = signers(company, scheme=1)
    batch = confirmed_emission(loader, company)
    checker = factories.user("corporate", "revisor")
    factories.member(checker, company, can_upload=False, can_authorize=True)
    client = browser(app, auth, checker)
    detail = client.get(f"/empresas/{company.id}/productos/{company.products[0].id}/lotes/{batch.id}/")
    assert detail.status_code == 200 and page(company) in text(detail)  # «Volver» to Autorización


def test_a_post_without_the_csrf_token_is_refused(app, auth, company):
    loader, ana, _ = signers(company, scheme=1)
    batch = confirmed_emission(loader, company)
    client = browser(app, auth, ana)
    for tail in ("/calcular", "/firmar", "/eliminar"):
        response = client.post(page(company, tail), data={"lote": str(batch.id), "modo": "lote",
                                                          "password": factories.PASSWORD})
        assert response.status_code == 400, tail
    assert db.session.get(Batch, batch.id).status == "confirmed"
    assert db.session.query(ServiceOrder).count() == 0


def test_the_demo_company_coop_signs_twice_jhomez_then_nortega(app):
    """`flask demo load`: COOP (2 signatures) has a confirmed top-up of jhomez's; he signs
    first, nortega second, and the order is made."""
    from portal.demo import DEMO_PASSWORD, load_demo
    from portal.models import Company

    load_demo()
    coop = db.session.query(Company).filter_by(nit="901343454").one()
    assert coop.signature_scheme == 2
    product = db.session.query(Product).filter_by(company_id=coop.id, name="Clásica").one()
    batch = db.session.query(Batch).filter_by(product_id=product.id, status="confirmed").one()
    url = f"/empresas/{coop.id}/productos/{product.id}/lotes/autorizacion"
    clients = {}
    for username in ("jhomez", "nortega"):
        clients[username] = app.test_client()
        login = post(clients[username], "/empresas/ingresar", {"username": username, "password": DEMO_PASSWORD},
                     page="/empresas/ingresar")
        assert login.status_code == 303
        assert f'id="batch-{batch.id}"' in text(clients[username].get(url))
    form = {"lote": str(batch.id), "modo": "lote", "password": DEMO_PASSWORD}
    assert post(clients["jhomez"], url + "/firmar", form, page=url, headers=HTMX).status_code == 204
    assert [m.recipient for m in emails("esperan su firma")] == ["nortega.demo@example.com"]
    seen = db.session.query(BatchSignature).one().id
    assert post(clients["nortega"], url + "/firmar", dict(form, primera_firma=str(seen)), page=url,
                headers=HTMX).status_code == 204
    order = db.session.query(ServiceOrder).filter_by(company_id=coop.id).one()  # JAHC has its demo order
    assert order.company_id == coop.id and db.session.get(Batch, batch.id).status == "authorized"
