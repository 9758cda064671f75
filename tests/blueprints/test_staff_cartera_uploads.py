"""Staff: the queue of Estado de Cartera uploads — every employer's Activos/Retirados files
with their status, counts per filter, the detail with every error, and the file with the
«Errores» column (audited)."""
import io
import json
import re

import pytest
from openpyxl import load_workbook

from portal.extensions import db
from portal.models import AuditEvent, User
from tests import cartera_helpers as ch

PAGE = "/personal/cartera/archivos"
OTHER_NIT = "900555666"


@pytest.fixture
def app_config():
    return {"RATELIMIT_LOGIN_PER_IP": "1000 per minute"}


@pytest.fixture
def uploads(app, frozen_clock):
    """A processed Activos of EMPRESA DEMO, then (ten minutes later) an invalid Activos with
    four errors of LOGÍSTICA ANDINA, each sent through the employer's own pages."""
    demo_client = app.test_client()
    demo = ch.build(sign_in_client=demo_client)
    processed = ch.processed(demo_client, "activos", ch.download(demo_client, "activos"), "activos_demo.xlsx")
    assert processed.status == "processed"

    frozen_clock.advance(600)
    andina_client = app.test_client()
    andina = ch.build(nit=OTHER_NIT, email="nomina@andina.example.com", sign_in_client=andina_client)
    andina.entity.name = "LOGÍSTICA ANDINA S.A.S."
    db.session.commit()
    suffix = f"-{OTHER_NIT[-3:]}"
    bad = ch.edit(ch.download(andina_client, "activos"), {
        ("LI-9001" + suffix, "Nombre Trabajador"): "OTRA PERSONA",  # locked cell
        ("LI-9002" + suffix, "Valor a Pagar"): "cien mil",
        ("LI-9003" + suffix, "Valor a Pagar"): -5,
        ("LI-9003" + suffix, "Aplica Mora"): "X",
    })
    invalid = ch.processed(andina_client, "activos", bad, "activos_andina.xlsx")
    assert invalid.status == "invalid" and invalid.error_count == 4
    return {"processed": processed, "invalid": invalid, "demo": demo, "andina": andina,
            "andina_client": andina_client}


@pytest.fixture
def desk(auth):
    return auth.new_client("staff", "cartera", roles="cartera")


def rows_in(page):
    return [(int(i), status) for i, status in re.findall(r'<tr id="upload-(\d+)" data-status="(\w+)"', page)]


def row_html(page, upload_id):
    start = page.index(f'<tr id="upload-{upload_id}"')
    return page[start:page.index("</tr>", start)]


def events(action):
    return db.session.query(AuditEvent).filter_by(action=action).order_by(AuditEvent.id).all()


# --- the table ------------------------------------------------------------------------------

def test_the_table_lists_every_upload_newest_first_with_its_figures(uploads, desk):
    processed, invalid = uploads["processed"], uploads["invalid"]
    page = desk.get(PAGE).get_data(as_text=True)
    assert rows_in(page) == [(invalid.id, "invalid"), (processed.id, "processed")]

    ok = row_html(page, processed.id)
    for text in ("800100200", "EMPRESA DEMO S.A.S.", "001 · PRINCIPAL", "<td>2026-10</td>", "<td>Activos</td>",
                 "<td>Excel</td>", '<span class="badge approved">Procesado</span>', '<td class="num">3</td>',
                 '<td class="num">0</td>', "$\xa0303.000,50", "empleador@example.com"):
        assert text in ok, text
    assert re.search(r"\d\d/\d\d/\d{4} \d", ok)  # Fecha

    bad = row_html(page, invalid.id)
    for text in (OTHER_NIT, "LOGÍSTICA ANDINA S.A.S.", '<span class="badge rejected">Con errores</span>',
                 "nomina@andina.example.com", f'href="{PAGE}/{invalid.id}'):
        assert text in bad, text
    assert re.search(r'<td class="num"><a [^>]*>4</a></td>', bad)
    assert "$\xa00" not in bad  # nothing to pay from an invalid file

    counts = dict(re.findall(r'data-filter="(\w+)"[^>]*>[^<]*: <strong>(\d+)</strong>', page))
    assert counts == {"todos": "2", "en_proceso": "0", "con_errores": "1", "por_confirmar": "0", "procesados": "1"}
    assert "Mostrando registro(s) del 1 al 2 de un total de 2 registro(s)" in page
    assert 'href="/personal/cartera"' in page  # back to the statements


