"""PROVEEDORES › CONSULTAR ORDEN (manual 002), the supplier's side of a subsidy order: the
lookup shows its state and items, «Marcar como redimida» works once and only on a vigente
order of the supplier's own; unknown or mismatched orders get the manual's text; lookups
and redemptions are rate limited per supplier."""
import json
import threading

import pytest

from portal.extensions import db
from portal.models import AuditEvent, SubsidyOrder
from portal.services import subsidy_orders
from tests import subsidy_helpers as h
from tests.conftest import post

LOOKUP, REDEEM = "/hanna/proveedores/", "/hanna/proveedores/redimir"
NOT_FOUND = "Si al digitar el documento, no recibe información de respuesta o el documento no existe"
HTMX = {"HX-Request": "true"}


def body(response):
    return response.get_data(as_text=True)


def events(action):
    return db.session.query(AuditEvent).filter_by(action=action).all()


def form(number="80001", cedula="1045678434"):
    return {"cedula": cedula, "document_type": "ADELANTO POR SUBSIDIOS", "number": number}


def lookup(client, **kwargs):
    return post(client, LOOKUP, form(**kwargs), page="/hanna/")


def redeem(client, headers=None, **kwargs):
    return post(client, REDEEM, form(**kwargs), page="/hanna/", headers=headers)


@pytest.fixture
def supplier(auth):
    entity, user = h.supplier()
    auth.as_user(user)
    return entity, user


def test_the_lookup_shows_state_items_and_the_redeem_button(client, supplier):
    h.order(supplier[0])
    page = body(lookup(client))
    for text in ("ADELANTO POR SUBSIDIOS Nro 80001", "Vigente", "Vigente hasta", "ARROZ BLANCO X 5000 G",
                 "$\xa019.800", "$\xa039.600", "$\xa028.450,50", "Marcar como redimida", 'action="/hanna/proveedores/redimir"'):
        assert text in page, text


@pytest.mark.parametrize("state,label", [("redimida", "Redimida"), ("anulada", "Anulada"), ("vencida", "Vencida")])
def test_a_closed_order_shows_its_state_and_no_button(client, supplier, state, label):
    h.order(supplier[0], state=state)
    page = body(lookup(client))
    assert f'data-state="{state}">{label}' in page and "no puede recibirse como válida" in page
    assert "Marcar como redimida" not in page


def test_redeem_once_two_clicks_redeem_once(client, supplier):
    entity, user = supplier
    order = h.order(entity)
    first = redeem(client)
    assert first.status_code == 200
    assert "Orden Nro 80001 marcada como redimida." in body(first) and 'data-state="redimida">Redimida' in body(first)
    assert "Marcar como redimida" not in body(first)
    second = redeem(client, headers=HTMX)
    assert second.status_code == 422 and "Esta orden ya fue redimida" in body(second) and "<html" not in body(second)
    db.session.expire_all()
    order = db.session.get(SubsidyOrder, order.id)
    assert order.status == "redeemed" and order.redeemed_by_id == user.id and order.redeemed_at is not None
    assert len(events("subsidy_order.redeemed")) == 1
    assert json.loads(events("subsidy_order.redeem_refused")[0].detail)["reason"] == "redimida"


@pytest.mark.parametrize("state,message", [
    ("anulada", "Esta orden fue anulada por la Caja; no puede redimirse."),
    ("vencida", "Esta orden está vencida (pasó su fecha de vigencia); no puede redimirse."),
])
def test_redeem_is_refused_for_annulled_and_expired(client, supplier, state, message):
    order = h.order(supplier[0], state=state)
    response = redeem(client)
    assert response.status_code == 422 and message in body(response)
    db.session.expire_all()
    assert db.session.get(SubsidyOrder, order.id).redeemed_at is None and not events("subsidy_order.redeemed")


@pytest.mark.parametrize("case", ["other_supplier", "wrong_cedula", "unknown_number"])
def test_redeem_of_another_suppliers_or_a_mismatched_order_gets_the_manuals_text(client, supplier, case):
    owner = h.supplier("900111222", "DROGUERÍA EL ALIVIO")[0] if case == "other_supplier" else supplier[0]
    order = h.order(owner)
    kwargs = {"wrong_cedula": {"cedula": "72145338"}, "unknown_number": {"number": "80002"}}.get(case, {})
    response = redeem(client, **kwargs)
    assert response.status_code == 422 and NOT_FOUND in body(response) and "MARIA PEREZ" not in body(response)
    db.session.expire_all()
    assert db.session.get(SubsidyOrder, order.id).status == "issued"
    assert json.loads(events("subsidy_order.redeem_refused")[0].detail)["reason"] == "not_found"


def test_redeem_needs_csrf_and_names_bad_fields(client, supplier):
    order = h.order(supplier[0])
    assert client.post(REDEEM, data=form()).status_code == 400
    bad = redeem(client, number="80 001;")
    assert bad.status_code == 422 and "Escriba el número que aparece en la parte superior derecha" in body(bad)
    db.session.expire_all()
    assert db.session.get(SubsidyOrder, order.id).status == "issued"


def test_redeem_needs_proveedores_and_a_supplier(client, auth):
    entity, _ = h.supplier()
    h.order(entity)
    from tests import factories
    auth.as_user(factories.user("hanna", "sin.aprobar@example.com", entity=entity))
    assert redeem(client).status_code == 403
    staff = auth.new_client("staff", "ana", roles="pagos")
    assert post(staff, REDEEM, form(), page="/personal/").status_code == 403
    assert db.session.query(SubsidyOrder).one().status == "issued"


def test_two_tabs_at_the_same_instant_redeem_once(app, supplier):
    """The conditional UPDATE decides: of two redemptions released together, one wins."""
    entity, user = supplier
    order_id, user_id = h.order(entity).id, user.id
    db.session.remove()
    results, barrier = [], threading.Barrier(2)

    def run():
        with app.app_context():
            from portal.models import User
            who = db.session.get(User, user_id)
            barrier.wait()
            results.append(subsidy_orders.redeem(who, "1045678434", "ADELANTO POR SUBSIDIOS", "80001").ok)
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results) == [False, True]
    assert db.session.get(SubsidyOrder, order_id).status == "redeemed" and len(events("subsidy_order.redeemed")) == 1


class TestRateLimit:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_SUPPLIER_LOOKUP": "3 per minute"}

    def test_lookups_and_redemptions_share_a_limit_per_supplier(self, client, auth, supplier):
        entity, _ = supplier
        h.order(entity)
        assert lookup(client, number="1").status_code == 200
        assert lookup(client, number="2").status_code == 200
        # another user of the same supplier counts against the same limit
        colleague = h.supplier(entity.nit, email="colega@example.com")[1]
        other_tab = client.application.test_client()
        auth.as_user(colleague, client=other_tab)
        assert redeem(other_tab, number="3").status_code == 422
        limited = lookup(client)
        assert limited.status_code == 429
        assert "Demasiados intentos" in body(limited) and "Espere un momento e intente de nuevo." in body(limited)
        assert redeem(other_tab).status_code == 429
        assert db.session.query(SubsidyOrder).one().status == "issued"
        assert len(events("subsidy_order.lookup")) == 2
        # a different supplier is not slowed by this one
        other_entity, other_user = h.supplier("900111222", "DROGUERÍA EL ALIVIO")
        third = client.application.test_client()
        auth.as_user(other_user, client=third)
        assert lookup(third).status_code == 200
        assert client.get(LOOKUP).status_code == 200  # the page itself is not limited
