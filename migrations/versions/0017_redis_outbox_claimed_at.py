"""Nothing lost with Redis (#14): outbox_messages.claimed_at, when a delivery job took the
message (stored → sending). A message still 'sending' long after it, with no job left in
Redis, was left by a dead worker or a lost Redis: it is settled, never sent twice
(portal/services/recovery.py).

Named 0017 as agreed; it revises 0016 (3b8d5f1e2a47); the lead chains it at merge time.

Revision ID: 9e2c4a7b1f60
Revises: 3b8d5f1e2a47
Create Date: 2026-11-30 09:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '9e2c4a7b1f60'
down_revision = '3b8d5f1e2a47'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('claimed_at')
