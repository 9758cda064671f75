"""db_bulk: rows written through the driver as SQLAlchemy would write them, and one bound
parameter for a long IN list, on SQLite and PostgreSQL."""
from decimal import Decimal

from sqlalchemy import select

from portal import db_bulk
from portal.extensions import db
from portal.models import Batch, BatchLine
from tests import factories

COLUMNS = ("batch_id", "line_no", "ok", "id_type", "id_number", "holder_name", "amount", "values_json", "errors")


def _batch():
    company = factories.company()
    batch = Batch(number="26113001", company_id=company.id, product_id=company.products[0].id, kind="topup",
                  source="txt", filename="lote.txt")
    db.session.add(batch)
    db.session.commit()
    return batch


def test_insert_rows_writes_each_value_as_the_orm_reads_it(app):
    batch = _batch()
    rows = [(batch.id, 2, True, "CC", "1045678434", "MARÍA PÉREZ", Decimal("150000.50"), '{"a": "ñ"}', None),
            (batch.id, 3, False, "CE", "99'1", None, None, "{}", "ID PERSONA: «x» no es válido"),
            (batch.id, 4, True, "CC", "1045678435", "JOSÉ", Decimal("99999999.99"), "{}", None)]
    db_bulk.insert_rows(BatchLine.__table__, COLUMNS, rows)
    db.session.commit()
    got = db.session.execute(select(*(getattr(BatchLine, c) for c in COLUMNS)).order_by(BatchLine.line_no)).all()
    assert [tuple(r) for r in got] == rows
    assert isinstance(got[0].amount, Decimal)
    db_bulk.insert_rows(BatchLine.__table__, COLUMNS, [])  # nothing to write: no statement, no error


def test_insert_rows_is_part_of_the_sessions_transaction(app):
    batch = _batch()
    db_bulk.insert_rows(BatchLine.__table__, COLUMNS, [(batch.id, 2, True, "CC", "1", None, None, "{}", None)])
    db.session.rollback()
    assert db.session.scalar(select(BatchLine.id)) is None


def test_among_finds_exactly_the_values_given(app):
    batch = _batch()
    numbers = ["1045678434", "99'1", 'con "comillas"', "ñandú"]
    db_bulk.insert_rows(BatchLine.__table__, COLUMNS, [
        (batch.id, n, True, "CC", number, None, None, "{}", None) for n, number in enumerate(numbers + ["otro"], 2)])
    db.session.commit()

    def found(values):
        return sorted(db.session.scalars(select(BatchLine.id_number).where(
            db_bulk.among(BatchLine.id_number, values))))

    assert found(numbers) == sorted(numbers)
    assert found({"99'1", "no está"}) == ["99'1"]
    assert found([]) == []
    assert found(str(n) for n in range(5000)) == []  # beyond SQLite's old 999-parameter limit


def test_insert_rows_shows_the_session_its_write(app):
    """The session's ORM events see the INSERT (an Idempotency-Key's claim is written
    before a request's first write by one of them)."""
    from sqlalchemy import event

    batch = _batch()
    seen = []

    def watch(state):
        seen.append(state.is_insert)

    event.listen(db.session, "do_orm_execute", watch)
    try:
        db_bulk.insert_rows(BatchLine.__table__, COLUMNS, [(batch.id, n, True, "CC", "1", None, None, "{}", None)
                                                            for n in (2, 3, 4)])
    finally:
        event.remove(db.session, "do_orm_execute", watch)
    assert True in seen
    assert db.session.query(BatchLine).count() == 3


def test_among_compares_whole_values_on_every_database(app):
    batch = _batch()
    db_bulk.insert_rows(BatchLine.__table__, COLUMNS, [(batch.id, 2, True, "CC", "123456789012345", None, None, "{}",
                                                        None)])
    assert db.session.scalars(select(BatchLine.id_number).where(
        db_bulk.among(BatchLine.id_number, ["1234567890123456789"]))).all() == []  # not cut to the column's 15
