"""Órdenes de ADELANTO POR SUBSIDIOS, the staff side (role «pagos»; manual 002): issue for an
affiliate and a supplier, the number from the sequence, the list with its filters, the PDF
(read back with pdftotext: the number at the top right) and «Anular orden» once."""
import json
import re
import shutil
import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest

from portal.domain.formatting import today_bogota
from portal.extensions import db
from portal.models import AuditEvent, SubsidyOrder
from tests import factories
from tests import subsidy_helpers as h
from tests.conftest import post

LIST, NEW = "/personal/subsidios/", "/personal/subsidios/nueva"
HTMX = {"HX-Request": "true"}


def body(response):
    return response.get_data(as_text=True)


def events(action):
    return db.session.query(AuditEvent).filter_by(action=action).all()


@pytest.fixture
def pagos(auth):
    return auth.as_new("staff", "ana", roles="pagos")


@pytest.fixture
def economia():
    return h.supplier()[0]


def fields(entity, **changes):
    data = {"cedula": "1045678434", "nombre": "", "proveedor": str(entity.id),
            "vigente_hasta": (today_bogota() + timedelta(days=30)).isoformat(),
            "descripcion": ["Arroz x 5 kg", "", "Leche en polvo"], "cantidad": ["2", "", "3"],
            "valor_unitario": ["19.800", "", "28450,50"]}
    data.update(changes)
    return data


def issue(client, entity, **changes):
    return post(client, NEW, fields(entity, **changes), page=NEW)


def test_issue_for_a_known_affiliate_takes_the_funds_name_and_sums_the_items(client, pagos, economia):
    factories.affiliate("1045678434", first="María", last="Pérez Gómez")
    response = issue(client, economia, nombre="OTRO NOMBRE")
    order = db.session.query(SubsidyOrder).one()
    assert response.status_code == 303 and response.headers["Location"] == f"/personal/subsidios/{order.id}"
    assert (order.affiliate_name, order.affiliate_cedula, order.supplier_entity_id) == (
        "MARÍA PÉREZ GÓMEZ", "1045678434", economia.id)
    assert order.amount == Decimal("124951.50") and order.status == "issued" and order.issued_by_id == pagos.id
    assert order.valid_until == today_bogota() + timedelta(days=30) and order.number == "80001"
    assert [i["unit_value"] for i in json.loads(order.items_json)] == ["19800.00", "28450.50"]
    page = body(client.get(response.headers["Location"]))
    for text in ("ADELANTO POR SUBSIDIOS Nro 80001", "emitida", "Vigente", "MERCADOS LA ECONOMÍA",
                 "$\xa0124.951,50", "Arroz x 5 kg", "$\xa039.600", "Anular orden"):
        assert text in page, text
    event = events("subsidy_order.issued")[0]
    assert event.actor_id == pagos.id and json.loads(event.detail)["amount"] == "124951.50"


def test_the_same_form_sent_twice_issues_once(client, pagos, economia):
    page = body(client.get(NEW))
    key = re.search(r'name="clave" value="([0-9a-f]{32})"', page).group(1)
    first = issue(client, economia, nombre="Juan Ruiz", clave=key)
    again = issue(client, economia, nombre="Juan Ruiz", clave=key)
    assert first.status_code == again.status_code == 303 and first.headers["Location"] == again.headers["Location"]
    assert db.session.query(SubsidyOrder).count() == 1 and len(events("subsidy_order.issued")) == 1
    assert key not in body(client.get(NEW))  # a new form, a new key


def test_numbers_come_from_one_sequence(client, pagos, economia):
    for _ in range(3):
        assert issue(client, economia, nombre="Juan Ruiz").status_code == 303
    numbers = [o.number for o in db.session.query(SubsidyOrder).order_by(SubsidyOrder.id)]
    assert numbers == ["80001", "80002", "80003"]


def test_unknown_affiliate_needs_the_typed_name(client, pagos, economia):
    response = issue(client, economia, cedula="72145338")
    assert response.status_code == 422 and "Nombre del afiliado: ingréselo" in body(response)
    assert issue(client, economia, cedula="72145338", nombre=" luis  pérez ").status_code == 303
    assert db.session.query(SubsidyOrder).one().affiliate_name == "LUIS PÉREZ"


