"""Conexión Empresas administration, companies (staff role «tarjetas», admin too): search,
create (the NIT's DIAN check digit verified, unique), edit the data, contacts and sucursales
directly (audited), and the signature settings only through four eyes. Other roles are
refused; every POST needs its CSRF token; bad input names the field and changes nothing."""
import pytest

from portal.extensions import db
from portal.models import AuditEvent, ChangeRequest, Company, CompanyBranch, CompanyContact, Product
from tests import factories
from tests.conftest import post

LIST, NEW, CHANGES = "/personal/empresas/", "/personal/empresas/nueva", "/personal/cambios"
FORM = {"nit": "860.034.313-7", "name": "ACME", "legal_name": "ACME COLOMBIA S.A.S.", "contact": "Gerente",
        "address": "Calle 100 # 8-55", "billing_address": "Calle 100 # 8-55, Bogotá", "phone1": "601 419 3333",
        "phone2": "", "phone3": "", "account_type": "AHORROS", "account_number": "418-000482-1",
        "gmf_applies": "1"}


@pytest.fixture
def jahc():
    return factories.company()


@pytest.fixture
def ana(auth):
    return auth.as_new("staff", "ana", roles="tarjetas", full_name="Ana Torres")


def page(company, tail=""):
    return f"/personal/empresas/{company.id}{tail}"


def company_data(company, **changes):
    data = {key: value for key, value in FORM.items() if key != "nit"}
    data.update(changes)
    return data


def actions(name):
    return db.session.query(AuditEvent).filter_by(action=name).count()


def test_create_a_company_with_its_check_digit(client, ana):
    assert "Crear empresa" in client.get(NEW).get_data(as_text=True)
    response = post(client, NEW, FORM, page=NEW)
    company = db.session.query(Company).one()
    assert response.status_code == 303 and response.headers["Location"] == page(company)
    assert (company.nit, company.name, company.legal_name, company.phone1) == (
        "860034313", "ACME", "ACME COLOMBIA S.A.S.", "6014193333")
    assert (company.debit_account, company.gmf_applies, company.signature_scheme, company.uploader_may_sign) == (
        "AHORROS 418-000482-1", True, 1, True)
    assert db.session.query(Product).count() == 0  # products: Productos, one by one
    assert actions("staff.company_created") == 1
    body = client.get(page(company)).get_data(as_text=True)
    assert "NIT 860034313-7" in body and "La empresa aún no tiene productos" in body


@pytest.mark.parametrize("changes, message", [
    ({"nit": "860034313-4"}, "NIT: el dígito de verificación de 860034313 es 7, no 4."),
    ({"nit": "860034313"}, "NIT: escriba también el dígito de verificación (860034313-7)."),
    ({"nit": "86A"}, "NIT: «86A» no es un NIT"),
    ({"nit": "900291499-3"}, "NIT: ya existe una empresa con el NIT 900291499-3."),
    ({"name": "", "legal_name": "x" * 161}, "Nombre: es obligatorio."),
    ({"legal_name": "x" * 161}, "Razón social: tiene 161 caracteres; el máximo es 160."),
    ({"phone1": "12"}, "Teléfono 1: «12» no es un teléfono colombiano"),
    ({"account_number": "41A"}, "Cuenta a debitar: «41A» no es una cuenta"),
    ({"account_type": ""}, "Cuenta a debitar: seleccione el tipo"),
])
def test_bad_input_names_the_field_and_creates_nothing(client, ana, jahc, changes, message):
    response = post(client, NEW, dict(FORM, **changes), page=NEW)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and message in body, body
    assert db.session.query(Company).count() == 1 and actions("staff.company_created") == 0
    assert 'value="Calle 100 # 8-55"' in body  # what was typed comes back


def test_edit_the_data_directly_audited_the_nit_stays(client, ana, jahc):
    response = post(client, page(jahc, "/datos"), company_data(jahc, nit="800191045-1", name="JAHC TECH",
                                                                account_type="CORRIENTE", gmf_applies=""),
                    page=page(jahc))
    assert response.status_code == 303
    db.session.expire_all()
    assert (jahc.nit, jahc.name, jahc.debit_account, jahc.gmf_applies) == (
        "900291499", "JAHC TECH", "CORRIENTE 418-000482-1", False)
    event = db.session.query(AuditEvent).filter_by(action="staff.company_updated").one()
    assert '"name": {"old": "JAHC TECHNOLOGIES", "new": "JAHC TECH"}' in event.detail

    refused = post(client, page(jahc, "/datos"), company_data(jahc, name="OTRO", phone2="+1 555"), page=page(jahc))
    assert refused.status_code == 422 and "Teléfono 2: «+1 555» no es un número de Colombia" in \
        refused.get_data(as_text=True)
    db.session.expire_all()
    assert jahc.name == "JAHC TECH" and actions("staff.company_updated") == 1


