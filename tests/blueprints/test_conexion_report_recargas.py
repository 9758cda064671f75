"""Reportes › Recargas por tarjetahabiente: each card's credits from the company's clearing
(paid orders) or master account (abonos) in the range, a replacement's moved balance and
debits left out; the bar chart, paging, .xlsx (a name Excel would run, neutralised), PDF."""
import io
import shutil
import subprocess
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from portal.extensions import db
from portal.models import Card
from portal.services import ledger
from tests import factories

D = Decimal


def card(company, n, name):
    c = Card(company_id=company.id, product_id=company.products[0].id, token=f"tok-{n}", pan_first6="450714",
             pan_last4=f"{n:04d}", account_mask=f"450714******{n:04d}", holder_id_type="CC",
             holder_id_number=f"10456784{n:02d}", holder_name=name, status="affiliated", expires="12/2030")
    db.session.add(c)
    db.session.flush()
    return ledger.card_account(c)


def move(txn, *legs):
    assert ledger.post(txn, [ledger.Leg(account, D(amount), "Movimiento") for account, amount in legs])


@pytest.fixture
def jahc(auth):
    company = factories.company()
    user = factories.user("corporate", "ana")
    factories.member(user, company, can_consult=True)
    product = company.products[0]
    master, clearing = ledger.company_account("master", company, product), ledger.company_account(
        "clearing", company, product)
    funding, fees = ledger.program_account("funding"), ledger.program_account("fees")
    ana, beto, new = card(company, 1, "ANA PÉREZ"), card(company, 2, "=HYPERLINK(\"x\")"), card(company, 3, "ANA PÉREZ")
    move("fund", (funding, "-100000"), (master, "70000"), (clearing, "30000"))
    move("order-load-ana", (clearing, "-20000"), (ana, "20000"))
    move("order-load-beto", (clearing, "-10000"), (beto, "10000"))
    move("abono-ana", (master, "-1055"), (ana, "1000"), (fees, "55"))
    move("cargo-ana", (ana, "-500"), (master, "500"))  # a debit: not a recarga
    move("reposicion", (ana, "-20500"), (new, "20500"))  # the balance moved: not a recarga
    db.session.commit()
    auth.as_user(user)
    return company


def url(company, tail=""):
    return f"/empresas/{company.id}/productos/{company.products[0].id}/reportes/recargas{tail}"


def rows(body):
    return [r.split("</tr>")[0] for r in body.split('<tr class="holder">')[1:]]


def test_each_holders_recargas_largest_first(client, jahc):
    body = client.get(url(jahc)).get_data(as_text=True)
    assert '<option value="recargas" selected' in body
    found = rows(body)
    assert len(found) == 2
    assert "1045678401" in found[0] and "ANA PÉREZ" in found[0] and "450714******0001" in found[0]
    assert ">2<" in found[0] and "$\xa021.000,00" in found[0]
    assert "1045678402" in found[1] and ">1<" in found[1] and "$\xa010.000,00" in found[1]
    assert "0003" not in body.split("<tbody>")[1].split("</tbody>")[0]  # the replacement got no recarga
    svg = body[body.index("<svg"):body.index("</svg>")]
    assert svg.count("<rect") == 2 and "<desc" in svg and "1045678401: $\xa021.000,00" in svg
    paged = client.get(url(jahc) + "?por_pagina=10&pagina=9").get_data(as_text=True)
    assert "del 1 al 2 de un total de 2" in paged


def test_a_range_without_recargas_and_bad_dates(client, jahc):
    empty = client.get(url(jahc) + "?fecha_inicial=01/01/2020&fecha_final=31/01/2020").get_data(as_text=True)
    assert "No se encontraron registros" in empty and "sin recargas en el periodo" in empty
    bad = client.get(url(jahc) + "?fecha_final=32/01/2020")
    assert bad.status_code == 422 and "Fecha final: «32/01/2020» no es una fecha válida" in bad.get_data(as_text=True)


def test_xlsx_and_pdf(client, jahc):
    got = client.get(url(jahc, ".xlsx"))
    assert got.status_code == 200 and "Recargas_por_tarjetahabiente_" in got.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(got.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("Documento", "Nombre", "Tarjeta", "Recargas", "Monto recargado")
    assert values[1] == ("1045678401", "ANA PÉREZ", "450714******0001", 2, 21000)
    assert values[2][1] == "'=HYPERLINK(\"x\")" and all(c.data_type != "f" for r in sheet.iter_rows() for c in r)
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=client.get(url(jahc, ".pdf")).data,
                              capture_output=True, check=True).stdout.decode()
        assert "Recargas por tarjetahabiente" in text and "21.000,00" in text and "450714******0001" in text
