"""Database server connections that died while pooled are replaced before a request uses
them, without pool_pre_ping's round trip on every request.

pool_pre_ping (pessimistic) asks the server before every checkout: one more round trip per
request. SQLAlchemy's optimistic handling alone (a statement that finds its connection dead
fails, and the whole pool is invalidated so the next checkout connects anew) would cost a
failed request per worker after every database restart. Between the two, when a connection
is taken from the pool:

1. its socket is polled, without waiting and without a round trip. A server that restarts,
   crashes or ends the session (pg_terminate_backend, idle_session_timeout) sends a FATAL
   notice and closes the socket: a connection with nothing asked has nothing to read unless
   the server went away. Then every connection opened before now went with it: the pool drops
   them all (InvalidatePoolError) and this checkout connects afresh.
2. a connection that sat unused for PING_AFTER_IDLE seconds or more is pinged, as
   pool_pre_ping would: a peer gone silently (a host or network down, a firewall that forgot
   the connection) leaves nothing in the socket to read. A busy portal never waits that long.
3. pool_recycle (config.py) replaces connections older than DATABASE_POOL_RECYCLE_SECONDS.

What is left is SQLAlchemy's optimistic handling: a server that dies while a request is
using a connection fails that request (as it would with pool_pre_ping) and invalidates the
pool, so the following requests connect afresh.

On PostgreSQL, read-only transactions end with COMMIT (end_read_only_transactions):
psycopg prepares a statement run five times on a connection, so that the server parses and
plans it once, but forgets them all on every ROLLBACK, and every request that only read
ended with one when its session was closed. Planning the staff table's four-table join
costs ~0.3 ms a time. For a transaction that wrote nothing, COMMIT and ROLLBACK are the
same; anything but a SELECT (flushes, UPDATE/INSERT/DELETE statements, text()) counts as a
write, and a write never committed by the request is still rolled back, as is everything
when it failed. A prepared SELECT reading a column whose type a migration changes fails
once on each connection ("cached plan must not change result type"); the ROLLBACK that
follows makes psycopg forget it. Deploys restart the web workers after `flask db upgrade`.
"""
import logging
import select
import time

from sqlalchemy import event, exc

log = logging.getLogger(__name__)


def watch(engine, ping_after_idle):
    """Install the checks on `engine`'s pool (kept by engine.dispose()); not for SQLite,
    a local file with no server to lose."""
    if engine.dialect.name == "sqlite":
        return

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, proxy):
        if closed_by_server(dbapi_connection):
            raise exc.InvalidatePoolError("the database server closed the connection")
        idle_since = record.info.get("idle_since")
        if idle_since is not None and time.monotonic() - idle_since >= ping_after_idle:
            try:
                engine.dialect.do_ping(dbapi_connection)
            except Exception as error:  # any failure: try a new connection (up to twice)
                raise exc.DisconnectionError("ping after idle failed") from error


def closed_by_server(dbapi_connection):
    """Whether the idle connection's socket has something to read: the server's goodbye
    (or end of file). poll, not select: no limit on the descriptor's number."""
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), select.POLLIN)
    return bool(poller.poll(0))


def end_read_only_transactions(app, db):
    """At the end of each app context (a request, a job): commit the session's transaction
    when it wrote nothing and nothing failed; the session's close rolls back the rest. Only
    for PostgreSQL: SQLite's driver keeps its statements either way."""
    engine = db.engine
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "begin")
    def _began(connection):
        connection.info["wrote"] = False

    @event.listens_for(engine, "before_cursor_execute")
    def _executing(connection, cursor, statement, parameters, context, executemany):
        if context.compiled is None or not context.compiled.statement.is_select:
            connection.info["wrote"] = True

    @app.teardown_appcontext  # runs before Flask-SQLAlchemy's, registered earlier
    def _commit_if_read_only(error):
        if error is not None or not db.session.registry.has():  # failed, or no database used
            return
        session = db.session()
        if not session.in_transaction() or session.new or session.dirty or session.deleted \
                or session.connection().info.get("wrote", True):
            return
        try:
            session.commit()
        except exc.SQLAlchemyError:  # the response is sent: the close that follows cleans up
            log.warning("COMMIT of a read-only transaction failed", exc_info=True)
