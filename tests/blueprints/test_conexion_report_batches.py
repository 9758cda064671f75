"""Reportes › Lotes: the product's batches of the range by type and status (counts, records,
valid ones, amount), the bar chart per type, .xlsx and PDF; another product's are not counted."""
import io
import shutil
import subprocess
from datetime import datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from portal.extensions import db
from portal.models import Batch
from portal.services import order_pdf
from tests import factories


def batch(company, n, kind, status, rows, amount, when=datetime(2026, 5, 10, 15)):
    db.session.add(Batch(number=f"B{n}", company_id=company.id, product_id=company.products[0].id, kind=kind,
                         status=status, rows_total=rows, valid_count=rows - 1, total_amount=Decimal(amount),
                         created_at=when))


@pytest.fixture
def jahc(auth):
    company = factories.company()
    user = factories.user("corporate", "ana")
    factories.member(user, company, can_consult=True)
    batch(company, 1, "topup", "processed", 10, "500000")
    batch(company, 2, "topup", "processed", 4, "120000.50")
    batch(company, 3, "topup", "invalid", 3, "0")
    batch(company, 4, "unnamed_emission", "authorized", 20, "0")
    batch(company, 5, "topup", "processed", 7, "9", when=datetime(2025, 1, 1))  # out of the range
    other = factories.company("800100200", "OTRA S.A.S.")
    batch(other, 6, "topup", "processed", 99, "99")
    db.session.commit()
    auth.as_user(user)
    return company


def url(company, tail=""):
    return (f"/empresas/{company.id}/productos/{company.products[0].id}/reportes/lotes{tail}"
            "?fecha_inicial=01/05/2026&fecha_final=31/05/2026")


def test_batches_by_type_and_status_with_a_chart(client, jahc):
    body = client.get(url(jahc)).get_data(as_text=True)
    rows = [r.split("</tr>")[0] for r in body.split('<tr class="group">')[1:]]
    topup, emission = order_pdf.kind_label("topup"), order_pdf.kind_label("unnamed_emission")
    assert len(rows) == 3
    done = next(r for r in rows if "Procesado" in r)
    assert topup in done and ">2<" in done and ">14<" in done and ">12<" in done and "$\xa0620.000,50" in done
    assert any("CON ERRORES" in r and ">3<" in r for r in rows) and any(emission in r and "Autorizado" in r for r in rows)
    total = body[body.index('id="lotes-total"'):].split("</tr>")[0]
    assert ">4<" in total and ">37<" in total
    svg = body[body.index("<svg"):body.index("</svg>")]
    assert svg.count("<rect") == 2 and f"{topup}: 3<" in svg  # three top-up batches, a count


def test_xlsx_and_pdf(client, jahc):
    got = client.get(url(jahc, ".xlsx"))
    values = list(load_workbook(io.BytesIO(got.data)).active.iter_rows(values_only=True))
    assert values[0] == ("Tipo de lote", "Estado", "Lotes", "Registros", "Válidos", "Monto")
    assert len(values) == 5 and values[-1][:4] == ("Total", None, 4, 37)
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=client.get(url(jahc, ".pdf")).data,
                              capture_output=True, check=True).stdout.decode()
        assert "Reporte Lotes" in text and "620.000,50" in text and "Procesado" in text
