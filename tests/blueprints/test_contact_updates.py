"""Pagos Express › Actualizar mis datos (manual 001's note): the affiliate asks to change
mobile, e-mail or address; a new mobile is confirmed by a code sent to it (the login's
rules: 109 s, 5 wrong codes lock, 5 sends); staff decide later. Until then the login code
still goes to the old mobile."""
import re

import pytest

from portal.domain import contact_updates as rules
from portal.extensions import db
from portal.models import AuditEvent, ContactUpdateRequest, OutboxMessage
from tests import factories
from tests.conftest import post

PAGE, CODE, RESEND = "/pagos-express/mis-datos", "/pagos-express/mis-datos/codigo", "/pagos-express/mis-datos/codigo/reenviar"
CEDULA, OLD, NEW = "1045678434", "3001234434", "3109876567"
ON_FILE = {"mobile": OLD, "email": f"{CEDULA}@example.com", "address": ""}


@pytest.fixture
def app_config():
    return {"RATELIMIT_LOGIN_PER_ACCOUNT": "200 per minute", "RATELIMIT_LOGIN_PER_IP": "500 per minute"}


@pytest.fixture
def affiliate(app, client, auth):
    found = factories.affiliate(cedula=CEDULA, mobile=OLD)
    auth.affiliate(CEDULA)
    return found


def ask(client, **typed):
    return post(client, PAGE, {**ON_FILE, **typed}, page=PAGE)


def sms_to(number):
    return [m.body for m in db.session.query(OutboxMessage).filter_by(channel="sms", recipient=number)
            .order_by(OutboxMessage.id)]


def code_sent_to(number):
    return re.search(r"\b(\d{6})\b", sms_to(number)[-1]).group(1)


def wrong(code):
    return f"{(int(code) + 1) % 1_000_000:06d}"


def requests():
    return db.session.query(ContactUpdateRequest).order_by(ContactUpdateRequest.id).all()


def text(response):
    return response.get_data(as_text=True)


def test_the_page_shows_the_data_on_file_with_a_numeric_keyboard_for_the_mobile(client, affiliate):
    home = text(client.get("/pagos-express/"))
    assert f'href="{PAGE}"' in home and "ACTUALIZAR MIS DATOS" in home
    page = text(client.get(PAGE))
    mobile = re.search(r'<input[^>]*name="mobile"[^>]*>', page).group(0)
    assert f'value="{OLD}"' in mobile and 'inputmode="numeric"' in mobile
    assert "la nueva reemplaza" not in page  # said only when a request is open


@pytest.mark.parametrize("kind", ["staff", "hanna", "corporate"])
def test_only_affiliates(client, auth, kind):
    auth.as_new(kind, "alguien@example.com" if kind == "hanna" else "alguien")
    assert client.get(PAGE).status_code == 403
    assert post(client, PAGE, ON_FILE, page="/").status_code == 403
    assert post(client, CODE, {"code": "123456"}, page="/").status_code == 403


def test_signed_out_goes_to_the_affiliates_login(client, app):
    response = client.get(PAGE)
    assert response.status_code == 303 and "/pagos-express/ingresar" in response.headers["Location"]


def test_csrf_is_required(client, affiliate):
    assert client.post(PAGE, data={**ON_FILE, "mobile": NEW}).status_code == 400
    assert client.post(RESEND).status_code == 400
    assert requests() == [] and sms_to(NEW) == []


@pytest.mark.parametrize("typed,message", [
    ({"mobile": "2109876567"}, "Celular: escriba un celular colombiano de 10 dígitos que empiece por 3"),
    ({"email": "maria@correo"}, "Correo electrónico: «maria@correo» no es un correo válido"),
    ({"address": "Cl 1"}, "Dirección: escriba entre 5 y 200 caracteres"),
    ({}, "No cambió ningún dato"),
])
def test_bad_input_names_the_field_keeps_what_was_typed_and_changes_nothing(client, affiliate, typed, message):
    # Beside a valid change (a new address) when something is typed: nothing is kept of it either.
    response = ask(client, **({"address": "Carrera 54 # 72-80", **typed} if typed else {}))
    body = text(response)
    assert response.status_code == 422 and message in body
    for value in typed.values():
        assert f'value="{value}"' in body
    assert requests() == [] and sms_to(NEW) == []


def test_email_and_address_go_straight_to_staff_without_a_code(client, affiliate):
    response = ask(client, email="nuevo@example.com", address="Carrera 54 # 72-80")
    assert response.status_code == 303 and response.headers["Location"] == PAGE
    [req] = requests()
    assert (req.status, req.new_email, req.new_address, req.new_mobile) == ("pending", "nuevo@example.com",
                                                                            "Carrera 54 # 72-80", None)
    assert req.submitted_at is not None and len(sms_to(OLD)) == 1  # the login's code only
    page = text(client.get(PAGE))
    assert "Recibimos su solicitud" in page and "En revisión" in page and "Carrera 54 # 72-80" in page
    assert affiliate.email == f"{CEDULA}@example.com"  # unchanged until staff approve


def test_a_new_mobile_gets_a_code_and_the_request_waits_for_it(client, affiliate, frozen_clock):
    response = ask(client, mobile="310 987 6567")
    assert response.status_code == 303 and response.headers["Location"] == CODE
    [req] = requests()
    assert req.status == "awaiting_code" and req.new_mobile == NEW
    [body] = sms_to(NEW)
    assert "109 segundos" in body and len(sms_to(OLD)) == 1  # nothing more to the old one
    page = text(client.get(CODE))
    assert "****567" in page and 'data-countdown="109"' in page and NEW not in page
    code_input = re.search(r'<input[^>]*name="code"[^>]*>', page).group(0)
    assert 'inputmode="numeric"' in code_input and 'autocomplete="one-time-code"' in code_input
    # Its state on the page, with the way back to the code step.
    page = text(client.get(PAGE))
    assert "Falta confirmar el celular" in page and f'href="{CODE}"' in page


