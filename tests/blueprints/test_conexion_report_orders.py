"""Reportes › Órdenes de servicio: commission, IVA and GMF per month (Bogotá months, the
annulled orders left out), the bar chart, the .xlsx and the PDF."""
import io
import shutil
import subprocess
from datetime import datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from portal.extensions import db
from portal.models import ServiceOrder
from tests.services.test_service_orders import make_order, manual_company


@pytest.fixture
def jahc(auth):
    """Three orders of 10.00 + 12 % IVA: two in May 2026 (one at 23:30 of the 31st in
    Bogotá, already June in UTC), one in June with a GMF, and an annulled one."""
    company, loader, ana, _ = manual_company()
    people = iter((("1045678434", "0", "BARRANQUILLA"), ("1045678435", "0", "CALI"), ("1045678436", "0", "CALI"),
                   ("1045678437", "0", "CALI")))
    orders = [make_order(company, loader, ana, people=(next(people),)) for _ in range(4)]
    when = [datetime(2026, 5, 3, 15), datetime(2026, 6, 1, 4, 30), datetime(2026, 6, 20, 15), datetime(2026, 6, 21)]
    for order, moment in zip(orders, when, strict=True):
        db.session.execute(update(ServiceOrder).where(ServiceOrder.id == order.id).values(created_at=moment))
    db.session.execute(update(ServiceOrder).where(ServiceOrder.id == orders[2].id).values(gmf=Decimal("4.48"), to_pay=ServiceOrder.to_pay + Decimal("4.48")))
    db.session.execute(update(ServiceOrder).where(ServiceOrder.id == orders[3].id).values(status="annulled"))
    db.session.commit()
    auth.as_user(ana)
    return company


def url(company, tail=""):
    return (f"/empresas/{company.id}/productos/{company.products[0].id}/reportes/ordenes-de-servicio{tail}"
            "?fecha_inicial=01/01/2026&fecha_final=31/12/2026")


def test_the_months_with_their_sums_and_the_bar_chart(client, jahc):
    body = client.get(url(jahc)).get_data(as_text=True)
    assert '<option value="ordenes-de-servicio" selected' in body
    for label in ("Mes", "Órdenes", "Monto comisión", "Monto IVA", "GMF", "Monto OS", "Fecha inicial"):
        assert label in body, label
    june = body[body.index('id="mes-06-2026"'):].split("</tr>")[0]
    may = body[body.index('id="mes-05-2026"'):].split("</tr>")[0]
    total = body[body.index('id="mes-total"'):].split("</tr>")[0]
    assert ">1<" in june and "$\xa010,00" in june and "$\xa01,20" in june and "$\xa04,48" in june
    assert ">2<" in may and "$\xa020,00" in may and "$\xa02,40" in may and "$\xa022,40" in may
    assert ">3<" in total and "$\xa030,00" in total and "$\xa033,60" in total
    assert body.index('id="mes-06-2026"') < body.index('id="mes-05-2026"')  # newest first
    svg = body[body.index("<svg"):body.index("</svg>")]
    assert svg.count("<rect") == 2 and "<desc" in svg and "05/2026: $\xa022,40" in svg


def test_bad_dates_are_named_and_an_empty_range_says_so(client, jahc):
    bad = client.get(url(jahc).replace("01/01/2026", "1/13/2026"))
    assert bad.status_code == 422 and "Fecha inicial: «1/13/2026» no es una fecha válida" in bad.get_data(as_text=True)
    empty = client.get(url(jahc).replace("2026", "2020")).get_data(as_text=True)
    assert "No se encontraron registros para tu consulta" in empty and "Sin órdenes en el periodo" in empty


def test_xlsx_and_pdf(client, jahc):
    got = client.get(url(jahc, ".xlsx"))
    assert got.status_code == 200 and "Ordenes_de_servicio_" in got.headers["Content-Disposition"]
    values = list(load_workbook(io.BytesIO(got.data)).active.iter_rows(values_only=True))
    assert values[0] == ("Mes", "Órdenes", "Monto comisión", "Monto IVA", "GMF", "Monto OS")
    assert values[1] == ("06/2026", 1, 10, 1.2, 4.48, 11.2) and values[2] == ("05/2026", 2, 20, 2.4, 0, 22.4)
    assert values[3][:2] == ("Total", 3)
    if shutil.which("pdftotext"):
        pdf = client.get(url(jahc, ".pdf"))
        text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf.data, capture_output=True,
                              check=True).stdout.decode()
        assert "Reporte Órdenes de servicio" in text and "05/2026" in text and "22,40" in text and "Total" in text