def test_filters_and_search(uploads, desk):
    processed, invalid = uploads["processed"], uploads["invalid"]
    errors = desk.get(PAGE + "?estado=con_errores").get_data(as_text=True)
    assert rows_in(errors) == [(invalid.id, "invalid")]
    assert rows_in(desk.get(PAGE + "?estado=procesados").get_data(as_text=True)) == [(processed.id, "processed")]
    assert rows_in(desk.get(PAGE + "?estado=en_proceso").get_data(as_text=True)) == []
    assert rows_in(desk.get(PAGE + "?estado=cualquiera").get_data(as_text=True)) == [
        (invalid.id, "invalid"), (processed.id, "processed")]  # an unknown filter is "todos"

    partial = desk.get(PAGE + "?q=8001002", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert partial.lstrip().startswith('<div id="cartera-uploads-table">') and "<html" not in partial
    assert rows_in(partial) == [(processed.id, "processed")]
    assert "Archivos: <strong>1</strong>" in partial and "Con errores: <strong>0</strong>" in partial
    assert rows_in(desk.get(PAGE + "?q=andina").get_data(as_text=True)) == [(invalid.id, "invalid")]
    assert len(rows_in(desk.get(PAGE + "?q=2026-10").get_data(as_text=True))) == 2
    assert rows_in(desk.get(PAGE + "?q=2026-11").get_data(as_text=True)) == []


def test_paging(uploads, desk):
    processed, invalid = uploads["processed"], uploads["invalid"]
    # only 10, 25, 50 and 100 per page are offered: fake a one-row page with the service
    from portal.services import staff_cartera

    listing = staff_cartera.uploads(status="todos", number=2, per_page=1)
    assert [row.upload.id for row in listing.rows] == [processed.id] and listing.page.pages == 2
    assert [row.upload.id for row in staff_cartera.uploads(number=9, per_page=1).rows] == [processed.id]
    page = desk.get(PAGE + "?por_pagina=25&pagina=3").get_data(as_text=True)
    assert rows_in(page) == [(invalid.id, "invalid"), (processed.id, "processed")]


# --- the detail and the error file ----------------------------------------------------------

def test_the_detail_lists_every_error_and_is_audited(uploads, desk):
    invalid = uploads["invalid"]
    page = desk.get(f"{PAGE}/{invalid.id}").get_data(as_text=True)
    for text in ("LOGÍSTICA ANDINA S.A.S.", OTHER_NIT, "2026-10", "activos_andina.xlsx", "Con errores",
                 "nomina@andina.example.com", 'href="/personal/cartera/archivos"'):
        assert text in page, text
    errors = re.findall(r'<tr><td class="num">(\d+)</td><td>([^<]+)</td><td>([^<]+)</td></tr>', page)
    assert len(errors) == 4
    assert errors[0][:2] == ("2", "Nombre Trabajador") and "no se puede modificar" in errors[0][2]
    assert ("3", "Valor a Pagar") in [e[:2] for e in errors]
    assert {e[:2] for e in errors if e[0] == "4"} == {("4", "Valor a Pagar"), ("4", "Aplica Mora")}
    assert f'href="{PAGE}/{invalid.id}/errores.xlsx"' in page

    [viewed] = events("staff.cartera_upload_viewed")
    staff = db.session.query(User).filter_by(kind="staff", username="cartera").one()
    assert viewed.subject == f"upload:{invalid.id}" and viewed.actor_id == staff.id
    assert json.loads(viewed.detail)["nit"] == OTHER_NIT


def test_a_processed_upload_has_no_errors_and_no_error_file(uploads, desk):
    processed = uploads["processed"]
    page = desk.get(f"{PAGE}/{processed.id}").get_data(as_text=True)
    assert "Procesado" in page and "Este archivo no tiene errores." in page and "$\xa0303.000,50" in page
    assert "errores.xlsx" not in page
    assert desk.get(f"{PAGE}/{processed.id}/errores.xlsx").status_code == 404
    assert not events("staff.cartera_error_file_downloaded")


def test_the_error_file_downloads_with_the_errores_column_and_is_audited(uploads, desk):
    invalid = uploads["invalid"]
    response = desk.get(f"{PAGE}/{invalid.id}/errores.xlsx")
    assert response.status_code == 200
    assert "activos_andina_con_errores.xlsx" in response.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(response.data)).worksheets[0]
    headers = [c.value for c in ws[1]]
    assert headers[-1] == "Errores"
    assert "negativo" in ws.cell(row=4, column=len(headers)).value
    [downloaded] = events("staff.cartera_error_file_downloaded")
    assert downloaded.subject == f"upload:{invalid.id}" and downloaded.actor_type is not None
    assert not events("cartera.error_file_downloaded")  # the employer's event is not the staff's


def test_unknown_uploads_are_404(uploads, desk):
    assert desk.get(f"{PAGE}/999999").status_code == 404
    assert desk.get(f"{PAGE}/999999/errores.xlsx").status_code == 404
    assert not events("staff.cartera_upload_viewed")


# --- the staff home and the statements page link here ---------------------------------------

def test_home_counts_uploads_with_errors_and_pages_link_each_other(uploads, desk):
    from tests.blueprints.test_staff_home import figures

    assert figures(desk)["cartera_errors"][0] == 1
    assert f'href="{PAGE}?estado=con_errores"' in desk.get("/personal/").get_data(as_text=True)
    statements_page = desk.get("/personal/cartera").get_data(as_text=True)
    assert f'href="{PAGE}"' in statements_page


# --- access ---------------------------------------------------------------------------------

@pytest.mark.parametrize("roles", ["pagos", "tarjetas"])
def test_staff_without_the_cartera_role_get_403(auth, uploads, roles):
    other = auth.new_client("staff", roles, roles=roles)
    invalid = uploads["invalid"]
    for url in (PAGE, f"{PAGE}/{invalid.id}", f"{PAGE}/{invalid.id}/errores.xlsx"):
        assert other.get(url).status_code == 403, url
    assert f'href="{PAGE}' not in other.get("/personal/").get_data(as_text=True)
    assert not events("staff.cartera_upload_viewed") and not events("staff.cartera_error_file_downloaded")


def test_admin_may_use_it(auth, uploads):
    admin = auth.new_client("staff", "admin", roles="admin")
    assert admin.get(PAGE).status_code == 200
    assert admin.get(f"{PAGE}/{uploads['invalid'].id}").status_code == 200


def test_employers_and_anonymous_are_refused(app, uploads):
    invalid = uploads["invalid"]
    employer = uploads["andina_client"]  # the Hanna user who sent the invalid file
    for url in (PAGE, f"{PAGE}/{invalid.id}", f"{PAGE}/{invalid.id}/errores.xlsx"):
        assert employer.get(url).status_code == 403, url
        anonymous = app.test_client().get(url)
        assert anonymous.status_code == 303 and "/personal/ingresar" in anonymous.headers["Location"]
    assert not events("staff.cartera_upload_viewed") and not events("staff.cartera_error_file_downloaded")
