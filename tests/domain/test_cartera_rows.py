"""Estado de Cartera files: the row rules, a whole upload, and the fast path held to the
full rules (no app, no files: rows are lists of cell values as python-calamine gives them)."""
import hashlib
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.domain import cartera_layout as cl
from portal.domain import cartera_rows as cr
from portal.domain import cartera_structure as cs
from tests.domain.cartera_samples import LINES, col, rows_for

D = Decimal


def check(rows, kind=cl.ACTIVE, lines=LINES, **kwargs):
    return cr.check_rows(rows, lines, kind, **kwargs)


def test_untouched_files_are_accepted_with_their_defaults():
    result = check(rows_for(cl.ACTIVE))
    assert result.ok and result.omitted == []
    assert result.accepted["LI-1001"] == cr.AcceptedRow(2, "LI-1001", False, D("175277.00"))
    assert result.accepted["LI-1002"] == cr.AcceptedRow(3, "LI-1002", True, D("179658.93"))
    assert str(result.accepted["LI-1002"].amount) == "179658.93"
    assert result.total == D("530212.93")
    retired = check(rows_for(cl.RETIRED), cl.RETIRED)
    assert retired.ok and set(retired.accepted) == {"LI-1004", "LI-1005"}


def edited(kind=cl.ACTIVE, **cells):
    """The file's rows with some cells changed: cells={"row2_amount": value} ..."""
    rows = rows_for(kind)
    for name, value in cells.items():
        row, key = name.split("_", 1)
        rows[int(row[3:]) - 2][col(kind, key)] = value
    return rows


@pytest.mark.parametrize("cells,row,column,words", [
    ({"row2_balance": 1000.0}, 2, "Saldo", "no se puede modificar: dice $\xa01.000,00 y el estado de cartera dice $\xa01.752.770,00"),
    ({"row3_name": "Otro Nombre"}, 3, "Nombre Trabajador", "dice «Otro Nombre»"),
    ({"row2_id_number": 7200001.0}, 2, "Identificación", "se perdieron los ceros a la izquierda"),
    ({"row2_arrears_days": 3.0}, 2, "Días Mora", "no se puede modificar"),
    ({"row3_arrears": ""}, 3, "Valor Mora", "dice vacía"),
    ({"row2_credit_number": "LI-9999"}, 2, "Nro Crédito", "el crédito «LI-9999» no pertenece a este estado de cartera"),
    ({"row2_credit_number": "LI-1004"}, 2, "Nro Crédito", "corresponde al Archivo de Retirados"),
    ({"row3_credit_number": "LI-1001"}, 3, "Nro Crédito", "está repetido (ya aparece en la fila 2)"),
    ({"row2_credit_number": ""}, 2, "Nro Crédito", "falta el número de crédito"),
    ({"row2_amount": "abc"}, 2, "Valor a Pagar", "«abc» no es un valor numérico"),
    ({"row2_amount": -5.0}, 2, "Valor a Pagar", "no puede ser negativo"),
    ({"row2_amount": "-5"}, 2, "Valor a Pagar", "no puede ser negativo"),
    ({"row2_amount": 10.005}, 2, "Valor a Pagar", "máximo dos decimales"),
    ({"row2_amount": True}, 2, "Valor a Pagar", "no es un valor numérico"),
    ({"row3_amount": 1757151.94}, 3, "Valor a Pagar", "supera el saldo más la mora ($\xa01.757.151,93)"),
    ({"row3_apply_arrears": "N", "row3_amount": 1752770.01}, 3, "Valor a Pagar", "supera el saldo ($\xa01.752.770,00)"),
    ({"row2_apply_arrears": "X"}, 2, "Aplica Mora", "«X» no es válido; escriba S o N"),
    ({"row2_apply_arrears": ""}, 2, "Aplica Mora", "está vacía"),
])
def test_row_errors_name_row_column_and_reason(cells, row, column, words):
    result = check(edited(**cells))
    assert not result.ok
    assert any(e.row == row and e.column == column and words in e.reason for e in result.errors), result.errors
    assert all(e.message.startswith(f"Fila {e.row}, columna «{e.column}»: ") for e in result.errors)
    assert row not in {r.row for r in result.accepted.values()}


