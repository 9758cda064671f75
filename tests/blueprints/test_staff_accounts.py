"""Personal › Usuarios (role admin): every kind of user and affiliates' cédulas, searchable and
paged; a user's last sign-ins and lock state; «Bloquear» (ends the user's sessions, refuses
sign-in and the user's API keys until «Desbloquear»), «Forzar cambio de contraseña» and a
cédula's unlock, each once and audited; other roles refused; every POST needs its CSRF token."""
from datetime import timedelta

import pytest

from portal.domain.clock import utcnow
from portal.extensions import db
from portal.models import AuditEvent, LoginGuard, User
from tests import factories
from tests.conftest import post

LIST = "/personal/usuarios"


def body(response):
    return response.get_data(as_text=True)


def events(action):
    return db.session.query(AuditEvent).filter_by(action=action).all()


def reload(user):
    db.session.expire_all()
    return db.session.get(User, user.id)


def action_url(user, action):
    return f"{LIST}/{user.id}/{action}"


def act(client, user, action):
    return post(client, action_url(user, action), page=f"{LIST}/{user.id}")


@pytest.fixture
def admin(auth):
    return auth.as_new("staff", "admin", roles="admin")


@pytest.fixture
def pedro():
    return factories.user("corporate", "pedro")


def lock_guard(cedula, minutes=10):
    db.session.add(LoginGuard(subject=f"cedula:{cedula}", failures=0, locked_until=utcnow() + timedelta(minutes=minutes)))
    db.session.commit()


def test_only_admins_may_open_or_act(client, auth, pedro):
    auth.as_new("staff", "tarjetas", roles="tarjetas,pagos,cartera")
    assert client.get(LIST).status_code == 403
    assert client.get(f"{LIST}/{pedro.id}").status_code == 403
    for action in ("bloquear", "desbloquear", "forzar-cambio-contrasena"):
        assert act(client, pedro, action).status_code == 403
    assert post(client, f"{LIST}/cedulas/desbloquear", {"cedula": "123"}).status_code == 403
    assert reload(pedro).blocked_at is None and not reload(pedro).must_change_password
    assert "Usuarios</a>" not in body(client.get("/personal/"))
    corporate = auth.new_client("corporate", "otro")
    assert corporate.get(LIST).status_code == 403


def test_every_kind_is_listed_searched_and_filtered(client, admin, pedro):
    factories.user("hanna", "empleador@example.com")
    factories.affiliate("1045678434", first="MARÍA", last="PÉREZ")
    lock_guard("1045678434")
    lock_guard("99887766")  # a cédula nobody has: locked all the same
    pedro.locked_until = utcnow() + timedelta(minutes=5)
    db.session.commit()
    page = body(client.get(LIST))
    for text in ("pedro", "empleador@example.com", "admin", "1045678434", "MARÍA PÉREZ", "99887766",
                 "Conexión Empresas", "Plataforma Hanna", "Personal de la Caja", "Afiliado (Pagos Express)"):
        assert text in page, text
    assert "de un total de 5 registro(s)" in page
    locked = body(client.get(LIST, query_string={"estado": "intentos"}))
    assert "de un total de 3 registro(s)" in locked and "Bloqueado por intentos fallidos hasta" in locked
    assert "empleador@example.com" not in locked and locked.count(">Desbloquear</button>") == 2  # the cédulas
    assert "de un total de 1 registro(s)" in body(client.get(LIST, query_string={"tipo": "hanna"}))
    found = body(client.get(LIST, query_string={"q": "PÉREZ"}, headers={"HX-Request": "true"}))
    assert "<html" not in found and "1045678434" in found and "pedro" not in found
    for kind in ("", "hanna", "corporate", "staff", "affiliate"):
        for state in ("", "intentos", "administrador"):
            assert client.get(LIST, query_string={"tipo": kind, "estado": state, "q": "1%_"}).status_code == 200
    odd = client.get(LIST, query_string={"tipo": "nadie", "estado": "x", "pagina": "-3", "por_pagina": "7"})
    assert odd.status_code == 200 and "de un total de 5 registro(s)" in body(odd)


def test_the_home_links_its_locked_accounts_queue_here(client, admin, pedro):
    pedro.locked_until = utcnow() + timedelta(minutes=5)
    db.session.commit()
    home = body(client.get("/personal/colas"))
    assert 'href="/personal/usuarios?estado=intentos"' in home
    assert "pedro" in body(client.get("/personal/usuarios?estado=intentos"))


def test_a_users_page_shows_last_sessions_and_sign_in_events(client, auth, admin, pedro):
    other = client.application.test_client()
    auth.login("corporate", "pedro", password="mala", client=other)
    auth.as_user(pedro, client=other)
    page = body(client.get(f"{LIST}/{pedro.id}"))
    assert "Usuario pedro" in page and "Sin cerrar" in page and "127.0.0.1" in page
    assert "<code>login.success</code>" in page and "<code>login.failed</code>" in page
    assert f'action="{LIST}/{pedro.id}/bloquear"' in page and "Forzar cambio de contraseña" in page
    assert client.get(f"{LIST}/999999").status_code == 404
    assert client.get(f"{LIST}/afiliados/999999").status_code == 404


