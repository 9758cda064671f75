"""Conexión Empresas administration, corporate users (staff role «tarjetas»): create one for
a company (a temporary password e-mailed; the permissions wait for a second staff member),
search, propose a change of permissions, lock/unlock, reset the password, deactivate.
Other roles are refused; every POST needs its CSRF token; bad input names the field."""
import re

import pytest

from portal.extensions import db
from portal.models import AuditEvent, ChangeRequest, Membership, OutboxMessage, User, UserSession
from portal.services import api_keys, conexion
from tests import api_helpers, factories
from tests.conftest import post

LIST, NEW = "/personal/usuarios-empresas/", "/personal/usuarios-empresas/nuevo"
CHANGES = "/personal/cambios"
FORM = {"username": "PPerez", "first_name": "Pedro", "last_name": "Pérez Ríos", "email": "pedro@jahc.example"}


@pytest.fixture
def jahc():
    return factories.company()


@pytest.fixture
def ana(auth):
    return auth.as_new("staff", "ana", roles="tarjetas", full_name="Ana Torres")


def create(client, company, permissions=("upload", "consult"), **fields):
    data = dict(FORM, empresa=str(company.id), permisos=list(permissions), **fields)
    return post(client, NEW, data, page=NEW)


def temporary_password(email):
    message = db.session.query(OutboxMessage).filter_by(recipient=email).order_by(OutboxMessage.id.desc()).first()
    return re.search(r"Contraseña temporal: (\S+)", message.body).group(1)


def detail(user):
    return f"/personal/usuarios-empresas/{user.id}"


def permissions(user, company):
    access = conexion.access(user, company.id)
    return {name for name in conexion.PERMISSIONS if access.may(name)}


def test_a_new_user_gets_a_temporary_password_and_no_permission_until_another_approves(client, auth, ana, jahc):
    assert "Crear usuario de Conexión Empresas" in client.get(NEW).get_data(as_text=True)
    response = create(client, jahc)
    user = db.session.query(User).filter_by(kind="corporate").one()
    assert response.status_code == 303 and response.headers["Location"] == detail(user)
    assert (user.username, user.full_name, user.email) == ("pperez", "Pedro Pérez Ríos", "pedro@jahc.example")
    assert user.terms_accepted_at is None and user.must_change_password
    assert permissions(user, jahc) == set()  # nothing takes effect before the approval
    change = db.session.query(ChangeRequest).one()
    assert change.status == "pending" and change.proposed_by_id == ana.id
    page = client.get(detail(user)).get_data(as_text=True)
    assert "Cambio por aprobar" in page and f"Cambio {change.id}" in page and "Cargar lotes, Consultar" in page
    assert db.session.query(AuditEvent).filter_by(action="staff.corporate_user_created").count() == 1

    # the new user signs in with the e-mailed password: terms first, then the forced change
    newcomer = client.application.test_client()
    signed = auth.login("corporate", "pperez", temporary_password("pedro@jahc.example"), client=newcomer)
    assert signed.status_code == 303
    assert newcomer.get("/empresas/").headers["Location"].endswith("/empresas/terminos")

    # the proposer cannot approve; another staff member can, once
    refused = post(client, f"{CHANGES}/{change.id}/aprobar", page=CHANGES, follow_redirects=True)
    assert "no puede aprobarlo ni rechazarlo" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ChangeRequest, change.id).status == "pending" and permissions(user, jahc) == set()
    luis = auth.new_client("staff", "luis", roles="tarjetas")
    done = post(luis, f"{CHANGES}/{change.id}/aprobar", page=CHANGES, follow_redirects=True)
    assert "aprobado: ya está vigente" in done.get_data(as_text=True)
    db.session.expire_all()
    assert permissions(user, jahc) == {"upload", "consult"}
    again = post(luis, f"{CHANGES}/{change.id}/rechazar", {"motivo": "Me equivoqué"}, page=CHANGES,
                 follow_redirects=True)
    assert "El cambio ya fue aprobado" in again.get_data(as_text=True)
    db.session.expire_all()
    assert permissions(user, jahc) == {"upload", "consult"}
    assert db.session.query(AuditEvent).filter_by(action="staff.change_approved").count() == 1


