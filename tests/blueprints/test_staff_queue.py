"""Staff: queue of application requests (filters, search, pagination, decisions) and the
audit log."""
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import text

from portal.domain.clock import utcnow
from portal.extensions import db
from portal.models import ApplicationRequest, AuditEvent, Entity, OutboxMessage, User
from portal.services import staff_queue
from tests import factories
from tests.conftest import post

QUEUE = "/personal/solicitudes"
HTMX = {"HX-Request": "true"}



def request_for(email, application="EMPRESAS", nit="800100200", name="EMPRESA DEMO S.A.S.",
                status="pending", age_minutes=0):
    entity = db.session.query(Entity).filter_by(nit=nit).first() or factories.entity(nit, name)
    user = db.session.query(User).filter_by(kind="hanna", username=email).first() \
        or factories.user("hanna", email, entity=entity, full_name=f"Usuario {email.split('@')[0]}")
    req = ApplicationRequest(user_id=user.id, entity_id=entity.id, application=application, status=status,
                             created_at=utcnow() - timedelta(minutes=age_minutes))
    db.session.add(req)
    db.session.commit()
    return req


def decide(client, req_id, decision, note="", back=QUEUE, headers=None):
    return post(client, f"{QUEUE}/{req_id}/decidir", {"decision": decision, "note": note, "back": back},
                page="/personal/", headers=headers)


def fresh(req_id):
    db.session.expire_all()
    return db.session.get(ApplicationRequest, req_id)


def mails_to(email):
    return db.session.query(OutboxMessage).filter_by(recipient=email).order_by(OutboxMessage.id).all()


def events(action):
    return db.session.query(AuditEvent).filter_by(action=action).order_by(AuditEvent.id).all()


def home_figures(client):
    from tests.blueprints.test_staff_home import figures

    return figures(client)


def rows_in(page):
    return re.findall(r'<tr id="request-(\d+)"', page)


# --- home and access -----------------------------------------------------------------------

def test_staff_home_counts_pending_requests_per_queue(client, auth):
    request_for("a@example.com", "EMPRESAS")
    request_for("b@example.com", "EMPRESAS")
    request_for("c@example.com", "PROVEEDORES")
    request_for("d@example.com", "EMPRESAS", status="approved")
    auth.as_new("staff", "admin", roles="admin")
    got = home_figures(client)
    assert got["requests_empresas"][0] == 2 and got["requests_proveedores"][0] == 1
    page = client.get("/personal/colas").get_data(as_text=True)
    assert 'href="/personal/solicitudes?aplicacion=EMPRESAS"' in page and 'href="/personal/auditoria"' in page


def test_cartera_counts_only_its_queue_and_sees_no_audit_link(client, auth):
    request_for("a@example.com", "EMPRESAS")
    request_for("c@example.com", "PROVEEDORES")
    auth.as_new("staff", "cartera", roles="cartera")
    assert home_figures(client)["requests_empresas"][0] == 1
    page = client.get("/personal/colas").get_data(as_text=True)
    assert "PROVEEDORES" not in page and "/personal/auditoria" not in page


def test_staff_without_a_reviewer_role_gets_403(client, auth):
    req = request_for("a@example.com")
    auth.as_new("staff", "tarjetas", roles="tarjetas")
    assert client.get("/personal/").status_code == 200
    assert client.get(QUEUE).status_code == 403
    assert decide(client, req.id, "approve").status_code == 403
    assert fresh(req.id).status == "pending"


def test_queue_needs_a_staff_login(client, auth):
    response = client.get(QUEUE)
    assert response.status_code == 303 and response.headers["Location"].startswith("/personal/ingresar")
    auth.as_new("hanna", "empleador@example.com", entity=factories.entity())
    assert client.get(QUEUE).status_code == 403
    assert client.get("/personal/auditoria").status_code == 403


# --- the list --------------------------------------------------------------------------------

def test_list_defaults_to_pending_and_shows_the_columns(client, auth):
    pending = request_for("ana@example.com", "EMPRESAS")
    decided = request_for("beto@example.com", "EMPRESAS", status="rejected")
    auth.as_new("staff", "cartera", roles="cartera")
    page = client.get(QUEUE).get_data(as_text=True)
    for header in ("Fecha", "Entidad", "NIT", "Usuario", "Email", "Aplicación", "Estado", "Opciones"):
        assert f"<th>{header}</th>" in page
    assert rows_in(page) == [str(pending.id)]
    assert "EMPRESA DEMO S.A.S." in page and "800100200" in page and "ana@example.com" in page
    assert "Usuario ana" in page and "Aprobar" in page and "Rechazar" in page
    assert 'data-status="pending" aria-current="true">Pendientes: <strong>1</strong>' in page
    assert "Rechazadas: <strong>1</strong>" in page and "Todas: <strong>2</strong>" in page
    assert "Mostrando registro(s) del 1 al 1 de un total de 1 registro(s)" in page
    assert "Mostrar" in page and "registros por página" in page
    all_page = client.get(QUEUE + "?estado=all").get_data(as_text=True)
    assert set(rows_in(all_page)) == {str(pending.id), str(decided.id)}


