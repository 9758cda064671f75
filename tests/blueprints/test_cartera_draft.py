"""Editing Activos/Retirados in the browser: a paginated, searchable table saved row by
row as a draft, by the file's rules; "Procesar" sends the draft through the same job."""
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import CarteraDraftLine, CarteraUpload, CarteraUploadLine
from tests import cartera_helpers as ch
from tests.conftest import post

EDIT = f"{ch.BASE}/editar/activos"


@pytest.fixture
def cartera(client):
    return ch.build(sign_in_client=client)


def save(client, credit, aplica, valor):
    return post(client, f"{EDIT}/fila", {"credito": credit, "aplica_mora": aplica, "valor": valor},
                page=EDIT, headers={"HX-Request": "true"})


def test_the_table_shows_the_files_rows_with_their_defaults(client, cartera):
    body = client.get(EDIT).get_data(as_text=True)
    for text in ("Editar Archivo de Activos", "ACOSTA", "LI-9001", "LI-9003", "$\xa0800.000", "Mostrando registro(s) del 1 al 3"):
        assert text in body, text
    assert "LI-9004" not in body  # retired: the other file
    assert 'value="153000,00"' in body  # instalment + arrears, Aplica Mora S
    assert 'inputmode="decimal"' in body


def test_search_and_pages_swap_only_the_table(client, cartera):
    response = client.get(f"{EDIT}?q=barrios", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert "<html" not in body and 'id="draft-table"' in body
    assert "LI-9002" in body and "LI-9001" not in body
    assert "LI-9003" in client.get(f"{EDIT}?q=33445566").get_data(as_text=True)
    assert "Ningún trabajador coincide" in client.get(f"{EDIT}?q=zzz").get_data(as_text=True)
    page2 = client.get(f"{EDIT}?por_pagina=10&pagina=9").get_data(as_text=True)
    assert "Mostrando registro(s) del 1 al 3 de un total de 3" in page2


def test_each_change_is_saved_at_once(client, cartera):
    response = save(client, "LI-9002", "N", "150.000")
    assert response.status_code == 200 and "Guardado" in response.get_data(as_text=True)
    draft = db.session.query(CarteraDraftLine).one()
    assert draft.apply_arrears is False and draft.amount == Decimal("150000.00")
    save(client, "LI-9002", "S", "153000")
    db.session.expire_all()
    assert db.session.query(CarteraDraftLine).one().amount == Decimal("153000.00")
    assert "1 fila editada sin procesar" in client.get(EDIT).get_data(as_text=True)


@pytest.mark.parametrize("aplica,valor,column,reason", [
    ("S", "cien mil", "Valor a Pagar", "no es un valor numérico"),
    ("S", "-1", "Valor a Pagar", "no puede ser negativo"),
    ("N", "150000,001", "Valor a Pagar", "máximo dos decimales"),
    ("N", "153000", "Valor a Pagar", "supera el saldo ($\xa0150.000,00)"),
    ("X", "100", "Aplica Mora", "escriba S o N"),
    ("N", "9999999999999", "Valor a Pagar", "es demasiado grande"),
])
def test_a_bad_value_is_named_and_nothing_is_saved(client, cartera, aplica, valor, column, reason):
    response = save(client, "LI-9002", aplica, valor)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert column in body and reason in body
    assert f'value="{valor}"' in body  # what was typed stays in the field
    assert db.session.query(CarteraDraftLine).count() == 0


def test_a_credit_of_another_file_or_employer_is_404(client, cartera):
    assert save(client, "LI-9004", "N", "1").status_code == 404  # retirados, not activos
    assert save(client, "LI-0000", "N", "1").status_code == 404


def test_procesar_takes_the_draft_through_the_job(client, cartera):
    save(client, "LI-9001", "N", "0")
    save(client, "LI-9002", "N", "150000")
    response = post(client, f"{EDIT}/procesar", page=EDIT)
    assert response.status_code == 303 and "archivo=activos" in response.headers["Location"]
    upload = db.session.query(CarteraUpload).one()
    assert upload.source == "browser" and upload.status == "queued"
    ch.run_jobs()
    db.session.expire_all()
    assert upload.status == "processed"
    assert upload.total_amount == Decimal("200000.50") and upload.credits_count == 2
    amounts = sorted(l.amount for l in db.session.query(CarteraUploadLine))
    assert amounts == [Decimal("0.00"), Decimal("50000.50"), Decimal("150000.00")]
    assert db.session.query(CarteraDraftLine).count() == 0  # the draft became the upload
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Edición en el portal" in page and "Generar volante de pago" in page


def test_discarding_the_draft(client, cartera):
    save(client, "LI-9001", "N", "0")
    response = post(client, f"{EDIT}/descartar", page=EDIT)
    assert response.status_code == 303
    assert db.session.query(CarteraDraftLine).count() == 0
    assert "Se descartaron los cambios de 1 fila" in client.get(response.headers["Location"]).get_data(as_text=True)