def test_amounts_typed_as_text_and_lower_case_flags_are_accepted():
    result = check(edited(row2_amount="150.000,50", row3_amount="175277.5", row3_apply_arrears=" s",
                          row4_amount=""))
    assert result.ok
    assert result.accepted["LI-1001"].amount == D("150000.50")
    assert result.accepted["LI-1002"] == cr.AcceptedRow(3, "LI-1002", True, D("175277.50"))
    assert result.accepted["LI-1003"].amount == D("0.00")  # empty: not paid this period


def test_every_error_is_listed_not_only_the_first():
    result = check(edited(row2_amount="abc", row2_apply_arrears="X", row3_balance=1.0, row4_amount=-1.0))
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "Aplica Mora"), (2, "Valor a Pagar"), (3, "Saldo"), (4, "Valor a Pagar")]
    assert result.accepted == {}


def test_formulas_are_errors_wherever_they_are():
    amount = col(cl.ACTIVE, "amount")
    result = check(rows_for(cl.ACTIVE), formula_cells=[(3, amount), (1, 0), (9, amount)])
    assert [(e.row, e.column) for e in result.errors] == [(1, "Identificación"), (3, "Valor a Pagar"),
                                                          (9, "Valor a Pagar")]
    assert all("fórmula no permitida" in e.reason for e in result.errors)
    assert set(result.accepted) == {"LI-1001", "LI-1003"}


def test_empty_rows_are_skipped_and_omitted_credits_listed():
    rows = rows_for(cl.ACTIVE)
    rows.insert(1, [""] * 9)
    del rows[2]  # LI-1002 is no longer in the file
    result = check(rows)
    assert result.ok and result.omitted == ["LI-1002"]
    assert result.accepted["LI-1003"].row == 4  # Excel's row number, the empty row counted


def test_cells_outside_the_layout_are_errors_unless_it_is_the_errors_column():
    rows = [r + ["nota"] for r in rows_for(cl.ACTIVE)]
    result = check(rows)
    assert {(e.column, e.reason[:20]) for e in result.errors} == {("columna J", "esta celda está fuer")}
    assert check(rows, errors_column=True).ok


def test_retirados_checks_the_retirement_date():
    rows = rows_for(cl.RETIRED)
    rows[0][col(cl.RETIRED, "retired_on")] = date(2024, 3, 1)
    rows[1][col(cl.RETIRED, "retired_on")] = datetime(2024, 2, 1)  # same day, as a datetime
    result = check(rows, cl.RETIRED)
    assert [(e.row, e.column) for e in result.errors] == [(2, "Fecha Retiro")]
    assert "dice 01/03/2024 y el estado de cartera dice 01/02/2024" in result.errors[0].reason


def test_detalle_is_not_uploaded():
    with pytest.raises(ValueError):
        cr.check_rows([], LINES, cl.DETAIL)


def test_check_upload_runs_both_checks():
    header = cl.layout(cl.ACTIVE).headers
    good = cr.check_upload([header] + rows_for(cl.ACTIVE), LINES, cl.ACTIVE)
    assert good.ok and len(good.result.accepted) == 3
    bad = cr.check_upload([header[:-1]] + rows_for(cl.ACTIVE), LINES, cl.ACTIVE)
    assert not bad.ok and bad.structure.code == "removed" and bad.result is None
    back = cr.check_upload([header + ["Errores"]] + [r + ["x"] for r in rows_for(cl.ACTIVE)], LINES, cl.ACTIVE)
    assert back.ok


NO_ROWS = "El archivo no tiene filas de trabajadores: solo trae los títulos de las columnas."


@pytest.mark.parametrize("data_rows", [[], [[""] * 9, [None] * 9], [[], [" "]]])
def test_a_header_without_rows_is_not_an_upload(data_rows):
    header = cl.layout(cl.ACTIVE).headers
    checked = cr.check_upload([header] + data_rows, LINES, cl.ACTIVE)
    assert not checked.ok and checked.result is None
    assert checked.structure.code == "no_rows" and checked.structure.message.startswith(NO_ROWS)
    assert "Archivo de Activos que descargó" in checked.structure.message


