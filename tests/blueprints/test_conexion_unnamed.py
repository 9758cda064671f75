"""Lotes › Tarjetas innominadas (manual 003 §3.4 Solicitud, §3.5 Afiliación): a request
becomes one confirmed «Emisión Innominada» batch of N lines; its cards (made by the card
processor) are listed and handed out as the affiliation file, which loads back through
Carga de lotes as «Afiliación (Id persona)»."""
import io
import json
import re
import secrets
from decimal import Decimal

import openpyxl
import pytest

from portal.adapters import templates_zip
from portal.domain import batch_layouts as bl
from portal.domain import embossing
from portal.domain.formatting import today_bogota
from portal.extensions import db
from portal.models import AuditEvent, Batch, BatchLine, Card, CompanyBranch, Membership, Product, User
from portal.services import batches, conexion, orders, unnamed_cards
from tests import factories
from tests.conftest import menu_entries, post
from tests.services.test_batch_concurrency import race

HTMX = {"HX-Request": "true"}
KEY_RE = re.compile(r'name="solicitud" value="([^"]+)"')


@pytest.fixture
def coop(auth):
    """(company, its unnamed product, the signed-in user who may upload)."""
    user = factories.user("corporate", "jhomez")
    company = factories.company("901343454", "EMPRESA DE PRUEBA COOP")
    company.address = "Calle 72 #54-35, Barranquilla"
    product = Product(company_id=company.id, name="Clásica In", brand="Visa", bin="450714", named=False)
    db.session.add(product)
    db.session.commit()
    factories.member(user, company, can_upload=True)
    auth.as_user(user)
    return company, product, user


def url(company, product, tail="solicitud"):
    return f"/empresas/{company.id}/productos/{product.id}/lotes/innominadas/{tail}"


def form(client, company, product, **changes):
    """The form as the page gives it (its key), filled in like the manual's request."""
    page = client.get(url(company, product)).get_data(as_text=True)
    data = {"solicitud": KEY_RE.search(page).group(1), "quantity": "10", "emboss_line1": "Empresa Coop",
            "emboss_line2": "9013434540", "branch": "1", "password": factories.PASSWORD}
    data.update(changes)
    return data


def send(client, company, product, data, headers=HTMX):
    return post(client, url(company, product), data, page=url(company, product), headers=headers)


def unnamed_batches():
    return db.session.query(Batch).filter_by(kind="unnamed_emission").all()


# --- Solicitud ---------------------------------------------------------------------------------

def test_a_request_makes_one_confirmed_batch_of_n_lines(client, coop):
    company, product, user = coop
    page = client.get(url(company, product)).get_data(as_text=True)
    expiry = embossing.card_expiry(today_bogota(), 36)
    for label in ("Solicitud de innominadas", "Fecha de vencimiento", f'value="{expiry}"', "readonly",
                  "Cantidad de tarjetas", 'inputmode="numeric"', "Línea de embozo 1", "Línea de embozo 2",
                  'maxlength="21"', "Sucursal", "Sucursal única - Calle 72 #54-35, Barranquilla", "Contraseña",
                  "Procesar"):
        assert label in page, label
    assert {"Lotes › Tarjetas innominadas › Solicitud", "Lotes › Tarjetas innominadas › Afiliación"} <= set(
        menu_entries(page))

    response = send(client, company, product, form(client, company, product))
    body = response.get_data(as_text=True)
    assert response.status_code == 200, body
    assert "Tarjetas innominadas" in body and "El lote fue procesado de forma exitosa." in body
    assert f'href="/empresas/{company.id}/productos/{product.id}/lotes/"' in body  # may not authorize
    assert "Aceptar" in body and 'hx-swap-oob="true"' in body

    (batch,) = unnamed_batches()
    assert (batch.status, batch.source, batch.rows_total, batch.valid_count, batch.error_count) == (
        "confirmed", "form", 10, 10, 0)
    assert batch.total_amount == 0 and batch.confirmed_by_id == user.id and batch.uploaded_by_id == user.id
    assert (batch.emboss_line1, batch.emboss_line2, batch.card_expiry) == ("EMPRESA COOP", "9013434540", expiry)
    assert batch.branch_name == "Sucursal única - Calle 72 #54-35, Barranquilla"
    assert re.fullmatch(r"\d{8}", batch.number) and batch.number in body
    lines = db.session.query(BatchLine).filter_by(batch_id=batch.id).order_by(BatchLine.line_no).all()
    assert [line.line_no for line in lines] == list(range(1, 11)) and all(line.ok for line in lines)
    assert json.loads(lines[0].values_json) == {"emboss_line1": "EMPRESA COOP", "emboss_line2": "9013434540",
                                                "branch": "1"}
    assert all(line.card_id is None for line in lines)  # the card processor's part
    event = db.session.query(AuditEvent).filter_by(action="conexion.unnamed_requested").one()
    assert event.actor_id == user.id and event.subject == f"batch:{batch.id}"