def test_search_by_nit_or_name_paged(client, ana, jahc):
    for n in range(12):
        db.session.add(Company(nit=f"80000000{n:02d}", name=f"EMPRESA {n:02d}", legal_name="X", signature_scheme=1))
    db.session.commit()
    body = client.get(LIST).get_data(as_text=True)
    assert "de un total de 13 registro(s)" in body and "EMPRESA 09" in body and "JAHC" not in body
    assert "JAHC TECHNOLOGIES" in client.get(LIST + "?pagina=2").get_data(as_text=True)
    assert "de un total de 1 registro(s)" in client.get(LIST + "?q=900.291.499-3").get_data(as_text=True)
    found = client.get(LIST + "?q=jahc", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert found.lstrip().startswith('<div id="companies-table">') and "JAHC TECHNOLOGIES" in found


def test_signatures_change_only_when_another_staff_member_approves(client, auth, ana, jahc):
    form = {"signature_scheme": "2"}  # «quien carga no firma»: the box unticked
    assert post(client, page(jahc, "/firmas"), form, page=page(jahc)).status_code == 303
    change = db.session.query(ChangeRequest).one()
    db.session.expire_all()
    assert (jahc.signature_scheme, jahc.uploader_may_sign) == (1, True)  # nothing before the approval
    body = client.get(page(jahc)).get_data(as_text=True)
    assert f"Cambio {change.id}" in body and "Dos firmas de responsables distintos; quien carga un lote no lo firma" \
        in body
    again = post(client, page(jahc, "/firmas"), {"signature_scheme": "1"}, page=page(jahc))
    assert again.status_code == 422 and "Ya hay un cambio de firmas pendiente" in again.get_data(as_text=True)
    queue = client.get(CHANGES).get_data(as_text=True)
    assert "Firmas de JAHC TECHNOLOGIES (NIT 900291499-3)" in queue and "Lo decide otra persona" in queue

    refused = post(client, f"{CHANGES}/{change.id}/aprobar", page=CHANGES, follow_redirects=True)
    assert "no puede aprobarlo ni rechazarlo" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert (jahc.signature_scheme, jahc.uploader_may_sign) == (1, True)

    luis = auth.new_client("staff", "luis", roles="tarjetas")
    assert "aprobado: ya está vigente" in post(luis, f"{CHANGES}/{change.id}/aprobar", page=CHANGES,
                                               follow_redirects=True).get_data(as_text=True)
    db.session.expire_all()
    assert (jahc.signature_scheme, jahc.uploader_may_sign) == (2, False)
    twice = post(luis, f"{CHANGES}/{change.id}/rechazar", {"motivo": "Me equivoqué"}, page=CHANGES,
                 follow_redirects=True)
    assert "El cambio ya fue aprobado" in twice.get_data(as_text=True)
    db.session.expire_all()
    assert (jahc.signature_scheme, jahc.uploader_may_sign) == (2, False) and actions("staff.change_approved") == 1


def test_a_rejected_or_pointless_proposal_changes_nothing(client, auth, ana, jahc):
    same = post(client, page(jahc, "/firmas"), {"signature_scheme": "1", "uploader_may_sign": "1"}, page=page(jahc))
    assert same.status_code == 422 and "es el que ya tiene la empresa" in same.get_data(as_text=True)
    bad = post(client, page(jahc, "/firmas"), {"signature_scheme": "3"}, page=page(jahc))
    assert bad.status_code == 422 and "Esquema de firmas: seleccione una o dos firmas." in bad.get_data(as_text=True)
    assert db.session.query(ChangeRequest).count() == 0
    post(client, page(jahc, "/firmas"), {"signature_scheme": "2", "uploader_may_sign": "1"}, page=page(jahc))
    change = db.session.query(ChangeRequest).one()
    luis = auth.new_client("staff", "luis", roles="tarjetas")
    post(luis, f"{CHANGES}/{change.id}/rechazar", {"motivo": "La empresa no lo pidió"}, page=CHANGES)
    db.session.expire_all()
    assert change.status == "rejected" and jahc.signature_scheme == 1


def test_contacts_add_edit_remove_with_the_companys_own_rules(client, ana, jahc):
    bad = post(client, page(jahc, "/contactos"), {"name": "Pedro"}, page=page(jahc))
    assert bad.status_code == 422 and "Correo electrónico: escriba el correo electrónico o el teléfono" in \
        bad.get_data(as_text=True)
    assert post(client, page(jahc, "/contactos"), {"name": "Pedro Gómez", "email": "PEDRO@jahc.example"},
                page=page(jahc)).status_code == 303
    contact = db.session.query(CompanyContact).one()
    assert (contact.company_id, contact.email) == (jahc.id, "pedro@jahc.example")
    edit = page(jahc, f"/contactos/{contact.id}")
    assert post(client, edit, {"name": "Pedro Gómez", "role": "Tesorero", "phone": "3001234567"},
                page=page(jahc)).status_code == 303
    db.session.expire_all()
    assert (contact.role, contact.email, contact.phone) == ("Tesorero", None, "3001234567")
    other = factories.company("800100200", "OTRA S.A.S.")
    assert post(client, page(other, f"/contactos/{contact.id}"), {"name": "X", "email": "x@x.co"},
                page=page(jahc)).status_code == 404
    assert post(client, page(other, f"/contactos/{contact.id}/eliminar"), page=page(jahc)).status_code == 404
    assert post(client, page(jahc, f"/contactos/{contact.id}/eliminar"), page=page(jahc)).status_code == 303
    assert db.session.query(CompanyContact).count() == 0
    assert [actions(f"staff.contact_{what}") for what in ("added", "updated", "removed")] == [1, 1, 1]


def test_branches_add_edit_deactivate(client, ana, jahc):
    assert post(client, page(jahc, "/sucursales"), {"code": "002", "name": "Planta Norte", "city": "Bogotá"},
                page=page(jahc)).status_code == 303
    branch = db.session.query(CompanyBranch).one()
    assert (branch.code, branch.name, branch.city, branch.active) == ("2", "Planta Norte", "BOGOTÁ", True)
    assert "<td>002</td>" in client.get(page(jahc)).get_data(as_text=True)
    taken = post(client, page(jahc, "/sucursales"), {"code": "2", "name": "Otra", "city": "Cali"}, page=page(jahc))
    assert taken.status_code == 422 and "Código: la empresa ya tiene la sucursal 002." in taken.get_data(as_text=True)
    bad = post(client, page(jahc, "/sucursales"), {"code": "A1", "name": "", "city": "Cali"}, page=page(jahc))
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Código: escriba de 1 a 10 dígitos" in body and "Nombre: es obligatorio." in body
    assert post(client, page(jahc, f"/sucursales/{branch.id}"), {"code": "3", "name": "Planta Sur", "city": "Cali"},
                page=page(jahc)).status_code == 303
    assert post(client, page(jahc, f"/sucursales/{branch.id}/desactivar"), page=page(jahc)).status_code == 303
    db.session.expire_all()
    assert (branch.code, branch.name, branch.active) == ("3", "Planta Sur", False)
    other = factories.company("800100200", "OTRA S.A.S.")
    assert post(client, page(other, f"/sucursales/{branch.id}/activar"), page=page(jahc)).status_code == 404
    assert post(client, page(jahc, f"/sucursales/{branch.id}/borrar"), page=page(jahc)).status_code == 404
    assert [actions(f"staff.branch_{what}") for what in ("added", "updated", "deactivated")] == [1, 1, 1]


def posts(company):
    contact = CompanyContact(company_id=company.id, name="Pedro", email="p@x.co")
    branch = CompanyBranch(company_id=company.id, code="1", name="Sede", city="BOGOTA")
    db.session.add_all([contact, branch])
    db.session.commit()
    return [NEW, page(company, "/datos"), page(company, "/firmas"), page(company, "/contactos"),
            page(company, f"/contactos/{contact.id}"), page(company, f"/contactos/{contact.id}/eliminar"),
            page(company, "/sucursales"), page(company, f"/sucursales/{branch.id}"),
            page(company, f"/sucursales/{branch.id}/desactivar")]


def unchanged(company):
    db.session.expire_all()
    return (db.session.query(Company).count(), company.name, company.signature_scheme,
            db.session.query(CompanyContact).count(), db.session.query(CompanyBranch).filter_by(active=True).count(),
            db.session.query(ChangeRequest).count()) == (1, "JAHC TECHNOLOGIES", 1, 1, 1, 0)


def test_without_csrf_token_nothing_is_done(client, ana, jahc):
    for url in posts(jahc):
        assert client.post(url, data=dict(FORM, signature_scheme="2", code="9")).status_code == 400, url
    assert unchanged(jahc)


@pytest.mark.parametrize("kind, roles", [("staff", "cartera"), ("staff", "pagos"), ("corporate", "")])
def test_other_roles_are_refused(client, auth, jahc, kind, roles):
    urls = posts(jahc)
    auth.as_new(kind, "otro", roles=roles)
    for url in (LIST, NEW, page(jahc)):
        assert client.get(url).status_code == 403, url
    for url in urls:
        assert post(client, url, dict(FORM, signature_scheme="2", code="9"), page="/").status_code == 403, url
    assert unchanged(jahc)


def test_admin_may_anonymous_signs_in_unknown_is_not_found(client, auth, jahc):
    assert client.get(LIST).headers["Location"].startswith("/personal/ingresar")
    auth.as_new("staff", "jefe", roles="admin")
    assert client.get(page(jahc)).status_code == 200 and client.get("/personal/empresas/999").status_code == 404
    assert post(client, "/personal/empresas/999/datos", FORM, page=LIST).status_code == 404
