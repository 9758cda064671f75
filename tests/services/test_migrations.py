"""The migrations build exactly the schema the models describe (no drift either way), and
those that move data move it both ways."""
from datetime import date, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from portal.extensions import db
from portal.scratch_db import scratch_database


def test_models_and_migrations_agree(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        diff = [d for d in compare_metadata(context, db.metadata) if not _ignorable(d)]
    assert diff == []


def _ignorable(difference):
    """Alembic's own version table is not a model."""
    return difference[0] == "remove_table" and difference[1].name == "alembic_version"


@pytest.fixture
def scratch_url(database_url, tmp_path):
    """An empty database of the run's kind: a SQLite file, or one created on the
    PostgreSQL server of the run (dropped at the end)."""
    with scratch_database(database_url, tmp_path, "portal_migrations") as url:
        yield url


BEFORE_STORED_FILES = "89c2b95c4282"  # 0009


def test_stored_files_migration_moves_the_files_and_back(scratch_url, redis_url, tmp_path):
    import flask_migrate

    from tests.conftest import make_app

    app = make_app(scratch_url, redis_url, tmp_path)
    with app.app_context():
        flask_migrate.upgrade(revision=BEFORE_STORED_FILES)
        with db.engine.begin() as connection:
            _uploads_with_files(connection)
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            assert _files_of(connection, "cartera_uploads") == {1: b"PK-upload", 2: None}
            assert _files_of(connection, "batches") == {1: b"lote;txt\r\n"}
        flask_migrate.downgrade(revision=BEFORE_STORED_FILES)
        with db.engine.connect() as connection:
            assert dict(connection.execute(text("SELECT id, content FROM cartera_uploads")).all()) == {
                1: b"PK-upload", 2: None}
            assert dict(connection.execute(text("SELECT id, content FROM batches")).all()) == {1: b"lote;txt\r\n"}
        db.engine.dispose()


def _uploads_with_files(connection):
    """As 0008 left them: an upload with its file, one without (a browser draft), a batch."""
    from portal.models import Branch, Company, Entity, Product, Statement

    now = datetime(2026, 11, 30)
    connection.execute(Entity.__table__.insert(), {"id": 1, "nit": "800999999", "name": "E"})
    connection.execute(Branch.__table__.insert(), {"id": 1, "entity_id": 1, "code": "001", "name": "P"})
    connection.execute(Statement.__table__.insert(), {"id": 1, "entity_id": 1, "branch_id": 1, "period": "2026-10",
                                                      "due_date": date(2026, 10, 10)})
    for upload_id, content in ((1, b"PK-upload"), (2, None)):
        connection.execute(text(
            "INSERT INTO cartera_uploads (id, statement_id, kind, source, size_bytes, status, rows_total, rows_done,"
            " error_count, total_amount, credits_count, created_at, content) VALUES (:id, 1, 'active', 'xlsx', 0,"
            " 'queued', 0, 0, 0, 0, 0, :now, :content)"), {"id": upload_id, "now": now, "content": content})
    connection.execute(Company.__table__.insert(), {"id": 1, "nit": "900291499", "name": "C", "legal_name": "C",
                                                    "signature_scheme": 1})
    connection.execute(Product.__table__.insert(), {"id": 1, "company_id": 1, "name": "P", "brand": "Visa",
                                                    "bin": "450714"})
    connection.execute(text(
        "INSERT INTO batches (id, number, company_id, product_id, kind, status, source, size_bytes, rows_total,"
        " rows_done, valid_count, error_count, total_amount, created_at, content) VALUES (1, '26113000', 1, 1,"
        " 'topup', 'queued', 'txt', 0, 0, 0, 0, 0, 0, :now, :content)"), {"now": now, "content": b"lote;txt\r\n"})


def _files_of(connection, table):
    return dict(connection.execute(text(f"SELECT o.id, f.content FROM {table} o "
                                        "LEFT JOIN stored_files f ON f.id = o.file_id")).all())