def test_pending_queue_is_oldest_first(client, auth):
    newer = request_for("nuevo@example.com", age_minutes=1)
    older = request_for("viejo@example.com", age_minutes=90)
    auth.as_new("staff", "admin", roles="admin")
    assert rows_in(client.get(QUEUE).get_data(as_text=True)) == [str(older.id), str(newer.id)]


def test_filter_by_application_and_role_scope(client, auth):
    emp = request_for("a@example.com", "EMPRESAS")
    prov = request_for("b@example.com", "PROVEEDORES")
    auth.as_new("staff", "admin", roles="admin")
    assert rows_in(client.get(QUEUE + "?aplicacion=PROVEEDORES").get_data(as_text=True)) == [str(prov.id)]
    assert rows_in(client.get(QUEUE + "?aplicacion=EMPRESAS").get_data(as_text=True)) == [str(emp.id)]
    browser = auth.new_client("staff", "pagador", roles="pagos")
    page = browser.get(QUEUE + "?aplicacion=EMPRESAS").get_data(as_text=True)
    assert rows_in(page) == [str(prov.id)]  # pagos never sees EMPRESAS requests


@pytest.mark.parametrize("q,expected", [
    ("800100", {"a"}), ("demo", {"a"}), ("ACME", {"b"}), ("carla@", {"c"}), ("nadie", set()),
    ("%", set()), ("_", set()),
])
def test_active_search_by_nit_name_or_email(client, auth, q, expected):
    ids = {"a": request_for("ana@example.com").id,
           "b": request_for("beto@example.com", nit="900555666", name="ACME LTDA").id,
           "c": request_for("carla@example.com", nit="900777888", name="TIENDA S.A.").id}
    auth.as_new("staff", "cartera", roles="cartera")
    response = client.get(QUEUE, query_string={"q": q}, headers=HTMX)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in page and page.lstrip().startswith('<div id="requests-table">')
    assert set(rows_in(page)) == {str(ids[k]) for k in expected}
    assert response.headers["Vary"] and "HX-Request" in response.headers["Vary"]


def test_search_input_uses_active_search(client, auth):
    auth.as_new("staff", "cartera", roles="cartera")
    page = client.get(QUEUE).get_data(as_text=True)
    assert 'hx-trigger="search, input changed delay:300ms"' in page and 'hx-get="/personal/solicitudes"' in page


def test_pagination_ten_per_page(client, auth):
    ids = [request_for(f"u{i:02d}@example.com", age_minutes=100 - i).id for i in range(12)]
    auth.as_new("staff", "cartera", roles="cartera")
    first = client.get(QUEUE).get_data(as_text=True)
    assert rows_in(first) == [str(i) for i in ids[:10]]
    assert "Mostrando registro(s) del 1 al 10 de un total de 12 registro(s)" in first
    assert 'href="/personal/solicitudes?pagina=2"' in first  # the default estado is left out
    second = client.get(QUEUE + "?pagina=2").get_data(as_text=True)
    assert rows_in(second) == [str(i) for i in ids[10:]]
    assert "Mostrando registro(s) del 11 al 12 de un total de 12 registro(s)" in second
    beyond = client.get(QUEUE + "?pagina=99").get_data(as_text=True)
    assert "del 11 al 12" in beyond
    assert "del 1 al 1 " not in client.get(QUEUE + "?pagina=abc").get_data(as_text=True)
    wide = client.get(QUEUE + "?por_pagina=25").get_data(as_text=True)
    assert len(rows_in(wide)) == 12 and "del 1 al 12 de un total de 12" in wide
    odd = client.get(QUEUE + "?por_pagina=7").get_data(as_text=True)
    assert len(rows_in(odd)) == 10


def test_empty_queue(client, auth):
    auth.as_new("staff", "cartera", roles="cartera")
    page = client.get(QUEUE).get_data(as_text=True)
    assert "No hay solicitudes con estos filtros." in page
    assert "Mostrando registro(s) del 0 al 0 de un total de 0 registro(s)" in page


# --- decisions -----------------------------------------------------------------------------

