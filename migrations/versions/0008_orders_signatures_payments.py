"""Conexión Empresas II (manual 003 §3.3–3.5, ch. 4): signatures, service orders and their
payment through the sandbox bank, tariffs, unnamed-card requests, line outcomes

Revision ID: 6e9693522701
Revises: 5f727450cc05
Create Date: 2026-11-30 02:38:28.690752

"""
import sqlalchemy as sa
from alembic import op


def _in(*values):
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


BATCH_STATUSES = ("queued", "processing", "valid", "invalid", "failed", "confirmed", "deleted",
                  "authorized", "in_process", "processed", "annulled")
KINDS_OLD, KINDS_NEW = ("emission", "topup", "affiliation"), ("emission", "topup", "affiliation", "unnamed_emission")
LEDGER_OLD = ("master", "card", "funding", "fees")
LEDGER_NEW = LEDGER_OLD + ("taxes", "clearing")


# revision identifiers, used by Alembic.
revision = '6e9693522701'
down_revision = '5f727450cc05'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('counters',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_counters'))
    )
    op.create_table('sandbox_bank_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=30), nullable=False),
    sa.Column('holder', sa.String(length=160), nullable=False),
    sa.Column('balance', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('behaviour', sa.String(length=8), nullable=False),
    sa.CheckConstraint("behaviour in ('normal', 'pending', 'error')", name='ck_sandbox_bank_behaviour'),
    sa.CheckConstraint('balance >= 0', name='ck_sandbox_bank_balance'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_bank_accounts')),
    sa.UniqueConstraint('number', name=op.f('uq_sandbox_bank_accounts_number'))
    )
    op.create_table('sandbox_bank_debits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('account_number', sa.String(length=30), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('settled_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status in ('approved', 'declined', 'pending', 'error')", name='ck_sandbox_bank_debits_status'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_bank_debits')),
    sa.UniqueConstraint('reference', name=op.f('uq_sandbox_bank_debits_reference'))
    )
    with op.batch_alter_table('sandbox_bank_debits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sandbox_bank_debits_account_number'), ['account_number'], unique=False)

    op.create_table('batch_signatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=4), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('signer_id', sa.Integer(), nullable=False),
    sa.Column('signed_at', sa.DateTime(), nullable=False),
    sa.Column('lapses_at', sa.DateTime(), nullable=False),
    sa.Column('completed_by_id', sa.Integer(), nullable=True),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("mode in ('lote', 'tipo')", name='ck_batch_signatures_mode'),
    sa.CheckConstraint("status in ('waiting', 'completed', 'lapsed')", name='ck_batch_signatures_status'),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_batch_signatures_company_id_companies')),
    sa.ForeignKeyConstraint(['completed_by_id'], ['users.id'], name=op.f('fk_batch_signatures_completed_by_id_users')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_batch_signatures_product_id_products')),
    sa.ForeignKeyConstraint(['signer_id'], ['users.id'], name=op.f('fk_batch_signatures_signer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_batch_signatures'))
    )
    with op.batch_alter_table('batch_signatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_batch_signatures_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_batch_signatures_lapses_at'), ['lapses_at'], unique=False)
        batch_op.create_index('ix_batch_signatures_product_status', ['product_id', 'status'], unique=False)

    op.create_table('distribution_tariffs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('destination', sa.String(length=60), nullable=False),
    sa.Column('cost', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_distribution_tariffs_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_distribution_tariffs')),
    sa.UniqueConstraint('product_id', 'destination', name='uq_distribution_tariffs')
    )
    with op.batch_alter_table('distribution_tariffs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_distribution_tariffs_product_id'), ['product_id'], unique=False)

    op.create_table('email_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=43), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=30), nullable=False),
    sa.Column('subject', sa.String(length=40), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('sends', sa.Integer(), nullable=False),
    sa.Column('tries', sa.Integer(), nullable=False),
    sa.Column('consumed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_email_codes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_codes')),
    sa.UniqueConstraint('public_id', name=op.f('uq_email_codes_public_id'))
    )
    with op.batch_alter_table('email_codes', schema=None) as batch_op:
        batch_op.create_index('ix_email_codes_subject', ['purpose', 'subject', 'user_id'], unique=False)

    op.create_table('service_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('total_price', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('total_distribution', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('commission', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('iva_rate', sa.Numeric(precision=5, scale=4), nullable=False),
    sa.Column('iva', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('total', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('gmf', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('to_pay', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('deposited', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('first_signer_id', sa.Integer(), nullable=False),
    sa.Column('second_signer_id', sa.Integer(), nullable=True),
    sa.Column('paid_at', sa.DateTime(), nullable=True),
    sa.Column('paid_by_id', sa.Integer(), nullable=True),
    sa.Column('annulled_at', sa.DateTime(), nullable=True),
    sa.Column('annulled_by_id', sa.Integer(), nullable=True),
    sa.Column('processed_at', sa.DateTime(), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status in ('pending_payment', 'paying', 'paid', 'processed', 'annulled')", name='ck_service_orders_status'),
    sa.CheckConstraint('to_pay = total + amount + gmf', name='ck_service_orders_to_pay'),
    sa.CheckConstraint('total = commission + iva', name='ck_service_orders_total'),
    sa.ForeignKeyConstraint(['annulled_by_id'], ['users.id'], name=op.f('fk_service_orders_annulled_by_id_users')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_service_orders_company_id_companies')),
    sa.ForeignKeyConstraint(['first_signer_id'], ['users.id'], name=op.f('fk_service_orders_first_signer_id_users')),
    sa.ForeignKeyConstraint(['paid_by_id'], ['users.id'], name=op.f('fk_service_orders_paid_by_id_users')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_service_orders_product_id_products')),
    sa.ForeignKeyConstraint(['second_signer_id'], ['users.id'], name=op.f('fk_service_orders_second_signer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_orders')),
    sa.UniqueConstraint('number', name=op.f('uq_service_orders_number'))
    )
    with op.batch_alter_table('service_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_orders_company_id'), ['company_id'], unique=False)
        batch_op.create_index('ix_service_orders_product_created', ['product_id', 'created_at'], unique=False)

    op.create_table('tariffs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('commission', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_tariffs_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tariffs')),
    sa.UniqueConstraint('product_id', 'kind', name='uq_tariffs')
    )
    with op.batch_alter_table('tariffs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tariffs_product_id'), ['product_id'], unique=False)

    op.create_table('order_distribution',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('destination', sa.String(length=60), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_cost', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('cost', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['service_orders.id'], name=op.f('fk_order_distribution_order_id_service_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_distribution'))
    )
    with op.batch_alter_table('order_distribution', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_distribution_order_id'), ['order_id'], unique=False)

    op.create_table('order_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status in ('sent', 'approved', 'declined', 'pending', 'error')", name='ck_order_payments_status'),
    sa.ForeignKeyConstraint(['order_id'], ['service_orders.id'], name=op.f('fk_order_payments_order_id_service_orders')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_order_payments_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_payments')),
    sa.UniqueConstraint('reference', name=op.f('uq_order_payments_reference'))
    )
    with op.batch_alter_table('order_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_payments_order_id'), ['order_id'], unique=False)

    with op.batch_alter_table('batch_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('outcome_reason', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('card_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('ledger_txn', sa.String(length=36), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_batch_lines_ledger_txn'), ['ledger_txn'])
        batch_op.create_foreign_key(batch_op.f('fk_batch_lines_card_id_cards'), 'cards', ['card_id'], ['id'])

    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('emboss_line1', sa.String(length=26), nullable=True))
        batch_op.add_column(sa.Column('emboss_line2', sa.String(length=26), nullable=True))
        batch_op.add_column(sa.Column('card_expiry', sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column('branch_name', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('request_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_batches_request_key'), ['request_key'])
        batch_op.alter_column('kind', existing_type=sa.String(length=12), type_=sa.String(length=20),
                              existing_nullable=False)
        batch_op.add_column(sa.Column('signature_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('order_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('commission', sa.Numeric(precision=14, scale=2), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('gmf', sa.Numeric(precision=14, scale=2), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('deposited', sa.Numeric(precision=14, scale=2), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('processed_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_batches_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_batches_signature_id'), ['signature_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_batches_order_id_service_orders'), 'service_orders', ['order_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_batches_signature_id_batch_signatures'), 'batch_signatures', ['signature_id'], ['id'])
        batch_op.drop_constraint('ck_batches_kind', type_='check')
        batch_op.create_check_constraint('ck_batches_kind', "kind in " + _in(*KINDS_NEW))
        batch_op.drop_constraint('ck_batches_status', type_='check')
        batch_op.create_check_constraint('ck_batches_status', "status in " + _in(*BATCH_STATUSES, "signed"))

    with op.batch_alter_table('ledger_accounts', schema=None) as batch_op:
        batch_op.drop_constraint('ck_ledger_kind', type_='check')
        batch_op.create_check_constraint('ck_ledger_kind', "kind in " + _in(*LEDGER_NEW))
        batch_op.add_column(sa.Column('balance', sa.Numeric(precision=14, scale=2), server_default='0',
                                      nullable=False))
        batch_op.create_index('ux_ledger_program', ['kind'], unique=True,
                              sqlite_where=sa.text("company_id IS NULL AND card_id IS NULL"),
                              postgresql_where=sa.text("company_id IS NULL AND card_id IS NULL"))
        batch_op.create_index('ux_ledger_company', ['kind', 'company_id', 'product_id'], unique=True,
                              sqlite_where=sa.text("company_id IS NOT NULL AND card_id IS NULL"),
                              postgresql_where=sa.text("company_id IS NOT NULL AND card_id IS NULL"))
    # Running balances: what the entries written so far sum to.
    op.execute("UPDATE ledger_accounts SET balance = (SELECT COALESCE(SUM(amount), 0) FROM ledger_entries "
               "WHERE ledger_entries.account_id = ledger_accounts.id)")

    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('uploader_may_sign', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('gmf_applies', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('card_validity_months', sa.Integer(), server_default='36', nullable=False))
        batch_op.add_column(sa.Column('distribution_cost', sa.Numeric(precision=14, scale=2), server_default='0', nullable=False))



def downgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('distribution_cost')
        batch_op.drop_column('card_validity_months')

    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.drop_column('gmf_applies')
        batch_op.drop_column('uploader_may_sign')

    with op.batch_alter_table('ledger_accounts', schema=None) as batch_op:
        batch_op.drop_index('ux_ledger_company')
        batch_op.drop_index('ux_ledger_program')
        batch_op.drop_column('balance')
        batch_op.drop_constraint('ck_ledger_kind', type_='check')
        batch_op.create_check_constraint('ck_ledger_kind', "kind in " + _in(*LEDGER_OLD))

    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.drop_constraint('ck_batches_status', type_='check')
        batch_op.create_check_constraint('ck_batches_status', "status in " + _in(*BATCH_STATUSES))
        batch_op.drop_constraint('ck_batches_kind', type_='check')
        batch_op.create_check_constraint('ck_batches_kind', "kind in " + _in(*KINDS_OLD))
        batch_op.drop_constraint(batch_op.f('fk_batches_signature_id_batch_signatures'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_batches_order_id_service_orders'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_batches_signature_id'))
        batch_op.drop_index(batch_op.f('ix_batches_order_id'))
        batch_op.drop_column('processed_at')
        batch_op.drop_column('deposited')
        batch_op.drop_column('gmf')
        batch_op.drop_column('commission')
        batch_op.drop_column('order_id')
        batch_op.drop_column('signature_id')
        batch_op.alter_column('kind', existing_type=sa.String(length=20), type_=sa.String(length=12),
                              existing_nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_batches_request_key'), type_='unique')
        batch_op.drop_column('request_key')
        batch_op.drop_column('branch_name')
        batch_op.drop_column('card_expiry')
        batch_op.drop_column('emboss_line2')
        batch_op.drop_column('emboss_line1')

    with op.batch_alter_table('batch_lines', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_batch_lines_card_id_cards'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_batch_lines_ledger_txn'), type_='unique')
        batch_op.drop_column('ledger_txn')
        batch_op.drop_column('card_id')
        batch_op.drop_column('outcome_reason')
        batch_op.drop_column('outcome')

    with op.batch_alter_table('order_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_payments_order_id'))

    op.drop_table('order_payments')
    with op.batch_alter_table('order_distribution', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_distribution_order_id'))

    op.drop_table('order_distribution')
    with op.batch_alter_table('tariffs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tariffs_product_id'))

    op.drop_table('tariffs')
    with op.batch_alter_table('service_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_service_orders_product_created')
        batch_op.drop_index(batch_op.f('ix_service_orders_company_id'))

    op.drop_table('service_orders')
    with op.batch_alter_table('email_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_email_codes_subject')

    op.drop_table('email_codes')
    with op.batch_alter_table('distribution_tariffs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_distribution_tariffs_product_id'))

    op.drop_table('distribution_tariffs')
    with op.batch_alter_table('batch_signatures', schema=None) as batch_op:
        batch_op.drop_index('ix_batch_signatures_product_status')
        batch_op.drop_index(batch_op.f('ix_batch_signatures_lapses_at'))
        batch_op.drop_index(batch_op.f('ix_batch_signatures_company_id'))

    op.drop_table('batch_signatures')
    with op.batch_alter_table('sandbox_bank_debits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sandbox_bank_debits_account_number'))

    op.drop_table('sandbox_bank_debits')
    op.drop_table('sandbox_bank_accounts')
    op.drop_table('counters')