@pytest.mark.parametrize("changes,message", [
    ({"cedula": "12AB"}, "Cédula del afiliado: escriba solo números"),
    ({"proveedor": ""}, "Proveedor: escoja uno de la lista"),
    ({"proveedor": "999"}, "Proveedor: escoja uno de la lista"),
    ({"vigente_hasta": ""}, "Vigente hasta: ingrese la fecha."),
    ({"vigente_hasta": "2020-01-01"}, "Vigente hasta: no puede ser anterior a hoy."),
    ({"cantidad": ["2", "", "cero"]}, "Ítem 2: la cantidad debe ser un número entero"),
    ({"valor_unitario": ["19.800", "", "-1"]}, "Ítem 2: el valor unitario debe ser"),
    ({"descripcion": ["", "", ""], "cantidad": ["", "", ""], "valor_unitario": ["", "", ""]},
     "Ítems: ingrese al menos un ítem"),
])
def test_bad_input_names_the_field_and_issues_nothing(client, pagos, economia, changes, message):
    factories.affiliate("1045678434")
    response = issue(client, economia, **changes)
    assert response.status_code == 422 and message in body(response)
    assert "Revise los datos de la orden; no se emitió." in body(response) and "built-in" not in body(response)
    assert db.session.query(SubsidyOrder).count() == 0 and not events("subsidy_order.issued")


def test_an_entity_without_proveedores_is_not_a_supplier(client, pagos):
    employer = factories.entity("800100200", "EMPLEADOR S.A.S.")
    factories.affiliate("1045678434")
    page = body(client.get(NEW))
    assert "EMPLEADOR S.A.S." not in page and 'id="detalle-msg"' not in page and 'has-error' not in page
    response = issue(client, employer)
    assert response.status_code == 422 and "Proveedor: escoja uno de la lista" in body(response)


def test_more_rows_keeps_what_was_typed_and_issues_nothing(client, pagos, economia):
    response = issue(client, economia, mas_items="1", nombre="Juan")
    page = body(response)
    assert response.status_code == 200 and db.session.query(SubsidyOrder).count() == 0
    assert 'value="Leche en polvo"' in page and page.count('name="descripcion"') == 5


def test_the_affiliates_name_comes_with_htmx(client, pagos):
    factories.affiliate("1045678434", first="María", last="Pérez")
    known = body(client.get("/personal/subsidios/afiliado?cedula=1045678434", headers=HTMX))
    assert 'value="MARÍA PÉREZ" readonly' in known and "<html" not in known
    unknown = body(client.get("/personal/subsidios/afiliado?cedula=999999&nombre=Juan", headers=HTMX))
    assert 'value="Juan"' in unknown and "readonly" not in unknown


def test_posts_need_csrf(client, pagos, economia):
    factories.affiliate("1045678434")
    data = fields(economia)
    assert client.post(NEW, data=data).status_code == 400
    order = h.order(economia)
    assert client.post(f"/personal/subsidios/{order.id}/anular", data={"motivo": "Error de digitación"}).status_code == 400
    assert db.session.query(SubsidyOrder).count() == 1 and db.session.get(SubsidyOrder, order.id).status == "issued"


@pytest.mark.parametrize("kind,roles", [("staff", "cartera"), ("staff", "tarjetas"), ("hanna", "")])
def test_other_roles_are_refused(client, auth, economia, kind, roles):
    order = h.order(economia)
    auth.as_new(kind, "otro@example.com" if kind == "hanna" else "otro", roles=roles, entity=economia)
    for url in (LIST, NEW, f"/personal/subsidios/{order.id}", f"/personal/subsidios/{order.id}.pdf",
                "/personal/subsidios/afiliado?cedula=1045678434"):
        assert client.get(url).status_code == 403, url
    page = "/hanna/" if kind == "hanna" else "/personal/"
    assert post(client, NEW, fields(economia), page=page).status_code == 403
    assert post(client, f"/personal/subsidios/{order.id}/anular", {"motivo": "Error"}, page=page).status_code == 403
    assert db.session.query(SubsidyOrder).count() == 1 and db.session.get(SubsidyOrder, order.id).status == "issued"


