"""`flask demo load` and `flask demo logins`: idempotent, the manuals' data, every login works."""
import json
import re
from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Numeric, func, select

from portal.demo import DEMO_PASSWORD, LOGINS, cartera, conexion, load_demo, suppliers
from portal.demo.common import last_periods
from portal.domain import passwords as policy
from portal.domain import subsidy_orders as subsidy_rules
from portal.domain.formatting import today_bogota
from portal.extensions import db
from portal.models import (
    Affiliate,
    AffiliateCredit,
    ApplicationRequest,
    Card,
    ChangeRequest,
    Company,
    Credit,
    Entity,
    KindergartenSlip,
    LedgerAccount,
    LedgerEntry,
    Membership,
    OutboxMessage,
    Product,
    Statement,
    StatementLine,
    SubsidyOrder,
    User,
    Worker,
)
from portal.services import passwords
from tests.conftest import post


@pytest.fixture
def app_config():
    # Every demo login signs in from the same test client IP within one test.
    return {"RATELIMIT_LOGIN_PER_IP": "1000 per minute"}



def table_counts():
    return {table.name: db.session.execute(select(func.count()).select_from(table)).scalar_one()
            for table in db.metadata.sorted_tables}


def test_a_second_load_creates_nothing_and_keeps_changed_passwords(app):
    first = load_demo()
    assert first["workers"] == 150 and first["users"] == 11
    before = table_counts()
    jhomez = db.session.query(User).filter_by(kind="corporate", username="jhomez").one()
    passwords.set_password(jhomez, "Cambiada#2025")
    db.session.commit()
    hashes = {u.id: u.password_hash for u in db.session.query(User)}

    second = load_demo()

    assert sum(second.values()) == 0
    after = table_counts()
    after["password_history"] -= 1  # the change above, not the loader
    assert after == before
    db.session.expire_all()
    assert {u.id: u.password_hash for u in db.session.query(User)} == hashes
    assert passwords.verify(db.session.get(User, jhomez.id).password_hash, "Cambiada#2025")


def test_the_demo_password_meets_the_policy():
    assert policy.is_valid(DEMO_PASSWORD)
    assert all(login.password in (DEMO_PASSWORD, None) for login in LOGINS)


def test_the_generated_data_is_the_same_on_every_run():
    today = date(2026, 5, 26)
    assert cartera.plan(today) == cartera.plan(today)
    assert conexion.card_plan(today) == conexion.card_plan(today)
    assert suppliers.plan() == suppliers.plan()
    workers, _ = cartera.plan(today)
    assert len({(w.entity_nit, w.id_number) for w in workers}) == len(workers)
    numbers = [c.number for w in workers for c in w.credits]
    assert len(set(numbers)) == len(numbers)


def test_employers_workers_and_statements(app, frozen_clock):
    load_demo()
    periods = last_periods(today_bogota())
    assert periods == ["2026-02", "2026-03", "2026-04"]  # frozen on 26/05/2026

    employers = db.session.query(Entity).join(Worker, Worker.entity_id == Entity.id).distinct().all()
    assert len(employers) == 3
    assert max(len(e.branches) for e in employers) == 3
    workers = db.session.query(Worker).all()
    assert 140 <= len(workers) <= 160
    assert all(45 <= sum(w.entity_id == e.id for w in workers) <= 55 for e in employers)
    assert any(w.id_number.startswith("0") for w in workers)
    assert any(w.status == "retired" and w.retired_on for w in workers)

    for employer in employers:
        for branch in employer.branches:
            statements = (db.session.query(Statement).filter_by(entity_id=employer.id, branch_id=branch.id)
                          .order_by(Statement.period).all())
            assert [s.period for s in statements] == periods
            assert all(s.due_date.day == 10 and s.lines for s in statements)

    lines = defaultdict(dict)
    for line in db.session.query(StatementLine).join(Statement):
        lines[line.credit_id][line.statement.period] = line
        assert line.kind == line.worker.status
    credits = db.session.query(Credit).all()
    assert len(lines) == len(credits)
    older_lines = [l for c in lines.values() for p, l in c.items() if p != periods[-1]]
    assert sum(l.paid == l.instalment for l in older_lines) > 0.9 * len(older_lines)
    assert any(l.arrears_days and l.arrears > 0 for c in lines.values() for l in c.values())
    for credit in credits:
        by_period = [lines[credit.id][p] for p in periods]
        assert by_period[-1].paid == 0
        for earlier, later in zip(by_period, by_period[1:], strict=False):
            assert later.balance == earlier.balance - earlier.paid
        assert credit.balance == by_period[-1].balance > 0
        assert credit.principal > 0 and credit.instalments_total in (12, 18, 24, 36)


