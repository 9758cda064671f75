"""Conexión Empresas (manual 003 ch. 1–2): first login, password change, recovery."""
import re

import pytest

from portal.extensions import db
from portal.models import AuditEvent, OutboxMessage, PasswordHistory, User, UserSession
from tests import factories
from tests.conftest import post

NEW = "Nueva#24clave"


def change(client, current, new, confirm=None, url="/cuenta/contrasena"):
    return post(client, url, {"current_password": current, "new_password": new,
                              "confirm_password": new if confirm is None else confirm}, page=url)


@pytest.fixture
def first_timer():
    c = factories.company()
    u = factories.user("corporate", "nuevo", terms=False, must_change=True)
    factories.member(u, c)
    return u


def test_first_login_goes_terms_then_forced_change_then_home(client, auth, first_timer):
    assert auth.login("corporate", "nuevo").status_code == 303
    response = client.get("/empresas/")
    assert response.headers["Location"] == "/empresas/terminos"
    # Nothing else opens before the terms are accepted.
    assert client.get("/cuenta/contrasena").headers["Location"] == "/empresas/terminos"
    refused = post(client, "/empresas/terminos", {}, page="/empresas/terminos")
    assert refused.status_code == 422
    assert "Debe aceptar los términos" in refused.get_data(as_text=True)
    accepted = post(client, "/empresas/terminos", {"accept": "y"}, page="/empresas/terminos")
    assert accepted.headers["Location"] == "/empresas/cambio-contrasena"
    assert client.get("/empresas/").headers["Location"] == "/empresas/cambio-contrasena"
    done = change(client, factories.PASSWORD, NEW, url="/empresas/cambio-contrasena")
    assert done.status_code == 303 and done.headers["Location"] == "/empresas/"
    page = client.get("/empresas/")
    assert page.status_code == 200 and "JAHC TECHNOLOGIES" in page.get_data(as_text=True)
    user = db.session.get(User, first_timer.id)
    assert user.terms_accepted_at is not None and not user.must_change_password
    actions = {e.action for e in db.session.query(AuditEvent)}
    assert {"terms.accepted", "password.changed", "login.success"} <= actions


def test_forced_change_lists_every_broken_rule_and_changes_nothing(client, auth, first_timer):
    auth.login("corporate", "nuevo")
    post(client, "/empresas/terminos", {"accept": "y"}, page="/empresas/terminos")
    before = db.session.get(User, first_timer.id).password_hash
    response = change(client, factories.PASSWORD, "abc", "abd", url="/empresas/cambio-contrasena")
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "La confirmación no coincide" in body
    assert "de 8 a 15 caracteres" in body and "al menos una letra mayúscula" in body
    assert db.session.get(User, first_timer.id).password_hash == before


def test_password_rules_fragment_checks_as_the_user_types(client):
    response = post(client, "/contrasena/reglas", {"new_password": "Ab1234!x"})
    body = response.get_data(as_text=True)
    assert '<li class="no" data-rule="digits">' in body
    assert '<li class="ok" data-rule="upper">' in body
    assert "<html" not in body


def test_wrong_current_password_is_refused(client, auth, first_timer):
    auth.login("corporate", "nuevo")
    post(client, "/empresas/terminos", {"accept": "y"}, page="/empresas/terminos")
    response = change(client, "otra", NEW, url="/empresas/cambio-contrasena")
    assert "La contraseña actual no es correcta." in response.get_data(as_text=True)


def test_last_five_passwords_cannot_be_reused(client, auth):
    user = factories.user("corporate", "jhomez")
    auth.login("corporate", "jhomez")
    history = [factories.PASSWORD, "Segunda#24a", "Tercera#24a", "Cuarta#24ab", "Quinta#24ab"]
    for current, new in zip(history, history[1:], strict=False):
        assert change(client, current, new).status_code == 303
    for old in history:
        response = change(client, history[-1], old)
        assert response.status_code == 422
        assert "últimas 5 contraseñas" in response.get_data(as_text=True)
    assert change(client, history[-1], "Sexta#24abc").status_code == 303
    # The oldest one has left the window of five.
    assert change(client, "Sexta#24abc", factories.PASSWORD).status_code == 303
    assert db.session.query(PasswordHistory).filter_by(user_id=user.id).count() == 5


