"""Uploaded files' bytes in stored_files: cartera_uploads.content and batches.content move
there (file_id), so a job's progress and heartbeat UPDATEs, which on SQLite rewrite the
whole row, no longer write the file again each time

Revision ID: 3c9e1f7a2b64
Revises: 89c2b95c4282
Create Date: 2026-11-30 03:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '3c9e1f7a2b64'
down_revision = '89c2b95c4282'
branch_labels = None
depends_on = None

TABLES = ('cartera_uploads', 'batches')
FILES = sa.table('stored_files', sa.column('id', sa.Integer), sa.column('content', sa.LargeBinary))


def _owner(name, *columns):
    return sa.table(name, sa.column('id', sa.Integer), *columns)


def upgrade():
    op.create_table('stored_files',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('content', sa.LargeBinary(), nullable=False),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_files')))
    for name in TABLES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column('file_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(batch_op.f(f'fk_{name}_file_id_stored_files'), 'stored_files',
                                        ['file_id'], ['id'])
        _files_out(name)
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_column('content')


def _files_out(name):
    """Each row's file copied into stored_files, one at a time (a file may be 20 MB)."""
    conn = op.get_bind()
    owner = _owner(name, sa.column('content', sa.LargeBinary), sa.column('file_id', sa.Integer))
    for (row_id,) in conn.execute(sa.select(owner.c.id).where(owner.c.content.is_not(None))).all():
        content = conn.execute(sa.select(owner.c.content).where(owner.c.id == row_id)).scalar_one()
        file_id = conn.execute(sa.insert(FILES).values(content=content).returning(FILES.c.id)).scalar_one()
        conn.execute(sa.update(owner).where(owner.c.id == row_id).values(file_id=file_id))


def downgrade():
    for name in TABLES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column('content', sa.LargeBinary(), nullable=True))
        _files_back(name)
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'fk_{name}_file_id_stored_files'), type_='foreignkey')
            batch_op.drop_column('file_id')
    op.drop_table('stored_files')


def _files_back(name):
    conn = op.get_bind()
    owner = _owner(name, sa.column('content', sa.LargeBinary), sa.column('file_id', sa.Integer))
    for row_id, file_id in conn.execute(sa.select(owner.c.id, owner.c.file_id)
                                        .where(owner.c.file_id.is_not(None))).all():
        content = conn.execute(sa.select(FILES.c.content).where(FILES.c.id == file_id)).scalar_one()
        conn.execute(sa.update(owner).where(owner.c.id == row_id).values(content=content))
