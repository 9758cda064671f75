"""A pending recovery password beside the user's own; an upload job's heartbeat

Revision ID: 5b0c2e7d9a41
Revises: a8f717991995
Create Date: 2026-11-29 23:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '5b0c2e7d9a41'
down_revision = 'a8f717991995'
branch_labels = None
depends_on = None

def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recovery_hash', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('recovery_expires_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('cartera_uploads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(), nullable=True))

def downgrade():
    with op.batch_alter_table('cartera_uploads', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_at')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('recovery_expires_at')
        batch_op.drop_column('recovery_hash')
