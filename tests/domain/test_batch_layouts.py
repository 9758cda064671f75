"""Batch files of Conexión Empresas: every field rule as a table, amounts, lines."""
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.domain import batch_layouts as bl

TODAY = date(2026, 11, 29)
EMISSION = bl.layout("emission")


def field(kind, key):
    spec = bl.layout(kind)
    return spec.fields[spec.index(key)]


@pytest.mark.parametrize("kind,headers", [
    ("emission", ["TIPO ID", "ID PERSONA", "PRIMER APELLIDO", "SEGUNDO APELLIDO", "PRIMER NOMBRE",
                  "SEGUNDO NOMBRE", "FECHA NACIMIENTO", "CORREO", "CELULAR", "DIRECCION ENTREGA",
                  "CIUDAD ENTREGA", "SUCURSAL", "MONTO INICIAL"]),
    ("topup", ["TIPO ID", "ID PERSONA", "MONTO", "DESCRIPCION"]),
    ("affiliation", ["No. TARJETA", "SUCURSAL", "TIPO ID", "ID PERSONA", "PRIMER APELLIDO",
                     "SEGUNDO APELLIDO", "PRIMER NOMBRE"]),
])
def test_each_layout_in_the_templates_order_with_a_length_for_every_field(kind, headers):
    spec = bl.layout(kind)
    assert spec.headers == headers
    assert all(f.max_length > 0 and f.example for f in spec.fields)


@pytest.mark.parametrize("kind,key,raw,expected", [
    ("emission", "id_type", "cc", "CC"), ("emission", "id_type", " PEP ", "PEP"),
    ("emission", "id_number", "1045678434", "1045678434"), ("emission", "id_number", 1045678434.0, "1045678434"),
    ("emission", "id_number", "ab12345", "AB12345"),  # letters: only a passport keeps them (check_line)
    ("emission", "last_name_1", "peña álvarez", "PEÑA ÁLVAREZ"), ("emission", "last_name_2", "", None),
    ("emission", "last_name_1", "O'Neil-Ruiz", "O'NEIL-RUIZ"),
    ("emission", "birth_date", "15/03/1985", date(1985, 3, 15)), ("emission", "birth_date", "1985-03-15", date(1985, 3, 15)),
    ("emission", "birth_date", datetime(1985, 3, 15), date(1985, 3, 15)), ("emission", "birth_date", 31121.0, date(1985, 3, 15)),
    ("emission", "email", "Maria@Empresa.CO", "maria@empresa.co"), ("emission", "email", "", None),
    ("emission", "mobile", "3001234567", "3001234567"), ("emission", "mobile", 3001234567.0, "3001234567"),
    ("emission", "branch", "001", "001"), ("emission", "branch", "", None),
    ("emission", "amount", "", None), ("emission", "amount", "0", Decimal("0.00")),
    ("topup", "amount", "150000", Decimal("150000.00")), ("topup", "amount", 150000.5, Decimal("150000.50")),
    ("topup", "description", "Bono de marzo", "Bono de marzo"),
    ("affiliation", "card", "411111******1111", "411111******1111"),
])
def test_a_good_value(kind, key, raw, expected):
    assert bl.check_value(field(kind, key), raw, TODAY) == (expected, None)


