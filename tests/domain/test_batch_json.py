"""A batch sent as JSON lines becomes the text file a person loads (domain/batch_json):
read back by the same reader, every value in its column; what no file could carry is
named by line and key."""
from portal.domain import batch_json, text_files
from portal.domain import batch_layouts as bl

TOPUP = bl.layout("topup")


def read_back(data):
    decoded = text_files.decode(data)
    assert decoded.ok and decoded.encoding == "utf-8"
    first = text_files.first_line(decoded.text)
    sep, problem = text_files.separator(first, len(TOPUP.fields))
    assert problem is None
    return list(text_files.Rows(decoded.text, sep))


def test_the_lines_become_the_layouts_columns_in_order_quoted_as_excel_quotes():
    lines = [{"amount": "1000", "id_number": "1045678434", "id_type": "CC"},
             {"id_type": "CC", "id_number": "52000111", "amount": "2.500,50",
              "description": 'Bono "marzo"; alimentación'}]
    rows = read_back(batch_json.text_file(TOPUP, lines))
    assert rows == [TOPUP.headers, ["CC", "1045678434", "1000", ""],
                    ["CC", "52000111", "2.500,50", 'Bono "marzo"; alimentación']]


def test_whitespace_inside_a_value_is_one_space_as_a_cell_reads():
    rows = read_back(batch_json.text_file(TOPUP, [{"id_type": "CC", "description": "uno\ndos\t tres"}]))
    assert rows[1][3] == "uno dos tres"


def test_misfits_name_the_line_and_key():
    lines = [{"id_type": "CC"}, {"card": "411111******1111", "id_type": "CC"}, {"amount": None},
             {"id_type": "C\x01C"}, {"description": "MarÃ­a"}]
    found = [(m.index, m.key, m.reason) for m in batch_json.misfits(TOPUP, lines)]
    assert found[0] == (1, "card", "no es un campo de los lotes de Recarga (Id persona)")
    assert found[1] == (2, None, "está vacía")
    assert found[2] == (3, "id_type", "tiene caracteres de control")
    assert found[3][:2] == (4, "description") and "tildes dañadas" in found[3][2]
    assert len(found) == 4


def test_keys_cover_every_layout():
    keys = batch_json.keys()
    assert {f.key for spec in bl.LAYOUTS.values() for f in spec.fields} == set(keys)
