"""Production over several hosts (#14): scheduled_runs, one row per claimed tick of a
scheduled job (portal/services/schedule.py): the claim, and the run's record.

Named 0017 as agreed; it revises 0016 (3b8d5f1e2a47); the lead chains it at merge time.

Revision ID: 5e1a7c3d9b20
Revises: 9e2c4a7b1f60
Create Date: 2026-11-30 09:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5e1a7c3d9b20'
down_revision = "9e2c4a7b1f60"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('scheduled_runs',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('tick', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('error', sa.String(length=255), nullable=True),
    sa.Column('process', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('name', 'tick', name=op.f('pk_scheduled_runs'))
    )


def downgrade():
    op.drop_table('scheduled_runs')