@pytest.mark.parametrize("kind,key,raw,reason", [
    ("emission", "id_type", "", "es obligatorio"), ("emission", "id_type", "NIT", "valores permitidos: CC, CE, TI, PA, PPT, PEP"),
    ("emission", "id_number", "1234", "de 5 a 15 caracteres y tiene 4"),
    ("emission", "id_number", "1234567890123456", "tiene 16 caracteres; el máximo es 15"),
    ("emission", "id_number", "12.345.678", "solo admite números"),
    ("emission", "last_name_1", "", "es obligatorio"), ("emission", "last_name_1", "P" * 31, "el máximo es 30"),
    ("emission", "last_name_1", "PÉREZ2", "solo admite letras"),
    ("emission", "birth_date", "31/02/1990", "no es una fecha"), ("emission", "birth_date", "1/1/1890", "no es una fecha de nacimiento"),
    ("emission", "birth_date", "01/12/2026", "no es una fecha de nacimiento posible"),
    ("emission", "email", "maria@", "no es un correo"), ("emission", "email", "a" * 76 + "@e.co", "el máximo es 80"),
    ("emission", "mobile", "6012345678", "celular colombiano"), ("emission", "mobile", "300123456", "celular colombiano"),
    ("emission", "delivery_address", "", "es obligatorio"), ("emission", "delivery_address", "C" * 101, "el máximo es 100"),
    ("emission", "branch", "01A", "solo admite números"),
    ("emission", "amount", "-5", "no es un monto válido"), ("emission", "amount", "12.345", "es ambiguo"),
    ("topup", "amount", "", "es obligatorio"), ("topup", "amount", "0", "mayor que 0"),
    ("topup", "amount", "1,234", "es ambiguo"), ("topup", "amount", "10.5.1", "no es un monto válido"),
    ("topup", "amount", "100,123", "es ambiguo"), ("topup", "amount", "1.5e3", "no es un monto válido"),
    ("topup", "amount", "10,555", "es ambiguo"), ("topup", "amount", "10,5555", "más de dos decimales"),
    ("topup", "amount", "100000000", "supera el máximo"), ("topup", "amount", "abc", "no es un monto válido"),
    ("topup", "description", "D" * 61, "el máximo es 60"),
    ("affiliation", "card", "4111111111111111", "no es un número de tarjeta"),
    ("affiliation", "card", "411111****1111", "no es un número de tarjeta"),
])
def test_a_bad_value_is_named(kind, key, raw, reason):
    value, problem = bl.check_value(field(kind, key), raw, TODAY)
    assert value is None and reason in problem


@pytest.mark.parametrize("text,amount", [
    ("1234", "1234"), ("1234.56", "1234.56"), ("1234,56", "1234.56"), ("1.234,56", "1234.56"),
    ("1,234.56", "1234.56"), ("1.234.567", "1234567"), ("1,234,567", "1234567"), ("$\xa01.234,5", "1234.5"),
    ("1.234.567,89", "1234567.89"), ("0,5", "0.5"), ("12,50", "12.50"),
])
def test_amount_formats_in_the_templates(text, amount):
    assert bl.parse_amount(text) == (Decimal(amount), None)


@pytest.mark.parametrize("text", ["1.234", "1,234", "999.000", "12.34.56", "1.23,45", "1,2345.6"])
def test_an_amount_read_two_ways_is_refused(text):
    value, reason = bl.parse_amount(text)
    assert value is None and reason


LINE = ["CC", "1045678434", "Pérez", "", "María", "", "15/03/1985", "", "3001234567", "Calle 30 # 1-25",
        "Barranquilla", "001", "150.000,00"]


def test_a_good_emission_line():
    values, errors = bl.check_line(EMISSION, LINE, 2, TODAY)
    assert errors == []
    assert values["last_name_1"] == "PÉREZ" and values["amount"] == Decimal("150000.00")
    assert (values["id_type"], values["id_number"]) == ("CC", "1045678434")


def test_every_error_of_a_line_is_listed():
    bad = ["XX", "12", "", "", "María", "", "31/02/1990", "no-es-correo", "123", "", "Barranquilla", "", "1.234", "extra"]
    values, errors = bl.check_line(EMISSION, bad, 7, TODAY)
    assert values is None
    assert [(e.line, e.field) for e in errors] == [
        (7, "TIPO ID"), (7, "ID PERSONA"), (7, "PRIMER APELLIDO"), (7, "FECHA NACIMIENTO"), (7, "CORREO"),
        (7, "CELULAR"), (7, "DIRECCION ENTREGA"), (7, "MONTO INICIAL"), (7, "columna 14")]
    assert errors[0].message.startswith("Línea 7, campo «TIPO ID»: «XX» no es válido")


def test_letters_in_the_number_only_for_a_passport():
    assert bl.check_line(EMISSION, ["PA", "AB12345"] + LINE[2:], 2, TODAY)[1] == []
    _, errors = bl.check_line(EMISSION, ["CC", "AB12345"] + LINE[2:], 2, TODAY)
    assert [e.reason for e in errors] == ["solo el pasaporte (PA) admite letras"]


