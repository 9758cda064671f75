"""Personal › Datos de afiliados (role «pagos»): affiliates' data-update requests, filtered
and paged, old and new side by side; «Aprobar» / «Rechazar» (a reason) once, audited; the
affiliate told on the old and the new channel; the staff home's count and oldest age."""
from datetime import timedelta

import pytest

from portal.domain.clock import utcnow
from portal.extensions import db
from portal.models import AuditEvent, ContactUpdateRequest, OutboxMessage
from tests import factories
from tests.conftest import post

QUEUE = "/personal/datos-afiliados"
HTMX = {"HX-Request": "true"}
OLD_MOBILE, NEW_MOBILE = "3001234434", "3109876567"


def approve_url(req):
    return f"{QUEUE}/{req.id}/aprobar"


def reject_url(req):
    return f"{QUEUE}/{req.id}/rechazar"


def a_request(affiliate, status="pending", submitted=None, **new):
    new = new or {"new_mobile": NEW_MOBILE, "new_email": "nuevo@example.com"}
    req = ContactUpdateRequest(affiliate_id=affiliate.id, status=status, old_mobile=affiliate.mobile,
                               old_email=affiliate.email, old_address=affiliate.address, code_sends=1,
                               submitted_at=None if status == "awaiting_code" else (submitted or utcnow()),
                               **new)
    db.session.add(req)
    db.session.commit()
    return req


@pytest.fixture
def affiliate(app):
    return factories.affiliate(cedula="1045678434", mobile=OLD_MOBILE)


@pytest.fixture
def pending(affiliate):
    return a_request(affiliate)


@pytest.fixture
def staff(client, auth):
    return auth.as_new("staff", "milena", roles="pagos")


def messages():
    return sorted((m.channel, m.recipient) for m in db.session.query(OutboxMessage))


def text(response):
    return response.get_data(as_text=True)


# --- who may -----------------------------------------------------------------------------

@pytest.mark.parametrize("roles", ["cartera", "tarjetas"])
def test_other_staff_roles_are_refused(client, auth, pending, roles):
    auth.as_new("staff", "otro", roles=roles)
    assert client.get(QUEUE).status_code == 403
    assert post(client, approve_url(pending), page="/personal/").status_code == 403
    assert post(client, reject_url(pending), {"motivo": "No corresponde"}, page="/personal/").status_code == 403
    assert db.session.get(ContactUpdateRequest, pending.id).status == "pending"
    assert 'href="/personal/datos-afiliados"' not in text(client.get("/personal/"))


def test_affiliates_and_strangers_are_refused(client, auth, pending):
    assert client.get(QUEUE).status_code == 303  # to the staff login
    auth.affiliate("1045678434")
    assert client.get(QUEUE).status_code == 403
    assert post(client, approve_url(pending), page="/pagos-express/").status_code == 403


def test_admin_may(client, auth, pending):
    auth.as_new("staff", "jefe", roles="admin")
    assert client.get(QUEUE).status_code == 200


def test_csrf_is_required(client, staff, pending):
    assert client.post(approve_url(pending)).status_code == 400
    assert client.post(reject_url(pending), data={"motivo": "No corresponde"}).status_code == 400
    assert db.session.get(ContactUpdateRequest, pending.id).status == "pending" and messages() == []


# --- the queue ---------------------------------------------------------------------------

def test_the_queue_shows_old_and_new_side_by_side(client, staff, pending, affiliate):
    a_request(factories.affiliate(cedula="72145338", mobile="3004561434"), status="awaiting_code")
    page = text(client.get(QUEUE))
    assert f'id="contact-update-{pending.id}"' in page and "contact-update-2" not in page  # no code yet
    row = page[page.index(f'id="contact-update-{pending.id}"'):]
    old, new = row.index('data-side="old"'), row.index('data-side="new"')
    assert row.index(OLD_MOBILE) > old and row.index(OLD_MOBILE) < new
    assert row.index(NEW_MOBILE) > new and "nuevo@example.com" in row[new:]
    assert "MARIA PEREZ" in row and "Aprobar" in row and "Rechazar" in row
    assert 'href="/personal/datos-afiliados"' in text(client.get("/personal/"))


