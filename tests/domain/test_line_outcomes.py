"""What becomes of a paid order's batch line (domain/line_outcomes.py), as a table."""
import pytest

from portal.domain import line_outcomes as o


@pytest.mark.parametrize(("has_card", "reason"), [(False, None), (True, o.HAS_CARD)])
def test_emission(has_card, reason):
    assert o.emission_refusal(has_card) == reason


@pytest.mark.parametrize(("held", "reason"), [(0, o.NO_CARD), (1, None), (2, o.SEVERAL_CARDS)])
def test_topup(held, reason):
    assert o.topup_refusal(held) == reason


@pytest.mark.parametrize(("statuses", "has_card", "reason"), [
    ([], False, o.NOT_FOUND),
    (["unaffiliated", "unaffiliated"], False, o.SAME_MASK),
    (["blocked"], False, o.BLOCKED),
    (["affiliated"], False, o.AFFILIATED),
    (["unaffiliated"], True, o.HAS_CARD),
    (["unaffiliated"], False, None),
])
def test_affiliation(statuses, has_card, reason):
    assert o.affiliation_refusal(statuses, has_card) == reason
