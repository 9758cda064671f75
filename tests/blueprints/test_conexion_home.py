"""Conexión Empresas ch. 3.1: companies, products, the side panel; another company's
URL is a 404 and audited."""
import pytest

from portal.extensions import db
from portal.models import AuditEvent, Product
from tests import factories

HTMX = {"HX-Request": "true"}


@pytest.fixture
def companies(auth):
    return setup_companies(auth)


def setup_companies(auth):
    """jhomez belongs to JAHC (two products) and COOP; OTRA belongs to someone else."""
    user = factories.user("corporate", "jhomez")
    jahc = factories.company("900291499", "JAHC TECHNOLOGIES")
    db.session.add(Product(company_id=jahc.id, name="Clásica In", brand="Visa", bin="450714", named=False))
    coop = factories.company("901343454", "EMPRESA DE PRUEBA COOP")
    other = factories.company("800191045", "OTRA EMPRESA")
    factories.member(user, jahc)
    factories.member(user, coop)
    auth.as_user(user)
    return jahc, coop, other


def test_home_lists_the_users_companies_with_nit_and_products(client, companies):
    page = client.get("/empresas/").get_data(as_text=True)
    assert "JAHC TECHNOLOGIES" in page and "NIT 900291499-3" in page and "NIT 901343454-0" in page
    assert "Clásica / Visa" in page and "Clásica In / Visa" in page
    assert "OTRA EMPRESA" not in page


@pytest.mark.parametrize("q,shown,hidden", [
    ("jahc", "JAHC TECHNOLOGIES", "EMPRESA DE PRUEBA COOP"), ("9013", "EMPRESA DE PRUEBA COOP", "JAHC"),
    ("900.291.499-3", "JAHC TECHNOLOGIES", "COOP"), ("otra", "Ninguna de sus empresas coincide", "JAHC"),
])
def test_search_by_name_or_nit_swaps_only_the_list(client, companies, q, shown, hidden):
    response = client.get("/empresas/", query_string={"q": q}, headers=HTMX)
    body = response.get_data(as_text=True)
    assert "<html" not in body and shown in body and hidden not in body


def test_product_page_has_breadcrumbs_and_the_side_panel(client, companies):
    jahc, coop, _ = companies
    product = jahc.products[0]
    page = client.get(f"/empresas/{jahc.id}/productos/{product.id}/").get_data(as_text=True)
    assert "<h1>Clásica / Visa</h1>" in page
    assert page.index(">Empresas</a>") < page.index(">Productos</a>") < page.index("Detalle del producto</span>")
    for label in ("Selecciona una empresa", "Selecciona un producto", "Seleccionar"):
        assert label in page
    assert f'<option value="{coop.id}">EMPRESA DE PRUEBA COOP</option>' in page



@pytest.mark.parametrize("path", ["lotes/", "ordenes/"])
def test_every_page_of_a_product_lists_the_companies_in_the_side_panel(client, companies, path):
    """Not only «Detalle del producto»: an empty «Selecciona una empresa» sent nothing (a 404)."""
    jahc, coop, _ = companies
    page = client.get(f"/empresas/{jahc.id}/productos/{jahc.products[0].id}/{path}").get_data(as_text=True)
    assert f'<option value="{jahc.id}" selected>JAHC TECHNOLOGIES</option>' in page
    assert f'<option value="{coop.id}">EMPRESA DE PRUEBA COOP</option>' in page

def test_the_side_panel_switches_company_and_product(client, companies):
    jahc, coop, _ = companies
    options = client.get("/empresas/seleccionar", query_string={"empresa": coop.id},
                         headers={**HTMX, "HX-Trigger-Name": "empresa"}).get_data(as_text=True)
    assert options.startswith('<select id="producto"') and "Clásica / Visa" in options and "In" not in options
    chosen = client.get("/empresas/seleccionar", query_string={"empresa": coop.id, "producto": coop.products[0].id})
    assert chosen.status_code == 303
    assert chosen.headers["Location"] == f"/empresas/{coop.id}/productos/{coop.products[0].id}/"
    mixed = client.get("/empresas/seleccionar", query_string={"empresa": coop.id, "producto": jahc.products[0].id})
    assert mixed.headers["Location"] == f"/empresas/{coop.id}/"  # a product of another company is not chosen


def test_another_companys_urls_are_404_and_audited(client, companies):
    jahc, _, other = companies
    urls = [f"/empresas/{other.id}/", f"/empresas/{other.id}/productos/{other.products[0].id}/",
            f"/empresas/{jahc.id}/productos/{other.products[0].id}/", "/empresas/999999/"]
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.get("/empresas/seleccionar", query_string={"empresa": other.id}).status_code == 404
    refused = db.session.query(AuditEvent).filter_by(action="conexion.access_refused").all()
    assert sorted(e.subject for e in refused) == sorted(urls)


def test_other_kinds_of_user_cannot_enter(auth, companies):
    jahc, _, _ = companies
    staff = auth.new_client("staff", "analista", roles="admin")
    assert staff.get(f"/empresas/{jahc.id}/").status_code == 403


def test_a_permission_the_membership_lacks_is_403_and_audited(app, client, auth):
    from portal.blueprints.conexion.access import with_product

    @app.get("/empresas/<int:company_id>/productos/<int:product_id>/prueba-autorizar")
    @with_product("authorize")
    def needs_authorize(company_id, product_id):
        return "ok"

    jahc, _, _ = setup_companies(auth)
    assert client.get(f"/empresas/{jahc.id}/productos/{jahc.products[0].id}/prueba-autorizar").status_code == 403
    refused = db.session.query(AuditEvent).filter_by(action="conexion.access_refused").one()
    assert "reason" in refused.detail and "forbidden" in refused.detail
    membership = db.session.query(factories.Membership).filter_by(company_id=jahc.id).one()
    membership.can_authorize = True
    db.session.commit()
    assert client.get(f"/empresas/{jahc.id}/productos/{jahc.products[0].id}/prueba-autorizar").data == b"ok"