def test_filters_by_state_cedula_and_dates(client, staff, affiliate, frozen_clock):
    other = factories.affiliate(cedula="72145338", mobile="3004561434")
    old = a_request(affiliate, status="approved", submitted=utcnow() - timedelta(days=10))
    new = a_request(other)

    def shown(**args):
        page = text(client.get(QUEUE, query_string=args))
        return {r.id for r in (old, new) if f'id="contact-update-{r.id}"' in page}

    assert shown() == {new.id}  # pending by default
    assert shown(estado="approved") == {old.id}
    assert shown(estado="all") == {old.id, new.id}
    assert shown(estado="all", cedula="7214") == {new.id}
    assert shown(estado="all", cedula="1045.678") == {old.id}
    assert shown(estado="all", fecha_final=(utcnow() - timedelta(days=5)).strftime("%d/%m/%Y")) == {old.id}
    assert shown(estado="all", fecha_inicial=(utcnow() - timedelta(days=1)).strftime("%d/%m/%Y")) == {new.id}
    response = client.get(QUEUE, query_string={"fecha_inicial": "31/02/2026"})
    assert response.status_code == 422 and "Fecha inicial: «31/02/2026» no es una fecha válida" in text(response)


def test_paged_oldest_first_and_the_table_alone_for_htmx(client, staff, frozen_clock):
    for n in range(12):
        a_request(factories.affiliate(cedula=f"10000000{n:02d}", mobile=OLD_MOBILE),
                  submitted=utcnow() - timedelta(minutes=100 - n))
    first = text(client.get(QUEUE))
    assert "Mostrando registro(s) del 1 al 10 de un total de 12 registro(s)" in first
    assert first.index("1000000000") < first.index("1000000009") and "1000000011" not in first
    second = client.get(QUEUE, query_string={"pagina": 2}, headers=HTMX)
    body = text(second)
    assert body.lstrip().startswith('<div id="contact-updates-table">') and "1000000011" in body and "<html" not in body


# --- decisions ---------------------------------------------------------------------------

def test_approve_once_changes_the_data_and_tells_old_and_new_channels(client, auth, staff, pending, affiliate):
    response = post(client, approve_url(pending), {"back": QUEUE + "?estado=all"}, page=QUEUE)
    assert response.status_code == 303 and response.headers["Location"] == QUEUE + "?estado=all"
    db.session.refresh(affiliate)
    assert (affiliate.mobile, affiliate.email) == (NEW_MOBILE, "nuevo@example.com")
    req = db.session.get(ContactUpdateRequest, pending.id)
    assert (req.status, req.decided_by_id) == ("approved", staff.id)
    assert messages() == [("email", "1045678434@example.com"), ("email", "nuevo@example.com"),
                          ("sms", OLD_MOBILE), ("sms", NEW_MOBILE)]
    sms = db.session.query(OutboxMessage).filter_by(recipient=OLD_MOBILE).one().body
    assert "aprobó" in sms and "****567" in sms and NEW_MOBILE not in sms

    # A second click (or another staff member) changes nothing and tells no one again.
    other = auth.new_client("staff", "luis", roles="pagos")
    response = post(other, approve_url(pending), page=QUEUE, headers=HTMX)
    assert response.status_code == 422 and "ya está «Aprobada»; no se cambió nada" in text(response)
    assert post(other, reject_url(pending), {"motivo": "Tarde"}, page=QUEUE).status_code == 303
    assert db.session.get(ContactUpdateRequest, pending.id).status == "approved" and len(messages()) == 4
    actions = [e.action for e in db.session.query(AuditEvent).filter(AuditEvent.action.like("contact_update.%"))]
    assert actions == ["contact_update.approved", "contact_update.decision_refused",
                       "contact_update.decision_refused"]


