"""Configuración › Usuario (manual 003, 2.2): a user's first and last names, position (cargo) and area

Revision ID: 5f727450cc05
Revises: ca97bd37c4f3
Create Date: 2026-11-30 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '5f727450cc05'
down_revision = 'ca97bd37c4f3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_name', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('last_name', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('position', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('area', sa.String(length=80), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('area')
        batch_op.drop_column('position')
        batch_op.drop_column('last_name')
        batch_op.drop_column('first_name')
