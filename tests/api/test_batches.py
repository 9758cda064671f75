"""Lotes over /api/v1 (issue #12): a batch sent as JSON lines or as the file a person
loads, checked by a real RQ worker, read with its line errors, listed by cursor,
confirmed and deleted with the portal's rules; every refusal as problem+json."""
import io
from datetime import timedelta

import openpyxl

from portal.adapters import xlsx
from portal.domain import api
from portal.domain import batch_layouts as bl
from portal.domain.formatting import today_bogota
from portal.extensions import db
from portal.models import AuditEvent, Batch, Product
from portal.services import api_keys
from tests import api_helpers
from tests.cartera_helpers import run_jobs

PROBLEM = "application/problem+json"
PERSON = {"id_type": "CC", "id_number": "1045678434", "last_name_1": "Pérez", "last_name_2": "Gómez",
          "first_name_1": "María", "first_name_2": "José", "birth_date": "15/03/1985", "email": "maria@empresa.co",
          "mobile": "3001234567", "delivery_address": "Calle 30 # 1-25; torre 2", "delivery_city": "Barranquilla",
          "branch": "001", "amount": "150000.00"}


def person(n, **changes):
    return {**PERSON, "id_number": str(1045678434 + n), **changes}


def body(holder, lines, kind="emission"):
    return {"product_id": holder.product.id, "kind": kind, "lines": lines}


def create(client, holder, lines, kind="emission", **headers):
    return client.post("/api/v1/batches", json=body(holder, lines, kind), headers=holder.headers(**headers))


def checked(client, holder, lines, kind="emission"):
    """Sent, checked by a real RQ worker; its detail."""
    response = create(client, holder, lines, kind)
    assert response.status_code == 202, response.json
    run_jobs()
    db.session.expire_all()
    detail = client.get(response.headers["Location"], headers=holder.headers())
    assert detail.status_code == 200, detail.json
    return detail.json


def xlsx_file(rows, kind="emission"):
    book = openpyxl.Workbook()
    book.active.append(bl.layout(kind).headers)
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, holder, data, filename="EMISION.xlsx", kind="emission", **headers):
    return client.post("/api/v1/batches/upload", headers=holder.headers(**headers), content_type="multipart/form-data",
                       data={"product_id": str(holder.product.id), "kind": kind, "file": (io.BytesIO(data), filename)})


# --- sending and the check ---------------------------------------------------------------------

def test_a_json_batch_goes_through_the_worker_to_valido(client):
    erp = api_helpers.keyed()
    response = create(client, erp, [person(0), person(1, amount=1500.5, id_number=1045678999)])
    assert response.status_code == 202, response.json
    sent = response.json
    assert response.headers["Location"] == f"/api/v1/batches/{sent['id']}"
    assert sent["status"] == {"code": "queued", "label": "EN VALIDACIÓN"}
    assert sent["source"] == "api" and sent["kind_label"] == "Emisión nominada (Id persona)"
    run_jobs()
    db.session.expire_all()
    detail = client.get(f"/api/v1/batches/{sent['id']}", headers=erp.headers()).json
    assert detail["status"] == {"code": "valid", "label": "VALIDO"}
    assert detail["progress"] == 100
    assert detail["counts"] == {"lines": 2, "valid": 2, "with_errors": 0}
    assert detail["total_amount"] == "151500.50"
    assert detail["errors"] == [] and detail["general_errors"] == [] and detail["errors_next_cursor"] is None
    assert detail["created_at"].endswith("-05:00")
    received = db.session.query(AuditEvent).filter_by(action="conexion.batch_received").one()
    assert received.actor_id == erp.user.id and erp.key.prefix in received.detail


