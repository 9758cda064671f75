"""Plataforma Hanna: Creación de usuario, Solicitud de aplicaciones, home tiles, EMPRESAS
with its branch choice, PROVEEDORES' CONSULTAR ORDEN (manuals 000 and 002)."""
import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from portal.domain.clock import utcnow
from portal.domain.formatting import today_bogota
from portal.extensions import db
from portal.models import (
    ApplicationRequest,
    AuditEvent,
    Branch,
    Entity,
    OutboxMessage,
    SubsidyOrder,
    User,
)
from portal.services import passwords
from tests import factories
from tests.conftest import post

REGISTER = "/hanna/registro"
NEW_PASSWORD = "Hanna#24ok"
HTMX = {"HX-Request": "true"}



# --- builders -----------------------------------------------------------------------------

def form(**changes):
    data = {"nit": "800100200", "entity_name": "EMPRESA DEMO S.A.S.", "full_name": "Ana Gómez",
            "username": "Ana.Gomez@Example.com", "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD, "accept_policy": "y"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def hanna_user(email="empleador@example.com", entity=None, approved=(), pending=(), rejected=()):
    entity = entity or db.session.query(Entity).filter_by(nit="800100200").first() or factories.entity()
    user = factories.user("hanna", email, entity=entity)
    for status, apps in (("approved", approved), ("pending", pending), ("rejected", rejected)):
        for app in apps:
            db.session.add(ApplicationRequest(user_id=user.id, entity_id=entity.id, application=app,
                                              status=status,
                                              review_note="Falta el RUT" if status == "rejected" else None))
    db.session.commit()
    return user


def branch(entity, code, name, city="Barranquilla"):
    b = Branch(entity_id=entity.id, code=code, name=name, city=city)
    db.session.add(b)
    db.session.commit()
    return b


def order(supplier, number="100245", cedula="1045678434", amount="1250000.00", status="issued",
          items=None):
    closed = {"redeemed": {"redeemed_at": utcnow()}, "annulled": {"annulled_at": utcnow()}}.get(status, {})
    o = SubsidyOrder(document_type="ADELANTO POR SUBSIDIOS", number=number, supplier_entity_id=supplier.id,
                     affiliate_cedula=cedula, affiliate_name="MARIA PEREZ", amount=Decimal(amount),
                     status=status, valid_until=today_bogota() + timedelta(days=30), **closed,
                     items_json=json.dumps(items if items is not None else [
                         {"description": "Mercado básico", "quantity": 1, "amount": "850000"},
                         {"description": "Útiles escolares", "quantity": 2, "amount": "400000"}]))
    db.session.add(o)
    db.session.commit()
    return o


def actions():
    return [e.action for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]


def events(action):
    return db.session.query(AuditEvent).filter_by(action=action).order_by(AuditEvent.id).all()


def body(response):
    return response.get_data(as_text=True)


# --- Creación de usuario ----------------------------------------------------------------

def test_registration_page_has_the_fields_and_the_live_password_rules(client):
    page = body(client.get(REGISTER))
    for label in ("NIT de la entidad", "Nombre o razón social de la entidad", "Nombre completo",
                  "Email", "Contraseña", "Confirmar contraseña",
                  "política de tratamiento de datos personales", "Requisitos para crear la contraseña"):
        assert label in page
    assert 'name="new_password"' in page and 'hx-post="/contrasena/reglas"' in page
    assert 'id="password-rules"' in page and "De 8 a 15 caracteres" in page
    # The endpoint the field posts to answers with the rules checked.
    rules = body(post(client, "/contrasena/reglas", {"new_password": "abc"}, page=REGISTER))
    assert 'data-rule="lower"' in rules and 'class="ok" data-rule="lower"' in rules
    assert 'class="no" data-rule="length"' in rules


def test_registration_creates_entity_and_user_signs_in_and_sends_welcome(client):
    response = post(client, REGISTER, form(nit="800.100.200"), page=REGISTER)
    assert response.status_code == 303
    assert response.headers["Location"] == "/hanna/"
    user = db.session.query(User).filter_by(kind="hanna").one()
    assert user.username == "ana.gomez@example.com" and user.email == "ana.gomez@example.com"
    assert user.full_name == "Ana Gómez" and user.terms_accepted_at is not None
    assert passwords.verify(user.password_hash, NEW_PASSWORD)
    entity = db.session.query(Entity).one()
    assert (entity.nit, entity.name, user.entity_id) == ("800100200", "EMPRESA DEMO S.A.S.", entity.id)
    mail = db.session.query(OutboxMessage).filter_by(recipient="ana.gomez@example.com").one()
    assert mail.subject == "Bienvenido a la Plataforma Hanna" and "Solicitud de aplicaciones" in mail.body
    registered = events("hanna.user_registered")[0]
    assert registered.actor_id == user.id and json.loads(registered.detail)["new_entity"] is True
    page = client.get("/hanna/")
    assert page.status_code == 200 and "Su usuario quedó creado" in body(page)
    assert "Aún no tiene aplicaciones aprobadas" in body(page)


def test_registered_user_can_sign_in_with_the_email(app, auth):
    post(app.test_client(), REGISTER, form(), page=REGISTER)
    other = app.test_client()
    response = auth.login("hanna", "ANA.GOMEZ@example.com", NEW_PASSWORD, client=other)
    assert response.status_code == 303 and response.headers["Location"] == "/hanna/"


def test_existing_nit_attaches_the_user_without_giving_access(client):
    entity = factories.entity("800100200", "EMPRESA DEMO S.A.S.")
    hanna_user("jefe@example.com", entity, approved=["EMPRESAS"])
    response = post(client, REGISTER, form(entity_name="Otro nombre"), page=REGISTER)
    assert response.status_code == 303
    user = db.session.query(User).filter_by(username="ana.gomez@example.com").one()
    assert user.entity_id == entity.id
    assert db.session.query(Entity).count() == 1
    assert db.session.get(Entity, entity.id).name == "EMPRESA DEMO S.A.S."  # not renamed
    assert json.loads(events("hanna.user_registered")[0].detail)["new_entity"] is False
    assert client.get("/hanna/empresas/").status_code == 403


@pytest.mark.parametrize("changes,field,message", [
    ({"nit": ""}, "nit", "Este campo es obligatorio."),
    ({"nit": "80A100200"}, "nit", "Escriba solo los números del NIT"),
    ({"nit": "800100200-1"}, "nit", "sin guiones ni dígito de verificación"),
    ({"nit": "123"}, "nit", "5 a 15 dígitos"),
    ({"entity_name": ""}, "entity_name", "Este campo es obligatorio."),
    ({"entity_name": "x" * 161}, "entity_name", "como máximo 160 caracteres"),
    ({"full_name": "  "}, "full_name", "Este campo es obligatorio."),
    ({"username": ""}, "username", "Este campo es obligatorio."),
    ({"username": "ana-at-example.com"}, "username", "Escriba un correo electrónico válido"),
    ({"new_password": "", "confirm_password": ""}, "new_password", "Este campo es obligatorio."),
    ({"confirm_password": "Hanna#24ko"}, "confirm_password", "La confirmación no coincide con la contraseña."),
    ({"accept_policy": None}, "accept_policy", "Debe aceptar la política de tratamiento de datos"),
])
def test_bad_input_is_named_and_changes_nothing(client, changes, field, message):
    response = post(client, REGISTER, form(**changes), page=REGISTER)
    assert response.status_code == 422
    page = body(response)
    assert message in page
    assert re.search(rf'class="field( check)? has-error" id="field-{field}"', page)
    assert db.session.query(User).count() == 0 and db.session.query(Entity).count() == 0
    assert db.session.query(OutboxMessage).count() == 0
    assert client.get("/hanna/").status_code == 303  # not signed in


def test_weak_password_lists_every_failed_rule(client):
    response = post(client, REGISTER, form(new_password="abc", confirm_password="abc"), page=REGISTER)
    assert response.status_code == 422
    page = body(response)
    assert "La contraseña no cumple: de 8 a 15 caracteres; al menos una letra mayúscula; de 1 a 3 números" in page
    assert "al menos un carácter especial" in page
    assert 'class="no" data-rule="upper"' in page and 'class="ok" data-rule="lower"' in page
    assert db.session.query(User).count() == 0


def test_several_errors_are_reported_at_once(client):
    response = post(client, REGISTER, form(nit="", username="malo", confirm_password="x"), page=REGISTER)
    page = body(response)
    assert response.status_code == 422
    assert "Revise los datos marcados" in page
    assert "NIT de la entidad: Este campo es obligatorio." in page
    assert "Email: Escriba un correo electrónico válido" in page
    assert "Confirmar contraseña: La confirmación no coincide" in page


def test_duplicate_email_is_refused_clearly(client):
    factories.user("hanna", "ana.gomez@example.com", entity=factories.entity("900900900", "OTRA"))
    response = post(client, REGISTER, form(), page=REGISTER)
    assert response.status_code == 422
    assert "Ya existe un usuario de la Plataforma Hanna con este correo" in body(response)
    assert db.session.query(User).count() == 1
    assert db.session.query(Entity).count() == 1  # the new NIT was not created either
    assert "hanna.registration_rejected" in actions()


def test_registration_is_rate_limited_per_email(client):
    statuses = [post(client, REGISTER, form(nit="1"), page=REGISTER).status_code for _ in range(11)]
    assert statuses[:10] == [422] * 10 and statuses[10] == 429


def test_signed_in_hanna_user_is_sent_home_from_registration(client, auth):
    auth.as_user(hanna_user())
    response = client.get(REGISTER)
    assert response.status_code == 302 and response.headers["Location"] == "/hanna/"


# --- Solicitud de aplicaciones -------------------------------------------------------------

def test_requests_page_needs_a_hanna_login(client, auth):
    response = client.get("/hanna/solicitudes")
    assert response.status_code == 303 and response.headers["Location"].startswith("/hanna/ingresar")
    auth.as_new("staff", "analista", roles="admin")
    assert client.get("/hanna/solicitudes").status_code == 403


def test_request_an_application_then_see_it_pending(client, auth):
    user = hanna_user()
    auth.as_user(user)
    response = post(client, "/hanna/solicitudes", {"application": "EMPRESAS", "note": "Jefe de nómina"},
                    page="/hanna/solicitudes")
    assert response.status_code == 303 and response.headers["Location"] == "/hanna/solicitudes"
    req = db.session.query(ApplicationRequest).one()
    assert (req.user_id, req.entity_id, req.application, req.status, req.note) == \
        (user.id, user.entity_id, "EMPRESAS", "pending", "Jefe de nómina")
    page = body(client.get("/hanna/solicitudes"))
    assert "quedó registrada" in page and "Pendiente" in page
    assert '<option value="EMPRESAS"' not in page and '<option value="PROVEEDORES"' in page
    assert events("application_request.created")[0].actor_id == user.id


def test_request_with_htmx_returns_the_panel_only(client, auth):
    auth.as_user(hanna_user())
    response = post(client, "/hanna/solicitudes", {"application": "PROVEEDORES"}, page="/hanna/solicitudes",
                    headers=HTMX)
    page = body(response)
    assert response.status_code == 200 and "<html" not in page
    assert 'id="requests-panel"' in page and "quedó registrada" in page and "Pendiente" in page


@pytest.mark.parametrize("application", ["", "OTRA", "CONVENIOS"])
def test_unknown_application_is_refused(client, auth, application):
    auth.as_user(hanna_user())
    response = post(client, "/hanna/solicitudes", {"application": application}, page="/hanna/solicitudes")
    assert response.status_code == 422
    assert "Escoja la aplicación que desea solicitar: EMPRESAS o PROVEEDORES." in body(response)
    assert db.session.query(ApplicationRequest).count() == 0


def test_note_too_long_is_refused(client, auth):
    auth.as_user(hanna_user())
    response = post(client, "/hanna/solicitudes", {"application": "EMPRESAS", "note": "x" * 501},
                    page="/hanna/solicitudes")
    assert response.status_code == 422 and "como máximo 500 caracteres" in body(response)
    assert db.session.query(ApplicationRequest).count() == 0


def test_pending_or_approved_request_is_not_duplicated(client, auth):
    auth.as_user(hanna_user(pending=["EMPRESAS"], approved=["PROVEEDORES"]))
    response = post(client, "/hanna/solicitudes", {"application": "EMPRESAS"}, page="/hanna/solicitudes")
    assert response.status_code == 422 and "Ya tiene una solicitud pendiente" in body(response)
    response = post(client, "/hanna/solicitudes", {"application": "PROVEEDORES"}, page="/hanna/solicitudes")
    assert response.status_code == 422 and "ya está aprobada" in body(response)
    assert db.session.query(ApplicationRequest).count() == 2
    assert {r.status for r in db.session.query(ApplicationRequest)} == {"pending", "approved"}


def test_rejected_request_can_be_asked_again(client, auth, frozen_clock):
    user = hanna_user(rejected=["EMPRESAS"])
    reviewer = factories.user("staff", "analista", roles="cartera")
    req = db.session.query(ApplicationRequest).one()
    req.reviewed_by_id = reviewer.id
    db.session.commit()
    auth.as_user(user)
    assert "Falta el RUT" in body(client.get("/hanna/solicitudes"))
    frozen_clock.advance(600)
    response = post(client, "/hanna/solicitudes", {"application": "EMPRESAS"}, page="/hanna/solicitudes")
    assert response.status_code == 303
    db.session.expire_all()
    req = db.session.query(ApplicationRequest).one()
    assert (req.status, req.review_note, req.reviewed_by_id, req.reviewed_at) == ("pending", None, None, None)
    assert req.created_at == frozen_clock.utcnow()
    assert "application_request.resubmitted" in actions()


def test_user_without_entity_cannot_request(client, auth):
    user = factories.user("hanna", "suelto@example.com")
    auth.as_user(user)
    response = post(client, "/hanna/solicitudes", {"application": "EMPRESAS"}, page="/hanna/solicitudes")
    assert response.status_code == 422 and "no está asociado a ninguna entidad" in body(response)
    assert db.session.query(ApplicationRequest).count() == 0


# --- Home ---------------------------------------------------------------------------------

def test_home_without_approvals_explains_how_to_request(client, auth):
    auth.as_user(hanna_user(pending=["EMPRESAS"]))
    page = body(client.get("/hanna/"))
    assert "Bienvenido a nuestra plataforma de Servicios Hanna" in page
    assert "Aún no tiene aplicaciones aprobadas" in page and 'href="/hanna/solicitudes"' in page
    assert "EMPRESAS: <span class=\"badge pending\">Pendiente" in page
    assert "Acceder" not in page


def test_home_shows_only_approved_tiles(client, auth):
    auth.as_user(hanna_user(approved=["EMPRESAS"], pending=["PROVEEDORES"]))
    page = body(client.get("/hanna/"))
    assert 'data-app="EMPRESAS"' in page and 'href="/hanna/empresas/">Acceder' in page
    assert "Acceda aquí a la plataforma de empresas Cajacopi" in page
    assert 'data-app="PROVEEDORES"' not in page and "/hanna/proveedores/" not in page
    assert "Sus solicitudes en curso" in page


def test_home_with_both_applications(client, auth):
    auth.as_user(hanna_user(approved=["EMPRESAS", "PROVEEDORES"]))
    page = body(client.get("/hanna/"))
    assert 'href="/hanna/empresas/">Acceder' in page and 'href="/hanna/proveedores/">Acceder' in page
    assert "consultar las ordenes de adelanto por subsidios" in page
    assert "Aún no tiene aplicaciones aprobadas" not in page


def test_approval_of_another_user_of_the_entity_does_not_count(client, auth):
    entity = factories.entity()
    hanna_user("jefe@example.com", entity, approved=["EMPRESAS", "PROVEEDORES"])
    auth.as_user(hanna_user("nuevo@example.com", entity))
    assert 'data-app="EMPRESAS"' not in body(client.get("/hanna/"))
    assert client.get("/hanna/empresas/").status_code == 403
    assert client.get("/hanna/proveedores/").status_code == 403


# --- EMPRESAS and the branch choice -----------------------------------------------------------

@pytest.mark.parametrize("kwargs,explains", [
    ({}, "necesita una solicitud de esa aplicación aprobada"),
    ({"pending": ["EMPRESAS"]}, "está <strong>pendiente</strong>"),
    ({"rejected": ["EMPRESAS"]}, "Observación de la Caja: Falta el RUT"),
])
def test_empresas_without_approval_is_403_with_an_explanation(client, auth, kwargs, explains):
    auth.as_user(hanna_user(**kwargs))
    response = client.get("/hanna/empresas/")
    assert response.status_code == 403
    page = body(response)
    assert "Aún no tiene acceso a EMPRESAS" in page and explains in page
    assert 'href="/hanna/solicitudes"' in page
    branch(db.session.query(Entity).one(), "01", "PRINCIPAL")
    assert client.get("/hanna/empresas/sucursal").status_code == 403
    assert post(client, "/hanna/empresas/sucursal", {"branch_id": "1"}, page="/hanna/").status_code == 403


def test_other_kinds_cannot_open_empresas(client, auth):
    auth.as_new("staff", "analista", roles="admin")
    assert client.get("/hanna/empresas/").status_code == 403
    assert client.get("/hanna/proveedores/").status_code == 403


def test_single_branch_entity_skips_the_choice(client, auth, app):
    user = hanna_user(approved=["EMPRESAS"])
    only = branch(user.entity, "01", "PRINCIPAL", "Barranquilla")
    auth.as_user(user)
    response = client.get("/hanna/empresas/")
    assert response.status_code == 200
    page = body(response)
    assert "EMPRESA DEMO S.A.S." in page and "800100200" in page
    assert "01 · PRINCIPAL (Barranquilla)" in page and "Cambiar sucursal" not in page
    assert "CRÉDITOS" in page and "Estado De Cartera" in page
    assert "Aquí podrá encontrar el estado de cartera correspondiente a los créditos adquiridos." in page
    if "cartera.index" in app.view_functions:
        assert "Disponible próximamente" not in page
    else:
        assert "Disponible próximamente" in page
    with client.session_transaction() as s:
        assert s["hanna_branch_id"] == only.id


def test_cartera_card_links_when_the_module_exists(app, client, auth):
    if "cartera.index" not in app.view_functions:
        app.add_url_rule("/hanna/cartera-prueba/", endpoint="cartera.index", view_func=lambda: "cartera")
    user = hanna_user(approved=["EMPRESAS"])
    branch(user.entity, "01", "PRINCIPAL")
    auth.as_user(user)
    page = body(client.get("/hanna/empresas/"))
    from flask import url_for
    with app.test_request_context():
        target = url_for("cartera.index")
    assert f'href="{target}">Acceder' in page and "Disponible próximamente" not in page


def test_entity_without_branches_says_so(client, auth):
    auth.as_user(hanna_user(approved=["EMPRESAS"]))
    response = client.get("/hanna/empresas/")
    assert response.status_code == 200 and "no tiene sucursales registradas" in body(response)


def test_several_branches_ask_for_the_choice_then_show_it(client, auth):
    user = hanna_user(approved=["EMPRESAS"])
    b1 = branch(user.entity, "01", "PRINCIPAL")
    b2 = branch(user.entity, "02", "SUCURSAL SOLEDAD", "Soledad")
    foreign = branch(factories.entity("900111222", "AJENA S.A."), "01", "AJENA CENTRO")
    auth.as_user(user)
    response = client.get("/hanna/empresas/")
    assert response.status_code == 302 and response.headers["Location"] == "/hanna/empresas/sucursal"
    page = body(client.get("/hanna/empresas/sucursal"))
    assert "Escoja la sucursal de la empresa" in page
    assert "PRINCIPAL" in page and "SUCURSAL SOLEDAD" in page and "AJENA CENTRO" not in page
    assert f'value="{b1.id}"' in page and f'value="{foreign.id}"' not in page
    response = post(client, "/hanna/empresas/sucursal", {"branch_id": str(b2.id)}, page="/hanna/")
    assert response.status_code == 303 and response.headers["Location"] == "/hanna/empresas/"
    page = body(client.get("/hanna/empresas/"))
    assert "02 · SUCURSAL SOLEDAD (Soledad)" in page and 'href="/hanna/empresas/sucursal">Cambiar sucursal' in page
    selected = events("hanna.branch_selected")
    assert len(selected) == 1 and selected[0].subject == f"branch:{b2.id}"


@pytest.mark.parametrize("value", ["foreign", "999999", "abc", ""])
def test_branch_of_another_entity_or_unknown_is_refused(client, auth, value):
    user = hanna_user(approved=["EMPRESAS"])
    mine = branch(user.entity, "01", "PRINCIPAL")
    branch(user.entity, "02", "NORTE")
    foreign = branch(factories.entity("900111222", "AJENA S.A."), "01", "AJENA CENTRO")
    auth.as_user(user)
    post(client, "/hanna/empresas/sucursal", {"branch_id": str(mine.id)}, page="/hanna/")
    branch_id = str(foreign.id) if value == "foreign" else value
    response = post(client, "/hanna/empresas/sucursal", {"branch_id": branch_id}, page="/hanna/")
    assert response.status_code == (422 if value == "" else 404)
    with client.session_transaction() as s:
        assert s["hanna_branch_id"] == mine.id  # unchanged
    if value != "":
        assert len(events("hanna.branch_refused")) == 1


def test_a_forged_session_branch_is_ignored(client, auth):
    user = hanna_user(approved=["EMPRESAS"])
    branch(user.entity, "01", "PRINCIPAL")
    branch(user.entity, "02", "NORTE")
    foreign = branch(factories.entity("900111222", "AJENA S.A."), "01", "AJENA CENTRO")
    auth.as_user(user)
    with client.session_transaction() as s:
        s["hanna_branch_id"] = foreign.id
    response = client.get("/hanna/empresas/")
    assert response.status_code == 302 and response.headers["Location"] == "/hanna/empresas/sucursal"


# --- PROVEEDORES: CONSULTAR ORDEN ---------------------------------------------------------------

LOOKUP = "/hanna/proveedores/"


def signed_in_supplier(auth, **kwargs):
    return auth.as_user(hanna_user("proveedor@example.com", approved=["PROVEEDORES"], **kwargs))


def lookup(client, cedula="1045678434", number="100245", document_type="ADELANTO POR SUBSIDIOS",
           headers=None):
    return post(client, LOOKUP, {"cedula": cedula, "document_type": document_type, "number": number},
                page="/hanna/", headers=headers)


def test_supplier_without_approval_gets_403(client, auth):
    auth.as_user(hanna_user("proveedor@example.com", approved=["EMPRESAS"], pending=["PROVEEDORES"]))
    response = client.get(LOOKUP)
    assert response.status_code == 403 and "Aún no tiene acceso a PROVEEDORES" in body(response)
    assert lookup(client).status_code == 403
    assert not events("subsidy_order.lookup")


def test_lookup_page_shows_the_manuals_texts(client, auth):
    signed_in_supplier(auth)
    page = body(client.get(LOOKUP))
    assert "Información Importante!" in page and "CONSULTAR ORDEN" in page
    assert "Si usted desea validar la autenticidad de una orden" in page
    assert "Nit / Cédula" in page and "Tipo Documento" in page and "Nro Documento" in page
    assert '<option value="ADELANTO POR SUBSIDIOS">ADELANTO POR SUBSIDIOS</option>' in page


def test_lookup_found_shows_the_order_and_is_audited(client, auth):
    user = signed_in_supplier(auth)
    order(user.entity)
    response = lookup(client, cedula="1.045.678.434")
    assert response.status_code == 200
    page = body(response)
    assert "ADELANTO POR SUBSIDIOS Nro 100245" in page and "MARIA PEREZ" in page and "1045678434" in page
    assert "$\xa01.250.000" in page and "Vigente" in page
    assert "Mercado básico" in page and "$\xa0850.000" in page and "Útiles escolares" in page
    assert "Si al digitar el documento, no recibe información" not in page
    event = events("subsidy_order.lookup")[0]
    assert event.actor_id == user.id and event.subject == "ADELANTO POR SUBSIDIOS:100245"
    assert json.loads(event.detail)["found"] is True


def test_lookup_shows_issue_date_and_warns_on_annulled_order(client, auth, frozen_clock):
    user = signed_in_supplier(auth)
    order(user.entity, status="annulled", items=[])
    page = body(lookup(client))
    assert "26/05/2026" in page and "Anulada" in page and "no puede recibirse como válida" in page


@pytest.mark.parametrize("cedula,number", [("1045678435", "100245"), ("1045678434", "100246")])
def test_lookup_not_found_gives_the_manuals_message(client, auth, cedula, number):
    user = signed_in_supplier(auth)
    order(user.entity)
    response = lookup(client, cedula=cedula, number=number)
    assert response.status_code == 200
    page = body(response)
    assert ("Si al digitar el documento, no recibe información de respuesta o el documento no existe, por "
            "favor comuníquese con nuestras oficinas") in page
    assert "MARIA PEREZ" not in page
    assert json.loads(events("subsidy_order.lookup")[0].detail)["found"] is False


def test_order_of_another_supplier_is_not_shown(client, auth):
    signed_in_supplier(auth)
    order(factories.entity("900333444", "OTRO PROVEEDOR"))
    page = body(lookup(client))
    assert "MARIA PEREZ" not in page and "comuníquese con nuestras oficinas" in page


@pytest.mark.parametrize("data,message", [
    ({"cedula": ""}, "Este campo es obligatorio."),
    ({"cedula": "10A5678"}, "Escriba solo los números de la cédula del afiliado"),
    ({"number": ""}, "Este campo es obligatorio."),
    ({"number": "100 245;"}, "Escriba el número que aparece en la parte superior derecha de la orden."),
    ({"document_type": "OTRO"}, "Escoja un tipo de documento de la lista."),
])
def test_lookup_bad_input_is_named(client, auth, data, message):
    signed_in_supplier(auth)
    fields = {"cedula": "1045678434", "number": "100245", "document_type": "ADELANTO POR SUBSIDIOS"}
    fields.update(data)
    response = lookup(client, **fields)
    assert response.status_code == 422 and message in body(response)
    assert not events("subsidy_order.lookup")


def test_lookup_with_htmx_returns_the_partial(client, auth):
    user = signed_in_supplier(auth)
    order(user.entity)
    response = lookup(client, headers=HTMX)
    page = body(response)
    assert response.status_code == 200 and "<html" not in page
    assert page.lstrip().startswith("<section") or 'id="consulta"' in page
    assert "MARIA PEREZ" in page


def test_lookups_are_rate_limited(client, auth):
    signed_in_supplier(auth)
    statuses = [lookup(client, number=str(100000 + i)).status_code for i in range(31)]
    assert statuses[:30] == [200] * 30 and statuses[30] == 429
    assert len(events("subsidy_order.lookup")) == 30


def test_lookup_needs_csrf(client, auth):
    signed_in_supplier(auth)
    response = client.post(LOOKUP, data={"cedula": "1045678434", "number": "1",
                                         "document_type": "ADELANTO POR SUBSIDIOS"})
    assert response.status_code == 400
    assert not events("subsidy_order.lookup")


def test_items_json_that_is_not_a_list_is_tolerated(client, auth):
    user = signed_in_supplier(auth)
    o = order(user.entity)
    db.session.execute(text("UPDATE subsidy_orders SET items_json = 'no es json' WHERE id = :id"),
                       {"id": o.id})
    db.session.commit()
    response = lookup(client)
    assert response.status_code == 200 and "MARIA PEREZ" in body(response)