TOPUP = bl.layout("topup")


@pytest.mark.parametrize("headers,problem", [
    (["TIPO ID", "ID PERSONA", "MONTO", "DESCRIPCION"], None),
    (["tipo id", " id  persona ", "Monto", "Descripción"], None),  # case, spaces, accents
    (["TIPO ID", "ID PERSONA", "MONTO", "DESCRIPCION", "Errores"], None),  # given back, fixed
    (["TIPO ID", "ID PERSONA", "MONTO", "DESCRIPCION", "", ""], None),
    (["TIPO ID", "ID PERSONA", "MONTO"], "falta la columna «DESCRIPCION» (columna 4)"),
    (["TIPO ID", "ID PERSONA", "MONTO", "DESCRIPCION", "CIUDAD"], "se agregó la columna «CIUDAD» (columna 5)"),
    (["ID PERSONA", "TIPO ID", "MONTO", "DESCRIPCION"], "«TIPO ID» debe ser la columna 1 y está en la columna 2"),
    (EMISSION.headers, "este archivo es un lote de Emisión nominada (Id persona); en «Tipo de lote» escogió Recarga"),
    ([], "la primera fila debe tener los títulos"),
])
def test_the_title_row_names_what_is_wrong(headers, problem):
    found = bl.headers_problem(TOPUP, headers)
    assert (found is None) if problem is None else (problem in found)


# --- the short way of a cell typed as the templates ask ----------------------------------------

FIELDS = [f for spec in bl.LAYOUTS.values() for f in spec.fields]
TYPED = st.one_of(
    st.text(alphabet="0123456789/-.,$ \u00a0abcXYZñÑáÉ'@*\t١", max_size=20), st.text(max_size=12),
    st.from_regex(r"\s?[0-9]{1,2}/[0-9]{1,2}/[0-9]{3,5}\s?", fullmatch=True),
    st.from_regex(r"[0-9]{1,3}(\.[0-9]{3}){0,3}(,[0-9]{0,3})?", fullmatch=True),
    st.from_regex(r"[0-9]{0,9}([.,][0-9]{0,3})?", fullmatch=True),
    st.from_regex(r"[A-Za-zÁÉñü'. -]{0,35}", fullmatch=True), st.from_regex(r"[a-z@. A]{1,14}(\.[a-z]{1,3})?", fullmatch=True),
    st.from_regex(r"3[0-9]{8,10}|[0-9*]{14,17}|[0-9A-Z]{3,17}", fullmatch=True),
    st.sampled_from(["CC", "cc", "PPT", "NIT", "00/00/0000", "29/02/2000", "29/02/1900", "28/11/2026", "29/11/2026",
                     "01/01/1900", "31/12/1899", "99999999,99", "100000000", "0", "0,00"]),
    st.none(), st.floats(), st.dates(), st.datetimes(), st.integers(-10, 10**11))


@settings(max_examples=3000, deadline=None)
@given(raw=TYPED, index=st.integers(0, len(FIELDS) - 1))
def test_the_short_way_gives_what_the_whole_way_gives(raw, index):
    """Every field's checker tries a short way (_short_way) before the whole way: both
    give the same value or the same reason for any cell."""
    field = FIELDS[index]
    assert _outcome(bl._checker(field), raw) == _outcome(bl._whole_way(field)[1], raw)


def _outcome(check, raw):
    try:
        return check(raw, TODAY)
    except ArithmeticError as error:  # -1e26 in «MONTO INICIAL»: quantize overflows, either way
        return type(error)


# --- a step's lines, column by column ------------------------------------------------------