def test_password_change_revokes_other_sessions_but_keeps_this_one(app, auth):
    factories.user("corporate", "jhomez")
    here, elsewhere = app.test_client(), app.test_client()
    auth.login("corporate", "jhomez", client=here)
    auth.login("corporate", "jhomez", client=elsewhere)
    assert change(here, factories.PASSWORD, NEW).status_code == 303
    assert here.get("/empresas/").status_code == 200
    assert elsewhere.get("/empresas/").status_code == 303
    assert auth.login("corporate", "jhomez", NEW, client=elsewhere).status_code == 303


def recover(client, username="jhomez", nit="900291499"):
    """«¿Olvidaste tu contraseña?» with the data of jhomez; the temporary password e-mailed."""
    response = post(client, "/empresas/olvido", {"username": username, "nit": nit,
                                                 "email": "JHOMEZ@jahc.co"}, page="/empresas/olvido")
    assert response.status_code == 200
    mail = db.session.query(OutboxMessage).filter_by(recipient="jhomez@jahc.co").order_by(
        OutboxMessage.id.desc()).first()
    return re.search(r"es: (\S+)", mail.body).group(1)


@pytest.fixture
def jhomez():
    user = factories.user("corporate", "jhomez", email="jhomez@jahc.co")
    factories.member(user, factories.company())
    return user


def test_recovery_sends_a_temporary_password_that_gets_out_of_a_lock(app, client, auth, jhomez):
    for _ in range(5):
        auth.login("corporate", "jhomez", "mala")  # locked
    temporary = recover(client)
    assert temporary not in (db.session.get(User, jhomez.id).password_hash or "")
    assert "bloqueado" in auth.login("corporate", "jhomez", factories.PASSWORD).get_data(as_text=True)
    assert auth.login("corporate", "jhomez", temporary).status_code == 303  # and the lock is lifted
    assert client.get("/empresas/").headers["Location"] == "/empresas/cambio-contrasena"
    assert change(client, temporary, NEW, url="/empresas/cambio-contrasena").status_code == 303
    # The old one is gone.
    assert auth.login("corporate", "jhomez", factories.PASSWORD, client=app.test_client()).status_code == 422


def test_recovery_changes_nothing_until_the_temporary_password_is_used(app, auth, jhomez):
    """Whoever knows usuario, NIT and correo cannot replace the password or end sessions."""
    owner, stranger = app.test_client(), app.test_client()
    assert auth.login("corporate", "jhomez", client=owner).status_code == 303
    temporary = recover(stranger)
    assert owner.get("/empresas/").status_code == 200
    assert db.session.query(UserSession).one().revoked_at is None
    # The owner's password still works...
    assert auth.login("corporate", "jhomez", client=app.test_client()).status_code == 303
    # ...and using it drops the temporary.
    assert auth.login("corporate", "jhomez", temporary, client=stranger).status_code == 422


def test_the_temporary_password_lapses(client, auth, jhomez, frozen_clock):
    temporary = recover(client)
    frozen_clock.advance(24 * 3600 + 1)
    assert auth.login("corporate", "jhomez", temporary).status_code == 422
    assert auth.login("corporate", "jhomez").status_code == 303


def test_a_session_guessing_the_current_password_ends_alone(app, auth, jhomez):
    owner, thief = app.test_client(), app.test_client()
    assert auth.login("corporate", "jhomez", client=owner).status_code == 303
    assert auth.login("corporate", "jhomez", client=thief).status_code == 303
    for _ in range(5):
        change(thief, "mala", NEW)
    assert thief.get("/empresas/").status_code == 303
    assert owner.get("/empresas/").status_code == 200


@pytest.mark.parametrize("data", [
    {"username": "jhomez", "nit": "111111111", "email": "jhomez@jahc.co"},
    {"username": "jhomez", "nit": "900291499", "email": "otro@jahc.co"},
    {"username": "nadie", "nit": "900291499", "email": "jhomez@jahc.co"},
])
def test_recovery_answers_the_same_when_nothing_matches(client, data):
    c = factories.company()
    factories.member(factories.user("corporate", "jhomez", email="jhomez@jahc.co"), c)
    matched = post(client, "/empresas/olvido",
                   {"username": "jhomez", "nit": "900291499", "email": "jhomez@jahc.co"},
                   page="/empresas/olvido").get_data(as_text=True)
    response = post(client, "/empresas/olvido", data, page="/empresas/olvido")
    assert response.status_code == 200
    strip = lambda html: re.sub(r'"X-CSRFToken": "[^"]+"|value="[^"]+"', "", html)  # noqa: E731
    assert strip(response.get_data(as_text=True)) == strip(matched)
    assert db.session.query(OutboxMessage).count() == 1  # only the matching request sent mail


