"""The index a file's rows are checked against (cartera_index.LineIndex): its money is
compared exactly without a Decimal per value, and a file checked against it gets the
same answer as the full rules, whatever the statement's amounts — whole pesos given as
int (as SQLite gives them), cents, more decimals than a cell can hold, amounts too big
for the fast path (no app, no files: rows are lists of cell values as python-calamine
gives them)."""
import math
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.domain import cartera_index as ci
from portal.domain import cartera_layout as cl
from portal.domain import cartera_rows as cr
from portal.domain.cells import parse_amount
from portal.domain.formatting import to_money
from tests.domain.cartera_samples import LINES, as_read, line, rows_for
from tests.domain.test_cartera_rows import slow_check

D = Decimal
CENTS = st.integers(0, 10**15 - 1).map(lambda cents: D(cents).scaleb(-2))  # 2 places, up to 10^13
ODD_AMOUNTS = st.sampled_from([D("0"), D("0.00"), D("1"), D("4381.9"), D("4381.935"), D("0.001"), D("1e12"),
                               D("999999999999.99"), D("9999999999999.99"), D("10000000000000.01"),
                               D("1e20"), D("-5.00"), D("NaN"), D("Infinity")])
AMOUNTS = st.one_of(CENTS, st.integers(0, 10**13).map(D), ODD_AMOUNTS)


def cells_near(amount):
    """Floats a cell may hold around an amount: its own float, the floats beside it,
    the amounts a cent away, and any float."""
    exact = float(amount) if amount.is_finite() else 0.0
    return st.one_of(st.just(exact), st.just(math.nextafter(exact, math.inf)),
                     st.just(math.nextafter(exact, -math.inf)), st.just(exact + 0.01), st.just(exact - 0.01),
                     st.floats(allow_nan=True, allow_infinity=True))


def full_rules_equal(cell, amount):
    """A locked money cell read by the full rules (cartera_rows._locked_reason): the
    cell's amount equals the line's, to the cent."""
    got, reason = parse_amount(cell)
    return reason is None and amount.is_finite() and got == to_money(amount)


@settings(max_examples=500, deadline=None)
@given(data=st.data(), amount=AMOUNTS)
def test_a_cell_equals_read_back_exactly_when_the_full_rules_read_the_same_amount(data, amount):
    cell = data.draw(cells_near(amount))
    key = ci.read_back(amount)
    fast = key is not None and cell == key
    assert not fast or full_rules_equal(cell, amount)  # never accepts what the full rules refuse
    if key is not None and amount == to_money(amount):  # and misses nothing a cell can hold
        assert fast == full_rules_equal(cell, amount)


@given(amount=st.one_of(st.integers(-10**20, 10**20), CENTS))
def test_whole_amounts_stand_as_ints_and_cents_as_their_float(amount):
    key = ci.read_back(amount)
    if amount == int(amount):
        assert type(key) is int and key == amount
    else:
        assert type(key) is float and D(repr(key)) == amount


def test_amounts_no_float_stands_for_alone_have_no_key():
    for amount in (D("4381.935"), D("0.001"), D("10000000000000.01"), D("NaN"), D("-Infinity")):
        assert ci.read_back(amount) is None


def columns_of(lines, whole_as_int):
    """LineIndex columns of these lines; whole amounts as int (SQLite) or as Decimal."""
    fields = ("credit_number", "id_number", "first_name", "last_name", "balance", "instalment",
              "arrears_days", "arrears", "retired_on")

    def value(line, name):
        v = getattr(line, name)
        return int(v) if whole_as_int and isinstance(v, D) and v.is_finite() and v == int(v) else v

    return {name: [value(l, name) for l in lines] for name in fields}


def index_of(lines, kind, whole_as_int=True):
    mine = [l for l in lines if l.kind == kind]
    return ci.LineIndex(kind, columns_of(mine, whole_as_int), [(l.credit_number, l.kind) for l in lines
                                                                if l.kind != kind])


