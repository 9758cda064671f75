"""Four eyes for staff changes (#13): change_requests (one pending per target) and
users.blocked_at (a corporate user locked by the staff)

Named 0012 as agreed; it revises int3's head today (0014_staffhome) so that the branch's
tests run; the lead chains it at merge time.

Revision ID: 7c4e2f9a1d35
Revises: 5a7d3e9c1b20
Create Date: 2026-11-30 06:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '7c4e2f9a1d35'
down_revision = '5a7d3e9c1b20'
branch_labels = None
depends_on = None

PENDING_WHERE = "status = 'pending'"


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('blocked_at', sa.DateTime(), nullable=True))

    op.create_table('change_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('target', sa.String(length=60), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=True),
    sa.Column('proposed', sa.Text(), nullable=False),
    sa.Column('previous', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=False),
    sa.Column('proposed_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.CheckConstraint("status in ('pending', 'approved', 'rejected')", name='ck_change_requests_status'),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_change_requests_company_id_companies')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_change_requests_proposed_by_id_users')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_change_requests_decided_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_requests'))
    )
    with op.batch_alter_table('change_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_change_requests_company_id'), ['company_id'], unique=False)
        batch_op.create_index('ix_change_requests_status_proposed', ['status', 'proposed_at'], unique=False)
        batch_op.create_index('uq_change_requests_one_pending', ['target'], unique=True,
                              sqlite_where=sa.text(PENDING_WHERE), postgresql_where=sa.text(PENDING_WHERE))


def downgrade():
    with op.batch_alter_table('change_requests', schema=None) as batch_op:
        batch_op.drop_index('uq_change_requests_one_pending', sqlite_where=sa.text(PENDING_WHERE),
                            postgresql_where=sa.text(PENDING_WHERE))
        batch_op.drop_index('ix_change_requests_status_proposed')
        batch_op.drop_index(batch_op.f('ix_change_requests_company_id'))

    op.drop_table('change_requests')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('blocked_at')
