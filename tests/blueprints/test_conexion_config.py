"""Conexión Empresas › Configuración (manual 003, ch. 2): Usuario (and «Cambio de contraseña»
in Conexión's layout) and Empresas — what every member sees, what an administrator
changes (each change audited with the old and the new value), what is refused."""
import json

import pytest

from portal.extensions import db
from portal.models import AuditEvent, Company, CompanyContact, Membership, User
from tests import factories
from tests.blueprints.test_conexion_home import HTMX, setup_companies
from tests.conftest import csrf_token, post

FORM = {"phone1": "419 3333", "phone2": "", "phone3": "", "billing_address": "Carrera 13 #83-19"}


@pytest.fixture
def companies(auth):
    """jhomez administers JAHC; in COOP he only looks. JAHC has one contact."""
    jahc, coop, other = setup_companies(auth)
    membership = db.session.query(Membership).filter_by(company_id=jahc.id).one()
    membership.can_admin_company = True
    jahc.contact, jahc.address, jahc.phone1 = "Ceo Presidente", "Carrera 13 #83-19", "4193333"
    db.session.add(CompanyContact(company_id=jahc.id, name="Jorge Hernández", role="Ceo Presidente",
                                  email="presidencia@jahc.example.com", phone="6014193333"))
    db.session.add(CompanyContact(company_id=other.id, name="Ajeno", phone="3001112233"))
    db.session.commit()
    return jahc, coop, other


def page(company):
    return f"/empresas/configuracion/empresas/{company.id}"


def events(action):
    return db.session.query(AuditEvent).filter_by(action=action).order_by(AuditEvent.id).all()


def detail(event):
    return json.loads(event.detail)


# --- menu and Usuario ---------------------------------------------------------------------

def test_the_menu_offers_configuracion_and_its_three_options(client, companies):
    body = client.get("/empresas/").get_data(as_text=True)
    start = body.index('aria-label="Menú Conexión Empresas"')
    menu = body[start:body.index("</nav>", start)]
    assert "<summary>Configuración</summary>" in menu
    for href, label in (("/empresas/configuracion/usuario", "Usuario"), ("/empresas/configuracion/empresas/", "Empresas"),
                        ("/empresas/configuracion/descargas", "Descargas"), ("/empresas/ayuda/", "Ayuda")):
        assert f'href="{href}">{label}</a>' in menu
        assert client.get(href, follow_redirects=True).status_code == 200, href


def test_usuario_shows_the_users_data_and_leads_to_the_password_change(client, companies):
    user = db.session.query(User).filter_by(username="jhomez").one()
    user.first_name, user.last_name, user.position, user.area = "Joffer", "Homez", "Director", "Administración"
    db.session.commit()
    body = client.get("/empresas/configuracion/usuario").get_data(as_text=True)
    for label, value in (("Nombre", "Joffer"), ("Apellido", "Homez"), ("Cargo", "Director"),
                         ("Área", "Administración"), ("Correo electrónico", "jhomez@example.com"), ("Usuario", "jhomez")):
        assert f"<dt>{label}</dt><dd>{value}</dd>" in body
    assert 'href="/cuenta/contrasena">Cambio de contraseña</a>' in body
    assert 'aria-labelledby="config-nav-title"' in body


def test_a_user_without_the_new_fields_shows_the_full_name(client, companies):
    body = client.get("/empresas/configuracion/usuario").get_data(as_text=True)
    assert "<dt>Nombre</dt><dd>Usuario de Prueba</dd>" in body and "<dt>Cargo</dt><dd>—</dd>" in body


