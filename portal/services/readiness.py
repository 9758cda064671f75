"""Readiness (GET /salud/listo): can this portal do its work right now? The database
answers and its schema is at the migrations' head, Redis answers, and some RQ worker was
heard from lately. One round trip to each service, short timeouts, nothing written: a
load balancer may ask every few seconds."""
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry
from rq.utils import utcparse
from rq.worker_registration import REDIS_WORKER_KEYS
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from portal.config import BASE_DIR
from portal.extensions import db

TIMEOUT_SECONDS = 1.0  # a Redis that does not answer within it is down, for us
VERSION = text("SELECT version_num FROM alembic_version")
# Every registered worker's last heartbeat and state, in one round trip.
WORKER_BEATS = """
local beats = {}
for _, key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local fields = redis.call('HMGET', key, 'last_heartbeat', 'state')
  beats[#beats + 1] = fields[1] or ''
  beats[#beats + 1] = fields[2] or ''
end
return beats
"""


@dataclass(frozen=True)
class Check:
    name: str  # database | migrations | redis | workers
    problem: str | None = None  # None: fine


def check(app):
    """Every check, in order; the portal is ready when none has a problem."""
    return [*_database(), *_redis(app)]


def _database():
    down = "sin verificar: la base de datos no responde"
    try:
        connection = db.engine.connect()
    except SQLAlchemyError as exc:
        return [Check("database", f"no responde ({_cause(exc)})"), Check("migrations", down)]
    with connection:
        try:
            current = set(connection.execute(VERSION).scalars())
        except DBAPIError as exc:
            if exc.connection_invalidated:  # lost on the way
                return [Check("database", f"no responde ({_cause(exc)})"), Check("migrations", down)]
            # The server answered, with an error: the schema was never migrated.
            return [Check("database"), Check("migrations", f"sin tabla alembic_version ({_cause(exc)})")]
    return [Check("database"), Check("migrations", _behind(current, migration_heads()))]


def _cause(exc):
    return type(getattr(exc, "orig", None) or exc).__name__


def _behind(current, heads):
    if current == heads:
        return None
    return (f"la base de datos está en {', '.join(sorted(current)) or 'ninguna revisión'} y el código "
            f"espera {', '.join(sorted(heads))}: falta `flask db upgrade`")


@cache
def migration_heads(directory=str(BASE_DIR / "migrations")):
    """The head revision(s) of migrations/, read once per process."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory(directory).get_heads())


def redis_client(app):
    """A client of its own that gives up after TIMEOUT_SECONDS and never retries: a dead
    or hung Redis makes a probe or a scrape answer at once, not hang."""
    client = app.extensions.get("portal.redis_probe")
    if client is None:
        client = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=TIMEOUT_SECONDS,
                                socket_timeout=TIMEOUT_SECONDS, retry=Retry(NoBackoff(), 0))
        app.extensions["portal.redis_probe"] = client
    return client


def _redis(app):
    try:
        beats = redis_client(app).eval(WORKER_BEATS, 1, REDIS_WORKER_KEYS)
    except RedisError as exc:
        return [Check("redis", f"no responde ({type(exc).__name__})"),
                Check("workers", "sin verificar: Redis no responde")]
    window = app.config["READINESS_HEARTBEAT_SECONDS"]
    alive = sum(_alive(beat, state, window) for beat, state in zip(beats[::2], beats[1::2], strict=True))
    if alive:
        return [Check("redis"), Check("workers")]
    return [Check("redis"), Check("workers", f"ningún worker de RQ dio señales en los últimos {window} s "
                                             f"({len(beats) // 2} registrados)")]


def _alive(beat, state, window):
    """Heard from within `window` seconds, or busy with a job (RQ keeps a busy worker's
    record only while its job may still run: a dead one's expires)."""
    if state == b"busy":
        return True
    try:
        return (datetime.now(UTC) - utcparse(beat.decode())).total_seconds() <= window
    except ValueError:
        return False
