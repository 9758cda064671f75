"""Consultas › Órdenes de servicio (manual 003 ch. 4): the list and its search, the detail and
«Registros del lote», the PDF (read back with pdftotext) and «Anular orden»."""
import re
import shutil
import subprocess
from datetime import datetime

import pytest
from sqlalchemy import update

from portal.extensions import db
from portal.models import AuditEvent, Batch, ServiceOrder
from tests import factories
from tests.conftest import menu_entries, post
from tests.services.test_service_orders import make_order, manual_company

HTMX = {"HX-Request": "true"}


@pytest.fixture
def jahc(auth):
    """JAHC with two signatures: ana (signed in) and beto; one order pending payment."""
    company, loader, ana, beto = manual_company(scheme=2)
    order = make_order(company, loader, ana, beto)
    auth.as_user(ana)
    return company, order


def browser(client, auth, user):
    """Another browser, signed in as `user`."""
    other = client.application.test_client()
    auth.as_user(user, client=other)
    return other


def url(company, tail=""):
    return f"/empresas/{company.id}/productos/{company.products[0].id}/ordenes/{tail}"


def test_the_list_has_the_manuals_search_and_columns(client, jahc):
    company, order = jahc
    page = client.get(url(company))
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    for label in ("Órdenes de servicio", "Criterio de búsqueda", "5 días", "10 días", "Fecha inicial", "Fecha final",
                  "DD/MM/AAAA", "Estado", "Selecciona un estado", "Pendiente de pago", "Pago en proceso", "Pagada",
                  "Procesada", "Anulada", "Buscar", "Nro. de orden", "Fecha", "Monto comisión", "Monto IVA",
                  "Monto OS", "Monto depositado", "Opciones", "registros por página",
                  "Mostrando registro(s) del 1 al 1 de un total de 1 registro(s)"):
        assert label in body, label
    row = body[body.index(f'id="order-{order.id}"'):]
    row = row[:row.index("</tr>")]
    assert str(order.number) in row and "$\xa010,00" in row and "$\xa01,20" in row and "$\xa011,20" in row
    assert re.search(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}", row)
    assert url(company, f"{order.id}/") in row and url(company, f"{order.id}.pdf") in row
    assert url(company, f"{order.id}/anular") in row and url(company, f"{order.id}/pagar") in row
    assert "Consultas › Órdenes de servicio" in menu_entries(body)
    order.created_at = datetime(2026, 5, 26, 4, 30, 5)  # UTC: still the 25th in Bogotá
    db.session.commit()
    assert "25/05/2026 23:30:05" in client.get(url(company)).get_data(as_text=True)


def test_pagar_shows_for_an_order_pending_payment_only(client, jahc):
    company, order = jahc
    other = make_order(company, *_people(company), people=(("1045678442", "0", "CALI"),))
    db.session.execute(update(ServiceOrder).where(ServiceOrder.id == other.id).values(status="paid"))
    db.session.commit()
    body = client.get(url(company)).get_data(as_text=True)
    rows = {o.id: body[body.index(f'id="order-{o.id}"'):][:2000].split("</tr>")[0] for o in (order, other)}
    # «volver»: the list, where its modal's Cancelar goes back to
    assert f'hx-get="{url(company, f"{order.id}/pagar")}?volver={url(company)}' in rows[order.id]
    assert ">Pagar<" in rows[order.id]
    assert "pagar" not in rows[other.id] and "anular" not in rows[other.id]
    assert 'hx-trigger="ordenes-changed from:body"' in body  # the list refreshes when a payment is decided


