"""Subsidy orders (ADELANTO POR SUBSIDIOS) issued, annulled and redeemed: «Vigente hasta»,
who redeemed or annulled each order and when, the annulment's reason, the issuing form's
one-time key; the order numbers' sequence in `counters`, started after the highest number already stored.

Orders stored before this revision get valid_until = their issue date + 30 days.

Revision ID: 5b1d7e0a9c21
Revises: eec9e0b5f68e
Create Date: 2026-11-30 05:45:00

"""
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5b1d7e0a9c21'
down_revision = 'eec9e0b5f68e'
branch_labels = None
depends_on = None

COUNTER = 'subsidy_order'
FIRST_NUMBER = 80001
orders = sa.table('subsidy_orders', sa.column('id', sa.Integer), sa.column('number', sa.String),
                  sa.column('issued_at', sa.DateTime), sa.column('valid_until', sa.Date))
counters = sa.table('counters', sa.column('name', sa.String), sa.column('last', sa.Integer))


def upgrade():
    with op.batch_alter_table('subsidy_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('valid_until', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('redeemed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('redeemed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('annulled_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('annulled_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('annul_reason', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('issue_key', sa.String(length=32), nullable=True))
    connection = op.get_bind()
    stored = connection.execute(sa.select(orders.c.id, orders.c.number, orders.c.issued_at)).all()
    for order_id, _, issued_at in stored:
        connection.execute(orders.update().where(orders.c.id == order_id)
                           .values(valid_until=(issued_at + timedelta(days=30)).date()))
    # Orders already redeemed or annulled get a time so the new checks hold.
    connection.execute(sa.text("UPDATE subsidy_orders SET redeemed_at = issued_at WHERE status = 'redeemed'"))
    connection.execute(sa.text("UPDATE subsidy_orders SET annulled_at = issued_at WHERE status = 'annulled'"))
    numbers = [int(n) for _, n, _ in stored if n.isdigit()]
    connection.execute(counters.insert().values(name=COUNTER, last=max(numbers + [FIRST_NUMBER - 1])))
    with op.batch_alter_table('subsidy_orders', schema=None) as batch_op:
        batch_op.alter_column('valid_until', existing_type=sa.Date(), nullable=False)
        batch_op.create_index('ix_subsidy_orders_issued_at', ['issued_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_subsidy_orders_redeemed_by_id_users'), 'users', ['redeemed_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_subsidy_orders_annulled_by_id_users'), 'users', ['annulled_by_id'], ['id'])
        batch_op.create_check_constraint('ck_subsidy_redeemed', "status <> 'redeemed' or redeemed_at is not null")
        batch_op.create_check_constraint('ck_subsidy_annulled', "status <> 'annulled' or annulled_at is not null")
        batch_op.create_unique_constraint(batch_op.f('uq_subsidy_orders_issue_key'), ['issue_key'])


def downgrade():
    op.execute(counters.delete().where(counters.c.name == COUNTER))
    with op.batch_alter_table('subsidy_orders', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_subsidy_orders_issue_key'), type_='unique')
        batch_op.drop_constraint('ck_subsidy_annulled', type_='check')
        batch_op.drop_constraint('ck_subsidy_redeemed', type_='check')
        batch_op.drop_constraint(batch_op.f('fk_subsidy_orders_annulled_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_subsidy_orders_redeemed_by_id_users'), type_='foreignkey')
        batch_op.drop_index('ix_subsidy_orders_issued_at')
        batch_op.drop_column('issue_key')
        batch_op.drop_column('annul_reason')
        batch_op.drop_column('annulled_by_id')
        batch_op.drop_column('annulled_at')
        batch_op.drop_column('redeemed_by_id')
        batch_op.drop_column('redeemed_at')
        batch_op.drop_column('valid_until')
