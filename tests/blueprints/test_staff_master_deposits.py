"""Consignaciones a cuentas maestras (staff, role «tarjetas»): one staff member registers a
deposit, another confirms or rejects it (the same one is refused by the server), confirmed
it is credited once; other roles are forbidden; every POST carries its CSRF token."""
from datetime import date
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import AuditEvent, MasterDeposit
from portal.services import ledger
from tests import factories
from tests import master_helpers as m
from tests.conftest import post

PAGE = "/personal/cuentas-maestras/consignaciones"


@pytest.fixture
def product():
    return factories.company().products[0]


def register(client, product, amount="2.000.000", reference="CONS-99", day="2026-03-02"):
    return post(client, PAGE, {"producto": str(product.id), "monto": amount, "referencia": reference,
                               "fecha": day}, page=PAGE)


def test_one_registers_another_confirms_and_it_is_credited_once(client, auth, product):
    ana = auth.as_new("staff", "ana", roles="tarjetas")
    page = client.get(PAGE).get_data(as_text=True)
    assert "Registrar consignación" in page and "JAHC TECHNOLOGIES" in page and "Consignaciones" in page
    assert register(client, product).status_code == 303
    deposit = db.session.query(MasterDeposit).one()
    assert deposit.registered_by_id == ana.id and deposit.status == "registered"
    own = client.get(PAGE).get_data(as_text=True)
    assert "La decide otra persona" in own and f"{deposit.id}/confirmar" not in own
    # the same person forging the POST is refused by the server
    decide = f"{PAGE}/{deposit.id}/confirmar"
    refused = post(client, decide, page=PAGE, follow_redirects=True)
    assert "debe hacerlo otra persona" in refused.get_data(as_text=True)
    assert db.session.get(MasterDeposit, deposit.id).status == "registered"
    luis = auth.new_client("staff", "luis", roles="tarjetas")
    assert f"{deposit.id}/confirmar" in luis.get(PAGE).get_data(as_text=True)
    done = post(luis, decide, page=PAGE, follow_redirects=True)
    assert "confirmada y abonada" in done.get_data(as_text=True)
    again = post(luis, decide, page=PAGE, follow_redirects=True)
    assert "ya fue decidida" in again.get_data(as_text=True)
    company = product.company
    assert m.master_balance(company, product) == Decimal("2000000.00")
    assert ledger.differences() == []
    assert db.session.query(AuditEvent).filter_by(action="staff.master_deposit_confirmed").count() == 1


def test_another_staff_member_rejects_it(client, auth, product):
    auth.as_new("staff", "ana", roles="tarjetas")
    register(client, product)
    deposit = db.session.query(MasterDeposit).one()
    admin = auth.new_client("staff", "jefe", roles="admin")
    post(admin, f"{PAGE}/{deposit.id}/rechazar", {"motivo": "No aparece"}, page=PAGE)
    db.session.expire_all()
    assert db.session.get(MasterDeposit, deposit.id).status == "rejected"
    assert m.master_balance(product.company, product) == 0


def test_bad_data_is_shown_and_nothing_registered(client, auth, product):
    auth.as_new("staff", "ana", roles="tarjetas")
    response = register(client, product, amount="0", reference="", day="2999-01-01")
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    for text in ("El monto debe ser mayor que cero.", "Ingrese la referencia bancaria",
                 "no puede ser posterior a hoy"):
        assert text in body, text
    assert db.session.query(MasterDeposit).count() == 0


def test_other_roles_and_company_users_are_forbidden(client, auth, product):
    auth.as_new("staff", "carla", roles="cartera")
    assert client.get(PAGE).status_code == 403
    assert post(client, PAGE, {"producto": str(product.id), "monto": "1000", "referencia": "R",
                               "fecha": "2026-03-02"}, page="/personal/").status_code == 403
    assert "Consignaciones" not in client.get("/personal/").get_data(as_text=True)
    deposit = MasterDeposit(company_id=product.company_id, product_id=product.id, amount=Decimal(5),
                            bank_reference="X", deposited_on=date(2026, 3, 1),
                            registered_by_id=factories.user("staff", "ana", roles="tarjetas").id)
    db.session.add(deposit)
    db.session.commit()
    assert post(client, f"{PAGE}/{deposit.id}/confirmar", page="/personal/").status_code == 403
    assert db.session.get(MasterDeposit, deposit.id).status == "registered"


def test_posts_without_the_csrf_token_change_nothing(client, auth, product):
    auth.as_new("staff", "ana", roles="tarjetas")
    assert client.post(PAGE, data={"producto": str(product.id), "monto": "1000", "referencia": "R",
                                   "fecha": "2026-03-02"}).status_code == 400
    register(client, product)
    deposit = db.session.query(MasterDeposit).one()
    luis = auth.new_client("staff", "luis", roles="tarjetas")
    assert luis.post(f"{PAGE}/{deposit.id}/confirmar").status_code == 400
    assert db.session.get(MasterDeposit, deposit.id).status == "registered"