def test_quick_ranges_and_states_filter_and_bad_dates_are_named(client, jahc):
    company, order = jahc
    found = client.get(url(company) + "?dias=5", headers=HTMX).get_data(as_text=True)
    assert f'id="order-{order.id}"' in found and 'id="orders"' in found and "<html" not in found
    today = datetime.now().strftime("%d/%m/%Y")[-4:]
    assert re.search(r'name="fecha_final"[^>]*value="\d{2}/\d{2}/' + today, found)
    none = client.get(url(company) + "?estado=annulled").get_data(as_text=True)
    assert f'id="order-{order.id}"' not in none and "No se encontraron registros para tu consulta" in none
    old = client.get(url(company) + "?fecha_inicial=01/01/2020&fecha_final=31/01/2020").get_data(as_text=True)
    assert f'id="order-{order.id}"' not in old
    bad = client.get(url(company) + "?fecha_inicial=31/02/2026", headers=HTMX)
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Fecha inicial: «31/02/2026» no es una fecha válida" in text
    assert f'id="order-{order.id}"' not in text
    reversed_ = client.get(url(company) + "?fecha_inicial=10/05/2026&fecha_final=01/05/2026")
    assert reversed_.status_code == 422
    assert "debe ser anterior o igual a la Fecha final" in reversed_.get_data(as_text=True)


def test_the_list_is_paged(client, jahc):
    company, order = jahc
    second = make_order(company, *_people(company), people=(("1045678440", "0", "CALI"),))
    first_page = client.get(url(company) + "?por_pagina=10&pagina=1").get_data(as_text=True)
    assert "de un total de 2 registro(s)" in first_page
    db.session.execute(update(ServiceOrder).values(created_at=datetime(2026, 5, 1, 15, 0)))
    db.session.commit()
    # 11 more orders: two pages of 10
    for n in range(11):
        make_order(company, *_people(company), people=((str(1045678450 + n), "0", "CALI"),))
    page2 = client.get(url(company) + "?pagina=2", headers=HTMX).get_data(as_text=True)
    assert "Mostrando registro(s) del 11 al 13 de un total de 13 registro(s)" in page2
    assert f'id="order-{order.id}"' in page2 and f'id="order-{second.id}"' in page2  # the oldest last
    assert "pagina=1" in page2


def _people(company):
    from portal.models import User
    by_name = {u.username: u for u in db.session.query(User).filter(User.username.in_(("carga", "ana", "beto")))}
    return by_name["carga"], by_name["ana"], by_name["beto"]


def test_another_companys_order_is_not_found_and_audited(client, jahc, auth):
    company, order = jahc
    other = factories.company("800100200", "OTRA S.A.S.")
    outsider = factories.user("corporate", "intruso")
    factories.member(outsider, other, can_consult=True, can_authorize=True)
    client = browser(client, auth, outsider)
    there = f"/empresas/{other.id}/productos/{other.products[0].id}/ordenes/"
    for tail in (f"{order.id}/", f"{order.id}.pdf", f"{order.id}/anular", f"{order.id}/lotes/{order.batches[0].id}"):
        assert client.get(there + tail).status_code == 404, tail
    assert client.get(url(company)).status_code == 404  # not a member of JAHC
    assert db.session.query(AuditEvent).filter_by(action="conexion.access_refused").count() == 5


def test_without_consult_403_and_without_authorize_no_anular(client, jahc, auth):
    company, order = jahc
    reader = factories.user("corporate", "lector")
    factories.member(reader, company, can_consult=True, can_authorize=False)
    blind = factories.user("corporate", "ciego")
    factories.member(blind, company, can_consult=False, can_upload=True)
    reader_client, client = browser(client, auth, reader), browser(client, auth, blind)
    assert client.get(url(company)).status_code == 403
    assert client.get(url(company, f"{order.id}.pdf")).status_code == 403
    assert "Órdenes de servicio" not in client.get(f"/empresas/{company.id}/productos/{company.products[0].id}/")\
        .get_data(as_text=True)
    client = reader_client
    body = client.get(url(company)).get_data(as_text=True)
    assert f'id="order-{order.id}"' in body and url(company, f"{order.id}/anular") not in body
    assert client.get(url(company, f"{order.id}/anular")).status_code == 403


