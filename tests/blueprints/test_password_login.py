"""Password logins: staff, Conexión Empresas, Hanna; failures, locks, audit, revocation."""
import re

import pytest

from portal.extensions import db
from portal.models import AuditEvent, User, UserSession
from tests import factories
from tests.conftest import post

HOMES = {"staff": "/personal/", "corporate": "/empresas/", "hanna": "/hanna/"}


def actions():
    return [e.action for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]


@pytest.mark.parametrize("kind,username", [("staff", "analista"), ("corporate", "jhomez"),
                                           ("hanna", "empleador@example.com")])
def test_each_kind_signs_in_and_lands_on_its_home(client, auth, kind, username):
    factories.user(kind, username, roles="cartera" if kind == "staff" else "")
    response = auth.login(kind, username.upper() if kind == "hanna" else username)
    assert response.status_code == 303
    assert response.headers["Location"] == HOMES[kind]
    assert client.get(HOMES[kind]).status_code == 200
    assert "login.success" in actions()


def test_wrong_password_is_refused_in_spanish_and_audited(client, auth):
    factories.user("staff", "analista")
    response = auth.login("staff", "analista", "otra-Clave#1")
    assert response.status_code == 422
    assert "Usuario o contraseña incorrectos." in response.get_data(as_text=True)
    assert client.get("/personal/").status_code == 303
    assert actions() == ["login.failed"]


def test_unknown_user_gets_the_same_answer(auth):
    response = auth.login("corporate", "nadie")
    assert response.status_code == 422
    assert "Usuario o contraseña incorrectos." in response.get_data(as_text=True)


@pytest.mark.parametrize("data,field_error", [
    ({"username": "", "password": "x"}, "Este campo es obligatorio."),
    ({"username": "jhomez", "password": ""}, "Este campo es obligatorio."),
    ({"username": "a" * 121, "password": "x"}, "Field cannot be longer"),
])
def test_bad_input_is_named(client, data, field_error):
    response = post(client, "/empresas/ingresar", data, page="/empresas/ingresar")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert field_error in body or "como máximo" in body


def alert(response):
    """The page's error message."""
    return re.search(r'role="alert">([^<]*)<', response.get_data(as_text=True)).group(1)


def test_five_failures_lock_for_fifteen_minutes_even_with_the_right_password(auth, frozen_clock):
    user = factories.user("corporate", "jhomez")
    for _ in range(5):
        assert auth.login("corporate", "jhomez", "mala").status_code == 422
    assert "bloqueado" not in alert(auth.login("corporate", "jhomez", "mala"))
    response = auth.login("corporate", "jhomez")
    assert response.status_code == 422
    assert "bloqueado" in alert(response) and "15 minutos" in alert(response)
    frozen_clock.advance(15 * 60 + 1)
    assert auth.login("corporate", "jhomez").status_code == 303
    assert "account.locked" in actions()
    assert db.session.get(User, user.id).failed_logins == 0


def test_a_lock_does_not_tell_which_user_names_exist(auth):
    """Every wrong answer, a real user's fifth and sixth or an unknown one's, reads the same."""
    factories.user("corporate", "jhomez")
    real = [alert(auth.login("corporate", "jhomez", "mala")) for _ in range(7)]
    unknown = [alert(auth.login("corporate", "nadie", "mala")) for _ in range(7)]
    assert set(real) == set(unknown) == {real[0]}
    assert "5 intentos fallidos" in real[0] and "bloqueado" not in real[0]


def test_a_lock_stops_new_sign_ins_only(app, auth, frozen_clock):
    factories.user("corporate", "jhomez")
    victim, attacker = app.test_client(), app.test_client()
    assert auth.login("corporate", "jhomez", client=victim).status_code == 303
    for _ in range(5):
        auth.login("corporate", "jhomez", "mala", client=attacker)
    assert victim.get("/empresas/").status_code == 200
    assert db.session.query(UserSession).one().revoked_at is None
    assert auth.login("corporate", "jhomez", client=app.test_client()).status_code == 422


def test_cookie_copied_before_logout_is_refused(app, auth):
    factories.user("staff", "analista")
    browser = app.test_client()
    assert auth.login("staff", "analista", client=browser).status_code == 303
    stolen = browser.get_cookie("portal_session").value
    response = auth.logout(client=browser)
    assert response.status_code == 303
    thief = app.test_client()
    thief.set_cookie("portal_session", stolen)
    response = thief.get("/personal/")
    assert response.status_code == 303 and "/personal/ingresar" in response.headers["Location"]
    assert db.session.query(UserSession).one().revoked_reason == "logout"


def test_idle_timeout_signs_out_and_absolute_limit_too(client, auth, frozen_clock):
    factories.user("staff", "analista")
    auth.login("staff", "analista")
    frozen_clock.advance(29 * 60)
    assert client.get("/personal/").status_code == 200
    frozen_clock.advance(29 * 60)
    assert client.get("/personal/").status_code == 200  # activity keeps it alive
    frozen_clock.advance(30 * 60 + 1)
    response = client.get("/personal/")
    assert response.status_code == 303
    assert "expiró" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_absolute_limit_of_twelve_hours(client, auth, frozen_clock):
    factories.user("staff", "analista")
    auth.login("staff", "analista")
    for _ in range(25):  # active every 29 minutes for just over 12 hours
        frozen_clock.advance(29 * 60)
        status = client.get("/personal/").status_code
    assert status == 303


def test_next_parameter_only_goes_to_same_site_paths(client):
    factories.user("staff", "analista")
    response = post(client, "/personal/ingresar?next=https://evil.example/x",
                    {"username": "analista", "password": factories.PASSWORD}, page="/personal/ingresar")
    assert response.headers["Location"] == "/personal/"


def test_wrong_kind_gets_403(client, auth):
    factories.user("staff", "analista")
    auth.login("staff", "analista")
    assert client.get("/empresas/").status_code == 403


@pytest.mark.parametrize("app_config", [{"RATELIMIT_LOGIN_PER_ACCOUNT": "3 per minute"}])
def test_rate_limit_per_account_answers_429_in_spanish(auth, app_config):
    factories.user("corporate", "jhomez")
    statuses = [auth.login("corporate", "jhomez", "mala").status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]
    assert "Demasiados intentos" in auth.login("corporate", "jhomez").get_data(as_text=True)
    # Another account from the same address is not affected by this account's limit.
    factories.user("corporate", "otro", email="otro@example.com")
    assert auth.login("corporate", "otro").status_code == 303


@pytest.mark.parametrize("app_config", [{"RATELIMIT_LOGIN_PER_IP": "2 per minute"}])
def test_rate_limit_per_ip(auth, app_config):
    assert [auth.login("staff", f"u{i}", "x").status_code for i in range(3)] == [422, 422, 429]
