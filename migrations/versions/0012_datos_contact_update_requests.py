"""Affiliates' data updates (#13, manual 001's note): affiliates.address and
contact_update_requests (one open request per affiliate)

Revision ID: eec9e0b5f68e
Revises: f023c0cb7f1d
Create Date: 2026-11-30 06:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'eec9e0b5f68e'
down_revision = 'f023c0cb7f1d'
branch_labels = None
depends_on = None

OPEN_WHERE = "status in ('awaiting_code', 'pending')"


def upgrade():
    with op.batch_alter_table('affiliates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.String(length=200), nullable=True))

    op.create_table('contact_update_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('affiliate_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('old_mobile', sa.String(length=15), nullable=False),
    sa.Column('old_email', sa.String(length=254), nullable=True),
    sa.Column('old_address', sa.String(length=200), nullable=True),
    sa.Column('new_mobile', sa.String(length=15), nullable=True),
    sa.Column('new_email', sa.String(length=254), nullable=True),
    sa.Column('new_address', sa.String(length=200), nullable=True),
    sa.Column('code_hash', sa.String(length=64), nullable=True),
    sa.Column('code_expires_at', sa.DateTime(), nullable=True),
    sa.Column('code_sends', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.CheckConstraint("status in ('awaiting_code', 'pending', 'approved', 'rejected', 'replaced')", name='ck_contact_update_status'),
    sa.ForeignKeyConstraint(['affiliate_id'], ['affiliates.id'], name=op.f('fk_contact_update_requests_affiliate_id_affiliates')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_contact_update_requests_decided_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_update_requests'))
    )
    with op.batch_alter_table('contact_update_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_update_requests_affiliate_id'), ['affiliate_id'], unique=False)
        batch_op.create_index('ix_contact_update_status_submitted', ['status', 'submitted_at'], unique=False)
        batch_op.create_index('uq_contact_update_one_open', ['affiliate_id'], unique=True,
                              sqlite_where=sa.text(OPEN_WHERE), postgresql_where=sa.text(OPEN_WHERE))


def downgrade():
    with op.batch_alter_table('contact_update_requests', schema=None) as batch_op:
        batch_op.drop_index('uq_contact_update_one_open', sqlite_where=sa.text(OPEN_WHERE),
                            postgresql_where=sa.text(OPEN_WHERE))
        batch_op.drop_index('ix_contact_update_status_submitted')
        batch_op.drop_index(batch_op.f('ix_contact_update_requests_affiliate_id'))

    op.drop_table('contact_update_requests')
    with op.batch_alter_table('affiliates', schema=None) as batch_op:
        batch_op.drop_column('address')