def test_a_header_without_rows_when_the_period_has_none_of_that_kind():
    header = cl.layout(cl.RETIRED).headers
    checked = cr.check_upload([header], cl.lines_for(cl.ACTIVE, LINES), cl.RETIRED)
    assert checked.structure.message == (f"{NO_ROWS} Esta vigencia no tiene créditos en el Archivo de "
                                         "Retirados: no hay nada que cargar.")


def test_a_wrong_header_without_rows_names_the_header():
    checked = cr.check_upload([["Cédula", "Valor"]], LINES, cl.ACTIVE)
    assert checked.structure.code != "no_rows" and checked.structure.message.startswith(cs.STRUCTURE_MESSAGE)


def test_same_content_same_key_however_it_was_typed():
    a = check(rows_for(cl.ACTIVE))
    b = check(edited(row2_amount="175.277,00", row3_apply_arrears="s"))
    assert a.content_key() == b.content_key()
    c = check(edited(row2_amount=175276.0))
    assert c.content_key() != a.content_key()
    assert cr.file_hash(b"abc") == cr.file_hash(b"abc") != cr.file_hash(b"abd")


def test_the_content_key_is_the_one_stored_before_the_kinds_were_one_word():
    """Uploads processed earlier keep matching a file sent again with the same data."""
    text = "".join(f"\n{n}|{'S' if r.apply_arrears else 'N'}|{r.amount}"
                   for n, r in sorted(check(rows_for(cl.ACTIVE)).accepted.items()))
    assert check(rows_for(cl.ACTIVE)).content_key() == hashlib.sha256(f"activos{text}".encode()).hexdigest()


# --- the fast path accepts only what the full rules accept ------------------------------

def slow_check(rows, lines, kind):
    spec = cl.layout(kind)
    result = cr.CheckResult(kind)
    seen = {}
    by_credit = {l.credit_number: l for l in lines}
    for offset, cells in enumerate(rows):
        cr._check_row(spec, cells, cl.FIRST_DATA_ROW + offset, (), by_credit, seen, result)
    return result


ODD_VALUES = ["", None, True, False, "S", "s", "N", "X", -1.0, 0.0, 1.0, 1e16, float("inf"), float("nan"),
              175277.0, 175277.004, 4381.93, 1752770.0, 1757151.93, 1757151.94, "175277", "0007200001",
              date(2024, 2, 1), datetime(2024, 2, 1), 30.0, 7200001.0, "LI-1001", "LI-1004", "Ana María Pérez 1",
              -0.0, 1e300, 5e-05, 0.5, 175277.5, 4381.9, "1e5", 2190.96, 1752770.5]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(cl.UPLOADABLE), data=st.data())
def test_fast_path_agrees_with_the_full_rules(kind, data):
    rows = rows_for(kind)
    for _ in range(data.draw(st.integers(0, 4))):
        r = data.draw(st.integers(0, len(rows) - 1))
        c = data.draw(st.integers(0, len(rows[r]) - 1))
        rows[r][c] = data.draw(st.sampled_from(ODD_VALUES))
    fast, slow = cr.check_rows(rows, LINES, kind), slow_check(rows, LINES, kind)
    assert fast.accepted == slow.accepted
    assert {k: str(v.amount) for k, v in fast.accepted.items()} == {k: str(v.amount) for k, v in slow.accepted.items()}
    assert fast.errors == slow.errors


CELLS = st.one_of(st.none(), st.text(max_size=12), st.floats(), st.integers(-10**20, 10**20), st.booleans(),
                  st.dates(), st.datetimes(), st.sampled_from(ODD_VALUES))


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(cl.UPLOADABLE),
       rows=st.lists(st.lists(CELLS, max_size=12), max_size=8),
       formulas=st.lists(st.tuples(st.integers(1, 12), st.integers(0, 12)), max_size=3))
def test_any_rows_give_errors_never_exceptions(kind, rows, formulas):
    result = cr.check_rows(rows, LINES, kind, formula_cells=formulas)
    for error in result.errors:
        assert error.row >= 1 and error.column and error.reason
    assert all(r.amount.as_tuple().exponent == -2 for r in result.accepted.values())