def test_block_ends_sessions_refuses_sign_in_once_and_unblock_lets_in(client, auth, admin, pedro):
    other = auth.new_client("corporate", "pedro2")
    target = db.session.query(User).filter_by(username="pedro2").one()
    first = act(client, target, "bloquear")
    assert first.status_code == 303 and first.headers["Location"] == f"{LIST}/{target.id}"
    assert reload(target).blocked_at is not None
    assert other.get("/empresas/").status_code in (302, 303)  # its session ended
    refused = auth.login("corporate", "pedro2", client=other)
    assert refused.status_code == 422 and "Su usuario está bloqueado" in body(refused)
    again = act(client, target, "bloquear")
    assert "ya estaba bloqueado" in body(client.get(again.headers["Location"]))
    assert len(events("staff.user_blocked")) == 1
    assert act(client, target, "desbloquear").status_code == 303
    assert reload(target).blocked_at is None
    assert "no estaba bloqueado" in body(client.get(act(client, target, "desbloquear").headers["Location"]))
    assert len(events("staff.user_unblocked")) == 1
    assert auth.login("corporate", "pedro2", client=other).status_code == 303


def test_unblock_also_lifts_a_lock_by_failed_sign_ins(client, auth, admin, pedro):
    pedro.locked_until, pedro.failed_logins = utcnow() + timedelta(minutes=10), 0
    db.session.commit()
    assert "Desbloquear</button>" in body(client.get(f"{LIST}/{pedro.id}"))
    act(client, pedro, "desbloquear")
    assert reload(pedro).locked_until is None
    assert auth.login("corporate", "pedro", client=client.application.test_client()).status_code == 303


def test_an_admin_may_not_block_themselves(client, admin):
    page = body(client.get(act(client, admin, "bloquear").headers["Location"]))
    assert "No puede bloquear su propio usuario" in page and reload(admin).blocked_at is None
    assert f'action="{LIST}/{admin.id}/bloquear"' not in body(client.get(f"{LIST}/{admin.id}"))


def test_a_recovery_password_does_not_lift_an_administrators_block(client, admin, pedro):
    from portal.services import auth as auth_service
    from portal.services import passwords

    pedro.recovery_hash = passwords.hash_password("Temporal#2468")
    pedro.recovery_expires_at = utcnow() + timedelta(hours=1)
    db.session.commit()
    act(client, pedro, "bloquear")
    own = reload(pedro).password_hash
    assert auth_service.password_login("corporate", "pedro", "Temporal#2468").status == "blocked"
    assert reload(pedro).password_hash == own and reload(pedro).blocked_at is not None


def test_a_blocked_users_api_key_is_refused(client, admin):
    from tests.api_helpers import keyed

    holder = keyed()
    assert client.get("/api/v1/products", headers=holder.headers()).status_code == 200
    act(client, holder.user, "bloquear")
    assert client.get("/api/v1/products", headers=holder.headers()).status_code == 401


def test_forced_password_change_once_then_asked_at_the_next_page(client, auth, admin, pedro):
    other = client.application.test_client()
    auth.as_user(pedro, client=other)
    assert act(client, pedro, "forzar-cambio-contrasena").status_code == 303
    assert reload(pedro).must_change_password
    again = act(client, pedro, "forzar-cambio-contrasena")
    assert "ya debe cambiar su contraseña" in body(client.get(again.headers["Location"]))
    assert len(events("staff.password_change_forced")) == 1
    assert other.get("/empresas/").headers["Location"].endswith("/empresas/cambio-contrasena")


def test_unknown_actions_and_users_are_404(client, admin, pedro):
    assert act(client, pedro, "borrar").status_code == 404
    assert post(client, f"{LIST}/999999/bloquear", page=LIST).status_code == 404


def test_posts_without_csrf_change_nothing(client, admin, pedro):
    for action in ("bloquear", "forzar-cambio-contrasena"):
        assert client.post(action_url(pedro, action)).status_code == 400
    lock_guard("1045678434")
    assert client.post(f"{LIST}/cedulas/desbloquear", data={"cedula": "1045678434"}).status_code == 400
    assert reload(pedro).blocked_at is None and not reload(pedro).must_change_password
    assert db.session.query(LoginGuard).one().locked_until is not None


def test_a_cedula_locked_by_sms_codes_is_unlocked_once(client, admin):
    affiliate = factories.affiliate("1045678434")
    lock_guard("1045678434")
    page = body(client.get(f"{LIST}/afiliados/{affiliate.id}"))
    assert "Afiliado 1045678434" in page and "Bloqueo por intentos fallidos" in page and "Hasta " in page
    done = post(client, f"{LIST}/cedulas/desbloquear", {"cedula": "1045678434", "back": "/personal/usuarios?tipo=affiliate"})
    assert done.status_code == 303 and done.headers["Location"] == "/personal/usuarios?tipo=affiliate"
    db.session.expire_all()
    assert db.session.query(LoginGuard).one().locked_until is None
    again = post(client, f"{LIST}/cedulas/desbloquear", {"cedula": "1045678434"})
    assert "no estaba bloqueada" in body(client.get(again.headers["Location"]))
    assert len(events("staff.cedula_unlocked")) == 1
    bad = post(client, f"{LIST}/cedulas/desbloquear", {"cedula": "12ab", "back": "https://evil.example/"})
    assert bad.headers["Location"] == LIST and "Cédula: escriba solo números" in body(client.get(LIST))
