"""An empty database for a bench or a migration test, dropped at the end: a SQLite file
in a folder, or a database of its own created on the PostgreSQL server a URL names (the
database that URL names is never written)."""
import contextlib
import os
from pathlib import Path

from sqlalchemy import create_engine, make_url, text


@contextlib.contextmanager
def scratch_database(url, folder, prefix):
    """Yields the scratch database's URL; `prefix`_<pid> names it on PostgreSQL."""
    if not (url or "").startswith("postgresql"):
        yield f"sqlite:///{Path(folder) / (prefix + '.db')}"
        return
    target = make_url(url)
    name = f"{prefix}_{os.getpid()}"
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    _drop_and(admin, name, create=True)
    try:
        yield target.set(database=name).render_as_string(hide_password=False)
    finally:
        _drop_and(admin, name, create=False)
        admin.dispose()


def _drop_and(admin, name, create):
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if create:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