def test_the_password_change_is_the_same_page_in_conexions_layout(client, companies):
    body = client.get("/cuenta/contrasena").get_data(as_text=True)
    crumbs = body[body.index('class="crumbs"'):]
    assert crumbs.index("Configuración") < crumbs.index('href="/empresas/configuracion/usuario">Usuario') \
        < crumbs.index("Cambio de contraseña</span>")
    assert body.count("data-reveal") == 3  # the eye toggles of contraseña actual, nueva, confirmación
    for label in ("Contraseña actual", "Contraseña nueva", "Confirma la contraseña", "Requisitos para crear la contraseña"):
        assert label in body
    assert 'hx-post="/contrasena/reglas"' in body
    new = "Nueva#25bq"
    response = post(client, "/cuenta/contrasena", {"current_password": factories.PASSWORD, "new_password": new,
                                                   "confirm_password": new}, page="/cuenta/contrasena")
    assert response.status_code == 303
    refused = post(client, "/cuenta/contrasena", {"current_password": new, "new_password": "corta",
                                                  "confirm_password": "corta"}, page="/cuenta/contrasena")
    assert refused.status_code == 422 and "Menú Conexión Empresas" in refused.get_data(as_text=True)


def test_the_forced_change_of_a_first_login_keeps_its_plain_page(client, auth):
    factories.user("corporate", "nuevo", must_change=True)
    auth.login("corporate", "nuevo")
    body = client.get("/empresas/cambio-contrasena").get_data(as_text=True)
    assert "Por razones de seguridad debe cambiar su contraseña" in body
    assert "Menú Conexión Empresas" not in body and body.count("data-reveal") == 3


# --- Empresas: what every member sees ------------------------------------------------------

def test_empresas_opens_the_first_company_and_offers_a_selector(client, companies):
    jahc, coop, _ = companies
    response = client.get("/empresas/configuracion/empresas/")
    assert response.status_code == 303 and response.headers["Location"] == page(coop)  # by name
    chosen = client.get("/empresas/configuracion/empresas/", query_string={"empresa": jahc.id})
    assert chosen.headers["Location"] == page(jahc)
    body = client.get(page(jahc)).get_data(as_text=True)
    assert '<label for="empresa">Empresa</label>' in body
    assert f'<option value="{jahc.id}" selected>JAHC TECHNOLOGIES · NIT 900291499-3</option>' in body


def test_a_user_without_companies_is_told_so(client, auth):
    auth.as_new("corporate", "solo")
    body = client.get("/empresas/configuracion/empresas/").get_data(as_text=True)
    assert "Su usuario no tiene empresas asociadas." in body and "Editar" not in body


def test_the_company_as_the_manual_shows_it(client, companies):
    jahc, _, _ = companies
    body = client.get(page(jahc)).get_data(as_text=True)
    for label, value in (("Empresa", "JAHC TECHNOLOGIES"), ("NIT", "900291499-3"), ("Nombre", "JAHC TECHNOLOGIES"),
                         ("Razón social", "JAHC TECHNOLOGIES"), ("Contacto", "Ceo Presidente"),
                         ("Dirección", "Carrera 13 #83-19"), ("Dirección de facturación", "—"),
                         ("Teléfono 1", "419 3333"), ("Teléfono 2", "—"), ("Teléfono 3", "—")):
        assert f"<dt>{label}</dt><dd>{value}</dd>" in body, label
    assert "Jorge Hernández" in body and "presidencia@jahc.example.com" in body and "601 419 3333" in body
    assert "Ajeno" not in body


def test_a_member_without_the_permission_sees_it_read_only_and_every_change_is_403(client, companies):
    _, coop, _ = companies
    db.session.add(CompanyContact(company_id=coop.id, name="Gerente", phone="3001234567"))
    db.session.commit()
    contact = db.session.query(CompanyContact).filter_by(company_id=coop.id).one()
    body = client.get(page(coop)).get_data(as_text=True)
    assert "Editar" not in body and "Agregar contacto" not in body and "Eliminar" not in body
    assert "Para modificarlos se necesita el permiso de administrar la empresa" in body
    token = csrf_token(client, page(coop))
    urls = [f"{page(coop)}/editar", f"{page(coop)}/contactos/nuevo", f"{page(coop)}/contactos/{contact.id}/editar",
            f"{page(coop)}/contactos/{contact.id}/eliminar"]
    for url in urls:
        assert client.post(url, data={"csrf_token": token, **FORM, "name": "X"}).status_code == 403, url
    for url in urls[:3]:
        assert client.get(url).status_code == 403, url
    refused = events("conexion.access_refused")
    assert [e.subject for e in refused] == urls + urls[:3]
    assert all(detail(e) == {"reason": "forbidden"} for e in refused)
    assert db.session.get(CompanyContact, contact.id).name == "Gerente"
    assert db.session.get(Company, coop.id).phone1 is None