def test_bad_input_names_each_field_and_creates_nothing(client, ana, jahc):
    response = post(client, NEW, {"username": "ab", "first_name": "", "last_name": "P3rez", "email": "x@",
                                  "empresa": "999"}, page=NEW)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    for text in ("Usuario: debe tener de 4 a 30 caracteres.", "Nombres: es obligatorio.", "Apellidos: solo admite",
                 "Correo electrónico: «x@» no es un correo", "Empresa: seleccione una.",
                 "Permisos: seleccione al menos uno."):
        assert text in body, text
    assert 'value="P3rez"' in body  # what was typed comes back
    assert db.session.query(User).filter_by(kind="corporate").count() == 0
    assert db.session.query(OutboxMessage).count() == 0 and db.session.query(ChangeRequest).count() == 0


def test_a_username_is_unique_whatever_its_case(client, ana, jahc):
    factories.user("corporate", "pperez")
    response = create(client, jahc, username="PPEREZ")
    assert response.status_code == 422 and "«pperez» ya existe" in response.get_data(as_text=True)
    assert db.session.query(User).filter_by(kind="corporate").count() == 1


def test_without_csrf_token_nothing_is_done(client, ana, jahc):
    user = factories.user("corporate", "jhomez")
    assert client.post(NEW, data=dict(FORM, empresa=str(jahc.id), permisos=["upload"])).status_code == 400
    assert client.post(f"{detail(user)}/bloquear").status_code == 400
    db.session.expire_all()
    assert db.session.query(User).filter_by(kind="corporate").count() == 1 and user.blocked_at is None


@pytest.mark.parametrize("kind, roles", [("staff", "cartera"), ("staff", "pagos"), ("corporate", "")])
def test_other_roles_are_refused(client, auth, jahc, kind, roles):
    target = factories.user("corporate", "jhomez")
    auth.as_new(kind, "otro", roles=roles)
    for url in (LIST, NEW, detail(target), CHANGES):
        assert client.get(url).status_code == 403, url
    for url in (NEW, f"{detail(target)}/bloquear", f"{detail(target)}/desactivar",
                f"{detail(target)}/restablecer-contrasena", f"{detail(target)}/empresas", f"{CHANGES}/1/aprobar"):
        assert post(client, url, dict(FORM, empresa=str(jahc.id)), page="/").status_code == 403, url
    db.session.expire_all()
    assert target.blocked_at is None and target.is_active_account


def test_anonymous_is_sent_to_sign_in(client):
    assert client.get(LIST).headers["Location"].startswith("/personal/ingresar")


def test_admin_may_and_other_users_are_not_found(client, auth, jahc):
    auth.as_new("staff", "jefe", roles="admin")
    staff = db.session.query(User).filter_by(username="jefe").one()
    assert client.get(LIST).status_code == 200
    assert client.get(detail(staff)).status_code == 404  # only corporate users here
    assert post(client, f"{detail(staff)}/bloquear", page=LIST).status_code == 404
    user = factories.user("corporate", "jhomez")
    assert post(client, f"{detail(user)}/permisos/999", {"permisos": ["upload"]}, page=LIST).status_code == 404