def test_after_approval_the_login_code_goes_to_the_new_mobile(client, auth, staff, pending):
    post(client, approve_url(pending), page=QUEUE)
    auth.logout(page=QUEUE)
    before = len(messages())
    auth.affiliate("1045678434")
    login_sms = db.session.query(OutboxMessage).order_by(OutboxMessage.id).all()[before]
    assert login_sms.recipient == NEW_MOBILE and "código de acceso" in login_sms.body


def test_reject_needs_a_reason_keeps_it_typed_and_changes_nothing(client, staff, pending, affiliate):
    response = post(client, reject_url(pending), {"motivo": "no"}, page=QUEUE, headers=HTMX)
    body = text(response)
    assert response.status_code == 422 and body.lstrip().startswith(f'<tr id="contact-update-{pending.id}"')
    assert "Motivo: escriba por qué se rechaza (mínimo 5 caracteres)" in body and 'value="no"' in body
    assert db.session.get(ContactUpdateRequest, pending.id).status == "pending" and messages() == []


def test_reject_once_with_its_reason_on_old_and_new_channels(client, staff, pending, affiliate):
    response = post(client, reject_url(pending), {"motivo": "El celular no es del afiliado."}, page=QUEUE,
                    headers=HTMX)
    assert response.status_code == 200 and "Solicitud de MARIA PEREZ rechazada." in text(response)
    assert 'data-status="rejected"' in text(response) and "Aprobar" not in text(response)
    db.session.refresh(affiliate)
    assert affiliate.mobile == OLD_MOBILE and affiliate.email == "1045678434@example.com"
    req = db.session.get(ContactUpdateRequest, pending.id)
    assert (req.status, req.reason) == ("rejected", "El celular no es del afiliado.")
    assert len(messages()) == 4
    mail = db.session.query(OutboxMessage).filter_by(recipient="nuevo@example.com").one()
    assert "rechazó" in mail.body and "El celular no es del afiliado." in mail.body
    assert post(client, reject_url(pending), {"motivo": "Otra vez no"}, page=QUEUE,
                headers=HTMX).status_code == 422
    assert len(messages()) == 4


def test_an_address_change_is_told_on_the_channels_on_file(client, staff, affiliate):
    req = a_request(affiliate, new_address="Carrera 54 # 72-80")
    post(client, approve_url(req), page=QUEUE)
    assert messages() == [("email", "1045678434@example.com"), ("sms", OLD_MOBILE)]
    db.session.refresh(affiliate)
    assert affiliate.address == "Carrera 54 # 72-80" and affiliate.mobile == OLD_MOBILE


def test_a_request_still_waiting_for_its_code_or_unknown_is_not_found(client, staff, affiliate):
    waiting = a_request(affiliate, status="awaiting_code")
    assert post(client, approve_url(waiting), page=QUEUE).status_code == 404
    assert post(client, f"{QUEUE}/999/rechazar", {"motivo": "No existe"}, page=QUEUE).status_code == 404
    assert db.session.get(ContactUpdateRequest, waiting.id).status == "awaiting_code"


# --- the staff home ----------------------------------------------------------------------

def test_the_home_shows_the_count_and_the_oldest_age(client, staff, affiliate, frozen_clock):
    a_request(affiliate, submitted=utcnow() - timedelta(hours=3))
    a_request(factories.affiliate(cedula="72145338", mobile="3004561434"), status="approved",
              submitted=utcnow() - timedelta(days=9))
    home = text(client.get("/personal/colas"))
    row = home[home.index('data-queue="contact_updates"'):]
    row = row[:row.index("</tr>")]
    assert "<td data-count>1</td>" in row and "hace 3 h" in row


def test_the_home_of_other_roles_has_no_such_tile(client, auth, pending):
    auth.as_new("staff", "carla", roles="cartera")
    assert 'data-queue="contact_updates"' not in text(client.get("/personal/"))
