"""The staff home (/personal/): every queue the staff member's roles allow, with its count and
the age of its oldest item, loaded lazily by htmx from /personal/colas."""
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from portal.domain.clock import utcnow
from portal.domain.formatting import ago, today_bogota
from portal.extensions import db
from portal.models import (
    Batch,
    BatchLine,
    ContactUpdateRequest,
    LoginGuard,
    MasterDeposit,
    OrderPayment,
    OutboxMessage,
    PaymentReview,
    ServiceOrder,
    SubsidyOrder,
)
from portal.services import staff_home
from tests import factories
from tests.blueprints.test_staff_queue import request_for

HOME, FIGURES = "/personal/", "/personal/colas"
HTMX = {"HX-Request": "true"}
ROW = re.compile(r'<tr data-queue="(\w+)"[^>]*>\s*<th scope="row">(.*?)</th>\s*(.*?)</tr>', re.S)
EVERYONE = {"outbox_failed", "outbox_unknown"}
BY_ROLE = {
    "": EVERYONE,
    "cartera": EVERYONE | {"requests_empresas", "cartera_errors", "cartera_duplicates"},
    "pagos": EVERYONE | {"requests_proveedores", "payment_reviews", "payments_waiting", "contact_updates",
                         "subsidy_orders"},
    "tarjetas": EVERYONE | {"batches_in_process", "batches_rejected", "orders_unpaid", "orders_failed_debit",
                            "orders_bank", "master_deposits", "changes_pending"},
    "admin": {queue.name for queue in staff_home.QUEUES},
}


def rows(html):
    """{queue: (its first cell, the rest)} of the queues' table."""
    return {name: (head, rest) for name, head, rest in ROW.findall(html)}