def test_search_by_user_email_or_company_paged(client, ana, jahc):
    coop = factories.company(nit="901343454", name="EMPRESA DE PRUEBA COOP")
    for n in range(12):
        user = factories.user("corporate", f"user{n:02d}", email=f"u{n}@mail.example", full_name=f"Persona {n}")
        factories.member(user, jahc if n % 2 else coop)
    first = client.get(LIST).get_data(as_text=True)
    assert "de un total de 12 registro(s)" in first and "user00" in first and "user10" not in first
    second = client.get(LIST + "?pagina=2", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in second and "user10" in second and "user00" not in second
    by_company = client.get(LIST + "?q=coop&por_pagina=25").get_data(as_text=True)
    assert "de un total de 6 registro(s)" in by_company and "user01" not in by_company
    assert "user03" in client.get(LIST + "?q=u3@mail").get_data(as_text=True)
    filtered = client.get(f"{LIST}?empresa={jahc.id}&por_pagina=25").get_data(as_text=True)
    assert "de un total de 6 registro(s)" in filtered and "user00" not in filtered


def test_propose_a_change_of_permissions(client, auth, ana, jahc):
    user = factories.user("corporate", "jhomez")
    factories.member(user, jahc, can_upload=True, can_consult=True)
    membership = db.session.query(Membership).one()
    url = f"{detail(user)}/permisos/{membership.id}"
    same = post(client, url, {"permisos": ["upload", "consult"]}, page=detail(user))
    assert same.status_code == 422 and "son los que ya tiene" in same.get_data(as_text=True)
    assert post(client, url, {"permisos": ["consult", "authorize"]}, page=detail(user)).status_code == 303
    second = post(client, url, {"permisos": ["consult"]}, page=detail(user))
    assert second.status_code == 422 and "Ya hay un cambio de permisos pendiente" in second.get_data(as_text=True)
    change = db.session.query(ChangeRequest).one()
    assert permissions(user, jahc) == {"upload", "consult"}  # still the old ones
    luis = auth.new_client("staff", "luis", roles="tarjetas")
    queue = luis.get(CHANGES).get_data(as_text=True)
    assert "jhomez" in queue and "Cargar lotes, Consultar" in queue and "Autorizar, Consultar" in queue
    reject = f"{CHANGES}/{change.id}/rechazar"
    no_reason = post(luis, reject, {"motivo": " "}, page=CHANGES, headers={"HX-Request": "true"})
    assert no_reason.status_code == 422 and "Motivo: escriba por qué" in no_reason.get_data(as_text=True)
    row = post(luis, reject, {"motivo": "No lo pidió el representante"}, page=CHANGES, headers={"HX-Request": "true"})
    html = row.get_data(as_text=True)
    assert row.status_code == 200 and "<html" not in html and 'data-status="rejected"' in html
    assert "Motivo: No lo pidió el representante" in html
    db.session.expire_all()
    assert permissions(user, jahc) == {"upload", "consult"}  # rejected: nothing changed
    approve = post(luis, f"{CHANGES}/{change.id}/aprobar", page=CHANGES, headers={"HX-Request": "true"})
    assert approve.status_code == 422 and "ya fue rechazado" in approve.get_data(as_text=True)
    db.session.expire_all()
    assert permissions(user, jahc) == {"upload", "consult"}


def test_the_queue_hides_the_buttons_from_the_proposer(client, auth, ana, jahc):
    create(client, jahc)
    change = db.session.query(ChangeRequest).one()
    own = client.get(CHANGES).get_data(as_text=True)
    assert "Lo decide otra persona" in own and f"/cambios/{change.id}/aprobar" not in own
    luis = auth.new_client("staff", "luis", roles="tarjetas")
    assert f"/cambios/{change.id}/aprobar" in luis.get(CHANGES).get_data(as_text=True)
    assert luis.get(CHANGES + "?estado=approved").get_data(as_text=True).count('data-status="pending"') == 0
    assert post(luis, f"{CHANGES}/999/aprobar", page=CHANGES).status_code == 404


def test_add_another_company(client, auth, ana, jahc):
    coop = factories.company(nit="901343454", name="EMPRESA DE PRUEBA COOP")
    create(client, jahc)
    user = db.session.query(User).filter_by(kind="corporate").one()
    again = post(client, f"{detail(user)}/empresas", {"empresa": str(jahc.id), "permisos": ["upload"]},
                 page=detail(user))
    assert again.status_code == 422 and "ya tiene acceso a JAHC TECHNOLOGIES" in again.get_data(as_text=True)
    added = post(client, f"{detail(user)}/empresas", {"empresa": str(coop.id), "permisos": ["consult"]},
                 page=detail(user))
    assert added.status_code == 303
    assert permissions(user, coop) == set() and db.session.query(ChangeRequest).count() == 2


def signed_in_corporate(auth, username="jhomez"):
    client = auth.new_client("corporate", username)
    user = db.session.query(User).filter_by(kind="corporate", username=username).one()
    return client, user


def test_lock_ends_sessions_and_refuses_sign_in_until_unlocked(client, auth, ana, jahc):
    other, user = signed_in_corporate(auth)
    assert post(client, f"{detail(user)}/bloquear", page=detail(user)).status_code == 303
    assert other.get("/empresas/").status_code == 303  # its session ended
    refused = auth.login("corporate", "jhomez", client=other)
    assert refused.status_code == 422 and "Su usuario está bloqueado" in refused.get_data(as_text=True)
    twice = post(client, f"{detail(user)}/bloquear", page=detail(user))
    assert twice.status_code == 422 and "ya estaba bloqueado" in twice.get_data(as_text=True)
    post(client, f"{detail(user)}/restablecer-contrasena", page=detail(user))
    temporary = auth.login("corporate", "jhomez", temporary_password(user.email), client=other)
    assert temporary.status_code == 422  # a temporary password is no way around the staff's lock
    assert "Bloqueado por la Caja" in client.get(detail(user)).get_data(as_text=True)
    assert post(client, f"{detail(user)}/desbloquear", page=detail(user)).status_code == 303
    assert auth.login("corporate", "jhomez", client=other).status_code == 303
    actions = {e.action for e in db.session.query(AuditEvent).filter(AuditEvent.action.like("staff.%"))}
    assert {"staff.user_blocked", "staff.user_unblocked", "staff.corporate_password_reset"} <= actions


def test_unlock_clears_a_lock_of_failed_sign_ins(client, auth, ana):
    user = factories.user("corporate", "jhomez")
    for _ in range(5):
        auth.login("corporate", "jhomez", "Mala#clave1", client=client.application.test_client())
    db.session.expire_all()
    assert "Bloqueado por intentos fallidos" in client.get(detail(user)).get_data(as_text=True)
    assert post(client, f"{detail(user)}/desbloquear", page=detail(user)).status_code == 303
    assert auth.login("corporate", "jhomez", client=client.application.test_client()).status_code == 303


def test_reset_password_mails_a_temporary_one_and_the_old_keeps_working(client, auth, ana):
    user = factories.user("corporate", "jhomez")
    reset = f"{detail(user)}/restablecer-contrasena"
    assert post(client, reset, page=detail(user)).status_code == 303
    # until the temporary one is used, the user's own still works (as «¿Olvidaste tu contraseña?»)
    assert auth.login("corporate", "jhomez", client=client.application.test_client()).status_code == 303
    post(client, reset, page=detail(user))
    fresh = client.application.test_client()
    assert auth.login("corporate", "jhomez", temporary_password(user.email), client=fresh).status_code == 303
    assert fresh.get("/empresas/").headers["Location"].endswith("/empresas/cambio-contrasena")
    assert auth.login("corporate", "jhomez", client=client.application.test_client()).status_code == 422


def test_deactivate_ends_sessions_sign_in_and_api_keys(client, auth, ana):
    holder = api_helpers.keyed(username="erp")
    other = client.application.test_client()
    auth.as_user(holder.user, client=other)
    assert api_keys.authenticate(holder.secret) is not None
    url = f"{detail(holder.user)}/desactivar"
    assert post(client, url, page=detail(holder.user)).status_code == 303
    assert other.get("/empresas/").status_code == 303
    assert db.session.query(UserSession).filter_by(principal_id=holder.user.id, revoked_at=None).count() == 0
    refused = auth.login("corporate", "erp", client=other)
    assert "Su usuario está inactivo" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert api_keys.authenticate(holder.secret) is None
    page = client.get(detail(holder.user)).get_data(as_text=True)
    assert "Inactivo" in page and "/desactivar" not in page and "/bloquear" not in page
    assert post(client, url, page=LIST).status_code == 422
    membership = db.session.query(Membership).filter_by(user_id=holder.user.id).one()
    for forged in (f"{detail(holder.user)}/permisos/{membership.id}", f"{detail(holder.user)}/empresas"):
        refused = post(client, forged, {"permisos": ["consult"], "empresa": str(holder.company.id)}, page=LIST)
        assert refused.status_code == 422 and "está inactivo" in refused.get_data(as_text=True)
    assert db.session.query(ChangeRequest).count() == 0
    assert db.session.query(AuditEvent).filter_by(action="staff.corporate_user_deactivated").count() == 1


def test_an_unknown_action_is_not_found_and_the_home_counts_the_pending_change(client, ana, jahc):
    user = factories.user("corporate", "jhomez")
    assert post(client, f"{detail(user)}/borrar", page=LIST).status_code == 404
    create(client, jahc)
    figures = client.get("/personal/colas", headers={"HX-Request": "true"}).get_data(as_text=True)
    row = re.search(r'<tr data-queue="changes_pending".*?</tr>', figures, re.S).group(0)
    assert "<td data-count>1</td>" in row and 'href="/personal/cambios"' in row


def test_the_queue_reads_a_page_of_changes_in_a_bounded_number_of_statements(app, client, auth, ana, jahc):
    from tests.blueprints.test_request_costs import _statements

    def cost():
        return len(_statements(app, client, CHANGES + "?por_pagina=50"))

    users = [factories.user("corporate", f"user{n:02d}") for n in range(12)]
    for user in users[:2]:
        factories.member(user, jahc)
        propose = f"{detail(user)}/permisos/{db.session.query(Membership).filter_by(user_id=user.id).one().id}"
        post(client, propose, {"permisos": ["authorize"]}, page=LIST)
    few = cost()
    for user in users[2:]:
        factories.member(user, jahc)
        propose = f"{detail(user)}/permisos/{db.session.query(Membership).filter_by(user_id=user.id).one().id}"
        post(client, propose, {"permisos": ["authorize"]}, page=LIST)
    assert db.session.query(ChangeRequest).count() == 12 and cost() == few
