"""Reportes › Tarjetas: per sucursal (the batch line that made each card: an unnamed batch's
branch, an emission line's «branch»; a replacement card its old card's; no line: «Sin
sucursal», last), the cards issued and affiliated (made in the range) and blocked and
replaced (blocked in the range); another company's cards not counted; .xlsx, PDF, 403."""
import io
import json
import shutil
import subprocess
from datetime import datetime

import pytest
from openpyxl import load_workbook

from portal.extensions import db
from portal.models import Batch, BatchLine, Card, Company, CompanyBranch
from tests import factories

MAY = datetime(2026, 5, 10, 15)
BRANCH = "Sucursal unica - Calle 10"


def card(company, n, when=MAY, holder=True, blocked=None, reason=None):
    c = Card(company_id=company.id, product_id=company.products[0].id, token=f"tok-{n}", pan_first6="450714",
             pan_last4=f"{n:04d}", account_mask=f"450714******{n:04d}", holder_id_type="CC" if holder else None,
             holder_id_number=f"10456784{n:02d}" if holder else None, holder_name="ANA" if holder else None,
             status="blocked" if blocked else ("affiliated" if holder else "unaffiliated"), expires="12/2030",
             blocked_at=blocked, blocked_reason=reason, created_at=when)
    db.session.add(c)
    db.session.flush()
    return c


def batch(company, n, kind, branch_name=None, lines=()):
    b = Batch(number=f"B{n}", company_id=company.id, product_id=company.products[0].id, kind=kind,
              status="processed", branch_name=branch_name, created_at=MAY)
    db.session.add(b)
    db.session.flush()
    for no, (c, values) in enumerate(lines, 1):
        db.session.add(BatchLine(batch_id=b.id, line_no=no, card_id=c.id, values_json=json.dumps(values)))
    return b


@pytest.fixture
def jahc(auth):
    company = factories.company()
    user = factories.user("corporate", "ana")
    factories.member(user, company, can_consult=True)
    c1, c2 = card(company, 1, holder=False), card(company, 2)
    c3 = card(company, 3, when=datetime(2026, 4, 1), blocked=datetime(2026, 5, 12), reason="robo")
    batch(company, 1, "unnamed_emission", BRANCH, [(c1, {}), (c2, {}), (c3, {})])
    c4 = card(company, 4, when=datetime(2026, 5, 11), blocked=datetime(2026, 5, 20), reason="reposicion")
    c6 = card(company, 6, when=datetime(2026, 5, 20), blocked=datetime(2026, 5, 25), reason="reposicion")
    c4.replaced_by_id = c6.id  # the new card has no batch line: its old card's sucursal
    c6.replaced_by_id = card(company, 12, when=datetime(2026, 5, 25)).id  # and a replacement of it, the first's
    batch(company, 2, "emission", lines=[(c4, {"branch": "002"})])
    batch(company, 3, "topup", "OTRA", lines=[(c1, {"branch": "999"}), (c4, {"branch": "999"})])  # not what made them
    card(company, 7, holder=False)  # a demo card: no line
    card(company, 8, when=datetime(2026, 6, 1, 4))  # 31/05 23:00 in Bogotá: in the range
    card(company, 9, when=datetime(2026, 6, 1, 6))  # 01/06 in Bogotá: out
    card(company, 10, when=datetime(2026, 4, 1), blocked=datetime(2026, 4, 30), reason="perdida")  # out
    other = factories.company("800100200", "OTRA S.A.S.")
    card(other, 11)
    db.session.commit()
    auth.as_user(user)
    return company


def url(company, tail=""):
    return (f"/empresas/{company.id}/productos/{company.products[0].id}/reportes/tarjetas{tail}"
            "?fecha_inicial=01/05/2026&fecha_final=31/05/2026")


def cells(row):
    return [c.split(">")[-1] for c in row.split("</td>")[:-1]]


def test_cards_per_branch_with_a_chart(client, jahc):
    got = client.get(url(jahc))
    body = got.get_data(as_text=True)
    assert got.status_code == 200
    rows = [cells(r.split("</tr>")[0]) for r in body.split('<tr class="group">')[1:]]
    assert rows == [["Sucursal 002", "3", "3", "0", "2"], [BRANCH, "2", "1", "1", "0"],
                    ["Sin sucursal", "2", "1", "0", "0"]]
    total = body[body.index('id="tarjetas-total"'):].split("</tr>")[0]
    assert [c.split(">")[-1] for c in total.split("</td>")[:-1]] == ["7", "5", "1", "2"]
    svg = body[body.index("<svg"):body.index("</svg>")]
    assert svg.count("<rect") == 3 and "Sucursal 002: 3<" in svg


def test_listed_in_the_catalogue(client, jahc):
    body = client.get(f"/empresas/{jahc.id}/productos/{jahc.products[0].id}/reportes/").get_data(as_text=True)
    assert 'value="tarjetas"' in body and "Tarjetas" in body


def test_xlsx_and_pdf(client, jahc):
    got = client.get(url(jahc, ".xlsx"))
    assert got.status_code == 200
    values = list(load_workbook(io.BytesIO(got.data)).active.iter_rows(values_only=True))
    assert values == [("Sucursal", "Emitidas", "Afiliadas", "Bloqueadas", "Repuestas"),
                      ("Sucursal 002", 3, 3, 0, 2), (BRANCH, 2, 1, 1, 0), ("Sin sucursal", 2, 1, 0, 0),
                      ("Total", 7, 5, 1, 2)]
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=client.get(url(jahc, ".pdf")).data,
                              capture_output=True, check=True).stdout.decode()
        assert "Reporte Tarjetas" in text and BRANCH in text
        assert any(line.split()[:5] == ["Sucursal", "002", "3", "3", "0"] for line in text.splitlines())


def test_without_consult_403(client, jahc, auth):
    blind = factories.user("corporate", "ciego")
    factories.member(blind, jahc, can_consult=False, can_upload=True)
    client = client.application.test_client()
    auth.as_user(blind, client=client)
    for tail in ("", ".xlsx", ".pdf"):
        assert client.get(url(jahc, tail)).status_code == 403, tail


def test_a_registered_sucursal_shows_its_name_and_the_file_too(client, jahc):
    """The staff registered sucursal 002 (Personal › Empresas): its name, not its code; a
    deactivated one still names its cards; another company's sucursal 2 names nothing here."""
    db.session.add(CompanyBranch(company_id=jahc.id, code="2", name="Planta Norte", city="BOGOTA", active=False))
    other = db.session.query(Company).filter_by(nit="800100200").one()
    db.session.add(CompanyBranch(company_id=other.id, code="3", name="Ajena", city="CALI"))
    db.session.commit()
    body = client.get(url(jahc)).get_data(as_text=True)
    rows = [cells(r.split("</tr>")[0]) for r in body.split('<tr class="group">')[1:]]
    assert rows[0] == ["Planta Norte", "3", "3", "0", "2"] and "Sucursal 002" not in body and "Ajena" not in body
    values = list(load_workbook(io.BytesIO(client.get(url(jahc, ".xlsx")).data)).active.iter_rows(values_only=True))
    assert ("Planta Norte", 3, 3, 0, 2) in values
