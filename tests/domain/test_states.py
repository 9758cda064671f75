"""State machines: the upload's moves as a table (every pair checked)."""
import pytest

from portal.domain import uploads as u
from portal.domain.states import IllegalTransition, Machine

ALLOWED = {
    (u.QUEUED, u.PROCESSING), (u.PROCESSING, u.PROCESSED), (u.PROCESSING, u.INVALID),
    (u.PROCESSING, u.DUPLICATE), (u.PROCESSING, u.FAILED), (u.PROCESSING, u.QUEUED),
    (u.DUPLICATE, u.PROCESSED), (u.DUPLICATE, u.CANCELLED), (u.PROCESSED, u.SUPERSEDED),
}


@pytest.mark.parametrize("current", u.UPLOAD.statuses)
@pytest.mark.parametrize("new", u.UPLOAD.statuses)
def test_every_move_of_an_upload(current, new):
    assert u.UPLOAD.can(current, new) == ((current, new) in ALLOWED)
    if (current, new) in ALLOWED:
        assert u.UPLOAD.check(current, new) == new
    else:
        with pytest.raises(IllegalTransition):
            u.UPLOAD.check(current, new)


def test_sources_final_and_labels():
    assert set(u.UPLOAD.sources(u.PROCESSED)) == {u.PROCESSING, u.DUPLICATE}
    assert u.UPLOAD.final == {u.INVALID, u.FAILED, u.SUPERSEDED, u.CANCELLED}
    assert all(u.UPLOAD.label(s) != s for s in u.UPLOAD.statuses)  # every status reads in Spanish


def test_a_machine_cannot_move_to_an_undeclared_status():
    with pytest.raises(ValueError, match="undeclared"):
        Machine("x", {"a": ("b",)})


def test_a_batch_is_an_upload_first_then_the_manuals_steps():
    from datetime import date

    from portal.domain import batches as b

    for current, new in [(b.QUEUED, b.PROCESSING), (b.PROCESSING, b.VALID), (b.PROCESSING, b.INVALID),
                         (b.PROCESSING, b.QUEUED), (b.VALID, b.CONFIRMED), (b.INVALID, b.CONFIRMED),
                         (b.CONFIRMED, b.AUTHORIZED), (b.AUTHORIZED, b.IN_PROCESS), (b.IN_PROCESS, b.PROCESSED),
                         (b.VALID, b.DELETED), (b.CONFIRMED, b.DELETED), (b.AUTHORIZED, b.ANNULLED)]:
        assert b.BATCH.can(current, new), (current, new)
    for current, new in [(b.AUTHORIZED, b.DELETED), (b.PROCESSED, b.ANNULLED), (b.DELETED, b.CONFIRMED),
                         (b.QUEUED, b.CONFIRMED), (b.PROCESSING, b.DELETED)]:
        assert not b.BATCH.can(current, new), (current, new)
    assert b.BATCH.label(b.VALID) == "VALIDO" and b.BATCH.label(b.INVALID) == "CON ERRORES"
    assert b.number(date(2023, 8, 9), 0) == "23080900" and b.number(date(2023, 8, 9), 123) == "230809123"


@pytest.mark.parametrize("facts,step", [
    ({}, 1), ({"downloaded": True}, 2), ({"downloaded": True, "uploading": True}, 2),
    ({"uploading": True}, 2), ({"to_pay": True}, 3), ({"to_pay": True, "uploading": True}, 3),
    ({"paid": True}, 4), ({"paid": True, "downloaded": True}, 4), ({"paid": True, "uploading": True}, 2),
])
def test_estado_de_cartera_opens_the_step_the_employer_is_on(facts, step):
    from portal.domain import cartera_steps as s

    assert s.current_step(s.Progress(**facts)) == step