def test_signed_out_goes_to_the_staff_login(client, economia):
    response = client.get(LIST)
    assert response.status_code in (302, 303) and "/personal/ingresar" in response.headers["Location"]


def test_admin_may_and_the_menu_shows_it_only_to_pagos(client, auth):
    auth.as_new("staff", "jefe", roles="admin")
    assert "Órdenes de subsidio" in body(client.get("/personal/")) and client.get(LIST).status_code == 200
    other = auth.new_client("staff", "carla", roles="cartera")
    assert "Órdenes de subsidio" not in body(other.get("/personal/"))


# --- the list ---------------------------------------------------------------------------------

@pytest.fixture
def many(economia):
    """Orders in every state for two suppliers."""
    other = h.supplier("900111222", "DROGUERÍA EL ALIVIO")[0]
    h.order(economia, "80001", "1045678434")
    h.order(economia, "80002", "72145338", state="redimida")
    h.order(economia, "80003", "72145339", state="anulada")
    h.order(economia, "80004", "1045678434", state="vencida")
    h.order(other, "80005", "55231987")
    return economia, other


def rows(response):
    return re.findall(r'id="subsidy-order-\d+" data-state="(\w+)"', body(response))


def test_the_list_filters_by_state_supplier_cedula_and_counts(client, pagos, many):
    economia, other = many
    page = client.get(LIST)
    assert page.status_code == 200 and len(rows(page)) == 5
    text = body(page)
    for label, count in (("Todas", 5), ("Vigente", 2), ("Redimida", 1), ("Anulada", 1), ("Vencida", 1)):
        assert f"{label}: <strong>{count}</strong>" in text, label
    assert rows(client.get(LIST + "?estado=vencida")) == ["vencida"]
    assert sorted(rows(client.get(LIST + "?estado=vigente"))) == ["vigente", "vigente"]
    assert rows(client.get(f"{LIST}?proveedor={other.id}")) == ["vigente"]
    assert sorted(rows(client.get(LIST + "?q=1045678434"))) == ["vencida", "vigente"]
    assert rows(client.get(LIST + "?q=80003")) == ["anulada"]
    assert len(rows(client.get(LIST + "?estado=otro&proveedor=abc"))) == 5  # odd values: the defaults


def test_the_list_filters_by_issue_date(client, pagos, many):
    today = today_bogota()
    old = db.session.query(SubsidyOrder).filter_by(number="80004").one()
    old.issued_at = old.issued_at - timedelta(days=40)
    db.session.commit()
    since = (today - timedelta(days=1)).strftime("%d/%m/%Y")
    assert len(rows(client.get(f"{LIST}?fecha_inicial={since}"))) == 4
    until = (today - timedelta(days=20)).strftime("%d/%m/%Y")
    assert rows(client.get(f"{LIST}?fecha_final={until}")) == ["vencida"]
    bad = client.get(f"{LIST}?fecha_inicial=31/02/2026")
    assert bad.status_code == 422 and "Fecha inicial: «31/02/2026» no es una fecha válida" in body(bad)


def test_the_list_pages_and_answers_htmx_with_the_table(client, pagos, economia):
    for n in range(12):
        h.order(economia, str(81000 + n))
    first = client.get(LIST)
    assert len(rows(first)) == 10 and "Mostrando registro(s) del 1 al 10 de un total de 12" in body(first)
    second = client.get(LIST + "?pagina=2", headers=HTMX)
    assert len(rows(second)) == 2 and "<html" not in body(second) and 'id="subsidy-orders-table"' in body(second)


# --- PDF --------------------------------------------------------------------------------------

