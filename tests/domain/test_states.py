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