def test_errors_of_a_json_batch_name_the_line_by_its_position_and_the_field(client):
    erp = api_helpers.keyed()
    lines = [person(0), person(1, mobile="123", first_name_1=None), person(2), person(0, amount="1.234")]
    detail = checked(client, erp, lines)
    assert detail["status"]["code"] == "invalid"
    assert detail["counts"] == {"lines": 4, "valid": 2, "with_errors": 2}
    assert detail["total_amount"] == "300000.00"
    found = [(e["line"], e["field"], e["column"]) for e in detail["errors"]]
    assert found == [(2, "first_name_1", "PRIMER NOMBRE"), (2, "mobile", "CELULAR"),
                     (4, "amount", "MONTO INICIAL"), (4, "id_number", "ID PERSONA")]
    by_field = {(e["line"], e["field"]): e["message"] for e in detail["errors"]}
    assert by_field[2, "first_name_1"] == "es obligatorio"
    assert by_field[4, "id_number"] == "ya aparece en la línea 1 de este lote"
    assert "ambiguo" in by_field[4, "amount"]  # a reason with «;» in it stays whole


def test_line_errors_are_paged_by_cursor(client):
    erp = api_helpers.keyed()
    detail = checked(client, erp, [person(n, mobile="1") for n in range(3)])
    first = client.get(f"/api/v1/batches/{detail['id']}/errors?limit=2", headers=erp.headers()).json
    assert [e["line"] for e in first["data"]] == [1, 2] and first["next_cursor"]
    rest = client.get(f"/api/v1/batches/{detail['id']}/errors?limit=2&cursor={first['next_cursor']}",
                      headers=erp.headers()).json
    assert [e["line"] for e in rest["data"]] == [3] and rest["next_cursor"] is None


def test_a_file_upload_is_the_same_pipeline_with_file_line_numbers(client):
    erp = api_helpers.keyed()
    row = list(person(0).values())
    response = upload(client, erp, xlsx_file([row, row]))
    assert response.status_code == 202, response.json
    assert response.json["source"] == "xlsx"
    run_jobs()
    db.session.expire_all()
    detail = client.get(response.headers["Location"], headers=erp.headers()).json
    assert detail["status"]["code"] == "invalid"
    assert [(e["line"], e["field"]) for e in detail["errors"]] == [(3, "id_number")]
    assert detail["errors"][0]["message"] == "ya aparece en la línea 2 de este lote"


def test_the_same_lines_sent_twice_are_the_same_batch(client):
    erp = api_helpers.keyed()
    first = create(client, erp, [person(0)])
    again = create(client, erp, [person(0)])
    assert again.status_code == 202 and again.json["id"] == first.json["id"]
    assert db.session.query(Batch).count() == 1