def test_approve_without_javascript(client, auth, frozen_clock):
    req = request_for("ana@example.com")
    reviewer = auth.as_new("staff", "cartera", roles="cartera")
    response = decide(client, req.id, "approve", back="/personal/solicitudes?estado=all")
    assert response.status_code == 303 and response.headers["Location"] == "/personal/solicitudes?estado=all"
    req = fresh(req.id)
    assert (req.status, req.reviewed_by_id, req.reviewed_at, req.review_note) == \
        ("approved", reviewer.id, frozen_clock.utcnow(), None)
    event = events("application_request.approved")[0]
    assert event.actor_id == reviewer.id and event.subject == f"request:{req.id}"
    assert json.loads(event.detail)["application"] == "EMPRESAS"
    mail = mails_to("ana@example.com")[-1]
    assert "aprobada" in mail.subject and "aprobó su solicitud de la aplicación EMPRESAS" in mail.body
    assert "Solicitud de EMPRESAS de ana@example.com aprobada." in client.get(
        "/personal/solicitudes?estado=all").get_data(as_text=True)


def test_approved_user_sees_the_tile(app, auth):
    req = request_for("ana@example.com", "PROVEEDORES")
    reviewer = auth.new_client("staff", "pagos", roles="pagos")
    assert decide(reviewer, req.id, "approve").status_code == 303
    hanna = app.test_client()
    auth.login("hanna", "ana@example.com", client=hanna)
    assert 'href="/hanna/proveedores/">Acceder' in hanna.get("/hanna/").get_data(as_text=True)
    assert hanna.get("/hanna/proveedores/").status_code == 200


def test_approve_with_htmx_swaps_the_row(client, auth):
    req = request_for("ana@example.com")
    auth.as_new("staff", "admin", roles="admin")
    response = decide(client, req.id, "approve", headers=HTMX)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in page
    assert page.lstrip().startswith(f'<tr id="request-{req.id}" data-status="approved">')
    assert "Aprobada" in page and "Aprobar</button>" not in page


@pytest.mark.parametrize("note", ["", "   "])
def test_rejection_requires_an_observacion(client, auth, note):
    req = request_for("ana@example.com")
    auth.as_new("staff", "cartera", roles="cartera")
    response = decide(client, req.id, "reject", note=note)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Observación: escriba el motivo del rechazo" in page
    assert fresh(req.id).status == "pending" and fresh(req.id).reviewed_by_id is None
    assert mails_to("ana@example.com") == []
    response = decide(client, req.id, "reject", note=note, headers=HTMX)
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert "Observación: escriba el motivo del rechazo" in response.get_data(as_text=True)


def test_reject_with_observacion_emails_the_reason(client, auth):
    req = request_for("ana@example.com")
    reviewer = auth.as_new("staff", "cartera", roles="cartera")
    decide(client, req.id, "reject", note="Adjunte el RUT actualizado")
    req = fresh(req.id)
    assert (req.status, req.review_note, req.reviewed_by_id) == ("rejected", "Adjunte el RUT actualizado", reviewer.id)
    mail = mails_to("ana@example.com")[-1]
    assert "rechazada" in mail.subject and "Observación: Adjunte el RUT actualizado" in mail.body
    assert events("application_request.rejected")[0].actor_id == reviewer.id


@pytest.mark.parametrize("decision", ["", "borrar", "approved"])
def test_unknown_decision_changes_nothing(client, auth, decision):
    req = request_for("ana@example.com")
    auth.as_new("staff", "cartera", roles="cartera")
    response = decide(client, req.id, decision, headers=HTMX)
    assert response.status_code == 422 and "Escoja Aprobar o Rechazar." in response.get_data(as_text=True)
    assert fresh(req.id).status == "pending"


def test_observacion_too_long_is_refused(client, auth):
    req = request_for("ana@example.com")
    auth.as_new("staff", "cartera", roles="cartera")
    response = decide(client, req.id, "reject", note="x" * 501, headers=HTMX)
    assert response.status_code == 422 and "como máximo 500 caracteres" in response.get_data(as_text=True)
    assert fresh(req.id).status == "pending"


def test_double_decision_changes_nothing_and_says_so(app, auth):
    req = request_for("ana@example.com")
    first, second = app.test_client(), app.test_client()
    one = auth.as_new("staff", "primera", roles="cartera", client=first)
    auth.as_new("staff", "segunda", roles="admin", client=second)
    assert decide(first, req.id, "approve").status_code == 303
    response = decide(second, req.id, "reject", note="No corresponde", headers=HTMX)
    assert response.status_code == 422
    assert "Esta solicitud ya fue aprobada por otra persona; no se cambió nada." in response.get_data(as_text=True)
    req = fresh(req.id)
    assert (req.status, req.reviewed_by_id, req.review_note) == ("approved", one.id, None)
    assert len(mails_to("ana@example.com")) == 1
    assert len(events("application_request.decision_refused")) == 1


