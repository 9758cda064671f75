"""Conexión Empresas: batches, their lines and daily numbers; company contacts; the company-admin permission

Revision ID: ca97bd37c4f3
Revises: 5b0c2e7d9a41
Create Date: 2026-11-29 23:28:59.511928

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'ca97bd37c4f3'
down_revision = '5b0c2e7d9a41'
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('batch_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_batch_days'))
    )
    op.create_table('company_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('role', sa.String(length=80), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_company_contacts_company_id_companies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_company_contacts'))
    )
    with op.batch_alter_table('company_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_company_contacts_company_id'), ['company_id'], unique=False)

    op.create_table('batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=12), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=True),
    sa.Column('encoding', sa.String(length=12), nullable=True),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('content_sha256', sa.String(length=64), nullable=True),
    sa.Column('content_key', sa.String(length=64), nullable=True),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('rows_total', sa.Integer(), nullable=False),
    sa.Column('rows_done', sa.Integer(), nullable=False),
    sa.Column('valid_count', sa.Integer(), nullable=False),
    sa.Column('error_count', sa.Integer(), nullable=False),
    sa.Column('errors_json', sa.Text(), nullable=True),
    sa.Column('total_amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('observations', sa.String(length=200), nullable=True),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
    sa.Column('checked_at', sa.DateTime(), nullable=True),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_by_id', sa.Integer(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("kind in ('emission', 'topup', 'affiliation')", name='ck_batches_kind'),
    sa.CheckConstraint("status in ('queued', 'processing', 'valid', 'invalid', 'failed', 'confirmed', 'deleted', 'authorized', 'in_process', 'processed', 'annulled')", name='ck_batches_status'),
    sa.CheckConstraint('total_amount >= 0', name='ck_batches_amount'),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_batches_company_id_companies')),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_batches_confirmed_by_id_users')),
    sa.ForeignKeyConstraint(['deleted_by_id'], ['users.id'], name=op.f('fk_batches_deleted_by_id_users')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_batches_product_id_products')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_batches_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_batches')),
    sa.UniqueConstraint('number', name=op.f('uq_batches_number'))
    )
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_batches_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_batches_content_key'), ['content_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_batches_content_sha256'), ['content_sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_batches_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_batches_product_status', ['product_id', 'status'], unique=False)

    op.create_table('batch_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('id_type', sa.String(length=3), nullable=True),
    sa.Column('id_number', sa.String(length=15), nullable=True),
    sa.Column('holder_name', sa.String(length=160), nullable=True),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('values_json', sa.Text(), nullable=False),
    sa.Column('errors', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_batch_lines_batch_id_batches'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_batch_lines')),
    sa.UniqueConstraint('batch_id', 'line_no', name='uq_batch_lines')
    )
    with op.batch_alter_table('batch_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_batch_lines_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index('ix_batch_lines_person', ['id_type', 'id_number'], unique=False)

    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('can_admin_company', sa.Boolean(), server_default=sa.false(), nullable=False))




def downgrade():
    
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_column('can_admin_company')

    with op.batch_alter_table('batch_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_batch_lines_person')
        batch_op.drop_index(batch_op.f('ix_batch_lines_batch_id'))

    op.drop_table('batch_lines')
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.drop_index('ix_batches_product_status')
        batch_op.drop_index(batch_op.f('ix_batches_created_at'))
        batch_op.drop_index(batch_op.f('ix_batches_content_sha256'))
        batch_op.drop_index(batch_op.f('ix_batches_content_key'))
        batch_op.drop_index(batch_op.f('ix_batches_company_id'))

    op.drop_table('batches')
    with op.batch_alter_table('company_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_company_contacts_company_id'))

    op.drop_table('company_contacts')
    op.drop_table('batch_days')

