"""The migrations build exactly the schema the models describe (no drift either way)."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal.extensions import db


def test_models_and_migrations_agree(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        diff = [d for d in compare_metadata(context, db.metadata) if not _ignorable(d)]
    assert diff == []


def _ignorable(difference):
    """Alembic's own version table is not a model."""
    return difference[0] == "remove_table" and difference[1].name == "alembic_version"