def test_concurrent_decision_is_caught_by_the_conditional_update(app, auth):
    """The reviewer's session still believes the request is pending (loaded before the
    other decision committed): the UPDATE … WHERE status='pending' must refuse it."""
    req = request_for("ana@example.com")
    reviewer = auth.as_new("staff", "cartera", roles="cartera")
    with app.test_request_context():
        loaded = db.session.get(ApplicationRequest, req.id)
        assert loaded.status == "pending"
        with db.engine.begin() as conn:  # another worker decides in between
            conn.execute(text("UPDATE application_requests SET status='rejected', review_note='otro' "
                              "WHERE id=:id"), {"id": req.id})
        result = staff_queue.decide(reviewer, req.id, "approve")
    assert result.status == "already_decided" and "rechazada" in result.message
    assert fresh(req.id).status == "rejected" and fresh(req.id).reviewed_by_id is None


def test_cartera_cannot_decide_proveedores(client, auth):
    req = request_for("ana@example.com", "PROVEEDORES")
    auth.as_new("staff", "cartera", roles="cartera")
    assert decide(client, req.id, "approve").status_code == 403
    assert fresh(req.id).status == "pending"
    assert events("application_request.approved") == []


def test_pagos_decides_proveedores_but_not_empresas(client, auth):
    prov = request_for("ana@example.com", "PROVEEDORES")
    emp = request_for("beto@example.com", "EMPRESAS")
    auth.as_new("staff", "pagos", roles="pagos")
    assert decide(client, emp.id, "approve").status_code == 403
    assert decide(client, prov.id, "approve").status_code == 303
    assert (fresh(prov.id).status, fresh(emp.id).status) == ("approved", "pending")


def test_unknown_request_is_404(client, auth):
    auth.as_new("staff", "admin", roles="admin")
    assert decide(client, 999, "approve").status_code == 404


def test_unsafe_back_goes_to_the_queue(client, auth):
    req = request_for("ana@example.com")
    auth.as_new("staff", "cartera", roles="cartera")
    response = decide(client, req.id, "approve", back="https://evil.example/x")
    assert response.headers["Location"] == "/personal/solicitudes"


def test_decision_needs_csrf(client, auth):
    req = request_for("ana@example.com")
    auth.as_new("staff", "cartera", roles="cartera")
    response = client.post(f"{QUEUE}/{req.id}/decidir", data={"decision": "approve"})
    assert response.status_code == 400
    assert fresh(req.id).status == "pending"


def test_decision_by_get_is_not_allowed(client, auth):
    req = request_for("ana@example.com")
    auth.as_new("staff", "cartera", roles="cartera")
    assert client.get(f"{QUEUE}/{req.id}/decidir").status_code == 405


# --- audit log -------------------------------------------------------------------------------

def test_audit_log_is_for_admins_only(client, auth):
    auth.as_new("staff", "cartera", roles="cartera")
    assert client.get("/personal/auditoria").status_code == 403


def test_audit_log_lists_filters_and_searches(client, auth):
    req = request_for("ana@example.com")
    admin = auth.as_new("staff", "admin", roles="admin")
    decide(client, req.id, "reject", note="Sin soporte")
    page = client.get("/personal/auditoria").get_data(as_text=True)
    for header in ("Fecha", "Acción", "Actor", "Sujeto", "IP", "Detalle"):
        assert f"<th>{header}</th>" in page
    assert "application_request.rejected" in page and f"{admin.username} (staff)" in page
    assert "127.0.0.1" in page and "Sin soporte" in page
    assert 'hx-trigger="search, input changed delay:300ms"' in page
    only = client.get("/personal/auditoria?accion=login.success").get_data(as_text=True)
    assert "<code>login.success</code>" in only and "<code>application_request.rejected</code>" not in only
    found = client.get("/personal/auditoria", query_string={"q": "soporte"}, headers=HTMX)
    body = found.get_data(as_text=True)
    assert "<html" not in body and "<code>application_request.rejected</code>" in body
    assert "<code>login.success</code>" not in body


def test_audit_log_paginates(client, auth):
    auth.as_new("staff", "admin", roles="admin")
    for i in range(14):
        db.session.add(AuditEvent(action="prueba.evento", subject=f"s{i}"))
    db.session.commit()
    page = client.get("/personal/auditoria?accion=prueba.evento").get_data(as_text=True)
    assert "Mostrando registro(s) del 1 al 10 de un total de 14 registro(s)" in page
    assert page.count("<code>prueba.evento</code>") == 10
    assert 'href="/personal/auditoria?accion=prueba.evento&amp;pagina=2"' in page
    second = client.get("/personal/auditoria?accion=prueba.evento&pagina=2").get_data(as_text=True)
    assert "del 11 al 14 de un total de 14" in second and second.count("<code>prueba.evento</code>") == 4
