"""Staff: Estados de cartera — the employers' table, "Volver a generar y enviar" (an RQ job),
and the dev outbox showing the e-mailed files."""
import io
import json
import re
from datetime import date

import openpyxl
import pytest
from rq import SimpleWorker

from portal import queue
from portal.adapters import xlsx
from portal.extensions import db
from portal.models import AuditEvent, OutboxAttachment, OutboxMessage, Statement, User
from portal.services import statements
from tests.conftest import post
from tests.statement_helpers import branch_of, credit, employer

PAGE = "/personal/cartera"
TODAY = date(2026, 5, 26)  # the frozen clock's day in Bogotá


@pytest.fixture
def app_config():
    return {"RATELIMIT_LOGIN_PER_IP": "1000 per minute"}


@pytest.fixture
def employers(app, frozen_clock):
    caribe = employer("890112233", "DISTRIBUIDORA DEL CARIBE S.A.S.", branches=("001", "002"),
                      users=("cartera@caribe.example.com",))
    credit(branch_of(caribe))
    credit(branch_of(caribe, "002"))
    clinica = employer("802009876", "CLÍNICA SANTA MARÍA LTDA.", users=("nomina@clinica.example.com",))
    credit(branch_of(clinica))
    employer("900111222", "SIN APROBAR S.A.S.", users=("x@example.com",), approved=False)
    statements.run_monthly("2026-04", date(2026, 4, 1), entity=clinica)  # an earlier period, sent
    return caribe, clinica


def rows_in(page):
    return re.findall(r'<tr id="employer-(\d+)" data-status="(\w+)"', page)


def events(action):
    return db.session.query(AuditEvent).filter_by(action=action).order_by(AuditEvent.id).all()


def resend_jobs():
    return [job for job in queue.get_queue().jobs if job.func_name == "portal.jobs.resend_entity_statements"]


def run_worker():
    SimpleWorker([queue.get_queue()], connection=queue.connection()).work(burst=True)


def resend(client, entity_id, period, **extra):
    return post(client, f"{PAGE}/{entity_id}/reenviar", {"vigencia": period, **extra}, page=PAGE)


# --- the table ---------------------------------------------------------------------------------

def test_the_table_lists_approved_employers_with_their_figures(auth, employers):
    caribe, clinica = employers
    desk = auth.new_client("staff", "cartera", roles="cartera")
    page = desk.get(PAGE).get_data(as_text=True)
    assert [int(i) for i, _ in rows_in(page)] == [clinica.id, caribe.id]  # by razón social
    assert "SIN APROBAR" not in page
    row = page[page.index(f'id="employer-{clinica.id}"'):page.index(f'id="employer-{caribe.id}"')]
    for text in ("802009876", "CLÍNICA SANTA MARÍA LTDA.", "<td>1</td>", "<td>2026-04</td>", "Sin generar",
                 '<option value="2026-05">', '<option value="2026-04">', "Volver a generar y enviar"):
        assert text in row, text
    assert re.search(r"<td>\d\d/\d\d/\d{4} \d", row)  # archivos enviados el …
    assert "Sin enviar" in page and "<td>2</td>" in page  # the Caribe: 2 sucursales, nothing sent
    assert "Empleadores: <strong>2</strong>" in page and "Pendientes: <strong>2</strong>" in page
    assert "Mostrando registro(s) del 1 al 2 de un total de 2 registro(s)" in page