def test_another_companys_page_and_contacts_are_404_and_audited(client, companies):
    jahc, _, other = companies
    foreign = db.session.query(CompanyContact).filter_by(company_id=other.id).one()
    token = csrf_token(client, page(jahc))
    assert client.get(page(other)).status_code == 404
    assert client.post(f"{page(other)}/editar", data={"csrf_token": token, **FORM}).status_code == 404
    assert client.get("/empresas/configuracion/empresas/", query_string={"empresa": other.id},
                      follow_redirects=True).status_code == 404
    # A contact of another company through the user's own company: not found either.
    assert client.post(f"{page(jahc)}/contactos/{foreign.id}/eliminar", data={"csrf_token": token}).status_code == 404
    assert client.get(f"{page(jahc)}/contactos/{foreign.id}/editar").status_code == 404
    assert db.session.get(CompanyContact, foreign.id) is not None
    assert [detail(e)["reason"] for e in events("conexion.access_refused")] == ["not_found"] * 5


# --- Empresas: the administrator's edits ----------------------------------------------------

def test_an_edit_is_saved_and_audited_with_the_old_and_new_values(client, companies):
    jahc, _, _ = companies
    edit = client.get(f"{page(jahc)}/editar").get_data(as_text=True)
    assert '<form method="post" action="/empresas/configuracion/empresas/' in edit
    assert 'name="nit"' not in edit and 'name="legal_name"' not in edit and 'name="name"' not in edit
    response = post(client, f"{page(jahc)}/editar", {**FORM, "phone2": "+57 300 123 4567",
                                                    "billing_address": "Calle 72 # 54-35"}, page=page(jahc))
    assert response.status_code == 303 and response.headers["Location"] == page(jahc)
    company = db.session.get(Company, jahc.id)
    assert (company.phone1, company.phone2, company.billing_address) == ("4193333", "3001234567", "Calle 72 # 54-35")
    event = events("conexion.company_updated")[-1]
    assert event.subject == f"company:{jahc.id}" and event.actor_id == company_admin_id()
    assert detail(event) == {"nit": "900291499", "changes": {
        "phone2": {"old": None, "new": "3001234567"},
        "billing_address": {"old": None, "new": "Calle 72 # 54-35"}}}
    shown = client.get(page(jahc)).get_data(as_text=True)
    assert "Los datos de la empresa se guardaron." in shown and "<dd>300 123 4567</dd>" in shown


def company_admin_id():
    return db.session.query(User).filter_by(username="jhomez").one().id


def test_nit_and_razon_social_cannot_be_changed_even_by_a_forged_post(client, companies):
    jahc, _, _ = companies
    forged = {**FORM, "nit": "800191045", "legal_name": "OTRA S.A.S.", "name": "OTRA", "contact": "Yo",
              "address": "Otra", "signature_scheme": "2", "debit_account": "X", "id": "99"}
    assert post(client, f"{page(jahc)}/editar", forged, page=page(jahc)).status_code == 303
    company = db.session.get(Company, jahc.id)
    assert (company.nit, company.legal_name, company.name, company.contact, company.address) == (
        "900291499", "JAHC TECHNOLOGIES", "JAHC TECHNOLOGIES", "Ceo Presidente", "Carrera 13 #83-19")
    assert (company.signature_scheme, company.debit_account) == (1, None)
    assert set(detail(events("conexion.company_updated")[-1])["changes"]) == {"billing_address"}