def figures(client):
    """{queue: (count, age or None)} as the htmx request gets them."""
    response = client.get(FIGURES, headers=HTMX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html  # the rows only
    out = {}
    for name, (_, cells) in rows(html).items():
        count = re.search(r"<td data-count>(\d+)</td>", cells).group(1)
        age = re.search(r"<td data-oldest>(?:<time [^>]*>([^<]+)</time>|—)</td>", cells).group(1)
        out[name] = (int(count), age)
    return out


# --- who sees what -------------------------------------------------------------------------

@pytest.mark.parametrize("roles", sorted(BY_ROLE))
def test_each_role_sees_only_its_queues(auth, roles):
    client = auth.new_client("staff", f"staff{roles}", roles=roles)
    frame = client.get(HOME).get_data(as_text=True)
    assert set(rows(frame)) == BY_ROLE[roles]
    assert set(figures(client)) == BY_ROLE[roles]


@pytest.mark.parametrize("kind", ["corporate", "hanna"])
def test_other_users_are_refused(auth, kind):
    client = auth.new_client(kind, "otro@example.com")
    for url in (HOME, FIGURES):
        assert client.get(url).status_code == 403
        assert client.get(url, headers=HTMX).status_code == 403


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(FIGURES)
    assert response.status_code == 303 and response.headers["Location"].startswith("/personal/ingresar")


# --- the frame, the htmx rows and the no-JS page -------------------------------------------

def test_the_frame_asks_for_the_figures_once_loaded_and_every_minute(auth):
    client = auth.new_client("staff", "admin", roles="admin")
    frame = client.get(HOME).get_data(as_text=True)
    body = re.search(r'<tbody id="queue-figures"([^>]*)>', frame).group(1)
    assert f'hx-get="{FIGURES}"' in body and 'hx-trigger="load, every 60s, portal:visible"' in body
    assert "X-Portal-Poll" in body and "data-refresh-visible" in body  # no keep-alive; paused when hidden
    assert all('aria-busy="true"' in cells for _, cells in rows(frame).values())
    assert f'<noscript><p><a href="{FIGURES}">' in frame


def test_without_htmx_the_figures_come_inline_in_the_whole_page(auth):
    client = auth.new_client("staff", "admin", roles="admin")
    page = client.get(FIGURES)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and "Colas de trabajo" in html
    assert 'hx-trigger="every 60s, portal:visible"' in html  # figures there: no second load
    assert "aria-busy" not in html and "<td data-count>0</td>" in html
    assert "HX-Request" in client.get(FIGURES, headers=HTMX).headers["Vary"]


def test_links_lead_to_pages_the_staff_member_may_open(auth):
    """Every link works for who sees it; queues without a page show no link."""
    for roles in BY_ROLE:
        client = auth.new_client("staff", f"links{roles}", roles=roles)
        for name, (head, _) in rows(client.get(FIGURES).get_data(as_text=True)).items():
            queue = next(q for q in staff_home.QUEUES if q.name == name)
            link = re.search(r'<a href="([^"]+)">', head)
            assert bool(link) == bool(queue.endpoint), name
            if link:
                assert client.get(link.group(1).replace("&amp;", "&")).status_code == 200, link.group(1)


# --- counts and ages -----------------------------------------------------------------------

def outbox(status, minutes_ago):
    db.session.add(OutboxMessage(channel="sms", recipient="3001234434", body="x", status=status,
                                 created_at=utcnow() - timedelta(minutes=minutes_ago)))


def test_counts_and_the_age_of_the_oldest(auth, frozen_clock):
    outbox("failed", 3 * 60 + 5)
    outbox("failed", 10)
    outbox("sent", 5 * 24 * 60)
    request_for("a@example.com", "EMPRESAS", age_minutes=2 * 24 * 60 + 30)
    request_for("b@example.com", "EMPRESAS", age_minutes=1)
    request_for("c@example.com", "PROVEEDORES", age_minutes=45)
    request_for("d@example.com", "EMPRESAS", status="approved", age_minutes=9 * 24 * 60)
    db.session.add(PaymentReview(transaction_id="T1", reason="monto", received_json="{}",
                                 created_at=utcnow() - timedelta(hours=26)))
    db.session.commit()
    got = figures(auth.new_client("staff", "admin", roles="admin"))
    assert got["outbox_failed"] == (2, "hace 3 h")
    assert got["requests_empresas"] == (2, "hace 2 días")
    assert got["requests_proveedores"] == (1, "hace 45 min")
    assert got["payment_reviews"] == (1, "hace 1 día")
    assert got["payments_waiting"] == (0, None) and got["master_deposits"] == (0, None)


def test_locked_accounts_count_users_and_cedulas_locked_now_since_the_lock(auth, frozen_clock, app):
    minutes = app.config["LOGIN_LOCK_MINUTES"]
    factories.user("corporate", "bloqueado").locked_until = utcnow() + timedelta(minutes=minutes - 7)
    factories.user("corporate", "ya_no").locked_until = utcnow() - timedelta(minutes=1)
    db.session.add(LoginGuard(subject="cc:1045678434", failures=0, locked_until=utcnow() + timedelta(minutes=minutes - 3)))
    db.session.commit()
    got = figures(auth.new_client("staff", "admin", roles="admin"))
    assert got["locked_accounts"] == (2, "hace 7 min")


def conexion_queues():
    """A company's batches and orders in every state the home counts."""
    company = factories.company()
    signer = factories.user("corporate", "firmante")
    now, product_id = utcnow(), company.products[0].id

    def batch(number, status, hours_ago, processed_hours_ago=None):
        row = Batch(number=number, company_id=company.id, product_id=product_id, kind="emission",
                    status=status, created_at=now - timedelta(hours=hours_ago),
                    processed_at=now - timedelta(hours=processed_hours_ago) if processed_hours_ago else None)
        db.session.add(row)
        db.session.flush()
        return row

    def order(number, status, hours_ago):
        row = ServiceOrder(number=number, company_id=company.id, product_id=product_id, kind="emission",
                           status=status, total_price=0, total_distribution=0, commission=0, iva_rate=0,
                           iva=0, total=0, amount=0, gmf=0, to_pay=0, first_signer_id=signer.id,
                           created_at=now - timedelta(hours=hours_ago))
        db.session.add(row)
        db.session.flush()
        return row

    def payment(of, status, hours_ago):
        db.session.add(OrderPayment(order_id=of.id, user_id=signer.id, reference=f"P{of.id}-{status}", amount=0,
                                    status=status, created_at=now - timedelta(hours=hours_ago),
                                    decided_at=now - timedelta(hours=hours_ago)))

    batch("1", "in_process", 5)
    batch("2", "in_process", 1)
    processed = batch("3", "processed", 80, processed_hours_ago=50)
    for n, outcome in enumerate(("rejected", "rejected", "processed")):
        db.session.add(BatchLine(batch_id=processed.id, line_no=n + 1, values_json="{}", outcome=outcome))
    batch("4", "processed", 10, processed_hours_ago=9)  # no rejected line
    order(1, "pending_payment", 30)
    declined = order(2, "pending_payment", 4)
    payment(declined, "declined", 3)
    payment(declined, "error", 2)
    paying = order(3, "paying", 2)
    payment(paying, "pending", 2)
    paid = order(4, "paid", 100)
    payment(paid, "declined", 99)  # then paid: nothing to do
    db.session.add(MasterDeposit(company_id=company.id, product_id=product_id, amount=1000, bank_reference="R1",
                                 deposited_on=date(2026, 5, 25), registered_by_id=signer.id,
                                 registered_at=now - timedelta(minutes=90)))
    db.session.commit()


def test_conexion_queues(auth, frozen_clock):
    conexion_queues()
    got = figures(auth.new_client("staff", "tarjetas", roles="tarjetas"))
    assert got["batches_in_process"] == (2, "hace 5 h")
    assert got["batches_rejected"] == (1, "hace 2 días")
    assert got["orders_unpaid"] == (2, "hace 1 día")
    assert got["orders_failed_debit"] == (1, "hace 3 h")
    assert got["orders_bank"] == (1, "hace 2 h")
    assert got["master_deposits"] == (1, "hace 1 h")


def test_the_oldest_shows_its_bogota_time(auth, frozen_clock):
    outbox("failed", 60)  # 19:00 UTC = 2:00 p. m. in Bogotá
    db.session.commit()
    html = auth.new_client("staff", "analista").get(FIGURES, headers=HTMX).get_data(as_text=True)
    assert '<time datetime="2026-05-26T19:00Z" title="26/05/2026 2:00:00 p. m.">hace 1 h</time>' in html


@pytest.mark.parametrize("minutes,text", [
    (0, "hace menos de 1 min"), (59, "hace 59 min"), (60, "hace 1 h"), (23 * 60 + 59, "hace 23 h"),
    (24 * 60, "hace 1 día"), (3 * 24 * 60, "hace 3 días"), (-5, "hace menos de 1 min"),
])
def test_ages_in_spanish(minutes, text):
    now = utcnow()
    assert ago(now - timedelta(minutes=minutes), now) == text


def test_pagos_sees_subsidy_orders_to_redeem_and_data_updates(client, auth, frozen_clock):
    """The two queues of the pagos desk added after the registry: vigente subsidy orders
    (an expired, a redeemed one not counted) and data updates waiting for staff."""
    supplier = factories.entity(nit="800200300", name="PROVEEDOR S.A.S.")
    today = today_bogota()
    for number, status, valid, hours in (("1", "issued", today, 5), ("2", "issued", today - timedelta(days=1), 50),
                                         ("3", "redeemed", today, 70)):
        db.session.add(SubsidyOrder(number=number, supplier_entity_id=supplier.id, affiliate_cedula="1045678434",
                                    affiliate_name="MARIA PEREZ", amount=Decimal("1000.00"), status=status,
                                    valid_until=valid, issued_at=utcnow() - timedelta(hours=hours),
                                    redeemed_at=utcnow() if status == "redeemed" else None))
    affiliate = factories.affiliate()
    db.session.add(ContactUpdateRequest(affiliate_id=affiliate.id, status="pending", old_mobile=affiliate.mobile,
                                        old_email=affiliate.email, new_email="n@example.com",
                                        submitted_at=utcnow() - timedelta(days=2)))
    db.session.commit()
    auth.as_new("staff", "paola", roles="pagos")
    rows = client.get("/personal/colas", headers={"HX-Request": "true"}).get_data(as_text=True)
    subsidy = rows[rows.index('data-queue="subsidy_orders"'):]
    subsidy = subsidy[:subsidy.index("</tr>")]
    assert "<td data-count>1</td>" in subsidy and "hace 5 h" in subsidy
    assert "estado=vigente" in subsidy
    updates = rows[rows.index('data-queue="contact_updates"'):]
    assert "<td data-count>1</td>" in updates[:updates.index("</tr>")]