def test_lines_are_built_as_the_database_gives_them():
    lines = [line(1), line(2, arrears_days=30, arrears=D("4381.93")), line(4, kind="retired")]
    index = index_of(lines, cl.ACTIVE)
    for expected in lines[:2]:
        got = index.get(expected.credit_number)
        for name in ("credit_number", "id_number", "first_name", "last_name", "kind", "balance", "instalment",
                     "arrears_days", "arrears", "retired_on"):
            assert getattr(got, name) == getattr(expected, name)
        assert str(got.balance) == "1752770.00" and str(got.arrears) == str(expected.arrears)
    assert index.get("LI-1004") == cl.OtherFileCredit("LI-1004", cl.RETIRED)
    assert index.get("LI-0000") is None
    assert index.numbers == ["LI-1001", "LI-1002"]


def test_a_bool_where_a_zero_was_is_not_the_cell_that_was_written():
    """False == 0.0 in Python: the fast path must not take it for «Valor Mora» 0."""
    rows = rows_for(cl.ACTIVE)
    rows[0][cl.layout(cl.ACTIVE).index("arrears")] = False
    for lines in (index_of(LINES, cl.ACTIVE), LINES):
        result = cr.check_rows(rows, lines, cl.ACTIVE)
        assert [(e.row, e.column) for e in result.errors] == [(2, "Valor Mora")]


def odd_lines(data):
    """The sample lines with amounts drawn from AMOUNTS (finite, not negative: the
    database's CHECK), cents and whole."""
    money = AMOUNTS.filter(lambda a: a.is_finite() and a >= 0)
    out = []
    for n, kind in enumerate(("active", "active", "active", "retired", "retired"), start=1):
        arrears = data.draw(st.one_of(st.just(D("0.00")), money))
        out.append(line(n, kind=kind, balance=data.draw(money), instalment=data.draw(money),
                        arrears=arrears, arrears_days=30 if arrears else 0))
    return out


def as_written(spec, l):
    """The row the portal writes for a line, as python-calamine reads it back."""
    return [as_read(v) for v in spec.values(l)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(cl.UPLOADABLE), whole_as_int=st.booleans(), data=st.data())
def test_any_statement_amounts_give_the_full_rules_answer(kind, whole_as_int, data):
    lines = odd_lines(data)
    spec = cl.layout(kind)
    rows = [as_written(spec, l) for l in cl.lines_for(kind, lines)]
    flag_at, amount_at = spec.index("apply_arrears"), spec.index("amount")
    for row, l in zip(rows, cl.lines_for(kind, lines), strict=True):
        row[flag_at] = data.draw(st.sampled_from(["S", "N", row[flag_at]]))
        cap = l.owed(row[flag_at] == "S")
        row[amount_at] = data.draw(st.one_of(cells_near(cap), cells_near(l.instalment), st.just(row[amount_at])))
    fast = cr.check_rows(rows, index_of(lines, kind, whole_as_int), kind)
    slow = slow_check(rows, lines, kind)
    assert fast.accepted == slow.accepted
    assert {k: str(v.amount) for k, v in fast.accepted.items()} == {k: str(v.amount) for k, v in slow.accepted.items()}
    assert fast.errors == slow.errors


def test_the_other_files_credits_are_asked_for_once_and_only_when_a_row_needs_them():
    lines = LINES
    asked = []

    def others():
        asked.append(1)
        return [(l.credit_number, l.kind) for l in lines if l.kind != cl.ACTIVE]

    mine = [l for l in lines if l.kind == cl.ACTIVE]
    assert cr.check_rows(rows_for(cl.ACTIVE), ci.LineIndex(cl.ACTIVE, columns_of(mine, True), others),
                         cl.ACTIVE).ok
    assert asked == []
    rows = rows_for(cl.ACTIVE)
    credit_at = cl.layout(cl.ACTIVE).index("credit_number")
    rows[0][credit_at], rows[1][credit_at] = "LI-1004", "LI-1005"
    result = cr.check_rows(rows, ci.LineIndex(cl.ACTIVE, columns_of(mine, True), others), cl.ACTIVE)
    assert [e.reason for e in result.errors] == [
        "el crédito «LI-1004» corresponde al Archivo de Retirados",
        "el crédito «LI-1005» corresponde al Archivo de Retirados"]
    assert asked == [1]