def test_without_javascript_the_notice_is_a_page(client, coop):
    company, product, _ = coop
    response = send(client, company, product, form(client, company, product, quantity="3"), headers={})
    assert response.status_code == 303
    (batch,) = unnamed_batches()
    assert response.headers["Location"].endswith(f"/solicitud?lote={batch.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<html" in page and "El lote fue procesado de forma exitosa." in page and batch.number in page
    assert "Aceptar" in page


def test_aceptar_leads_to_autorizacion_where_the_batch_waits(client, coop):
    company, product, user = coop
    membership = db.session.query(Membership).filter_by(user_id=user.id).one()
    membership.can_authorize = True
    db.session.commit()
    body = send(client, company, product, form(client, company, product)).get_data(as_text=True)
    autorizacion = f"/empresas/{company.id}/productos/{product.id}/lotes/autorizacion"
    assert f'href="{autorizacion}"' in body
    (batch,) = unnamed_batches()
    listed = client.get(autorizacion).get_data(as_text=True)
    row = listed[listed.index(f'id="batch-{batch.id}"'):]
    row = row[:row.index("</tr>")]
    assert batch.number in row and "Emisión Innominada" in row and ">10<" in row


def test_a_signed_request_makes_its_service_order(client, coop):
    """Autorización's one signature: the order charges the product's commission per card
    requested; no money to load (Monto 0); the cards go to the branch."""
    company, product, user = coop
    db.session.query(Membership).filter_by(user_id=user.id).one().can_authorize = True
    product.commission_per_record = Decimal("8.50")
    db.session.commit()
    assert send(client, company, product, form(client, company, product, quantity="4")).status_code == 200
    (batch,) = unnamed_batches()
    signed = orders.sign(user, conexion.access(user, company.id, product.id), [batch.id], "lote",
                         factories.PASSWORD)
    assert signed.ok and len(signed.orders) == 1
    order = signed.orders[0]
    assert order.total_price == Decimal("34.00") and order.amount == 0
    db.session.expire_all()
    assert batch.status == "authorized" and batch.order_id == order.id


def test_a_company_with_sucursales_chooses_among_its_active_ones(client, coop):
    """Registered in Personal › Empresas: the active ones are the choices (no «Sucursal
    única»), the batch keeps the name Reportes › Tarjetas shows; an inactive one is refused."""
    company, product, _ = coop
    db.session.add_all([CompanyBranch(company_id=company.id, code="2", name="Agencia Cartagena", city="CARTAGENA"),
                        CompanyBranch(company_id=company.id, code="3", name="Cerrada", city="CALI", active=False)])
    db.session.commit()
    page = client.get(url(company, product)).get_data(as_text=True)
    assert '<option value="2">002 · Agencia Cartagena (CARTAGENA)</option>' in page
    assert "Sucursal única" not in page and "Cerrada" not in page
    refused = send(client, company, product, form(client, company, product, branch="3"))
    assert refused.status_code == 422 and unnamed_batches() == []
    assert send(client, company, product, form(client, company, product, branch="2")).status_code == 200
    (batch,) = unnamed_batches()
    assert batch.branch_name == "Agencia Cartagena"
    assert json.loads(db.session.query(BatchLine).filter_by(batch_id=batch.id).first().values_json)["branch"] == "2"


@pytest.mark.parametrize("changes, messages", [
    ({"quantity": "0"}, ["«Cantidad de tarjetas» debe ser de 1 a 500 tarjetas."]),
    ({"quantity": "501"}, ["«Cantidad de tarjetas» debe ser de 1 a 500 tarjetas."]),
    ({"quantity": "diez"}, ["«Cantidad de tarjetas»: «diez» no es un número entero"]),
    ({"emboss_line1": ""}, ["«Línea de embozo 1» es obligatoria."]),
    ({"emboss_line1": "Peña & Cía"}, ["«Línea de embozo 1» no admite «Ñ», «Í»"]),
    ({"emboss_line2": "x" * 22}, ["«Línea de embozo 2» tiene 22 caracteres; el máximo es 21."]),
    ({"branch": "2"}, ["Seleccione la «Sucursal» de la lista."]),
    ({"quantity": "", "emboss_line1": "@@"}, ["«Cantidad de tarjetas» es obligatoria.",
                                              "«Línea de embozo 1» no admite «@»"]),
])
def test_a_wrong_field_is_said_and_nothing_changes(client, coop, changes, messages):
    company, product, _ = coop
    response = send(client, company, product, form(client, company, product, **changes))
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in messages:
        assert message in body.replace("&#39;", "'"), message
    assert 'id="unnamed-form"' in body and "<html" not in body  # only the form, for htmx
    assert unnamed_batches() == [] and db.session.query(BatchLine).count() == 0
    assert db.session.query(User).filter_by(username="jhomez").one().failed_logins == 0  # not even asked


def test_what_was_typed_comes_back_upper_case(client, coop):
    company, product, _ = coop
    body = send(client, company, product, form(client, company, product, quantity="0",
                                               emboss_line1="mi empresa")).get_data(as_text=True)
    assert 'value="MI EMPRESA"' in body and 'value="0"' in body
    assert 'name="password" type="password" value=""' in body  # the password is never sent back


def test_a_wrong_password_is_said_counts_and_changes_nothing(client, coop):
    company, product, _ = coop
    response = send(client, company, product, form(client, company, product, password="mala"))
    assert response.status_code == 422 and "La contraseña no es correcta." in response.get_data(as_text=True)
    assert unnamed_batches() == []
    assert db.session.query(User).filter_by(username="jhomez").one().failed_logins == 1
    data = form(client, company, product, password="mala")
    for _ in range(4):
        last = send(client, company, product, data)
    assert last.headers["HX-Redirect"] == "/empresas/ingresar"  # locked: this session ends
    assert unnamed_batches() == []


def test_procesar_twice_makes_one_batch(client, coop):
    company, product, _ = coop
    data = form(client, company, product)
    first, second = send(client, company, product, data), send(client, company, product, data)
    assert first.status_code == second.status_code == 200
    (batch,) = unnamed_batches()
    assert batch.number in second.get_data(as_text=True)
    assert db.session.query(BatchLine).count() == 10
    other = send(client, company, product, dict(data, quantity="20"))
    assert other.status_code == 422
    assert f"Esta solicitud ya se procesó como el lote Nro. {batch.number}" in other.get_data(as_text=True)
    assert len(unnamed_batches()) == 1
    fresh = send(client, company, product, form(client, company, product, quantity="20"))  # the page again
    assert fresh.status_code == 200 and len(unnamed_batches()) == 2


def test_the_same_request_at_the_same_instant_makes_one_batch(app, coop):
    company, product, user = coop
    values = {"solicitud": secrets.token_urlsafe(24), "quantity": "5", "emboss_line1": "EMPRESA", "branch": "1",
              "password": factories.PASSWORD}
    ids = (user.id, company.id, product.id)
    db.session.remove()

    def request():
        person = db.session.get(User, ids[0])
        done = unnamed_cards.request_cards(person, conexion.access(person, ids[1], ids[2]), values)
        return done.ok, done.batch.number if done.batch else None

    results = race(app, request, 4)
    assert len(results) == 4 and all(ok for ok, _ in results) and len({number for _, number in results}) == 1
    assert len(unnamed_batches()) == 1 and db.session.query(BatchLine).count() == 5


def test_a_post_without_the_csrf_token_is_refused(client, coop):
    company, product, _ = coop
    data = form(client, company, product)
    assert client.post(url(company, product), data=data, headers=HTMX).status_code == 400
    assert unnamed_batches() == []


def test_a_named_product_has_no_unnamed_cards(client, coop):
    company, _, _ = coop
    named = company.products[0]
    assert named.named
    for tail in ("solicitud", "afiliacion", "afiliacion/1", "afiliacion/1.xlsx"):
        assert client.get(url(company, named, tail)).status_code == 404, tail
    assert post(client, url(company, named), {"quantity": "1"}, page=url(company, company.products[1])
                ).status_code == 404
    page = client.get(f"/empresas/{company.id}/productos/{named.id}/").get_data(as_text=True)
    assert "Tarjetas innominadas" not in page
    assert db.session.query(AuditEvent).filter_by(action="conexion.access_refused").count() == 5


def test_another_companys_product_is_not_found(client, coop):
    company, product, _ = coop
    other = factories.company("900291499", "JAHC TECHNOLOGIES")
    theirs = Product(company_id=other.id, name="Clásica In", brand="Visa", bin="450714", named=False)
    db.session.add(theirs)
    db.session.commit()
    for tail in ("solicitud", "afiliacion"):
        assert client.get(url(other, theirs, tail)).status_code == 404
        assert client.get(url(company, theirs, tail)).status_code == 404


def test_without_the_upload_permission_it_is_forbidden(auth, coop):
    company, product, _ = coop
    client = auth.new_client("corporate", "consulta")
    factories.member(db.session.query(User).filter_by(username="consulta").one(), company, can_upload=False)
    assert client.get(url(company, product)).status_code == 403
    assert client.get(url(company, product, "afiliacion")).status_code == 403
    page = client.get(f"/empresas/{company.id}/productos/{product.id}/").get_data(as_text=True)
    assert "Tarjetas innominadas" not in page


# --- Afiliación ---------------------------------------------------------------------------------

def requested(client, company, product, quantity="3"):
    assert send(client, company, product, form(client, company, product, quantity=quantity)).status_code == 200
    return db.session.query(Batch).filter_by(kind="unnamed_emission").order_by(Batch.id.desc()).first()


def processed(batch, affiliated=()):
    """What the card processor does: a card per line, linked by BatchLine.card_id.
    `affiliated`: {line_no: (cédula, name)}."""
    cards = []
    for line in db.session.query(BatchLine).filter_by(batch_id=batch.id).order_by(BatchLine.line_no):
        last4 = f"{5000 + batch.id * 10 + line.line_no:04d}"
        holder = dict(affiliated).get(line.line_no)
        card = Card(company_id=batch.company_id, product_id=batch.product_id, token=secrets.token_hex(16),
                    pan_first6="450714", pan_last4=last4, account_mask=f"450714****{last4}",
                    holder_id_type="CC" if holder else None, holder_id_number=holder[0] if holder else None,
                    holder_name=holder[1] if holder else None, status="affiliated" if holder else "unaffiliated",
                    expires=batch.card_expiry)
        db.session.add(card)
        db.session.flush()
        line.card_id = card.id
        cards.append(card)
    db.session.commit()
    return cards


def test_the_requests_are_listed_searched_and_paged(client, coop):
    company, product, _ = coop
    first = requested(client, company, product, "3")
    second = requested(client, company, product, "7")
    page = client.get(url(company, product, "afiliacion")).get_data(as_text=True)
    for label in ("Afiliación de innominadas", "Nro. de lote", "Fecha de carga", "Cantidad", "Estado", "Buscar…",
                  first.number, second.number, "CONFIRMADO", today_bogota().strftime("%d/%m/%Y"),
                  "Mostrando registro(s) del 1 al 2 de un total de 2 registro(s)"):
        assert label in page, label
    assert page.index(second.number) < page.index(first.number)  # newest first
    found = client.get(url(company, product, "afiliacion"), query_string={"q": second.number},
                       headers=HTMX).get_data(as_text=True)
    assert second.number in found and first.number not in found and "<html" not in found
    paged = client.get(url(company, product, "afiliacion"), query_string={"por_pagina": 10, "pagina": 5}
                       ).get_data(as_text=True)
    assert "de un total de 2 registro(s)" in paged


def test_the_detail_lists_the_batch_cards_masked(client, coop):
    company, product, _ = coop
    batch = requested(client, company, product, "3")
    detail = url(company, product, f"afiliacion/{batch.id}")
    waiting = client.get(detail).get_data(as_text=True)
    assert "Las tarjetas de este lote se crean cuando su orden de servicio" in waiting
    assert "ARCHIVO DE AFILIACIÓN" not in waiting
    assert client.get(detail + ".xlsx").status_code == 404
    stray = Card(company_id=company.id, product_id=product.id, token="t", pan_first6="450714", pan_last4="9999",
                 account_mask="450714****9999", status="unaffiliated", expires="01/2030")
    db.session.add(stray)
    db.session.commit()

    cards = processed(batch, {1: ("19933788", "ANDRÉS CASTRO")})
    page = client.get(detail).get_data(as_text=True)
    for label in ("Detalles", "NIT", "901343454-0", "Nombre de la empresa", "EMPRESA DE PRUEBA COOP", "Fecha de carga",
                  "Nro. de lote", batch.number, "Cantidad de registros", "Monto total", "Registros del lote",
                  "Número de tarjeta", "Número de cuenta", "Documento de identidad", "Tarjetahabiente", "Estado",
                  cards[0].masked_pan, cards[0].account_mask, "19933788", "ANDRÉS CASTRO", "Afiliado", "No afiliado",
                  "ARCHIVO DE AFILIACIÓN DE TARJETAHABIENTES",
                  "Mostrando registro(s) del 1 al 3 de un total de 3 registro(s)"):
        assert label in page, label
    assert re.search(r"450714\*{6}\d{4}", page) and "9999" not in page  # only the batch's cards
    found = client.get(detail, query_string={"q": "19933788"}, headers=HTMX).get_data(as_text=True)
    assert cards[0].masked_pan in found and cards[1].masked_pan not in found


def test_another_products_batch_is_not_found_here(client, coop):
    company, product, user = coop
    batch = requested(client, company, product, "1")
    other = Product(company_id=company.id, name="Otra In", brand="Visa", bin="450714", named=False)
    db.session.add(other)
    db.session.commit()
    assert client.get(url(company, other, f"afiliacion/{batch.id}")).status_code == 404
    assert client.get(url(company, other, f"afiliacion/{batch.id}.xlsx")).status_code == 404
    file_batch = Batch(number="99999999", company_id=company.id, product_id=product.id, kind="affiliation",
                       status="valid", uploaded_by_id=user.id)
    db.session.add(file_batch)
    db.session.commit()
    assert client.get(url(company, product, f"afiliacion/{file_batch.id}")).status_code == 404


def test_the_affiliation_file_filled_in_loads_as_an_affiliation_batch(client, coop):
    company, product, user = coop
    batch = requested(client, company, product, "3")
    cards = processed(batch, {1: ("19933788", "ANDRÉS CASTRO")})
    response = client.get(url(company, product, f"afiliacion/{batch.id}.xlsx"))
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert f"afiliacion_tarjetahabientes_{batch.number}.xlsx" in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == [templates_zip.SHEET, templates_zip.INSTRUCTIONS]
    sheet = book[templates_zip.SHEET]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == bl.layout("affiliation").headers
    assert rows[1] == [cards[0].masked_pan, "1", "CC", "19933788", None, None, "ANDRÉS CASTRO"]  # affiliated
    assert rows[2] == [cards[1].masked_pan, "1", None, None, None, None, None]
    assert len(rows) == 4 and all(re.fullmatch(r"450714\*{6}\d{4}", row[0]) for row in rows[1:])
    assert "conexion.unnamed_affiliation_file" in [e.action for e in db.session.query(AuditEvent)]

    # Paso 4: the person's data in the row of the card given out; the other rows deleted.
    for column, value in zip("CDEFG", ["CC", "1045678434", "Pérez", "Gómez", "María"], strict=True):
        sheet[f"{column}3"] = value
    sheet.delete_rows(4)
    sheet.delete_rows(2)
    out = io.BytesIO()
    book.save(out)

    access = conexion.access(user, company.id, product.id)
    loaded = batches.submit(user, access, "affiliation", "afiliacion.xlsx", out.getvalue())
    assert batches.process(loaded.id) == "valid"
    line = db.session.query(BatchLine).filter_by(batch_id=loaded.id).one()
    assert json.loads(line.values_json)["card"] == cards[1].masked_pan and line.id_number == "1045678434"


def affiliated_by_batch(card, user, values):
    """What the card processor leaves of an affiliation: the processed line that reached the card."""
    batch = Batch(number="99999998", company_id=card.company_id, product_id=card.product_id, kind="affiliation",
                  status="processed", uploaded_by_id=user.id)
    db.session.add(batch)
    db.session.flush()
    db.session.add(BatchLine(batch_id=batch.id, line_no=2, ok=True, outcome="processed", card_id=card.id,
                             values_json=json.dumps(values)))
    db.session.commit()


def test_the_file_as_downloaded_is_refused_line_by_line_not_whole(client, coop):
    """An affiliated card comes with its affiliation's names; unfilled and already affiliated
    rows are each named on their line (the file's shape is right)."""
    company, product, user = coop
    batch = requested(client, company, product, "2")
    cards = processed(batch, {1: ("19933788", "ANDRES CASTRO")})
    affiliated_by_batch(cards[0], user, {"card": cards[0].masked_pan, "id_type": "CC", "id_number": "19933788",
                                         "last_name_1": "CASTRO", "last_name_2": None, "first_name_1": "ANDRES"})
    data = client.get(url(company, product, f"afiliacion/{batch.id}.xlsx")).data
    row = [c.value for c in openpyxl.load_workbook(io.BytesIO(data))[templates_zip.SHEET][2]]
    assert row == [cards[0].masked_pan, "1", "CC", "19933788", "CASTRO", None, "ANDRES"]
    loaded = batches.submit(user, conexion.access(user, company.id, product.id), "affiliation", "a.xlsx", data)
    assert batches.process(loaded.id) == "invalid"
    errors = [line.errors for line in db.session.query(BatchLine).filter_by(batch_id=loaded.id)
              .order_by(BatchLine.line_no)]
    assert "ya está afiliada a una persona" in errors[0] and "es obligatorio" in errors[1]


def test_a_cell_that_could_run_as_a_formula_is_neutralised(client, coop):
    company, product, _ = coop
    batch = requested(client, company, product, "1")
    processed(batch, {1: ("19933788", "=HYPERLINK(\"x\")")})
    data = client.get(url(company, product, f"afiliacion/{batch.id}.xlsx")).data
    cell = openpyxl.load_workbook(io.BytesIO(data))[templates_zip.SHEET]["G2"]
    assert cell.value == "=HYPERLINK(\"x\")" and cell.data_type == "s" and cell.quotePrefix


def test_a_request_is_an_emision_innominada_and_may_be_deleted_before_authorization(client, coop):
    company, product, _ = coop
    batch = requested(client, company, product, "2")
    lotes = f"/empresas/{company.id}/productos/{product.id}/lotes/{batch.id}"
    detail = client.get(lotes + "/").get_data(as_text=True)
    for text in ("Emisión Innominada", "Línea de embozo 1", "EMPRESA COOP", "9013434540", batch.card_expiry,
                 "Sucursal única - Calle 72 #54-35, Barranquilla"):
        assert text in detail, text
    assert "None" not in detail
    modal = client.get(lotes + "/eliminar", headers=HTMX).get_data(as_text=True)
    assert "Eliminar lote" in modal and "Emisión Innominada" in modal and batch.number in modal
    done = post(client, lotes + "/eliminar", {"password": factories.PASSWORD}, page=lotes + "/eliminar", headers=HTMX)
    assert done.status_code == 204
    db.session.expire_all()
    assert batch.status == "deleted"
    listed = client.get(url(company, product, "afiliacion"), headers=HTMX).get_data(as_text=True)
    assert batch.number not in listed and "No se encontraron registros" in listed
