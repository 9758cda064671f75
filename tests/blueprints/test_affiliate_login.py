"""Pagos Express login for affiliates (manual 001): cédula → 6-digit SMS code, 109 s,
"terminado ****434", resend, 5 wrong codes lock for 15 minutes, unknown cédulas look
the same; plus the EMPRESAS tab (Hanna users) and the per-account rate limit."""
import re

import pytest

from portal.extensions import db
from portal.models import AuditEvent, LoginGuard, OtpChallenge, OutboxMessage, UserSession
from tests import factories
from tests.conftest import post

LOGIN = "/pagos-express/ingresar"
CODE = "/pagos-express/codigo"
RESEND = "/pagos-express/codigo/reenviar"
HOME = "/pagos-express/"
CEDULA, MOBILE = "1045678434", "3001234434"
UNKNOWN = "7012345678"
HTMX = {"HX-Request": "true"}
LOCKED = "quedó bloqueado después de 5 códigos incorrectos"


@pytest.fixture
def app_config():
    # These tests post many times for one cédula within a minute; the real limits are
    # tested below with their own numbers.
    return {"RATELIMIT_LOGIN_PER_ACCOUNT": "200 per minute", "RATELIMIT_LOGIN_PER_IP": "500 per minute"}


@pytest.fixture
def affiliate(app):
    return factories.affiliate(cedula=CEDULA, mobile=MOBILE)


def ask(client, cedula=CEDULA, headers=None):
    return post(client, LOGIN, {"cedula": cedula}, page=LOGIN, headers=headers)


def enter(client, code, headers=None):
    return post(client, CODE, {"code": code}, page=LOGIN, headers=headers)


def resend(client, headers=None):
    return post(client, RESEND, page=LOGIN, headers=headers)


def sms_messages():
    return db.session.query(OutboxMessage).filter_by(channel="sms").order_by(OutboxMessage.id).all()


def last_code():
    body = sms_messages()[-1].body
    match = re.search(r"\b(\d{6})\b", body)
    assert match, body
    return match.group(1)


def wrong(code):
    return f"{(int(code) + 1) % 1_000_000:06d}"


def actions():
    return [e.action for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]


def text(response):
    return response.get_data(as_text=True)


def signed_in(client):
    return client.get(HOME).status_code == 200


# --- the happy path -------------------------------------------------------------------

def test_known_cedula_gets_an_sms_and_the_validation_screen(client, affiliate, frozen_clock):
    response = ask(client)
    assert response.status_code == 303 and response.headers["Location"] == CODE
    [sms] = sms_messages()
    assert sms.recipient == MOBILE
    code = last_code()
    assert code in sms.body and "109" in sms.body

    page = text(client.get(CODE))
    assert "Validación en Proceso!" in page
    assert re.search(r"terminado <strong[^>]*>\*\*\*\*434</strong>", page)
    assert 'data-countdown="109"' in page
    assert "Tiene" in page and "seg para validar la sesión" in page
    assert MOBILE not in page and "1234434" not in page  # only the last 3 digits show
    code_input = re.search(r'<input[^>]*name="code"[^>]*>', page).group(0)
    assert 'inputmode="numeric"' in code_input
    assert 'autocomplete="one-time-code"' in code_input
    assert 'maxlength="6"' in code_input


def test_the_right_code_signs_in_and_the_home_works(client, affiliate):
    ask(client)
    response = enter(client, last_code())
    assert response.status_code == 303 and response.headers["Location"] == HOME
    home = client.get(HOME)
    assert home.status_code == 200
    assert "Bienvenidos a Pagos Express" in text(home)
    assert "MARIA PEREZ" in text(home)
    session_row = db.session.query(UserSession).one()
    assert (session_row.principal_type, session_row.principal_id) == ("affiliate", affiliate.id)
    assert actions() == ["otp.sent", "login.success"]
    # Once signed in, the login page sends the affiliate home.
    assert client.get(LOGIN).headers["Location"] == HOME


def test_countdown_reads_109_right_after_sending(client, affiliate):
    # Real clock: a few milliseconds pass between sending and rendering.
    response = ask(client, headers=HTMX)
    assert 'data-countdown="109"' in text(response) and ">109</span> seg" in text(response)


@pytest.mark.parametrize("next_url,landing", [("/pagos-express/?desde=correo", "/pagos-express/?desde=correo"),
                                              ("https://evil.example/", HOME), ("//evil.example/", HOME)])