def test_a_plainly_wrong_file_is_refused_at_once_and_nothing_is_stored(client):
    erp = api_helpers.keyed()
    png = upload(client, erp, b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    assert png.status_code == 422 and png.content_type == PROBLEM
    other = upload(client, erp, xlsx_file([["CC", "1045678434", "1000", ""]], kind="topup"))
    assert other.status_code == 422
    assert "Recarga" in other.json["detail"]  # another batch type's columns, named
    assert db.session.query(Batch).count() == 0


def test_a_bad_body_is_a_422_problem_naming_every_field_in_spanish(client):
    erp = api_helpers.keyed()
    response = client.post("/api/v1/batches", json={"kind": "otro", "lines": [], "x": 1}, headers=erp.headers())
    assert response.status_code == 422 and response.content_type == PROBLEM
    said = {e["field"]: e["message"] for e in response.json["errors"]}
    assert said["product_id"] == "es obligatorio"
    assert said["kind"].startswith("debe ser uno de")
    assert said["lines"] == "debe tener al menos 1 elementos"
    assert said["x"] == "no es un campo de esta operación"
    response = create(client, erp, [person(0, nombre="X"), person(1, amount=True)])
    said = {e["field"]: e["message"] for e in response.json["errors"]}
    assert said == {"lines.0.nombre": "no es un campo de esta operación",
                    "lines.1.amount": "debe ser un texto o un número"}
    assert db.session.query(Batch).count() == 0


def test_keys_of_another_batch_type_and_unreadable_values_name_their_line(client):
    erp = api_helpers.keyed()
    response = create(client, erp, [person(0), {**person(1), "card": "411111******1111"}, {},
                                    person(3, first_name_1="Mar\x00ía")])
    assert response.status_code == 422
    assert [(e["field"], e["line"]) for e in response.json["errors"]] == [
        ("lines.1.card", 2), ("lines.2", 3), ("lines.3.first_name_1", 4)]
    assert "línea 2, campo «card»: no es un campo de los lotes de Emisión nominada" in response.json["detail"]
    assert db.session.query(Batch).count() == 0


def test_a_product_that_does_not_take_the_type_is_a_422(client):
    erp = api_helpers.keyed()
    response = create(client, erp, [{"card": "411111******1111"}], kind="affiliation")
    assert response.status_code == 422
    assert "no admite lotes de Afiliación" in response.json["detail"]


def test_a_body_that_is_not_json_is_a_415_or_a_422(client):
    erp = api_helpers.keyed()
    form = client.post("/api/v1/batches", data={"kind": "emission"}, headers=erp.headers())
    assert form.status_code == 415 and form.content_type == PROBLEM
    text = client.post("/api/v1/batches", data="no", content_type="text/plain", headers=erp.headers())
    assert text.status_code == 422


# --- the list ----------------------------------------------------------------------------------

def test_the_list_is_newest_first_by_cursor_with_filters(client):
    erp = api_helpers.keyed()
    ids = [create(client, erp, [person(n)]).json["id"] for n in range(3)]
    create(client, erp, [{"id_type": "CC", "id_number": "1045678434", "amount": "1000"}], kind="topup")
    first = client.get("/api/v1/batches?limit=2&kind=emission", headers=erp.headers()).json
    assert [b["id"] for b in first["data"]] == [ids[2], ids[1]]
    rest = client.get(f"/api/v1/batches?limit=2&kind=emission&cursor={first['next_cursor']}",
                      headers=erp.headers()).json
    assert [b["id"] for b in rest["data"]] == [ids[0]] and rest["next_cursor"] is None
    assert len(client.get("/api/v1/batches", headers=erp.headers()).json["data"]) == 4
    assert client.get("/api/v1/batches?status=valid", headers=erp.headers()).json["data"] == []
    today = today_bogota()
    since = client.get(f"/api/v1/batches?from={today}&to={today}&product_id={erp.product.id}",
                       headers=erp.headers()).json
    assert len(since["data"]) == 4
    later = client.get(f"/api/v1/batches?from={today + timedelta(days=1)}", headers=erp.headers()).json
    assert later["data"] == []


def test_a_bad_cursor_or_limit_is_a_422_naming_it(client):
    erp = api_helpers.keyed()
    for cursor in ("zzz", api.encode_cursor(["x"]), api.encode_cursor([0]), api.encode_cursor([1, 2])):
        response = client.get(f"/api/v1/batches?cursor={cursor}", headers=erp.headers())
        assert response.status_code == 422, cursor
        assert [e["field"] for e in response.json["errors"]] == ["cursor"]
    response = client.get("/api/v1/batches?limit=101", headers=erp.headers())
    assert response.json["errors"] == [{"field": "limit", "message": "debe ser menor o igual a 100"}]


# --- confirm, delete, the rejected lines -------------------------------------------------------

def test_confirm_with_the_key_once_then_409(client):
    erp = api_helpers.keyed()
    detail = checked(client, erp, [person(0), person(1, mobile="1")])
    url = f"/api/v1/batches/{detail['id']}/confirm"
    response = client.post(url, json={}, headers=erp.headers())
    assert response.status_code == 200, response.json
    assert response.json["status"] == {"code": "confirmed", "label": "CONFIRMADO"}
    again = client.post(url, json={}, headers=erp.headers())
    assert again.status_code == 409 and again.content_type == PROBLEM
    assert "ya no se puede confirmar (CONFIRMADO)" in again.json["detail"]
    event = db.session.query(AuditEvent).filter_by(action="conexion.batch_confirmed").one()
    assert event.actor_id == erp.user.id and erp.key.prefix in event.detail
    assert db.session.get(Batch, detail["id"]).confirmed_by_id == erp.user.id


def test_the_same_lines_again_need_same_content_ok(client):
    erp = api_helpers.keyed()
    first = checked(client, erp, [person(0)])
    assert client.post(f"/api/v1/batches/{first['id']}/confirm", json={}, headers=erp.headers()).status_code == 200
    earlier = db.session.get(Batch, first["id"])
    earlier.created_at -= timedelta(minutes=11)
    db.session.commit()  # past the double-submit window: a new batch of the same lines
    second = checked(client, erp, [person(0)])
    assert second["id"] != first["id"] and second["same_content_as"] == first["number"]
    url = f"/api/v1/batches/{second['id']}/confirm"
    refused = client.post(url, json={"same_content_ok": False}, headers=erp.headers())
    assert refused.status_code == 422
    assert refused.json["errors"][0]["field"] == "same_content_ok"
    assert first["number"] in refused.json["detail"]
    assert client.post(url, json={"same_content_ok": True}, headers=erp.headers()).status_code == 200


def test_delete_once_then_409(client):
    erp = api_helpers.keyed()
    detail = checked(client, erp, [person(0)])
    response = client.delete(f"/api/v1/batches/{detail['id']}", headers=erp.headers())
    assert response.status_code == 200 and response.json["status"]["label"] == "ELIMINADO"
    again = client.delete(f"/api/v1/batches/{detail['id']}", headers=erp.headers())
    assert again.status_code == 409
    assert client.post(f"/api/v1/batches/{detail['id']}/confirm", json={}, headers=erp.headers()).status_code == 409
    event = db.session.query(AuditEvent).filter_by(action="conexion.batch_deleted").one()
    assert event.actor_id == erp.user.id and erp.key.prefix in event.detail


def test_the_rejected_lines_come_back_as_the_text_file_they_made(client):
    erp = api_helpers.keyed()
    detail = checked(client, erp, [person(0), person(1, mobile="1")])
    response = client.get(f"/api/v1/batches/{detail['id']}/rejected", headers=erp.headers())
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('_rechazadas.txt"')
    text = response.data.decode("utf-8-sig").splitlines()
    assert text[0] == ";".join(bl.layout("emission").headers + ["Errores"])
    assert len(text) == 2 and text[1].startswith("CC;1045678435;") and text[1].endswith("CELULAR: «1» no es un "
                                                                                         "celular colombiano: 10 "
                                                                                         "dígitos que empiezan por 3")
    clean = checked(client, erp, [person(5)])
    none = client.get(f"/api/v1/batches/{clean['id']}/rejected", headers=erp.headers())
    assert none.status_code == 404 and none.content_type == PROBLEM


# --- who may ------------------------------------------------------------------------------------

def test_no_key_or_a_revoked_key_is_a_401(client):
    erp = api_helpers.keyed()
    assert client.post("/api/v1/batches", json=body(erp, [person(0)])).status_code == 401
    api_keys.revoke(erp.user, erp.key)
    assert create(client, erp, [person(0)]).status_code == 401
    assert client.get("/api/v1/batches", headers=erp.headers()).status_code == 401
    assert db.session.query(Batch).count() == 0


def test_each_operation_needs_its_scope(client):
    erp = api_helpers.keyed()
    made = checked(client, erp, [person(0)])
    consult = {"Authorization": f"Bearer {api_helpers.another_key(erp, scopes=['consult'])}"}
    master = {"Authorization": f"Bearer {api_helpers.another_key(erp, scopes=['master_account'])}"}
    upload_only = {"Authorization": f"Bearer {api_helpers.another_key(erp, scopes=['upload'])}"}
    assert client.post("/api/v1/batches", json=body(erp, [person(1)]), headers=consult).status_code == 403
    assert client.post(f"/api/v1/batches/{made['id']}/confirm", json={}, headers=consult).status_code == 403
    assert client.delete(f"/api/v1/batches/{made['id']}", headers=consult).status_code == 403
    refused = client.get(f"/api/v1/batches/{made['id']}", headers=master)
    assert refused.status_code == 403 and "«Consultar lotes, órdenes y tarjetas» o «Cargar" in refused.json["detail"]
    assert client.get("/api/v1/batches", headers=master).status_code == 403
    for headers in (consult, upload_only):
        assert client.get(f"/api/v1/batches/{made['id']}", headers=headers).status_code == 200
        assert client.get(f"/api/v1/batches/{made['id']}/errors", headers=headers).status_code == 200


def test_a_member_without_the_upload_permission_cannot_send_with_any_key(client):
    erp = api_helpers.keyed()
    erp.membership.can_upload = False
    db.session.commit()
    assert create(client, erp, [person(0)]).status_code == 403


def test_another_companys_batch_or_product_is_a_404(client):
    mine = api_helpers.keyed()
    other = api_helpers.keyed("otro", nit="800197268")
    theirs = checked(client, other, [person(0), person(1, mobile="1")])
    for method, tail in (("get", ""), ("get", "/errors"), ("get", "/rejected"), ("delete", ""),
                         ("post", "/confirm")):
        kwargs = {"json": {}} if method == "post" else {}
        response = getattr(client, method)(f"/api/v1/batches/{theirs['id']}{tail}", headers=mine.headers(), **kwargs)
        assert response.status_code == 404 and response.content_type == PROBLEM, (method, tail)
    response = client.post("/api/v1/batches", json=body(other, [person(5)]), headers=mine.headers())
    assert response.status_code == 404
    assert client.get(f"/api/v1/batches?product_id={other.product.id}", headers=mine.headers()).status_code == 404
    assert client.get("/api/v1/batches", headers=mine.headers()).json["data"] == []
    assert db.session.get(Batch, theirs["id"]).status == "invalid"


def test_a_key_limited_to_one_product_does_not_see_the_others(client):
    erp = api_helpers.keyed()
    made = checked(client, erp, [person(0)])
    second = Product(company_id=erp.company.id, name="Clásica In", brand="Visa", bin="450715", named=False)
    db.session.add(second)
    db.session.commit()
    narrow = {"Authorization": f"Bearer {api_helpers.another_key(erp, product_ids=[second.id])}"}
    assert client.get(f"/api/v1/batches/{made['id']}", headers=narrow).status_code == 404
    assert client.get("/api/v1/batches", headers=narrow).json["data"] == []
    assert client.post("/api/v1/batches", json=body(erp, [person(1)]), headers=narrow).status_code == 404


def test_a_body_over_the_batch_limit_is_a_413_problem(client, app):
    erp = api_helpers.keyed()
    app.config["BATCH_MAX_BYTES"] = 1024  # the JSON body may weigh twice a file, and 64 KB more
    response = create(client, erp, [person(n) for n in range(400)])
    assert response.status_code == 413 and response.content_type == PROBLEM
    assert db.session.query(Batch).count() == 0


def test_the_document_describes_the_batch_operations(client):
    doc = client.get("/api/v1/openapi.json").json
    create_op = doc["paths"]["/api/v1/batches"]["post"]
    assert {"202", "403", "404", "409", "422"} <= set(create_op["responses"])
    line = doc["components"]["schemas"]["BatchCreate.BatchLineIn"]
    assert line["additionalProperties"] is False and "card" in line["properties"]
    assert "topup «MONTO», obligatorio" in line["properties"]["amount"]["description"]
    assert "desde 1" in doc["components"]["schemas"]["BatchCreate"]["properties"]["lines"]["description"]
    params = {p["name"] for p in doc["paths"]["/api/v1/batches"]["get"]["parameters"]}
    assert params == {"product_id", "kind", "status", "from", "to", "cursor", "limit"}
    assert "multipart/form-data" in doc["paths"]["/api/v1/batches/upload"]["post"]["requestBody"]["content"]
    rejected = doc["paths"]["/api/v1/batches/{batch_id}/rejected"]["get"]["responses"]["200"]["content"]
    assert set(rejected) == {xlsx.MIME, "text/plain"}
    assert "Cargar un lote (líneas JSON)" in client.get("/api/v1/docs").get_data(as_text=True)


def test_an_upload_without_its_fields_is_a_422_naming_them(client):
    erp = api_helpers.keyed()
    response = client.post("/api/v1/batches/upload", headers=erp.headers(), content_type="multipart/form-data",
                           data={"product_id": "x", "file": (io.BytesIO(b"CC"), "E.txt")})
    assert response.status_code == 422 and response.content_type == PROBLEM
    assert {e["field"] for e in response.json["errors"]} == {"product_id", "kind"}
    text_file = client.post("/api/v1/batches/upload", headers=erp.headers(), content_type="multipart/form-data",
                            data={"product_id": str(erp.product.id), "kind": "emission", "file": "no soy un archivo"})
    assert text_file.status_code == 422 and "file" in text_file.json["detail"]
