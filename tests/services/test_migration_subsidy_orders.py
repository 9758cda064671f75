"""Migration 0012: orders stored before it get a «Vigente hasta» (issued + 30 days) and the
times their checks need; the number sequence goes on after the highest number stored."""
from datetime import date, datetime

from sqlalchemy import text

from portal.extensions import db
from tests.services.test_migrations import scratch_url  # noqa: F401 (a fixture)

BEFORE = "eec9e0b5f68e"  # 0012


def test_stored_orders_get_a_validity_and_the_sequence_follows_them(scratch_url, redis_url, tmp_path):  # noqa: F811
    import flask_migrate

    from tests.conftest import make_app

    app = make_app(scratch_url, redis_url, tmp_path)
    with app.app_context():
        flask_migrate.upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            connection.execute(text("INSERT INTO entities (id, nit, name, created_at) VALUES (1, '900765432', 'P', :t)"),
                               {"t": datetime(2026, 5, 1)})
            for order_id, number, status in ((1, "80231", "issued"), (2, "80240", "redeemed"), (3, "X-1", "annulled")):
                connection.execute(text(
                    "INSERT INTO subsidy_orders (id, document_type, number, supplier_entity_id, affiliate_cedula,"
                    " affiliate_name, amount, items_json, status, issued_at) VALUES (:id, 'ADELANTO POR SUBSIDIOS',"
                    " :number, 1, '72145338', 'LUIS', 1000, '[]', :status, :t)"),
                    {"id": order_id, "number": number, "status": status, "t": datetime(2026, 5, 1, 15, 0)})
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            rows = connection.execute(text("SELECT id, valid_until, redeemed_at, annulled_at FROM subsidy_orders"
                                           " ORDER BY id")).all()
            assert [str(r.valid_until) for r in rows] == [str(date(2026, 5, 31))] * 3
            assert [(r.redeemed_at is not None, r.annulled_at is not None) for r in rows] == [
                (False, False), (True, False), (False, True)]
            assert connection.execute(text("SELECT last FROM counters WHERE name = 'subsidy_order'")).scalar() == 80240
        flask_migrate.downgrade(revision=BEFORE)
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM subsidy_orders")).scalar() == 3
            assert connection.execute(text("SELECT count(*) FROM counters WHERE name = 'subsidy_order'")).scalar() == 0
        db.engine.dispose()
