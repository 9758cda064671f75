"""A step's batch_lines rows, built a column at a time, say what each line's values say."""
from datetime import date, datetime
from decimal import Decimal

from hypothesis import given, settings

from portal.domain import batch_layouts as bl
from portal.services import batches
from tests.domain.test_batch_layouts import TODAY, steps


@settings(max_examples=300, deadline=None)
@given(step=steps())
def test_each_lines_json_is_values_json_of_its_values(step):
    """json_texts (a column at a time, one template) gives json.dumps(values,
    default=str, sort_keys=True, ensure_ascii=False) of each line: the content key
    hashes these texts."""
    spec, rows = step
    try:
        checked = bl.check_lines(spec, rows, 2, TODAY)
    except ArithmeticError:  # as check_line: a value too large to quantize
        return
    assert batches.json_texts(checked) == [batches.values_json(checked.values(at)) for at in range(checked.count)]


def test_json_value_writes_what_json_dumps_writes():
    for value in (None, "María \"J\"\n\\", Decimal("150000.00"), date(1985, 3, 15), datetime(2020, 1, 1, 8, 30), 7, 1.5,
                  True):
        assert batches.values_json({"a": value}) == "{\"a\": " + batches._json_value(value) + "}"
