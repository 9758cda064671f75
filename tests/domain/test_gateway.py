"""The acquirer's signatures: Wompi's public test vector, event checksums, cents."""
from decimal import Decimal

import pytest

from portal.domain import gateway

SECRET = "test_events_secret"


def test_integrity_signature_matches_wompis_public_example():
    assert gateway.integrity_signature(
        "sk8-438k4-xmxm392-sn2m", 2490000, "COP", "prod_integrity_Z5mMke9x0k8gpErbDqwrJXMqsI6SFli6"
    ) == "37c8407747e595535433ef8f6a811d853cd943046624a0ec04662b17bbf33bf5"


def test_expiration_time_is_part_of_the_signature():
    plain = gateway.integrity_signature("R1", 100, "COP", "s")
    timed = gateway.integrity_signature("R1", 100, "COP", "s", "2026-01-01T00:00:00.000Z")
    assert plain != timed


@pytest.mark.parametrize("pesos,cents", [(Decimal("175277.00"), 17527700), (Decimal("0.01"), 1),
                                         (Decimal("200"), 20000)])
def test_cents_roundtrip(pesos, cents):
    assert gateway.to_cents(pesos) == cents
    assert gateway.from_cents(cents) == pesos


def test_cents_refuse_fractions_of_a_cent():
    with pytest.raises(ValueError):
        gateway.to_cents(Decimal("1.005"))


def transaction(**changes):
    tx = {"id": "12-1700000000-1", "status": "APPROVED", "amount_in_cents": 17527700,
          "reference": "PX-1", "currency": "COP"}
    tx.update(changes)
    return tx


def event(ts=1_700_000_000, **changes):
    return gateway.build_event(transaction(**changes), ts, SECRET, "2023-11-14T22:13:20Z")


def test_a_genuine_event_is_accepted():
    check = gateway.verify_event(event(), SECRET, 1_700_000_010)
    assert check.ok and check.transaction["status"] == "APPROVED"


def test_checksum_is_case_insensitive():
    body = event()
    body["signature"]["checksum"] = body["signature"]["checksum"].upper()
    assert gateway.verify_event(body, SECRET, 1_700_000_000).ok


@pytest.mark.parametrize("tamper,reason", [
    (lambda b: b["data"]["transaction"].update(status="APPROVED", amount_in_cents=1), "checksum"),
    (lambda b: b["data"]["transaction"].update(id="otro"), "checksum"),
    (lambda b: b["signature"].update(checksum="0" * 64), "checksum"),
    (lambda b: b["signature"].update(properties=["transaction.id"]), "properties"),
    (lambda b: b.update(timestamp="1700000000"), "timestamp"),
    (lambda b: b.update(event="nequi_token.updated"), "unknown_event"),
    (lambda b: b["data"]["transaction"].pop("status"), "properties"),
])
def test_forged_or_altered_events_are_refused(tamper, reason):
    body = event()
    tamper(body)
    check = gateway.verify_event(body, SECRET, 1_700_000_000)
    assert not check.ok and check.reason == reason


def test_a_wrong_secret_is_refused():
    assert gateway.verify_event(event(), "otro-secreto", 1_700_000_000).reason == "checksum"


@pytest.mark.parametrize("age,ok", [(299, True), (300, True), (301, False), (-301, False)])
def test_stale_events_are_refused(age, ok):
    assert gateway.verify_event(event(), SECRET, 1_700_000_000 + age, max_age_seconds=300).ok is ok
