"""Personal › Auditoría (role admin): filters by user, action, object and Bogotá days
(DD/MM/AAAA, named in Spanish when wrong), and the .xlsx export of exactly the filtered
events with every text cell that Excel would run neutralised."""
import io
from datetime import datetime

import openpyxl
import pytest

from portal.extensions import db
from portal.models import AuditEvent
from tests import factories

LOG, EXPORT = "/personal/auditoria", "/personal/auditoria.xlsx"


def body(response):
    return response.get_data(as_text=True)


def event(action, when, actor=None, subject=None, detail=None, ip=None):
    db.session.add(AuditEvent(action=action, created_at=when, actor_type=actor and "user", actor_id=actor and actor.id,
                              subject=subject, detail=detail, ip=ip))
    db.session.commit()


@pytest.fixture
def admin(auth):
    return auth.as_new("staff", "admin", roles="admin")


@pytest.fixture
def history(admin):
    """Three events of pedro and one of nobody, on Bogotá's 25/05 and 26/05/2026."""
    pedro = factories.user("corporate", "pedro", email="pedro@example.com")
    event("prueba.uno", datetime(2026, 5, 25, 15, 0), pedro, "order:12")
    event("prueba.dos", datetime(2026, 5, 27, 3, 0), pedro, "order:12")  # 26/05 22:00 in Bogotá
    event("prueba.dos", datetime(2026, 5, 27, 6, 0), pedro, "order:13")  # 27/05 01:00 in Bogotá
    event("prueba.dos", datetime(2026, 5, 26, 12, 0), None, "order:12")
    return pedro


def shown(client, **args):
    page = body(client.get(LOG, query_string=args, headers={"HX-Request": "true"}))
    return page.count("<code>prueba.")


def test_other_roles_are_refused_the_log_and_its_export(client, auth):
    auth.as_new("staff", "tarjetas", roles="tarjetas,pagos,cartera")
    assert client.get(LOG).status_code == 403 and client.get(EXPORT).status_code == 403


@pytest.mark.parametrize("args,count", [
    ({}, 4),
    ({"usuario": "pedro"}, 3),
    ({"usuario": "PEDRO@example.com"}, 3),
    ({"accion": "prueba.dos"}, 3),
    ({"objeto": "order:12"}, 3),
    ({"objeto": "order:1"}, 0),  # the object exactly
    ({"fecha_inicial": "26/05/2026", "fecha_final": "26/05/2026"}, 2),  # Bogotá's day
    ({"fecha_inicial": "27/05/2026"}, 1),
    ({"fecha_final": "25/05/2026"}, 1),
    ({"usuario": "pedro", "accion": "prueba.dos", "objeto": "order:12", "fecha_final": "26/05/2026"}, 1),
])
def test_filters(client, history, args, count):
    assert shown(client, **args) == count


@pytest.mark.parametrize("args,message", [
    ({"fecha_inicial": "31/02/2026"}, "Fecha inicial: «31/02/2026» no es una fecha válida; escriba DD/MM/AAAA"),
    ({"fecha_final": "2026-05-26"}, "Fecha final: «2026-05-26» no es una fecha válida"),
    ({"fecha_inicial": "27/05/2026", "fecha_final": "26/05/2026"}, "Fecha inicial: debe ser anterior o igual a la Fecha final."),
    ({"usuario": "nadie"}, "Usuario: no hay ningún usuario"),
])
def test_bad_filters_are_named_in_spanish_and_nothing_is_listed_or_exported(client, history, args, message):
    page = client.get(LOG, query_string=args)
    assert page.status_code == 422 and message in body(page) and "<code>prueba." not in body(page)
    refused = client.get(EXPORT, query_string=args)
    assert refused.status_code == 422 and message in body(refused) and "Descargar .xlsx" not in body(refused)
    assert db.session.query(AuditEvent).filter_by(action="staff.audit_exported").count() == 0


def test_the_page_links_the_export_with_its_filters_and_pages_keep_them(client, history):
    page = body(client.get(LOG, query_string={"usuario": "pedro", "fecha_final": "26/05/2026"}))
    assert f'href="{EXPORT}?usuario=pedro&amp;fecha_final=26/05/2026"' in page.replace("%2F", "/")
    for label in ("Usuario", "Acción", "Objeto", "Fecha inicial", "Fecha final"):
        assert f">{label}</label>" in page


def test_the_export_holds_the_filtered_events_with_risky_cells_neutralised(client, admin, history):
    event("prueba.riesgo", datetime(2026, 5, 26, 12, 0), history, "=HYPERLINK(\"http://x\")",
          detail="+SUM(A1)", ip="-1")
    event("@prueba.arroba", datetime(2026, 5, 26, 12, 0), history, "@x")
    response = client.get(EXPORT, query_string={"usuario": "pedro", "fecha_inicial": "26/05/2026",
                                                "fecha_final": "26/05/2026"})
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert response.headers["Content-Disposition"].startswith("attachment; filename=Auditoria_")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Fecha", "Acción", "Actor", "Sujeto", "IP", "Detalle")
    by_action = {row[1]: row for row in rows[1:]}
    assert set(by_action) == {"prueba.dos", "prueba.riesgo", "'@prueba.arroba"}  # pedro's, on 26/05 only
    assert by_action["prueba.dos"][0] == datetime(2026, 5, 26, 22, 0) and by_action["prueba.dos"][2] == "pedro (corporate)"
    risky = by_action["prueba.riesgo"]
    assert risky[3:] == ("'=HYPERLINK(\"http://x\")", "'-1", "'+SUM(A1)")
    assert by_action["'@prueba.arroba"][3] == "'@x"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    exported = db.session.query(AuditEvent).filter_by(action="staff.audit_exported").one()
    assert exported.actor_id == admin.id and "pedro" in exported.detail