def test_pagos_express_suppliers_and_users_follow_the_manuals(app):
    load_demo()
    li38 = db.session.query(AffiliateCredit).filter_by(number="LI-38").one()
    assert (li38.debt, li38.instalment, li38.concept) == (
        Decimal("1752770.00"), Decimal("175277.00"), "CREDITO POR LIBRANZAS")
    assert db.session.query(Affiliate).count() >= 3
    assert all(a.mobile and a.email for a in db.session.query(Affiliate))
    assert db.session.query(KindergartenSlip).filter_by(child_id="123456").count() == 0
    slip = db.session.query(KindergartenSlip).filter_by(child_id="1100223344").one()
    assert (slip.concept, slip.period, slip.amount, slip.status) == (
        "VOLANTES DE MATRICULA", "2021", Decimal("482213.00"), "open")

    orders = db.session.query(SubsidyOrder).all()
    assert orders and {o.document_type for o in orders} == {"ADELANTO POR SUBSIDIOS"}
    for order in orders:
        items = json.loads(order.items_json)
        assert all(set(i) == {"description", "quantity", "unit_value"} and isinstance(i["unit_value"], str)
                   for i in items)
        assert order.amount == sum(Decimal(i["unit_value"]) * int(i["quantity"]) for i in items)
    today = today_bogota()
    states = {subsidy_rules.state(o.status, o.valid_until, today) for o in orders}
    assert states == set(subsidy_rules.STATES)  # vigente, redimida, anulada and vencida
    assert all(o.redeemed_by_id for o in orders if o.status == "redeemed")

    requests = {(r.user.username, r.application): r for r in db.session.query(ApplicationRequest)}
    employer = requests[("empleador.demo@example.com", "EMPRESAS")]
    assert employer.status == "approved" and len(employer.entity.branches) == 3
    assert requests[("proveedor.demo@example.com", "PROVEEDORES")].status == "approved"
    assert requests[("pendiente.demo@example.com", "EMPRESAS")].status == "pending"

    nuevo = db.session.query(User).filter_by(kind="corporate", username="nuevo").one()
    assert nuevo.terms_accepted_at is None and nuevo.must_change_password
    jhomez = db.session.query(User).filter_by(kind="corporate", username="jhomez").one()
    memberships = db.session.query(Membership).filter_by(user_id=jhomez.id).all()
    assert all(m.can_upload and m.can_authorize and m.can_consult and m.can_master_account
               for m in memberships)
    coop = db.session.query(Company).filter_by(nit="901343454").one()
    authorizers = db.session.query(Membership).filter_by(company_id=coop.id, can_authorize=True)
    assert coop.signature_scheme == 2 and authorizers.count() >= 2
    staff = {u.username: u.role_set for u in db.session.query(User).filter_by(kind="staff")}
    assert staff == {"admin": {"admin"}, "cartera": {"cartera"}, "pagos": {"pagos"},
                     "tarjetas": {"tarjetas"}, "tarjetas2": {"tarjetas"}}
    change = db.session.query(ChangeRequest).one()  # «nuevo» may authorize in JAHC, once approved
    assert change.status == "pending" and change.proposed_by.username == "tarjetas"
    assert json.loads(change.proposed)["authorize"] and not json.loads(change.previous)["authorize"]


