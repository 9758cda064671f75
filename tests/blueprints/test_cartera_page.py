"""Estado de Cartera: the periods of the chosen branch and their three summaries."""
from datetime import date
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import ApplicationRequest, Branch, Credit, Statement, StatementLine, Worker
from tests import factories


def statement(entity, branch, period, instalments):
    s = Statement(entity_id=entity.id, branch_id=branch.id, period=period,
                  due_date=date(int(period[:4]), int(period[5:]), 10))
    db.session.add(s)
    db.session.flush()
    for n, amount in enumerate(instalments):
        worker = Worker(entity_id=entity.id, branch_id=branch.id, id_number=f"0{n}{period[-2:]}{branch.code}",
                        first_name="ANA", last_name=f"P{n}")
        db.session.add(worker)
        db.session.flush()
        credit = Credit(number=f"{branch.code}-{period}-{n}", worker_id=worker.id, entity_id=entity.id,
                        branch_id=branch.id, principal=Decimal("1000000"), balance=Decimal("800000"),
                        instalment=Decimal(amount), granted_on=date(2025, 1, 1))
        db.session.add(credit)
        db.session.flush()
        db.session.add(StatementLine(statement_id=s.id, credit_id=credit.id, worker_id=worker.id, kind="active",
                                     instalment=Decimal(amount), balance=Decimal("800000")))
    db.session.commit()
    return s


@pytest.fixture
def employer(auth):
    entity = factories.entity()
    main, other = Branch(entity_id=entity.id, code="001", name="PRINCIPAL"), Branch(entity_id=entity.id, code="002", name="SOLEDAD")
    db.session.add_all([main, other])
    db.session.flush()
    user = factories.user("hanna", "empleador@example.com", entity=entity)
    db.session.add(ApplicationRequest(user_id=user.id, entity_id=entity.id, application="EMPRESAS", status="approved"))
    db.session.commit()
    statement(entity, main, "2026-08", ["100000", "50000.50"])
    statement(entity, main, "2026-09", ["100000", "60000"])
    statement(entity, other, "2026-09", ["999"])
    auth.employer("empleador@example.com", main)
    return entity, main, other


def test_the_newest_period_shows_first_with_its_three_summaries(client, employer):
    body = client.get("/hanna/empresas/cartera/").get_data(as_text=True)
    assert body.index('value="2026-09"') < body.index('value="2026-08"')
    for text in ("Seleccione la Vigencia", "Documentos Por Pagar", "Documentos Procesados", "Cuadre Cartera",
                 "Archivo de Detalle.", "Archivo de Activos.", "Archivo de Retirados.", "$\xa0160.000", "10/09/2026"):
        assert text in body, text


def test_choosing_a_period_swaps_only_the_panel(client, employer):
    response = client.get("/hanna/empresas/cartera/?vigencia=2026-08", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert "<html" not in body
    assert 'id="period"' in body and "$\xa0150.000,50" in body
    assert "HX-Request" in response.headers["Vary"]
    full = client.get("/hanna/empresas/cartera/2026-08").get_data(as_text=True)
    assert "<html" in full and "$\xa0150.000,50" in full


def test_another_branchs_or_unknown_period_is_404(client, employer):
    assert client.get("/hanna/empresas/cartera/2026-07").status_code == 404
    body = client.get("/hanna/empresas/cartera/2026-09").get_data(as_text=True)
    assert "$\xa0999" not in body


def test_the_empresas_page_links_to_estado_de_cartera(client, employer):
    body = client.get("/hanna/empresas/").get_data(as_text=True)
    assert 'href="/hanna/empresas/cartera/"' in body and "Disponible próximamente" not in body


def test_without_empresas_approval_it_is_403(auth):
    entity = factories.entity(nit="811222333")
    client = auth.new_client("hanna", "otro@example.com", entity=entity)
    assert client.get("/hanna/empresas/cartera/").status_code == 403


def test_signed_out_goes_to_the_hanna_login(client):
    response = client.get("/hanna/empresas/cartera/")
    assert response.status_code == 303 and response.headers["Location"].startswith("/hanna/ingresar")


@pytest.mark.parametrize("slug,rows", [("detalle", 2), ("activos", 2), ("retirados", 0)])
def test_the_three_files_download_as_protected_xlsx(client, employer, slug, rows):
    import io

    import openpyxl

    from portal.domain import cartera_layout as layout
    from portal.models import AuditEvent

    response = client.get(f"/hanna/empresas/cartera/2026-09/archivos/{slug}.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith(f"attachment; filename={slug}_2026-09")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    headers = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert headers == [c.header for c in layout.by_slug(slug).columns]
    assert sheet.max_row - 1 == rows
    assert sheet.protection.sheet
    if rows:
        ids = [str(sheet.cell(row=r, column=headers.index("Identificación") + 1).value) for r in range(2, rows + 2)]
        assert all(i.startswith("0") for i in ids)  # leading zeros survive: text cells
    assert db.session.query(AuditEvent).filter_by(action="cartera.file_downloaded").count() == 1


def test_files_of_unknown_kinds_or_other_branches_are_404(client, employer):
    assert client.get("/hanna/empresas/cartera/2026-09/archivos/otros.xlsx").status_code == 404
    assert client.get("/hanna/empresas/cartera/2026-07/archivos/detalle.xlsx").status_code == 404


def test_the_page_links_the_downloads(client, employer):
    body = client.get("/hanna/empresas/cartera/2026-09").get_data(as_text=True)
    for slug in ("detalle", "activos", "retirados"):
        assert f'href="/hanna/empresas/cartera/2026-09/archivos/{slug}.xlsx"' in body
    assert "próxima versión" not in body