# Cells as the templates ask, per field: a column of these takes the column way.
GOOD = {
    "id_type": ["CC", "PA", "CE", "PPT"], "id_number": ["1045678434", "98765", "123456789012345"],
    "last_name_1": ["PÉREZ", "Peña Álvarez", "O'NEIL-RUIZ", "DE LA CRUZ"], "first_name_1": ["MARÍA", "josé"],
    "last_name_2": ["GÓMEZ", ""], "first_name_2": ["", "ANA MARÍA"], "birth_date": ["15/03/1985", "29/02/2000"],
    "email": ["maria@empresa.co", "Ana.Perez@Correo.COM", ""], "mobile": ["3001234567", "3209876543"],
    "delivery_address": ["Calle 30 # 1-25", "Cra 7 No. 45-10 Apto 301"], "delivery_city": ["BOGOTÁ", "Santa Marta"],
    "branch": ["001", "12", "0000000001"], "amount": ["150000", "150000,5", "99999999.99", "0"],
    "description": ["Bono alimentación marzo", ""], "card": ["411111******1111", "450714******0001"],
}
GOOD_TOPUP_AMOUNTS = ["150.000,00", "1.234.567,89"]  # the grouped way, a column of its own


def one_too_long(f):
    """A cell of the field's characters, one longer than its maximum."""
    if f.type == bl.EMAIL:
        return "a" * (f.max_length - 4) + "@e.co"
    return {bl.TEXT: "A", bl.DIGITS: "1", bl.ID_NUMBER: "1", bl.MOBILE: "3"}.get(f.type, "") * (f.max_length + 1)


@st.composite
def steps(draw):
    """(layout, rows): each column all good cells, good cells and a stray one, or any
    cells; now and then a row cut short or one cell too long."""
    spec = draw(st.sampled_from(list(bl.LAYOUTS.values())))
    count = draw(st.integers(1, 6))
    columns = []
    for f in spec.fields:
        good = st.sampled_from(GOOD_TOPUP_AMOUNTS if f.key == "amount" and draw(st.booleans()) else GOOD[f.key])
        edge = st.sampled_from([*GOOD[f.key], one_too_long(f)])
        cells = draw(st.lists(draw(st.sampled_from([good, edge, st.one_of(good, TYPED), TYPED])), min_size=count,
                              max_size=count))
        columns.append(cells)
    rows = [list(row) for row in zip(*columns, strict=True)]
    for row in rows:
        change = draw(st.sampled_from(["keep"] * 8 + ["cut", "longer", "newline"]))
        if change == "cut":
            del row[draw(st.integers(0, len(row) - 1)):]
        elif change == "longer":
            row.append(draw(st.sampled_from(["", "x", None, 3.0])))
        elif change == "newline":
            at = draw(st.integers(0, len(row) - 1))
            row[at] = f"{row[at]}\n{draw(st.sampled_from(GOOD[spec.fields[at].key]))}"
    return spec, rows


@settings(max_examples=400, deadline=None)
@given(step=steps(), first=st.integers(1, 5))
def test_the_column_way_gives_what_each_line_gives(step, first):
    """check_lines (a column at a time, its column ways) gives, line by line, what
    check_line gives: the same values, the same errors in the same order."""
    spec, rows = step
    assert _lines_outcome(lambda: bl.check_lines(spec, rows, first, TODAY).as_lines()) == _lines_outcome(
        lambda: [(n, *bl.check_line(spec, row, n, TODAY)) for n, row in enumerate(rows, first)])


def _lines_outcome(check):
    try:
        return check()
    except ArithmeticError as error:  # as _outcome
        return type(error)


def test_a_column_of_good_cells_takes_the_column_way():
    """The column ways are what a file as the templates ask goes through (not only
    cell by cell, which would give the same answers slowly)."""
    rows = [LINE, ["PA", "AB12345", "Gómez", "Ruiz", "Ana", "María", "29/02/2000", "ana@correo.co", "3209876543",
                   "Cra 7", "Bogotá", "", "1.000,50"]]
    ways = [way for *_, way in bl._plan(EMISSION)]
    columns = list(zip(*rows, strict=True))
    taken = [f.key for f, way, cells in zip(EMISSION.fields, ways, columns, strict=True)
             if way and way(cells, TODAY) is not None]
    assert taken == ["id_type", "last_name_1", "last_name_2", "first_name_1", "first_name_2", "birth_date", "email",
                     "mobile", "delivery_address", "delivery_city", "amount"]  # not: a passport's letters, an empty branch
    assert bl.check_lines(EMISSION, rows, 2, TODAY).as_lines() == [
        (n, *bl.check_line(EMISSION, row, n, TODAY)) for n, row in enumerate(rows, 2)]
