"""What the job checking an uploaded Activos/Retirados file reads of the statement
(cartera.file_lines: money as the driver gives it, no Decimal per value) is what the
rest of the portal reads of it (cartera.cartera_lines, SQLAlchemy's Decimals), on SQLite
and PostgreSQL; and the lines the job writes with the driver's executemany read back as
SQLAlchemy would have written them."""
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from portal.domain import cartera_layout as cl
from portal.extensions import db
from portal.models import CarteraUploadLine, Credit, StatementLine
from portal.models.base import Money
from portal.services import cartera
from tests import cartera_helpers as ch

D = Decimal
FIELDS = ("credit_number", "id_number", "first_name", "last_name", "kind", "balance", "instalment", "arrears_days",
          "arrears", "retired_on")
SQLITE = sqlite.dialect()
SQLALCHEMY_READS = Money.dialect_impl(SQLITE).result_processor(SQLITE, None)


@given(value=st.one_of(st.integers(-10**15, 10**15), st.floats(-1e15, 1e15),
                       st.integers(0, 10**15).map(lambda cents: float(D(cents).scaleb(-2)))))
def test_sqlite_money_is_the_amount_sqlalchemy_reads(value):
    """SQLite keeps a whole amount as an integer and one with cents as a REAL."""
    (got,) = cartera.exact_money([value])
    expected = SQLALCHEMY_READS(value)
    assert got == expected and type(got) in (int, D)
    if type(got) is D:
        assert str(got) == str(expected)


def test_postgresql_money_comes_as_the_drivers_decimal():
    assert cartera.exact_money([D("4381.93"), D("150000.00")]) == [D("4381.93"), D("150000.00")]


def test_the_index_holds_the_lines_the_files_show(client):
    built = ch.build()  # instalment 50000.50 (a REAL in SQLite), arrears 3000.00, a retired worker
    shown = {line.credit_number: line for line in cartera.cartera_lines(built.statement)}
    ids = dict(db.session.query(Credit.number, StatementLine.id).join(StatementLine.credit).all())
    for kind in cl.UPLOADABLE:
        index, line_ids = cartera.file_lines(built.statement, kind)
        mine = sorted(n for n, l in shown.items() if l.kind == kind)
        assert sorted(index.numbers) == mine and line_ids == {n: ids[n] for n in mine}
        for number, expected in shown.items():
            got = index.get(number)
            if expected.kind != kind:
                assert got == cl.OtherFileCredit(number, expected.kind)
                continue
            for name in FIELDS:
                assert getattr(got, name) == getattr(expected, name), name
            assert [str(getattr(got, name)) for name in ("balance", "instalment", "arrears")] == [
                str(getattr(expected, name)) for name in ("balance", "instalment", "arrears")]


def test_an_untouched_file_is_processed_with_its_lines_exact(client):
    built = ch.build(sign_in_client=client)
    upload = ch.processed(client, "activos", ch.download(client, "activos"))
    assert upload.status == "processed", upload.errors_json
    written = {line.line_id: (line.apply_arrears, line.amount) for line in
               db.session.query(CarteraUploadLine).filter_by(upload_id=upload.id)}
    ids = dict(db.session.query(Credit.number, StatementLine.id).join(StatementLine.credit).all())
    expected = {ids[line.credit_number]: (line.default_apply_arrears == "S", line.default_amount)
                for line in cartera.cartera_lines(built.statement) if line.kind == cl.ACTIVE}
    assert written == expected
    assert D("50000.50") in {amount for _, amount in written.values()}
    assert upload.total_amount == sum(amount for _, amount in expected.values())
