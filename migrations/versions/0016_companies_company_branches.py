"""Conexión Empresas administration, companies (#13): company_branches, the sucursales a
company's emission files name in SUCURSAL (code, name, city; deactivated, never deleted).

Named 0016 as agreed; it revises int3's head (7c4e2f9a1d35, 0015_foureyes); the lead
chains it at merge time.

Revision ID: 3b8d5f1e2a47
Revises: 7c4e2f9a1d35
Create Date: 2026-11-30 07:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '3b8d5f1e2a47'
down_revision = '7c4e2f9a1d35'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('company_branches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('city', sa.String(length=60), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_company_branches_company_id_companies'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_company_branches')),
    sa.UniqueConstraint('company_id', 'code', name='uq_company_branches_code')
    )
    with op.batch_alter_table('company_branches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_company_branches_company_id'), ['company_id'], unique=False)


def downgrade():
    with op.batch_alter_table('company_branches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_company_branches_company_id'))
    op.drop_table('company_branches')