@pytest.mark.parametrize("changed,field,message", [
    ({"phone1": ""}, "phone1", "Teléfono 1: es obligatorio."),
    ({"phone2": "12345"}, "phone2", "Teléfono 2: «12345» no es un teléfono colombiano"),
    ({"phone3": "300-ABC"}, "phone3", "Teléfono 3: «300-ABC» solo admite números"),
    ({"billing_address": "x" * 201}, "billing_address",
     "Dirección de facturación: tiene 201 caracteres; el máximo es 200."),
])
def test_a_wrong_value_comes_back_with_a_message_naming_the_field(client, companies, changed, field, message):
    jahc, _, _ = companies
    response = post(client, f"{page(jahc)}/editar", {**FORM, **changed}, page=page(jahc))
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and message in body
    field_html = body[body.index(f'<input id="{field}"'):]
    assert 'aria-invalid="true"' in field_html[:field_html.index(">")]
    assert f'value="{changed[field]}"' in field_html[:field_html.index(">")]  # what was typed comes back
    assert db.session.get(Company, jahc.id).billing_address is None and events("conexion.company_updated") == []


def test_nothing_changed_is_said_and_not_audited(client, companies):
    jahc, _, _ = companies
    unchanged = {"phone1": "4193333", "phone2": "", "phone3": "", "billing_address": ""}
    response = post(client, f"{page(jahc)}/editar", unchanged, page=page(jahc), follow_redirects=True)
    assert "No había cambios que guardar." in response.get_data(as_text=True)
    assert events("conexion.company_updated") == []


def test_a_post_without_the_csrf_token_is_refused(client, companies):
    jahc, _, _ = companies
    assert client.post(f"{page(jahc)}/editar", data=FORM).status_code == 400
    assert db.session.get(Company, jahc.id).billing_address is None


def test_with_htmx_the_section_is_edited_in_place(client, companies):
    jahc, _, _ = companies
    form = client.get(f"{page(jahc)}/editar", headers=HTMX).get_data(as_text=True)
    assert form.startswith("<section") and 'id="company-data"' in form and "<html" not in form
    assert f'hx-post="{page(jahc)}/editar"' in form and 'hx-target="#company-data"' in form
    refused = post(client, f"{page(jahc)}/editar", {**FORM, "phone2": "1"}, page=page(jahc), headers=HTMX)
    assert refused.status_code == 422 and "<html" not in refused.get_data(as_text=True)
    assert "Teléfono 2: «1» no es un teléfono colombiano" in refused.get_data(as_text=True)
    saved = post(client, f"{page(jahc)}/editar", {**FORM, "phone3": "6053856000"}, page=page(jahc), headers=HTMX)
    body = saved.get_data(as_text=True)
    assert saved.status_code == 200 and body.startswith("<section")
    assert "Los datos de la empresa se guardaron." in body and "<dd>605 385 6000</dd>" in body


# --- contacts -------------------------------------------------------------------------------

def contact_named(name):
    return db.session.query(CompanyContact).filter_by(name=name).one_or_none()


def test_an_administrator_adds_edits_and_removes_contacts_every_change_audited(client, companies):
    jahc, _, _ = companies
    new_form = client.get(f"{page(jahc)}/contactos/nuevo").get_data(as_text=True)
    assert "Nuevo contacto" in new_form and f'action="{page(jahc)}/contactos/nuevo"' in new_form
    added = post(client, f"{page(jahc)}/contactos/nuevo", {"name": "Luisa Pérez", "role": "Nómina",
                                                           "email": "Luisa@JAHC.example.com", "phone": ""},
                 page=page(jahc))
    assert added.status_code == 303
    luisa = contact_named("Luisa Pérez")
    assert (luisa.company_id, luisa.email, luisa.phone) == (jahc.id, "luisa@jahc.example.com", None)
    assert detail(events("conexion.contact_added")[-1]) == {"nit": "900291499", "contact_id": luisa.id, "changes": {
        "name": {"old": None, "new": "Luisa Pérez"}, "role": {"old": None, "new": "Nómina"},
        "email": {"old": None, "new": "luisa@jahc.example.com"}}}

    edit = client.get(f"{page(jahc)}/contactos/{luisa.id}/editar").get_data(as_text=True)
    assert "Editar contacto" in edit and 'value="luisa@jahc.example.com"' in edit
    post(client, f"{page(jahc)}/contactos/{luisa.id}/editar", {"name": "Luisa Pérez", "role": "Jefe de nómina",
                                                               "email": "luisa@jahc.example.com", "phone": "3004193333"},
         page=page(jahc))
    assert detail(events("conexion.contact_updated")[-1])["changes"] == {
        "role": {"old": "Nómina", "new": "Jefe de nómina"}, "phone": {"old": None, "new": "3004193333"}}

    removed = post(client, f"{page(jahc)}/contactos/{luisa.id}/eliminar", {}, page=page(jahc))
    assert removed.status_code == 303 and contact_named("Luisa Pérez") is None
    gone = detail(events("conexion.contact_removed")[-1])
    assert gone["contact_id"] == luisa.id and gone["changes"]["name"] == {"old": "Luisa Pérez", "new": None}
    assert "Se eliminó el contacto Luisa Pérez." in client.get(page(jahc)).get_data(as_text=True)


