"""Conexión Empresas III (manual 003 ch. 5–6): the master account funded by PSE and by
bank deposits, card operations once per form, card blocks and replacements, the product's
commissions

Revision ID: 89c2b95c4282
Revises: 6e9693522701
Create Date: 2026-11-30 03:54:56.553167

"""
import sqlalchemy as sa
from alembic import op

KINDS_OLD = ("affiliate_credit", "kindergarten_slip", "payment_slip")
KINDS_NEW = KINDS_OLD + ("master_funding",)


def _kinds(kinds):
    return "kind in (" + ", ".join(f"'{k}'" for k in kinds) + ")"


# revision identifiers, used by Alembic.
revision = '89c2b95c4282'
down_revision = '6e9693522701'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('master_deposits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('bank_reference', sa.String(length=40), nullable=False),
    sa.Column('deposited_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('registered_by_id', sa.Integer(), nullable=False),
    sa.Column('registered_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('ledger_txn', sa.String(length=36), nullable=True),
    sa.CheckConstraint("status in ('registered', 'confirmed', 'rejected')", name='ck_master_deposits_status'),
    sa.CheckConstraint('amount > 0', name='ck_master_deposits_amount'),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_master_deposits_company_id_companies')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_master_deposits_decided_by_id_users')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_master_deposits_product_id_products')),
    sa.ForeignKeyConstraint(['registered_by_id'], ['users.id'], name=op.f('fk_master_deposits_registered_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_master_deposits')),
    sa.UniqueConstraint('ledger_txn', name=op.f('uq_master_deposits_ledger_txn'))
    )
    with op.batch_alter_table('master_deposits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_master_deposits_company_id'), ['company_id'], unique=False)

    op.create_table('master_fundings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('applied_at', sa.DateTime(), nullable=True),
    sa.Column('ledger_txn', sa.String(length=36), nullable=True),
    sa.CheckConstraint('amount > 0', name='ck_master_fundings_amount'),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_master_fundings_company_id_companies')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_master_fundings_product_id_products')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_master_fundings_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_master_fundings')),
    sa.UniqueConstraint('ledger_txn', name=op.f('uq_master_fundings_ledger_txn'))
    )
    with op.batch_alter_table('master_fundings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_master_fundings_company_id'), ['company_id'], unique=False)

    op.create_table('card_operations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('card_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('fee', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('description', sa.String(length=120), nullable=True),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('message', sa.String(length=200), nullable=True),
    sa.Column('ledger_txn', sa.String(length=36), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind in ('balance', 'credit', 'debit', 'transfer', 'block', 'unblock', 'replacement')", name='ck_card_operations_kind'),
    sa.CheckConstraint("status in ('done', 'refused')", name='ck_card_operations_status'),
    sa.ForeignKeyConstraint(['card_id'], ['cards.id'], name=op.f('fk_card_operations_card_id_cards')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_card_operations_company_id_companies')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_card_operations_product_id_products')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_card_operations_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_operations')),
    sa.UniqueConstraint('key', name=op.f('uq_card_operations_key')),
    sa.UniqueConstraint('ledger_txn', name=op.f('uq_card_operations_ledger_txn'))
    )
    with op.batch_alter_table('card_operations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_operations_card_id'), ['card_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_card_operations_company_id'), ['company_id'], unique=False)
        batch_op.create_index('ix_card_operations_product_created', ['product_id', 'created_at'], unique=False)

    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('blocked_reason', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('blocked_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('replaced_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_cards_replaced_by_id_cards'), 'cards', ['replaced_by_id'], ['id'])

    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('balance_query_fee', sa.Numeric(precision=14, scale=2), server_default='60', nullable=False))
        batch_op.add_column(sa.Column('transfer_fee', sa.Numeric(precision=14, scale=2), server_default='55', nullable=False))
        batch_op.add_column(sa.Column('debit_fee', sa.Numeric(precision=14, scale=2), server_default='55', nullable=False))
        batch_op.add_column(sa.Column('replacement_cost', sa.Numeric(precision=14, scale=2), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('max_card_balance', sa.Numeric(precision=14, scale=2), nullable=True))


    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_constraint('ck_payments_kind', type_='check')
        batch_op.create_check_constraint('ck_payments_kind', _kinds(KINDS_NEW))

    # Reportes › Cuenta maestra: an account's entries by date and each row's Saldo from the index
    op.create_index('ix_ledger_entries_account_created', 'ledger_entries',
                    ['account_id', 'created_at', 'id', 'amount'], unique=False)


def downgrade():
    op.drop_index('ix_ledger_entries_account_created', table_name='ledger_entries')

    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_constraint('ck_payments_kind', type_='check')
        batch_op.create_check_constraint('ck_payments_kind', _kinds(KINDS_OLD))

    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('max_card_balance')
        batch_op.drop_column('replacement_cost')
        batch_op.drop_column('debit_fee')
        batch_op.drop_column('transfer_fee')
        batch_op.drop_column('balance_query_fee')

    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cards_replaced_by_id_cards'), type_='foreignkey')
        batch_op.drop_column('replaced_by_id')
        batch_op.drop_column('blocked_at')
        batch_op.drop_column('blocked_reason')

    with op.batch_alter_table('card_operations', schema=None) as batch_op:
        batch_op.drop_index('ix_card_operations_product_created')
        batch_op.drop_index(batch_op.f('ix_card_operations_company_id'))
        batch_op.drop_index(batch_op.f('ix_card_operations_card_id'))

    op.drop_table('card_operations')
    with op.batch_alter_table('master_fundings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_master_fundings_company_id'))

    op.drop_table('master_fundings')
    with op.batch_alter_table('master_deposits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_master_deposits_company_id'))

    op.drop_table('master_deposits')