def test_companies_cards_and_a_balanced_funded_ledger(app):
    load_demo()
    companies = {c.nit: c for c in db.session.query(Company)}
    assert companies["900291499"].name == "JAHC TECHNOLOGIES"
    assert companies["900291499"].signature_scheme == 1
    assert companies["901343454"].name == "EMPRESA DE PRUEBA COOP"
    for company in companies.values():
        assert {(p.label, p.named, p.bin) for p in company.products} == {
            ("Clásica / Visa", True, "450714"), ("Clásica In / Visa", False, "450714")}
    cards = db.session.query(Card).all()
    assert all(len(c.pan_first6) == 6 and len(c.pan_last4) == 4 and c.token for c in cards)
    assert all(c.account_mask == f"450714****{c.pan_last4}" for c in cards)
    card = db.session.query(Card).filter_by(account_mask="450714****9053").one()
    assert card.status == "affiliated" and card.holder_id_number == "19933788"
    assert any(c.status == "unaffiliated" and not c.product.named and c.holder_id_number is None
               for c in cards)
    assert all(c.holder_name for c in cards if c.status == "affiliated")

    txns = defaultdict(list)
    for entry in db.session.query(LedgerEntry):
        txns[entry.txn_id].append(entry.amount)
    assert txns and all(len(legs) >= 2 and sum(legs) == 0 for legs in txns.values())

    def balance(account):
        return db.session.query(func.coalesce(func.sum(LedgerEntry.amount), 0)).filter_by(
            account_id=account.id).scalar()

    accounts = db.session.query(LedgerAccount).all()
    kinds = defaultdict(list)
    for account in accounts:
        kinds[account.kind].append(account)
    assert len(kinds["funding"]) == 1 and len(kinds["fees"]) == 1
    assert len(kinds["master"]) == db.session.query(Product).count()
    assert len(kinds["card"]) == len(cards)
    for master in kinds["master"]:
        funded = db.session.query(LedgerEntry).filter_by(account_id=master.id,
                                                         amount=Decimal("1000000.00")).count()
        assert funded == 1 and Decimal(0) < Decimal(balance(master)) <= Decimal("1000000.00")
    assert sum(Decimal(balance(c)) > 0 for c in kinds["card"]) >= 4
    assert Decimal(balance(kinds["fees"][0])) > 0
    assert all(account.balance == balance(account) for account in accounts)  # running balances


def test_every_money_column_holds_two_place_decimals(app):
    load_demo()
    checked = 0
    for mapper in db.Model.registry.mappers:
        model = mapper.class_
        for column in mapper.columns:
            if not isinstance(column.type, Numeric):
                continue
            values = db.session.execute(select(column)).scalars().all()
            for value in values:
                if value is None and column.nullable:  # e.g. a batch line without an amount
                    continue
                assert isinstance(value, Decimal), (model.__name__, column.name, value)
                assert value.as_tuple().exponent == -column.type.scale, (model.__name__, column.name)
            checked += len(values)
    assert checked > 1000


def _sms_code(mobile):
    message = (db.session.query(OutboxMessage).filter_by(channel="sms", recipient=mobile)
               .order_by(OutboxMessage.id.desc()).first())
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def test_every_demo_login_signs_in_through_the_real_forms(app):
    load_demo()
    kinds = {login.kind for login in LOGINS}
    assert kinds == {"hanna", "affiliate", "corporate", "staff"}
    for login in LOGINS:
        client = app.test_client()
        if login.kind == "affiliate":
            response = post(client, login.path, {"cedula": login.username}, page=login.path)
            assert response.status_code == 303, login
            assert response.headers["Location"].endswith("/pagos-express/codigo")
            mobile = db.session.query(Affiliate).filter_by(cedula=login.username).one().mobile
            response = post(client, "/pagos-express/codigo", {"code": _sms_code(mobile)},
                            page="/pagos-express/codigo")
            assert response.status_code == 303, login
            assert response.headers["Location"] == "/pagos-express/"
            continue
        response = post(client, login.path, {"username": login.username, "password": login.password},
                        page=login.path)
        assert response.status_code == 303, login
        home = client.get(response.headers["Location"])
        if login.first_login:
            assert home.status_code == 303 and home.headers["Location"] == "/empresas/terminos"
        else:
            assert home.status_code == 200, login