def test_filters_search_and_sorting(auth, employers, frozen_clock):
    caribe, clinica = employers
    frozen_clock.advance(3600)  # an hour after the clinic's files
    statements.run_monthly("2026-05", TODAY, entity=caribe)
    desk = auth.new_client("staff", "cartera", roles="cartera")
    sent = desk.get(PAGE + "?estado=enviados").get_data(as_text=True)
    assert rows_in(sent) == [(str(caribe.id), "sent")] and "Enviados" in sent
    assert rows_in(desk.get(PAGE + "?estado=pendientes").get_data(as_text=True)) == [(str(clinica.id), "pending")]
    partial = desk.get(PAGE + "?q=8901", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert partial.lstrip().startswith('<div id="cartera-table">') and "<html" not in partial
    assert rows_in(partial) == [(str(caribe.id), "sent")]
    by_nit = desk.get(PAGE + "?orden=nit").get_data(as_text=True)
    assert [int(i) for i, _ in rows_in(by_nit)] == [clinica.id, caribe.id]
    by_send = desk.get(PAGE + "?orden=envio").get_data(as_text=True)
    assert [int(i) for i, _ in rows_in(by_send)] == [caribe.id, clinica.id]  # the newest send first
    assert "2 de 2 sucursal(es)" in by_send


def test_the_staff_home_links_the_page_for_cartera_only(auth, employers):
    home = auth.new_client("staff", "cartera", roles="cartera").get("/personal/").get_data(as_text=True)
    assert f'href="{PAGE}"' in home  # the menu
    other = auth.new_client("staff", "pagos", roles="pagos").get("/personal/").get_data(as_text=True)
    assert f'href="{PAGE}"' not in other


# --- access --------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["employer", "pagos", "tarjetas", "anonymous"])
def test_only_cartera_and_admin_staff_may_open_or_post(app, auth, employers, who):
    caribe, _ = employers
    if who == "anonymous":
        client = app.test_client()
    elif who == "employer":
        client = auth.new_client("hanna", "cartera@otra.example.com", entity=caribe)
    else:
        client = auth.new_client("staff", who, roles=who)
    page = client.get(PAGE)
    posted = post(client, f"{PAGE}/{caribe.id}/reenviar", {"vigencia": "2026-05"}, page="/")
    if who == "anonymous":
        assert page.status_code == 303 and "/personal/ingresar" in page.headers["Location"]
        assert posted.status_code == 303
    else:
        assert (page.status_code, posted.status_code) == (403, 403)
    assert resend_jobs() == [] and not events("cartera.resend_requested")


def test_admin_may_use_it(auth, employers):
    assert auth.new_client("staff", "admin", roles="admin").get(PAGE).status_code == 200


def test_a_post_without_the_csrf_token_is_refused(auth, employers):
    caribe, _ = employers
    desk = auth.new_client("staff", "cartera", roles="cartera")
    response = desk.post(f"{PAGE}/{caribe.id}/reenviar", data={"vigencia": "2026-05"})
    assert response.status_code == 400
    assert resend_jobs() == [] and not events("cartera.resend_requested")


# --- Volver a generar y enviar -------------------------------------------------------------------

def test_resend_is_audited_enqueued_and_sends_the_files_again(auth, employers):
    caribe, clinica = employers
    before = db.session.query(OutboxMessage).count()
    desk = auth.new_client("staff", "cartera", roles="cartera")
    staff_id = db.session.query(User).filter_by(kind="staff", username="cartera").one().id

    response = resend(desk, clinica.id, "2026-04", back=PAGE + "?estado=pendientes")

    assert response.status_code == 303 and response.headers["Location"].endswith(PAGE + "?estado=pendientes")
    [requested] = events("cartera.resend_requested")
    assert requested.subject == f"entity:{clinica.id}" and requested.actor_type == "user"
    assert json.loads(requested.detail) == {"nit": "802009876", "period": "2026-04"}
    assert requested.actor_id == staff_id
    assert [job.args for job in resend_jobs()] == [(clinica.id, "2026-04", staff_id)]
    assert db.session.query(OutboxMessage).count() == before  # nothing until the worker runs
    flashed = desk.get(PAGE).get_data(as_text=True)
    assert "Se volverán a generar y enviar los estados de cartera de la vigencia 2026-04" in flashed

    run_worker()

    db.session.expire_all()
    new = db.session.query(OutboxMessage).order_by(OutboxMessage.id).all()[before:]
    assert [m.recipient for m in new] == ["nomina@clinica.example.com"]
    assert len(new[0].attachments) == 3 and new[0].status == "sent"
    sent = events("cartera.statement_files_sent")[-1]
    assert json.loads(sent.detail)["resend"] is True and sent.actor_id == requested.actor_id
    assert db.session.query(Statement).filter_by(entity_id=clinica.id).count() == 1  # never duplicated


def test_resend_of_the_current_period_builds_what_is_missing(auth, employers):
    caribe, _ = employers
    desk = auth.new_client("staff", "cartera", roles="cartera")
    resend(desk, caribe.id, "2026-05")
    run_worker()
    db.session.expire_all()
    built = db.session.query(Statement).filter_by(entity_id=caribe.id, period="2026-05").all()
    assert len(built) == 2 and all(s.files_sent_at for s in built)
    page = desk.get(PAGE + "?estado=enviados").get_data(as_text=True)
    assert rows_in(page) == [(str(caribe.id), "sent")]


@pytest.mark.parametrize("period", ["2026-06", "2025-01", "2026-5", "", "<script>"])
def test_a_period_not_offered_is_refused_with_a_message(auth, employers, period):
    caribe, _ = employers
    desk = auth.new_client("staff", "cartera", roles="cartera")
    response = resend(desk, caribe.id, period)
    assert response.status_code == 303
    assert resend_jobs() == []
    assert len(events("cartera.resend_refused")) == 1
    assert "Vigencia: escoja una de la lista" in desk.get(PAGE).get_data(as_text=True)


def test_unknown_or_unapproved_employers_are_404(auth, employers):
    from portal.models import Entity

    desk = auth.new_client("staff", "cartera", roles="cartera")
    unapproved = db.session.query(Entity).filter_by(nit="900111222").one()
    assert resend(desk, unapproved.id, "2026-05").status_code == 404
    assert resend(desk, 999999, "2026-05").status_code == 404
    assert resend_jobs() == []


# --- the dev outbox shows the files --------------------------------------------------------------

def test_the_outbox_lists_and_serves_the_attachments(app, client, employers):
    page = client.get("/dev/outbox?para=nomina@clinica").get_data(as_text=True)
    links = re.findall(r'href="(/dev/outbox/adjuntos/\d+)"[^>]*>([^<]+)<', page)
    assert [name for _, name in links] == ["cartera_2026-04_detalle.xlsx", "cartera_2026-04_activos.xlsx",
                                           "cartera_2026-04_retirados.xlsx"]
    response = client.get(links[0][0])
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment; filename=cartera_2026-04_detalle.xlsx")
    assert response.mimetype == xlsx.MIME
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert sheet.max_row == 2  # header + the clinic's one credit
    assert client.get("/dev/outbox/adjuntos/999999").status_code == 404


@pytest.mark.parametrize("app_config", [{"DEV_OUTBOX_ENABLED": False}])
def test_outside_development_no_one_downloads_the_attachments(app, auth, employers, app_config):
    attachment = db.session.query(OutboxAttachment).first()
    anonymous = app.test_client()
    assert anonymous.get(f"/dev/outbox/adjuntos/{attachment.id}").status_code == 404
    employer_client = auth.new_client("hanna", "otro@example.com", entity=employers[0])
    assert employer_client.get(f"/dev/outbox/adjuntos/{attachment.id}").status_code == 404
    desk = auth.new_client("staff", "analista", roles="cartera")
    assert desk.get(f"/dev/outbox/adjuntos/{attachment.id}").status_code == 404
