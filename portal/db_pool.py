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

On PostgreSQL, a transaction begins at its first write, not at its first read
(begin_on_first_write): a connection leaves the pool in autocommit mode, and the first
statement that is not a plain SELECT (an INSERT, UPDATE or DELETE, a flush, SELECT … FOR
UPDATE/SHARE, a streamed SELECT, a SAVEPOINT, text(), DDL) switches it back, so psycopg
sends BEGIN just before it; from there on the transaction is the usual one, committed or
rolled back by the session.
It is what SQLite's driver does by itself. A page that only reads thus sends no BEGIN and no
ROLLBACK (two round trips of five on the staff table), and keeps psycopg's prepared
statements: psycopg prepares a statement run five times on a connection, so that the
server parses and plans it once (the staff table's four-table join: ~0.3 ms), but forgets
them all on every ROLLBACK, which ended every read-only request. What it does not change:
PostgreSQL's READ COMMITTED gives every statement its own snapshot inside a transaction
too, so reads before the first write see what they saw; no lock is taken by a plain SELECT.
A prepared SELECT reading a column whose type a migration changes fails once on each
connection ("cached plan must not change result type") and is then forgotten; deploys
restart the web workers after `flask db upgrade`.
"""
import re
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


def begin_on_first_write(engine):
    """Reads in autocommit mode until the first write (see above); PostgreSQL only."""
    if engine.dialect.name != "postgresql":
        return
    from psycopg.pq import TransactionStatus

    @event.listens_for(engine, "checkout")
    def _reads_without_a_transaction(dbapi_connection, record, proxy):
        if dbapi_connection.info.transaction_status == TransactionStatus.IDLE:
            dbapi_connection.autocommit = True

    @event.listens_for(engine, "before_cursor_execute")
    def _begin_before_a_write(connection, cursor, statement, parameters, context, executemany):
        if cursor.connection.autocommit and not is_plain_select(context, statement):
            cursor.connection.autocommit = False  # psycopg sends BEGIN before this statement


def sqlite_pragmas(engine):
    """A SQLite file shared by the web workers and the RQ workers (development and the
    tests): write-ahead logging, so that readers never wait for a writer and a writer never
    waits for readers (with the default rollback journal, a request's first write held off
    the other processes' reads until its commit); synchronous=NORMAL, the usual companion of
    WAL (a commit is not fsynced: a power cut may lose the last transactions, never corrupt
    the file; production runs on PostgreSQL); and a writer waits up to 10 s for another."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


LOCKING = re.compile(r"\bFOR\s+(?:NO\s+KEY\s+)?(?:UPDATE|SHARE|KEY\s+SHARE)\b", re.IGNORECASE)


def is_plain_select(context, statement):
    """A compiled SELECT that locks no row (a stray "FOR UPDATE" in a literal only costs a
    BEGIN) and is not streamed (a server-side cursor lives in a transaction)."""
    compiled = context.compiled
    return (compiled is not None and compiled.statement.is_select and not LOCKING.search(statement)
            and not context.execution_options.get("stream_results"))
