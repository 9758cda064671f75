"""Who may sign a batch's authorization (domain/signatures.py)."""
from datetime import datetime, timedelta

from portal.domain import signatures as sig

NOW = datetime(2026, 11, 30, 15, 0)
ONE, TWO = sig.Rules(1), sig.Rules(2, lapse_after=timedelta(hours=24))
ANA, BETO = sig.Signer(1, True), sig.Signer(2, True)


def test_one_signature_completes_at_once():
    assert sig.refusal(ONE, ANA, {3}, None, NOW) is None
    assert sig.outcome(ONE, None) == sig.COMPLETE


def test_two_signatures_first_waits_then_another_member_completes():
    assert sig.outcome(TWO, None) == sig.FIRST
    first = sig.Waiting(ANA.user_id, NOW)
    assert sig.refusal(TWO, BETO, {3}, first, NOW + timedelta(hours=1)) is None
    assert sig.outcome(TWO, first) == sig.COMPLETE


def test_the_same_user_cannot_sign_twice():
    first = sig.Waiting(ANA.user_id, NOW)
    assert "otro responsable" in sig.refusal(TWO, ANA, {3}, first, NOW)


def test_a_member_without_the_authorize_permission_cannot_sign():
    assert "permiso" in sig.refusal(TWO, sig.Signer(5, False), {3}, None, NOW)


def test_the_uploader_is_forbidden_when_the_company_says_so():
    strict = sig.Rules(2, uploader_may_sign=False)
    assert "cargó" in sig.refusal(strict, ANA, {ANA.user_id}, None, NOW)
    assert sig.refusal(strict, BETO, {ANA.user_id}, None, NOW) is None
    assert sig.refusal(TWO, ANA, {ANA.user_id}, None, NOW) is None


def test_a_first_signature_lapses():
    first = sig.Waiting(ANA.user_id, NOW)
    assert not sig.lapsed(TWO, first, NOW + timedelta(hours=23, minutes=59))
    assert sig.lapsed(TWO, first, NOW + timedelta(hours=24))
    assert "venció" in sig.refusal(TWO, BETO, {3}, first, NOW + timedelta(hours=25))
    assert sig.lapses_at(TWO, first) == NOW + timedelta(hours=24)