def test_the_detail_lists_the_batches_and_their_records(client, jahc):
    company, order = jahc
    batch = order.batches[0]
    body = client.get(url(company, f"{order.id}/")).get_data(as_text=True)
    for label in ("Nro. de lote", "Fecha de carga", "Tipo", "Registros", "Estado", "Monto", "Monto comisión + GMF",
                  "Monto depositado", batch.number, "Emisión nominada", "Autorizado", "ana", "beto",
                  "Pendiente de pago", "$\xa011,20", "Volver"):
        assert label in body, label
    lines_url = url(company, f"{order.id}/lotes/{batch.id}")
    assert lines_url in body
    records = client.get(lines_url).get_data(as_text=True)
    for label in ("Registros del lote", "DNI", "Nombre y apellido", "Estado", "1045678434", "PÉREZ", "Autorizado",
                  "Mostrando registro(s) del 1 al 1 de un total de 1 registro(s)", "Volver", url(company, f"{order.id}/")):
        assert label in records, label
    searched = client.get(lines_url + "?q=99999", headers=HTMX).get_data(as_text=True)
    assert "No se encontraron registros para tu consulta" in searched and "<html" not in searched
    other = make_order(company, *_people(company), people=(("1045678441", "0", "CALI"),))
    assert client.get(url(company, f"{order.id}/lotes/{other.batches[0].id}")).status_code == 404


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed")
def test_the_pdf_has_every_field_of_the_manuals_order(client, jahc, tmp_path):
    company, order = jahc
    response = client.get(url(company, f"{order.id}.pdf"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert f"Orden_de_servicio_{order.number}.pdf" in response.headers["Content-Disposition"]
    path = tmp_path / "orden.pdf"
    path.write_bytes(response.data)
    text = " ".join(subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True,
                                   text=True, timeout=60).stdout.split())
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True, timeout=60).stdout
    assert int(info.split("Pages:")[1].split()[0]) == 1
    batch = order.batches[0]
    for label in ("ORDEN DE SERVICIO", "Gerencia de Operaciones", "Fecha de Impresión:",
                  f"Número de Orden de Servicio: {order.number}", "NOMBRE DE LA EMPRESA: JAHC TECHNOLOGIES",
                  "NIT: 900291499-3", "DIRECCIÓN FISCAL: Carrera 13 #83-19", "TELÉFONO: 4193333",
                  "Producto: CLÁSICA", "Autorizado por: ana y beto", "Tipo de Lote: Emisión nominada",
                  "Fecha de Autorización:", "INFORMACIÓN DE LOTES", "Lote", "Usuario/Carga", "Fecha/Carga",
                  "Cantidad", "Precio Unitario", "SubTotal", f"{batch.number} carga", "1 $ 10,00 $ 10,00",
                  "GASTOS DE DISTRIBUCIÓN", "Destino", "Costo", "1 BARRANQUILLA $ 0,00",
                  "Total Precio $ 10,00 +", "Total Gastos Distribución $ 0,00 +", "SubTotal Orden de Servicio $ 10,00",
                  "IVA (12.0%) $ 1,20 +", "TOTAL ORDEN SERVICIO $ 11,20", "Total Orden Servicio $ 11,20 +",
                  "Monto a cargar en tarjetas $ 0,00 +", "GMF $ 0,00 +", "TOTAL A PAGAR $ 11,20"):
        assert label in text, label
    assert db.session.query(AuditEvent).filter_by(action="conexion.order_pdf", subject=f"order:{order.id}").count() == 1