@pytest.mark.parametrize("data,message", [
    ({"username": "", "nit": "900291499", "email": "a@b.co"}, "Este campo es obligatorio."),
    ({"username": "x", "nit": "9002-91499", "email": "a@b.co"}, "con o sin el dígito de verificación"),
    ({"username": "x", "nit": "900291499", "email": "no-es-correo"}, "correo electrónico válido"),
])
def test_recovery_bad_input(client, data, message):
    response = post(client, "/empresas/olvido", data, page="/empresas/olvido")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.query(OutboxMessage).count() == 0


def test_logout_revokes_the_server_session(auth):
    factories.user("corporate", "jhomez")
    auth.login("corporate", "jhomez")
    auth.logout()
    assert db.session.query(UserSession).one().revoked_at is not None


def field_value(page, name):
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


def test_a_refused_change_keeps_what_was_typed(client, auth, jhomez):
    auth.login("corporate", "jhomez")
    page = change(client, factories.PASSWORD, "corta", "corta").get_data(as_text=True)
    assert [field_value(page, n) for n in ("current_password", "new_password", "confirm_password")] == [
        factories.PASSWORD, "corta", "corta"]
    assert '<li class="no" data-rule="length">' in page  # the rules judge what is in the field
    assert '<li class="ok" data-rule="lower">' in page
    page = change(client, "mala", NEW).get_data(as_text=True)
    assert [field_value(page, n) for n in ("current_password", "new_password", "confirm_password")] == [
        "", NEW, NEW]


@pytest.mark.parametrize("written", ["900291499-3", "900.291.499-3", " 900291499 "])
def test_recovery_takes_the_nit_as_people_write_it(client, jhomez, written):
    assert recover(client, nit=written)


def test_username_recovery_emails_the_users_of_that_address_in_that_company(client, jhomez):
    jahc = db.session.query(factories.Company).filter_by(nit="900291499").one()
    factories.member(factories.user("corporate", "jhomez2", email="JHOMEZ@jahc.co"), jahc)
    factories.member(factories.user("corporate", "ajeno", email="otro@jahc.co"), jahc)
    factories.user("corporate", "sin-empresa", email="jhomez@jahc.co")
    response = post(client, "/empresas/olvido-usuario", {"nit": "900291499-3", "email": "jhomez@jahc.co"},
                    page="/empresas/olvido-usuario")
    assert response.status_code == 200 and "le enviamos sus nombres de usuario" in response.get_data(as_text=True)
    mail = db.session.query(OutboxMessage).filter_by(recipient="jhomez@jahc.co").one()
    assert "- jhomez\n" in mail.body and "- jhomez2\n" in mail.body and "ajeno" not in mail.body
    assert "900291499-3" in mail.body


@pytest.mark.parametrize("data", [{"nit": "800191045", "email": "jhomez@jahc.co"},
                                  {"nit": "900291499", "email": "nadie@jahc.co"}])
def test_username_recovery_answers_the_same_when_nothing_matches(client, jhomez, data):
    matched = post(client, "/empresas/olvido-usuario", {"nit": "900291499", "email": "jhomez@jahc.co"},
                   page="/empresas/olvido-usuario").get_data(as_text=True)
    unmatched = post(client, "/empresas/olvido-usuario", data, page="/empresas/olvido-usuario").get_data(as_text=True)
    # CSRF tokens carry the second they were signed in: two pages a second apart differ there only
    strip = lambda page: re.sub(r'(name="csrf_token" value="|"X-CSRFToken": ")[^"]+"', "", page)  # noqa: E731
    assert strip(matched) == strip(unmatched)
    assert db.session.query(OutboxMessage).count() == 1


def test_username_recovery_names_bad_input(client, jhomez):
    bad = post(client, "/empresas/olvido-usuario", {"nit": "", "email": "x"}, page="/empresas/olvido-usuario")
    assert bad.status_code == 422 and "Este campo es obligatorio." in bad.get_data(as_text=True)
    assert "¿Olvidaste tu usuario?" in client.get("/empresas/ingresar").get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{"RATELIMIT_LOGIN_PER_ACCOUNT": "2 per minute"}])
def test_username_recovery_is_rate_limited_per_address(client, jhomez, app_config):
    data = {"nit": "900291499", "email": "jhomez@jahc.co"}
    for _ in range(2):
        assert post(client, "/empresas/olvido-usuario", data, page="/empresas/olvido-usuario").status_code == 200
    assert post(client, "/empresas/olvido-usuario", data, page="/empresas/olvido-usuario").status_code == 429
    assert db.session.query(OutboxMessage).count() == 2