def test_next_page_is_kept_through_the_code_step(client, affiliate, next_url, landing):
    page = client.get(LOGIN, query_string={"next": next_url})
    assert page.status_code == 200
    action = re.search(r'<form method="post" action="([^"]+)"', text(page)).group(1)
    action = action.replace("&amp;", "&")
    assert post(client, action, {"cedula": CEDULA}, page=LOGIN).status_code == 303
    response = enter(client, last_code())
    assert response.status_code == 303 and response.headers["Location"] == landing


def test_a_protected_page_sends_to_the_login_and_back(client, affiliate):
    response = client.get(HOME)
    assert response.status_code == 303
    login_page = response.headers["Location"]
    assert login_page.startswith(LOGIN + "?next=")
    page = text(client.get(login_page))
    action = re.search(r'<form method="post" action="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert action == login_page
    post(client, action, {"cedula": CEDULA}, page=LOGIN)
    assert enter(client, last_code()).headers["Location"] == HOME


def test_cedula_with_dots_and_spaces_is_accepted(client, affiliate):
    response = ask(client, "1.045.678 434")
    assert response.status_code == 303
    assert enter(client, last_code()).status_code == 303


def test_the_code_is_stored_only_as_a_keyed_hash(client, affiliate):
    ask(client)
    code = last_code()
    challenge = db.session.query(OtpChallenge).one()
    assert challenge.code_hash and challenge.code_hash != code
    assert len(challenge.code_hash) == 64
    row = {c.name: getattr(challenge, c.name) for c in OtpChallenge.__table__.columns}
    assert not any(code in str(value) for value in row.values())
    # Nor in the audit trail.
    assert not any(code in (e.detail or "") + (e.subject or "")
                   for e in db.session.query(AuditEvent))


def test_a_code_is_single_use(app, client, affiliate):
    ask(client)
    code = last_code()
    public_id = db.session.query(OtpChallenge).one().public_id
    assert enter(client, code).status_code == 303
    assert post(client, "/salir", page=HOME).status_code == 303
    assert not signed_in(client)
    # Even with the challenge put back in the cookie, the used code is refused.
    with client.session_transaction() as s:
        s["otp"], s["otp_cedula"] = public_id, CEDULA
    response = enter(client, code)
    assert response.status_code == 422
    assert "venció o ya fue usado" in text(response)
    assert not signed_in(client)


def test_valid_at_108_seconds(client, affiliate, frozen_clock):
    ask(client)
    frozen_clock.advance(108)
    assert 'data-countdown="1"' in text(client.get(CODE))
    assert enter(client, last_code()).status_code == 303


@pytest.mark.parametrize("elapsed", [109, 110])
def test_expired_from_109_seconds(client, affiliate, frozen_clock, elapsed):
    ask(client)
    frozen_clock.advance(elapsed)
    page = text(client.get(CODE))
    assert 'data-countdown="0"' in page
    assert re.search(r'<p id="code-expired"[^>]*>', page).group(0).find("hidden") == -1
    response = enter(client, last_code())
    assert response.status_code == 422
    assert "venció" in text(response)
    assert not signed_in(client)
    # An expired code is not a guess: it does not count towards the lock.
    assert db.session.query(LoginGuard).one().failures == 0


# --- resend ---------------------------------------------------------------------------

def test_resend_sends_a_new_code_and_the_old_one_stops_working(client, affiliate, frozen_clock):
    ask(client)
    old = last_code()
    frozen_clock.advance(100)
    response = resend(client)
    assert response.status_code == 200
    assert "Le enviamos un código nuevo." in text(response)
    assert 'data-countdown="109"' in text(response)  # a fresh 109 s
    assert len(sms_messages()) == 2
    new = last_code()
    assert db.session.query(OtpChallenge).one().sends == 2
    if new != old:  # one chance in a million that they coincide
        response = enter(client, old)
        assert response.status_code == 422 and "no es correcto" in text(response)
    frozen_clock.advance(100)  # 200 s after the first code, 100 s after the new one
    assert enter(client, new).status_code == 303


def test_resend_does_not_reset_the_failure_count(client, affiliate):
    ask(client)
    for _ in range(4):
        response = enter(client, wrong(last_code()))
        assert response.status_code == 422 and "no es correcto" in text(response)
    assert resend(client).status_code == 200
    assert db.session.query(LoginGuard).one().failures == 4
    response = enter(client, wrong(last_code()))
    assert response.status_code == 422
    assert LOCKED in text(response) and "15 minutos" in text(response)


def test_resend_is_limited(client, affiliate):
    ask(client)
    for _ in range(4):
        assert resend(client).status_code == 200
    response = resend(client)
    assert response.status_code == 422
    assert "Ya se reenvió el código varias veces" in text(response)
    assert len(sms_messages()) == 5


@pytest.mark.parametrize("cedula", [CEDULA, UNKNOWN])
def test_at_most_ten_codes_an_hour_per_cedula(client, affiliate, frozen_clock, cedula):
    ask(client, cedula)
    for _ in range(4):
        assert resend(client).status_code == 200
    for _ in range(5):  # 5 + 5 = 10 sends within the hour
        frozen_clock.advance(60)
        assert ask(client, cedula).status_code == 303
    frozen_clock.advance(60)
    assert "Ya se reenvió" in text(resend(client))
    response = ask(client, cedula)
    assert response.status_code == 422
    assert "Ya enviamos varios códigos para esta cédula en la última hora" in text(response)
    assert len(sms_messages()) == (10 if cedula == CEDULA else 0)
    assert "otp.send_limit" in actions()
    # Other cédulas are not affected; this one can ask again an hour after the first code.
    assert ask(client, "1122334455").status_code == 303
    frozen_clock.advance(60 * 60 - 6 * 60 + 1)
    assert ask(client, cedula).status_code == 303


def _behind_the_back(sql, **params):
    """What a parallel request commits while this one is between its check and its write."""
    from sqlalchemy import text as sql_text
    with db.engine.begin() as conn:
        conn.execute(sql_text(sql), params)


def test_a_code_used_by_a_parallel_request_is_not_accepted_twice(client, affiliate, monkeypatch):
    from portal.services import affiliate_login as service
    ask(client)
    code = last_code()
    real = service.otp.code_matches

    def racing(*args):
        _behind_the_back("UPDATE otp_challenges SET consumed_at = created_at")
        return real(*args)

    monkeypatch.setattr(service.otp, "code_matches", racing)
    response = enter(client, code)
    assert response.status_code == 422 and "venció o ya fue usado" in text(response)
    assert not signed_in(client)
    assert db.session.query(UserSession).count() == 0


def test_parallel_wrong_codes_are_all_counted(client, affiliate, monkeypatch):
    from portal.services import affiliate_login as service
    ask(client)
    enter(client, wrong(last_code()))
    real = service.otp.code_matches

    def racing(*args):
        _behind_the_back("UPDATE login_guards SET failures = failures + 1")
        return real(*args)

    monkeypatch.setattr(service.otp, "code_matches", racing)
    enter(client, wrong(last_code()))
    db.session.expire_all()
    assert db.session.query(LoginGuard).one().failures == 3


def test_asking_again_supersedes_the_earlier_code(client, affiliate):
    ask(client)
    first = last_code()
    other = client.application.test_client()
    ask(other)
    response = enter(client, first)
    assert response.status_code == 422 and not signed_in(client)
    assert enter(other, last_code()).status_code == 303


# --- the lock -------------------------------------------------------------------------

def test_five_wrong_codes_lock_for_fifteen_minutes(client, affiliate, frozen_clock):
    ask(client)
    code = last_code()
    public_id = db.session.query(OtpChallenge).one().public_id
    for _ in range(4):
        assert "no es correcto" in text(enter(client, wrong(code)))
    response = enter(client, wrong(code))
    assert response.status_code == 422
    assert LOCKED in text(response) and "Intente de nuevo en 15 minutos." in text(response)
    assert actions() == ["otp.sent"] + ["otp.failed"] * 5 + ["otp.locked"]

    # The right code of that challenge is refused while locked.
    with client.session_transaction() as s:
        s["otp"], s["otp_cedula"] = public_id, CEDULA
    frozen_clock.advance(60)
    response = enter(client, code)
    assert response.status_code == 422
    assert LOCKED in text(response) and "14 minutos" in text(response)
    assert not signed_in(client)

    # Asking for a new code is refused too, and no SMS goes out.
    frozen_clock.advance(12 * 60)
    response = ask(client)
    assert response.status_code == 422 and "Intente de nuevo en 2 minutos." in text(response)
    frozen_clock.advance(60)
    assert "Intente de nuevo en 1 minuto." in text(ask(client))
    assert len(sms_messages()) == 1

    # After the 15 minutes it works again.
    frozen_clock.advance(60)
    assert ask(client).status_code == 303
    assert enter(client, last_code()).status_code == 303
    assert signed_in(client)
    guard = db.session.query(LoginGuard).one()
    assert (guard.failures, guard.locked_until) == (0, None)


def test_the_lock_follows_the_cedula_not_the_browser(app, affiliate):
    attacker, owner = app.test_client(), app.test_client()
    ask(attacker)
    for _ in range(5):
        enter(attacker, "000000" if last_code() != "000000" else "111111")
    response = ask(owner)
    assert response.status_code == 422 and LOCKED in text(response)


# --- unknown cédula: the same screens, no SMS -----------------------------------------

def _normalized(page):
    page = re.sub(r'(name="csrf_token" type="hidden" value|value)="[^"]*"', r'\1=""', page)
    page = re.sub(r'"X-CSRFToken": "[^"]+"', '"X-CSRFToken": ""', page)
    return re.sub(r"\*\*\*\*\d{3}", "****NNN", page)


def test_unknown_cedula_gets_the_same_screen_and_no_sms(app, affiliate, frozen_clock):
    known, unknown = app.test_client(), app.test_client()
    r_known, r_unknown = ask(known), ask(unknown, UNKNOWN)
    assert (r_known.status_code, r_known.headers["Location"]) == (r_unknown.status_code,
                                                                 r_unknown.headers["Location"])
    assert len(sms_messages()) == 1  # only the affiliate's
    page_known, page_unknown = text(known.get(CODE)), text(unknown.get(CODE))
    assert re.search(r"terminado <strong[^>]*>\*\*\*\*\d{3}</strong>", page_unknown)
    assert 'data-countdown="109"' in page_unknown
    assert _normalized(page_known) == _normalized(page_unknown)
    # The fake number is stable, so asking twice does not give the decoy away.
    digits = re.search(r"\*\*\*\*(\d{3})", page_unknown).group(1)
    again = app.test_client()
    ask(again, UNKNOWN)
    assert f"****{digits}" in text(again.get(CODE))
    # Same answers to the htmx request too.
    h_known, h_unknown = ask(app.test_client(), headers=HTMX), ask(app.test_client(), UNKNOWN, headers=HTMX)
    assert _normalized(text(h_known)) == _normalized(text(h_unknown))
    assert "otp.requested_unknown" in actions()


def test_unknown_cedula_is_locked_after_five_codes_too(client, frozen_clock):
    ask(client, UNKNOWN)
    for _ in range(4):
        response = enter(client, "123456")
        assert response.status_code == 422 and "no es correcto" in text(response)
    response = enter(client, "123456")
    assert LOCKED in text(response) and "15 minutos" in text(response)
    response = ask(client, UNKNOWN)
    assert response.status_code == 422 and LOCKED in text(response)
    assert sms_messages() == []
    assert not signed_in(client)


# --- bad input ------------------------------------------------------------------------

@pytest.mark.parametrize("cedula", ["", "   ", "abcdefg", "10456a8434", "1234", "12345678901",
                                    "١٠٤٥٦٧٨٤٣٤", "1045678434<script>"])
def test_bad_cedula_is_refused_naming_the_field(client, affiliate, cedula):
    response = ask(client, cedula)
    assert response.status_code == 422
    page = text(response)
    msg = re.search(r'<p class="msg" id="cedula-msg">(.*?)</p>', page, re.S).group(1)
    assert "cédula" in msg.lower()
    assert 'aria-invalid="true"' in page
    assert sms_messages() == [] and db.session.query(OtpChallenge).count() == 0
    assert "<script>" not in page


@pytest.mark.parametrize("code", ["", "abcdef", "12345", "1234567", "12 34 56"])
def test_bad_code_formats_get_a_message_and_do_not_count(client, affiliate, code):
    ask(client)
    response = enter(client, code)
    assert response.status_code == 422
    msg = re.search(r'<p class="msg" id="code-msg">(.*?)</p>', text(response), re.S).group(1)
    assert "código" in msg.lower()
    assert db.session.query(LoginGuard).one().failures == 0
    assert not signed_in(client)


def test_code_page_without_a_challenge_goes_back_to_the_login(client):
    response = client.get(CODE)
    assert response.status_code == 303 and response.headers["Location"] == LOGIN
    response = enter(client, "123456")
    assert response.status_code == 303 and response.headers["Location"] == LOGIN
    response = resend(client, headers=HTMX)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == LOGIN


def test_the_login_page_shows_both_tabs_and_the_cedula_form(client):
    page = text(client.get(LOGIN))
    assert "Bienvenidos a Pagos Express" in page and "Datos de Acceso" in page
    assert "AFILIADOS" in page and "EMPRESAS" in page
    cedula_input = re.search(r'<input[^>]*name="cedula"[^>]*>', page).group(0)
    assert 'inputmode="numeric"' in cedula_input


# --- htmx -----------------------------------------------------------------------------

def test_htmx_gets_partials_and_the_code_url(client, affiliate):
    response = ask(client, headers=HTMX)
    assert response.status_code == 200
    page = text(response)
    assert "<html" not in page and page.lstrip().startswith('<div id="affiliate-login"')
    assert "Validación en Proceso!" in page and "****434" in page
    assert response.headers["HX-Push-Url"] == CODE

    response = enter(client, wrong(last_code()), headers=HTMX)
    assert response.status_code == 422 and "<html" not in text(response)
    assert "no es correcto" in text(response)

    response = resend(client, headers=HTMX)
    assert response.status_code == 200 and "<html" not in text(response)

    response = enter(client, last_code(), headers=HTMX)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == HOME
    assert signed_in(client)


def test_htmx_bad_cedula_gets_the_cedula_partial(client):
    response = ask(client, "12", headers=HTMX)
    assert response.status_code == 422
    assert "<html" not in text(response) and "cédula" in text(response)
    assert response.headers["HX-Push-Url"] == LOGIN


def test_htmx_lock_goes_back_to_the_cedula_step(client, affiliate):
    ask(client, headers=HTMX)
    for _ in range(5):
        response = enter(client, wrong(last_code()), headers=HTMX)
    assert response.status_code == 422
    page = text(response)
    assert "<html" not in page and LOCKED in page
    assert 'name="cedula"' in page and 'name="code"' not in page
    assert response.headers["HX-Push-Url"] == LOGIN
    # The challenge is forgotten: the code page sends back to the login.
    assert client.get(CODE).headers["Location"] == LOGIN


# --- audit, rate limit ----------------------------------------------------------------

def test_audit_trail_of_a_lock(client, affiliate):
    ask(client)
    for _ in range(5):
        enter(client, wrong(last_code()))
    events = db.session.query(AuditEvent).order_by(AuditEvent.id).all()
    assert [e.action for e in events] == ["otp.sent"] + ["otp.failed"] * 5 + ["otp.locked"]
    assert all(e.subject == f"cedula:{CEDULA}" for e in events)
    assert events[0].actor_type == "affiliate" and events[0].ip == "127.0.0.1"


@pytest.mark.parametrize("app_config", [{"RATELIMIT_LOGIN_PER_ACCOUNT": "3 per minute"}])
def test_rate_limit_per_cedula(app, client, affiliate):
    for _ in range(3):
        assert ask(client).status_code == 303
    response = ask(client)
    assert response.status_code == 429
    assert "Demasiados intentos" in text(response) and "<html" in text(response)
    assert len(sms_messages()) == 3
    # Another cédula from the same browser is not affected.
    assert ask(client, UNKNOWN).status_code == 303


@pytest.mark.parametrize("app_config", [{"RATELIMIT_LOGIN_PER_ACCOUNT": "3 per minute"}])
def test_rate_limit_counts_code_attempts_for_the_cedula(app, client, affiliate):
    ask(client)
    enter(client, wrong(last_code()))
    enter(client, wrong(last_code()))
    assert enter(client, wrong(last_code())).status_code == 429


# --- the EMPRESAS tab -----------------------------------------------------------------

def test_empresas_tab_signs_a_hanna_user_in_to_pagos_express(client):
    factories.user("hanna", "empleador@example.com")
    page = text(client.get(LOGIN + "?tab=empresas"))
    assert re.search(r'<a href="[^"]*" aria-current="page">EMPRESAS</a>', page)
    action = re.search(r'<form method="post" action="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert action.startswith("/hanna/ingresar")
    assert 'name="username"' in page and 'type="email"' in page and 'name="password"' in page
    assert 'name="cedula"' not in page
    response = post(client, action, {"username": "empleador@example.com",
                                     "password": factories.PASSWORD}, page=LOGIN)
    assert response.status_code == 303 and response.headers["Location"] == HOME
    assert client.get(HOME).status_code == 200
