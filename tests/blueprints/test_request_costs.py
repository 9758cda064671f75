"""Work every request does, kept to what the request needs."""
import itsdangerous.serializer

from portal.extensions import db


def test_a_signed_in_page_does_not_resend_an_unchanged_session_cookie(app, auth):
    client = auth.new_client("staff", "admin", roles="admin")
    client.get("/personal/")  # the first page may still add to the session
    page = client.get("/personal/")
    assert page.status_code == 200
    assert "Set-Cookie" not in page.headers
    assert client.get("/personal/solicitudes").status_code == 200  # the cookie still works


def test_the_csrf_token_is_signed_once_per_page(app, monkeypatch, auth):
    client = auth.new_client("staff", "admin", roles="admin")
    signed = []
    original = itsdangerous.serializer.Serializer.dumps

    def counting_dumps(self, obj, salt=None):
        signed.append(salt or self.salt)
        return original(self, obj, salt)

    monkeypatch.setattr(itsdangerous.serializer.Serializer, "dumps", counting_dumps)
    body = client.get("/personal/solicitudes").get_data(as_text=True)
    assert body.count("csrf_token") >= 2  # several forms share the one token
    assert signed.count(b"wtf-csrf-token") == 1


def _statements(app, client, url):
    from sqlalchemy import event

    seen = []
    listener = lambda conn, cursor, statement, *rest: seen.append(statement)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return seen


def test_the_staff_requests_table_takes_three_statements(app, auth):
    """The session record with its user, the counts per status, the page of rows."""
    from tests.blueprints.test_staff_queue import request_for

    client = auth.new_client("staff", "admin", roles="admin")
    for n in range(3):
        request_for(f"empleador{n}@example.com", age_minutes=n)
    client.get("/personal/solicitudes")
    statements = _statements(app, client, "/personal/solicitudes")
    assert len(statements) == 3, "\n".join(s[:90] for s in statements)


def test_a_request_that_touches_the_session_record_adds_only_its_update(app, auth):
    """Every 15 s a request writes the record's last_seen_at; the record and the user it
    has just read are not read again after that commit."""
    from datetime import timedelta

    from portal.models import UserSession

    client = auth.new_client("staff", "admin", roles="admin")
    client.get("/personal/solicitudes")
    for record in db.session.query(UserSession):
        record.last_seen_at -= timedelta(seconds=20)
    db.session.commit()
    db.session.expunge_all()
    statements = _statements(app, client, "/personal/solicitudes")
    assert len(statements) == 4, "\n".join(s[:90] for s in statements)
    assert statements[1].startswith("UPDATE user_sessions SET last_seen_at")


def test_the_staff_home_takes_one_statement_and_its_figures_two(app, auth):
    """The home: the session record with its user; its figures (htmx, /personal/colas): that
    and one row with every queue's figures."""
    client = auth.new_client("staff", "admin", roles="admin")
    client.get("/personal/")
    statements = _statements(app, client, "/personal/")
    assert len(statements) == 1, "\n".join(s[:90] for s in statements)
    statements = _statements(app, client, "/personal/colas")
    assert len(statements) == 2, "\n".join(s[:90] for s in statements)


def test_decided_requests_show_their_reviewer_without_a_statement_per_row(app, auth):
    """The reviewer's name is joined into the page's rows, not loaded row by row."""
    from tests import factories
    from tests.blueprints.test_staff_queue import request_for

    client = auth.new_client("staff", "admin", roles="admin")
    for n in range(3):
        reviewer = factories.user("staff", f"revisor{n}", roles="cartera")
        request = request_for(f"empleador{n}@example.com", status="approved", age_minutes=n)
        request.reviewed_by_id = reviewer.id
    db.session.commit()
    db.session.expunge_all()  # nothing left in the identity map to spare a query
    statements = _statements(app, client, "/personal/solicitudes?estado=all")
    assert len(statements) == 3, "\n".join(s[:90] for s in statements)
    page = client.get("/personal/solicitudes?estado=all").get_data(as_text=True)
    assert all(f"revisor{n} · " in page for n in range(3))


def test_estado_de_cartera_reads_the_period_s_slips_and_processed_uploads_once(app, client):
    """The period's volantes are read once for every section (which uploads were paid, the
    open one, the last one; whether one is being paid is asked only while one is open or
    expired) and its processed uploads once, without their files: 18 statements before, 20
    before that. The statement comes from the list of periods; the instalments are summed
    once for «Cuadre Cartera» and «Valor a pagar», the applied amounts once for «Cuadre
    Cartera» and the differences."""
    from tests import cartera_helpers as cartera

    cartera.build(sign_in_client=client)
    cartera.processed(client, "activos", cartera.download(client, "activos"))
    client.get(cartera.BASE)
    statements = _statements(app, client, cartera.BASE)
    # 11, and 2 to know the step the employer is on (a download, the latest uploads)
    assert len(statements) <= 13, "\n".join(s[:90] for s in statements)
    assert not [s for s in statements if "stored_files" in s]  # the files stay put


def test_no_rate_limit_lookup_before_each_request_when_no_limit_covers_every_route(app, monkeypatch):
    """The portal's limits decorate their views (the decorators check them); Flask-Limiter's
    before_request check, which looks for limits on every route, goes while there are none."""
    from portal import create_app
    from portal.extensions import limiter

    assert limiter._check_request_limit not in app.before_request_funcs[None]
    monkeypatch.setattr(type(limiter.limit_manager), "default_limits",
                        property(lambda self: ["1 per minute"]))
    with_defaults = create_app({**app.config, "TESTING": True})
    assert limiter._check_request_limit in with_defaults.before_request_funcs[None]


def test_a_decorated_limit_still_refuses(app, client):
    from tests.conftest import post

    statuses = [post(client, "/personal/ingresar", {"username": "nadie", "password": "x"},
                     page="/personal/ingresar").status_code for _ in range(12)]
    assert statuses[-1] == 429
