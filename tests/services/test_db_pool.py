"""Pooled connections to a database server: one the server ended (a restart does that to
every connection) is replaced before a request uses it; no ping on a busy pool; a ping
after an idle spell. A transaction begins at the first write, so a page that only reads
sends no BEGIN nor ROLLBACK and psycopg keeps its prepared statements (portal/db_pool.py)."""
import socket
import time

import pytest
from sqlalchemy import create_engine, func, select, text, update
from sqlalchemy.pool import NullPool

from portal import db_pool
from portal.extensions import db
from portal.models import Entity


def test_a_socket_the_peer_closed_reads_as_closed_by_the_server():
    ours, theirs = socket.socketpair()
    try:
        assert not db_pool.closed_by_server(ours)
        theirs.close()
        assert db_pool.closed_by_server(ours)
    finally:
        ours.close()


@pytest.fixture
def postgresql(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a database server's connections (TEST_DATABASE_URL=postgresql…)")


@pytest.fixture
def pings(monkeypatch):
    seen = []
    ping = db.engine.dialect.do_ping

    def counted(dbapi_connection):
        seen.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(db.engine.dialect, "do_ping", counted, raising=False)
    return seen


def _backend_pid():
    pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
    db.session.remove()  # the connection back to the pool, as at the end of every request
    return pid


def _end_backend(pid):
    """What a restart does to each connection: the server ends it and closes its socket."""
    admin = create_engine(db.engine.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        deadline = time.monotonic() + 5
        while connection.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                                 {"pid": pid}).scalar():
            assert time.monotonic() < deadline, "the backend did not end"
            time.sleep(0.02)
    admin.dispose()


def test_a_connection_the_server_ended_is_replaced_before_a_request_uses_it(postgresql, auth, pings):
    client = auth.new_client("staff", "revisor", roles="admin")
    old = _backend_pid()
    _end_backend(old)

    assert client.get("/personal/solicitudes").status_code == 200
    assert _backend_pid() != old
    assert pings == []


def test_a_busy_pool_is_not_pinged_but_an_idle_connection_is(postgresql, auth, pings, monkeypatch):
    client = auth.new_client("staff", "revisor", roles="admin")
    for _ in range(3):
        assert client.get("/personal/solicitudes").status_code == 200
        db.session.remove()
    assert pings == []

    real = time.monotonic
    monkeypatch.setattr(db_pool.time, "monotonic", lambda: real() + 3600)  # an hour unused
    assert client.get("/personal/solicitudes").status_code == 200
    assert len(pings) == 1


def test_a_failed_ping_after_idle_gets_a_new_connection(postgresql, auth, monkeypatch):
    client = auth.new_client("staff", "revisor", roles="admin")
    old = _backend_pid()

    def unanswered(dbapi_connection):
        raise OSError("no answer")

    monkeypatch.setattr(db.engine.dialect, "do_ping", unanswered, raising=False)
    real = time.monotonic
    monkeypatch.setattr(db_pool.time, "monotonic", lambda: real() + 3600)
    assert client.get("/personal/solicitudes").status_code == 200
    assert _backend_pid() != old


# --- a transaction begins at its first write -----------------------------------------------

def _in_transaction():
    """Whether the session's PostgreSQL connection has a transaction open."""
    from psycopg.pq import TransactionStatus

    status = db.session.connection().connection.dbapi_connection.info.transaction_status
    return status != TransactionStatus.IDLE


def test_reads_open_no_transaction_and_the_first_write_does(postgresql, app):
    with app.app_context():  # as each request and job has its own
        db.session.execute(select(Entity.id)).all()
        assert not _in_transaction()
        db.session.add(Entity(nit="800100200", name="NUEVA S.A.S."))
        db.session.flush()
        assert _in_transaction()
        db.session.execute(select(Entity.id)).all()  # reads after a write: in its transaction
        assert _in_transaction()
        db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Entity)) == 1


@pytest.mark.parametrize("statement", [
    lambda: update(Entity).values(name="X"),
    lambda: select(Entity.id).with_for_update(),
    lambda: select(Entity.id).execution_options(yield_per=10),  # a server-side cursor
    lambda: text("SELECT 1"),  # text: no telling what it does
])
def test_locking_selects_and_any_other_statement_begin_a_transaction(postgresql, app, statement):
    with app.app_context():
        db.session.execute(statement())
        assert _in_transaction()


def test_writes_never_committed_are_still_rolled_back(postgresql, app):
    with app.app_context():
        db.session.add(Entity(nit="800100200", name="SIN CONFIRMAR S.A.S."))
        db.session.flush()
    with pytest.raises(RuntimeError), app.app_context():
        db.session.add(Entity(nit="800100201", name="FALLIDA S.A.S."))
        db.session.flush()
        raise RuntimeError("the request failed")
    with app.app_context(), db.session.begin_nested():  # a savepoint begins one too
        db.session.add(Entity(nit="800100202", name="ANIDADA S.A.S."))
    assert db.session.scalar(select(func.count()).select_from(Entity)) == 0


def test_statements_stay_prepared_from_one_request_to_the_next(postgresql, app, auth):
    """psycopg prepares a statement run five times on a connection, and forgets them all on
    ROLLBACK: a signed-in page's statements are planned once, not on every request."""
    client = auth.new_client("staff", "revisor", roles="admin")
    for _ in range(11):
        with app.app_context():
            assert client.get("/personal/solicitudes").status_code == 200
    with app.app_context():
        assert client.get("/personal/solicitudes").status_code == 200
        prepared = db.session.scalars(text("SELECT statement FROM pg_prepared_statements")).all()
    assert any("FROM user_sessions" in statement for statement in prepared), prepared
    assert any("FROM application_requests" in statement for statement in prepared), prepared
