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
"""
import select
import time

from sqlalchemy import event, exc


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
