"""Text uploads: encodings detected, never guessed wrong silently; separators."""
import codecs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.domain import text_files

SPANISH = "TIPO;NÚMERO;PRIMER APELLIDO\nCC;1045678434;PEÑA ÁLVAREZ\n"


@pytest.mark.parametrize("data,encoding", [
    (SPANISH.encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF8 + SPANISH.encode("utf-8"), "utf-8-sig"),
    (SPANISH.encode("cp1252"), "cp1252"),
    (SPANISH.encode("utf-16"), "utf-16"),  # with its BOM, as Excel's «Texto Unicode»
    ("TIPO;NUMERO\nCC;1\n".encode("ascii"), "utf-8"),
    ("NOTA\n€ 1.000 – “comillas”\n".encode("cp1252"), "cp1252"),
])
def test_each_accepted_encoding_reads_the_same_text(data, encoding):
    decoded = text_files.decode(data)
    assert decoded.ok and decoded.encoding == encoding
    assert decoded.text.replace("\r\n", "\n") in (SPANISH, "TIPO;NUMERO\nCC;1\n", "NOTA\n€ 1.000 – “comillas”\n")


@pytest.mark.parametrize("data,reason", [
    ("CC;1;PEÑA MÉNDEZ\n".encode().decode("cp1252").encode("utf-8"), "línea 1 tiene tildes dañadas («Ã‘»)"),
    (b"TIPO;NUMERO\nCC;\x81\x8d\n", "ni en Windows-1252 (byte 0x81 en la línea 2)"),
    (b"PK\x03\x04\x14\x00\x06\x00binary", "caracteres de control"),
])
def test_what_cannot_be_read_is_named(data, reason):
    decoded = text_files.decode(data)
    assert not decoded.ok and decoded.text is None
    assert reason in decoded.error


@pytest.mark.parametrize("header,columns,expected", [
    ("TIPO;NUMERO;MONTO", 3, ";"), ("TIPO,NUMERO,MONTO", 3, ","), ("TIPO\tNUMERO\tMONTO", 3, "\t"),
    ("TIPO;NUMERO;DESCRIPCION, LIBRE", 3, ";"),
])
def test_the_separator_is_the_one_that_fits_the_layout(header, columns, expected):
    assert text_files.separator(header, columns) == (expected, None)


def test_no_separator_fits():
    sep, reason = text_files.separator("TIPO;NUMERO", 3)
    assert sep is None and "debe tener 3 columnas" in reason and "punto y coma tiene 2" in reason


def test_rows_as_excel_writes_them():
    text = 'TIPO;NUMERO;DESCRIPCION\r\nCC;1045678434;"Bono; marzo"\r\n\r\n;;\r\n'
    assert text_files.rows(text, ";") == [["TIPO", "NUMERO", "DESCRIPCION"], ["CC", "1045678434", "Bono; marzo"]]
    assert text_files.first_line(text) == "TIPO;NUMERO;DESCRIPCION"


@settings(max_examples=1500, deadline=None)
@given(text=st.text(alphabet='ab;, \t"\r\n\u2028x', max_size=40), sep=st.sampled_from([";", ",", "\t"]))
def test_rows_one_at_a_time_are_the_rows_and_their_count_is_known_first(text, sep):
    rows = text_files.Rows(text, sep)
    want = text_files.rows(text, sep)
    assert rows.count == len(want) and list(rows) == want