def test_the_cli_loads_and_prints_the_logins(runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "listos" in result.output
    result = runner.invoke(args=["demo", "logins"])
    assert result.exit_code == 0, result.output
    for login in LOGINS:
        assert login.username in result.output and login.path in result.output
    assert DEMO_PASSWORD in result.output and "/dev/outbox" in result.output
    assert "sin cargar" not in result.output and "cambiada" not in result.output


def test_demo_keeps_one_open_payment_slip_valid_for_four_hours(app):
    from datetime import timedelta

    from portal.domain import clock
    from portal.models import PaymentSlip

    load_demo()
    first = db.session.query(PaymentSlip).one()
    assert first.status == "open" and first.amount > 0
    assert first.expires_at - first.created_at == timedelta(hours=4)
    clock.freeze(first.expires_at + timedelta(seconds=1))
    load_demo()
    slips = db.session.query(PaymentSlip).order_by(PaymentSlip.id).all()
    assert [s.status for s in slips] == ["expired", "open"]
    assert [s.number for s in slips] == ["EL-1", "EL-2"]


def test_batches_of_both_companies_in_every_state_before_authorization(app):
    from portal.models import Batch, Company

    load_demo()
    for nit in ("900291499", "901343454"):
        company = db.session.query(Company).filter_by(nit=nit).one()
        states = {b.status for b in db.session.query(Batch).filter_by(company_id=company.id)}
        assert {"valid", "invalid", "confirmed", "deleted"} <= states, (nit, states)
    confirmed_partly = db.session.query(Batch).filter_by(filename="demo_afiliacion_solo_validas.txt").all()
    assert confirmed_partly and all(b.status == "confirmed" and b.error_count == 1 for b in confirmed_partly)
    before = db.session.query(Batch).count()
    load_demo()
    assert db.session.query(Batch).count() == before


def test_jahc_has_an_order_pending_payment_with_the_manuals_figures(app):
    from portal.models import Batch, Company, ServiceOrder

    load_demo()
    jahc = db.session.query(Company).filter_by(nit="900291499").one()
    (order,) = db.session.query(ServiceOrder).filter_by(company_id=jahc.id).all()
    assert order.status == "pending_payment" and order.first_signer.username == "jhomez"
    assert (order.commission, order.iva, order.total) == (Decimal("10.00"), Decimal("1.20"), Decimal("11.20"))
    assert [b.status for b in order.batches] == ["authorized"]
    load_demo()
    assert db.session.query(ServiceOrder).count() == 1
    assert db.session.query(Batch).filter_by(filename="demo_orden_emision.xlsx").count() == 1


def test_the_demo_products_have_tariffs_per_batch_type_and_distribution_costs(app):
    from portal.models import Company, DistributionTariff, Tariff
    from portal.services import orders

    load_demo()
    coop = db.session.query(Company).filter_by(nit="901343454").one()
    product = next(p for p in coop.products if p.named)
    assert {t.kind: t.commission for t in db.session.query(Tariff).filter_by(product_id=product.id)} == {
        "topup": Decimal("2.50"), "affiliation": Decimal("0.00")}
    assert db.session.query(DistributionTariff).filter_by(product_id=product.id, destination="BARRANQUILLA").one()
    rates = orders.rates_of(coop, product)
    assert rates.unit_price("topup") == Decimal("2.50") and rates.unit_price("emission") == Decimal("10.00")
    assert rates.distribution_cost("Barranquilla") == 0 and rates.distribution_cost("CALI") == Decimal("6500.00")
    assert rates.gmf_applies