@pytest.mark.parametrize("form,message", [
    ({"name": "", "phone": "3001234567"}, "Nombre: es obligatorio."),
    ({"name": "Ana", "email": "ana@"}, "Correo electrónico: «ana@» no es un correo electrónico válido"),
    ({"name": "Ana"}, "Correo electrónico: escriba el correo electrónico o el teléfono del contacto."),
    ({"name": "Ana", "phone": "555"}, "Teléfono: «555» no es un teléfono colombiano"),
    ({"name": "Ana", "role": "r" * 81, "phone": "3001234567"}, "Cargo: tiene 81 caracteres; el máximo es 80."),
])
def test_a_wrong_contact_comes_back_with_a_message_naming_the_field(client, companies, form, message):
    jahc, _, _ = companies
    response = post(client, f"{page(jahc)}/contactos/nuevo", form, page=page(jahc))
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert contact_named("Ana") is None and events("conexion.contact_added") == []


def test_a_wrong_contact_edit_changes_nothing(client, companies):
    jahc, _, _ = companies
    jorge = contact_named("Jorge Hernández")
    response = post(client, f"{page(jahc)}/contactos/{jorge.id}/editar", {"name": "Jorge", "email": "no"},
                    page=page(jahc), headers=HTMX)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and body.startswith("<section") and "Editar contacto" in body
    assert 'value="no"' in body and contact_named("Jorge Hernández").email == "presidencia@jahc.example.com"


def test_with_htmx_contacts_come_back_as_their_section(client, companies):
    jahc, _, _ = companies
    form = client.get(f"{page(jahc)}/contactos/nuevo", headers=HTMX).get_data(as_text=True)
    assert form.startswith("<section") and 'id="contacts"' in form and "Nuevo contacto" in form
    added = post(client, f"{page(jahc)}/contactos/nuevo", {"name": "Ana Ruiz", "phone": "3001234567"},
                 page=page(jahc), headers=HTMX)
    body = added.get_data(as_text=True)
    assert added.status_code == 200 and body.startswith("<section") and "Se agregó el contacto Ana Ruiz." in body
    assert "300 123 4567" in body and "Nuevo contacto" not in body
    ana = contact_named("Ana Ruiz")
    removed = post(client, f"{page(jahc)}/contactos/{ana.id}/eliminar", {}, page=page(jahc), headers=HTMX)
    assert "Se eliminó el contacto Ana Ruiz." in removed.get_data(as_text=True)


def test_a_company_has_at_most_twenty_contacts(client, companies):
    jahc, _, _ = companies
    db.session.add_all(CompanyContact(company_id=jahc.id, name=f"C{i}", phone="3001234567") for i in range(19))
    db.session.commit()
    response = post(client, f"{page(jahc)}/contactos/nuevo", {"name": "Uno más", "phone": "3001234567"},
                    page=page(jahc))
    assert response.status_code == 422
    assert "La empresa ya tiene 20 contactos; elimine uno antes de agregar otro." in response.get_data(as_text=True)