def pdf_text(response, tmp_path, layout=True):
    path = tmp_path / "orden.pdf"
    path.write_bytes(response.data)
    args = ["pdftotext"] + (["-layout"] if layout else []) + [str(path), "-"]
    return subprocess.run(args, capture_output=True, check=True, text=True, timeout=60).stdout


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed")
def test_the_pdf_has_the_number_at_the_top_right(client, pagos, economia, tmp_path):
    order = h.order(economia, "80017", issued_by=pagos)
    response = client.get(f"/personal/subsidios/{order.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "Orden_adelanto_subsidios_80017.pdf" in response.headers["Content-Disposition"]
    raw = pdf_text(response, tmp_path)
    lines = [line for line in raw.splitlines() if line.strip()]
    top = next(line for line in lines[:4] if "80017" in line)
    assert top.rstrip().endswith("80017") and top.index("80017") > 50  # the right column of the first lines
    assert "Nro Documento" in " ".join(lines[:3])
    text = " ".join(raw.split())
    for label in ("ADELANTO POR SUBSIDIOS", "CAJA DE COMPENSACIÓN FAMILIAR", "Afiliado: MARIA PEREZ",
                  "Cédula: 1045678434", "Proveedor: MERCADOS LA ECONOMÍA S.A.S.", "NIT: 900765432",
                  f"Vigente hasta: {order.valid_until:%d/%m/%Y}", "Expedida por: Usuario de Prueba",
                  "ARROZ BLANCO X 5000 G 2 $ 19.800,00 $ 39.600,00", "LECHE EN POLVO X 900 G 1 $ 28.450,50",
                  "VALOR TOTAL $ 68.050,50", "PROVEEDORES › CONSULTAR ORDEN"):
        assert label in text, label
    assert "ORDEN ANULADA" not in text
    assert len(events("subsidy_order.pdf")) == 1


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed")
def test_an_annulled_orders_pdf_says_so(client, pagos, economia, tmp_path):
    order = h.order(economia, state="anulada")
    assert "ORDEN ANULADA" in pdf_text(client.get(f"/personal/subsidios/{order.id}.pdf"), tmp_path)


def test_unknown_order_is_404(client, pagos):
    assert client.get("/personal/subsidios/999").status_code == 404
    assert client.get("/personal/subsidios/999.pdf").status_code == 404
    assert post(client, "/personal/subsidios/999/anular", {"motivo": "Error de digitación"}, page=LIST).status_code == 404


# --- Anular -----------------------------------------------------------------------------------

def test_annul_once_with_a_reason(client, pagos, economia):
    order = h.order(economia)
    url = f"/personal/subsidios/{order.id}/anular"
    empty = post(client, url, {"motivo": " "}, page=LIST)
    assert empty.status_code == 422 and "Motivo de la anulación: escríbalo" in body(empty)
    done = post(client, url, {"motivo": "El afiliado pidió otro proveedor"}, page=LIST)
    assert done.status_code == 303
    db.session.expire_all()
    order = db.session.get(SubsidyOrder, order.id)
    assert (order.status, order.annulled_by_id, order.annul_reason) == ("annulled", pagos.id,
                                                                        "El afiliado pidió otro proveedor")
    page = body(client.get(f"/personal/subsidios/{order.id}"))
    assert "Orden Nro 80001 anulada." in page and "Anulada" in page and 'action="' + url not in page
    again = post(client, url, {"motivo": "Otra vez, por si acaso"}, page=LIST)
    assert again.status_code == 422 and "Esta orden ya fue anulada." in body(again)
    assert db.session.get(SubsidyOrder, order.id).annul_reason == "El afiliado pidió otro proveedor"
    assert len(events("subsidy_order.annulled")) == 1


def test_a_redeemed_order_cannot_be_annulled_but_a_vencida_can(client, pagos, economia):
    redeemed = h.order(economia, "80001", state="redimida")
    refused = post(client, f"/personal/subsidios/{redeemed.id}/anular", {"motivo": "Error de digitación"}, page=LIST)
    assert refused.status_code == 422 and "ya fue redimida por el proveedor" in body(refused)
    expired = h.order(economia, "80002", state="vencida")
    assert post(client, f"/personal/subsidios/{expired.id}/anular", {"motivo": "Venció sin uso"},
                page=LIST).status_code == 303
    db.session.expire_all()
    assert [o.status for o in db.session.query(SubsidyOrder).order_by(SubsidyOrder.id)] == ["redeemed", "annulled"]
