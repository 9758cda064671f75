"""The staff home's queues: an index per queue on its filter and its oldest column, so
that counting a queue and finding its oldest item stay cheap with 100,000 rows in it
(services/staff_home.py)

Revision ID: 5a7d3e9c1b20
Revises: 5b1d7e0a9c21
Create Date: 2026-11-30 06:20:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '5a7d3e9c1b20'
down_revision = '5b1d7e0a9c21'
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_appreq_queue", "application_requests", ["application", "status", "created_at"]),
    ("ix_uploads_status_created", "cartera_uploads", ["status", "created_at"]),
    ("ix_reviews_status_created", "payment_reviews", ["status", "created_at"]),
    ("ix_payments_status_created", "payments", ["status", "created_at"]),
    ("ix_batches_status_created", "batches", ["status", "created_at"]),
    ("ix_batch_lines_outcome", "batch_lines", ["outcome", "batch_id"]),
    ("ix_service_orders_status_created", "service_orders", ["status", "created_at"]),
    ("ix_order_payments_status_created", "order_payments", ["status", "created_at"]),
    ("ix_master_deposits_status_registered", "master_deposits", ["status", "registered_at"]),
    ("ix_users_locked_until", "users", ["locked_until"]),
    ("ix_login_guards_locked_until", "login_guards", ["locked_until"]),
    ("ix_outbox_status_created", "outbox_messages", ["status", "created_at"]),
]


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade():
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
