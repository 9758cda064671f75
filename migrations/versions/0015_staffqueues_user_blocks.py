"""An administrator's block of a user (Personal › Usuarios «Bloquear»): when it was set.
Unlike `locked_until` (failed sign-ins, 15 minutes, lifted by the recovery password) it
lasts until an administrator lifts it.

Revision ID: 7c4e2a91d5f3
Revises: 5a7d3e9c1b20
Create Date: 2026-11-30 06:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '7c4e2a91d5f3'
down_revision = '5a7d3e9c1b20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('blocked_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('blocked_at')