def test_wrong_then_right_code_sends_it_to_staff(client, affiliate):
    ask(client, mobile=NEW)
    code = code_sent_to(NEW)
    response = post(client, CODE, {"code": wrong(code)}, page=PAGE)
    assert response.status_code == 422 and "El código no es correcto" in text(response)
    assert requests()[0].status == "awaiting_code"
    response = post(client, CODE, {"code": code}, page=PAGE)
    assert response.status_code == 303 and response.headers["Location"] == PAGE
    [req] = requests()
    assert req.status == "pending" and req.submitted_at is not None and req.code_hash is None
    assert "Celular confirmado" in text(client.get(PAGE))
    # The same code again: the request is no longer waiting for it.
    assert post(client, CODE, {"code": code}, page=PAGE).headers["Location"] == PAGE
    actions = [e.action for e in db.session.query(AuditEvent).filter(AuditEvent.action.like("contact_update.%"))]
    assert actions == ["contact_update.requested", "contact_update.code_sent", "contact_update.code_failed",
                       "contact_update.mobile_confirmed"]


def test_a_malformed_code_is_refused_without_counting(client, affiliate):
    ask(client, mobile=NEW)
    response = post(client, CODE, {"code": "12ab"}, page=PAGE)
    assert response.status_code == 422 and "El código tiene 6 números." in text(response)


def test_an_expired_code_fails_and_reenviar_sends_a_new_one_to_the_new_number(client, affiliate, frozen_clock):
    ask(client, mobile=NEW)
    first = code_sent_to(NEW)
    frozen_clock.advance(109)
    response = post(client, CODE, {"code": first}, page=PAGE)
    assert response.status_code == 422 and "El código venció" in text(response)
    response = post(client, RESEND, page=PAGE)
    assert response.status_code == 200 and "Le enviamos un código nuevo." in text(response)
    assert len(sms_to(NEW)) == 2 and len(sms_to(OLD)) == 1
    second = code_sent_to(NEW)
    if second != first:
        assert post(client, CODE, {"code": first}, page=PAGE).status_code == 422
    assert post(client, CODE, {"code": second}, page=PAGE).status_code == 303
    assert requests()[0].status == "pending"


def test_five_wrong_codes_lock_it_and_the_code_is_gone(client, affiliate):
    ask(client, mobile=NEW)
    code = code_sent_to(NEW)
    for _ in range(4):
        assert post(client, CODE, {"code": wrong(code)}, page=PAGE).status_code == 422
    response = post(client, CODE, {"code": wrong(code)}, page=PAGE)
    assert "quedó bloqueada después de 5 códigos incorrectos. Intente de nuevo en 15 minutos" in text(response)
    response = post(client, CODE, {"code": code}, page=PAGE)
    assert response.status_code == 422 and "bloqueada" in text(response)
    assert requests()[0].status == "awaiting_code" and requests()[0].code_hash is None
    # A new request for a new mobile waits for the lock too: no SMS goes out.
    response = ask(client, mobile="3151112233")
    assert response.status_code == 422 and "bloqueada" in text(response) and sms_to("3151112233") == []


def test_at_most_five_sends_per_request(client, affiliate):
    ask(client, mobile=NEW)
    for _ in range(4):
        assert post(client, RESEND, page=PAGE).status_code == 200
    response = post(client, RESEND, page=PAGE)
    assert response.status_code == 422 and "Ya se reenvió el código varias veces" in text(response)
    assert len(sms_to(NEW)) == 5


def test_a_new_request_replaces_the_open_one_and_the_page_says_so(client, affiliate):
    ask(client, email="primero@example.com")
    page = text(client.get(PAGE))
    assert "si envía otra, la nueva reemplaza a la anterior" in page
    ask(client, email="segundo@example.com")
    assert [(r.status, r.new_email) for r in requests()] == [("replaced", "primero@example.com"),
                                                            ("pending", "segundo@example.com")]


def test_the_login_code_goes_to_the_old_mobile_until_approval(client, auth, affiliate):
    ask(client, mobile=NEW)
    post(client, CODE, {"code": code_sent_to(NEW)}, page=PAGE)
    assert requests()[0].status == "pending"
    auth.logout(page=PAGE)
    before_old, before_new = len(sms_to(OLD)), len(sms_to(NEW))
    auth.affiliate(CEDULA)  # reads the newest SMS: it went to the old mobile
    assert len(sms_to(OLD)) == before_old + 1 and len(sms_to(NEW)) == before_new
    assert "código de acceso" in sms_to(OLD)[-1]


def test_the_state_shows_a_rejection_and_its_reason(client, affiliate):
    ask(client, address="Carrera 54 # 72-80")
    req = requests()[0]
    req.status, req.reason = rules.REJECTED, "La dirección no corresponde al certificado."
    db.session.commit()
    page = text(client.get(PAGE))
    assert "Rechazada" in page and "La dirección no corresponde al certificado." in page


def test_codes_to_new_mobiles_are_capped_per_hour_like_the_login(client, app, affiliate):
    app.config["OTP_MAX_SENDS_PER_HOUR"] = 2
    ask(client, mobile=NEW)
    ask(client, mobile="3151112233")  # replaces the first: two codes sent this hour
    response = ask(client, mobile="3162223344")
    assert response.status_code == 422 and "Ya enviamos varios códigos a celulares nuevos" in text(response)
    assert sms_to("3162223344") == []
    assert [r.status for r in requests()] == ["replaced", "awaiting_code"]  # nothing changed
    assert post(client, RESEND, page=PAGE).status_code == 422