def test_anular_needs_csrf_and_the_password_and_happens_once(client, jahc):
    company, order = jahc
    target = url(company, f"{order.id}/anular")
    modal = client.get(target, headers=HTMX).get_data(as_text=True)
    for label in ("Anular orden de servicio", f"Por favor ingresa la contraseña para anular la orden de servicio: {order.number}",
                  "Contraseña", "Cancelar", "Aceptar", "<dialog"):
        assert label in modal, label
    assert client.post(target, data={"password": factories.PASSWORD}).status_code == 400  # no CSRF token
    assert db.session.get(ServiceOrder, order.id).status == "pending_payment"
    wrong = post(client, target, {"password": "otra"}, page=url(company), headers=HTMX)
    assert wrong.status_code == 422 and "La contraseña no es correcta." in wrong.get_data(as_text=True)
    done = post(client, target, {"password": factories.PASSWORD}, page=url(company), headers=HTMX)
    assert done.status_code == 204 and done.headers["HX-Redirect"] == url(company)
    listing = client.get(url(company)).get_data(as_text=True)
    assert f"La orden de servicio {order.number} fue anulada exitosamente." in listing
    db.session.expire_all()
    assert db.session.get(ServiceOrder, order.id).status == "annulled"
    assert db.session.get(Batch, order.batches[0].id).status == "annulled"
    again = post(client, target, {"password": factories.PASSWORD}, page=url(company), headers=HTMX)
    assert again.status_code == 422 and "ya no se puede anular" in again.get_data(as_text=True)
    assert db.session.query(AuditEvent).filter_by(action="conexion.order_annulled").count() == 1
    row = listing[listing.index(f'id="order-{order.id}"'):]
    assert "Anulada" in row[:row.index("</tr>")] and target not in row[:row.index("</tr>")]


def test_a_paid_order_cannot_be_annulled(client, jahc):
    company, order = jahc
    db.session.execute(update(ServiceOrder).where(ServiceOrder.id == order.id).values(status="paid"))
    db.session.commit()
    target = url(company, f"{order.id}/anular")
    assert "Pagada" in client.get(target).get_data(as_text=True)
    refused = post(client, target, {"password": factories.PASSWORD}, page=url(company))
    assert refused.status_code == 422 and "ya no se puede anular" in refused.get_data(as_text=True)
    assert db.session.get(ServiceOrder, order.id).status == "paid"


def test_five_wrong_passwords_lock_and_go_to_the_corporate_login(client, jahc):
    company, order = jahc
    target = url(company, f"{order.id}/anular")
    for _ in range(4):
        assert post(client, target, {"password": "otra"}, page=url(company)).status_code == 422
    locked = post(client, target, {"password": "otra"}, page=url(company))
    assert locked.status_code == 303 and locked.headers["Location"].endswith("/empresas/ingresar")
    assert db.session.get(ServiceOrder, order.id).status == "pending_payment"


@pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="poppler-utils (pdfinfo) is not installed")
def test_an_order_of_five_batches_and_four_destinations_is_one_page(client, jahc, tmp_path):
    from portal.services import orders
    from tests.order_helpers import access_of, confirmed_emission

    company, _ = jahc
    loader, ana, beto = _people(company)
    cities = ("BARRANQUILLA", "BOGOTA", "CALI", "MEDELLIN")
    made = [confirmed_emission(loader, company, [(str(1045679000 + 10 * n + i), "50000", cities[(n + i) % 4])
                                                 for i in range(3)]) for n in range(5)]
    ids = [batch.id for batch in made]
    orders.sign(ana, access_of(ana, company), ids, "tipo", factories.PASSWORD)
    order = orders.sign(beto, access_of(beto, company), ids, "tipo", factories.PASSWORD).orders[0]
    path = tmp_path / "orden.pdf"
    path.write_bytes(client.get(url(company, f"{order.id}.pdf")).data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True, timeout=60).stdout
    assert int(info.split("Pages:")[1].split()[0]) == 1
    text = " ".join(subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True,
                                   text=True, timeout=60).stdout.split())
    assert all(batch.number in text for batch in made) and "4 BARRANQUILLA" in text and "3 MEDELLIN" in text
    assert "Total Precio $ 150,00 +" in text and "Monto a cargar en tarjetas $ 750.000,00 +" in text


def test_anular_without_javascript_is_a_page_and_a_redirect(client, jahc):
    company, order = jahc
    target = url(company, f"{order.id}/anular")
    page = client.get(target).get_data(as_text=True)
    assert "data-modal" not in page and "Por favor ingresa la contraseña" in page and "Órdenes de servicio" in page
    done = post(client, target, {"password": factories.PASSWORD}, page=target)
    assert done.status_code == 303 and done.headers["Location"].endswith(url(company))
    assert "fue anulada exitosamente" in client.get(url(company)).get_data(as_text=True)
