"""Pure rules of the affiliates' SMS code (portal/domain/otp.py) and of the login lock
(portal/domain/lockout.py): no app, no database, a fixed clock."""
from datetime import datetime, timedelta

import pytest

from portal.domain import lockout, otp

SECRET = "domain-test-secret"
T0 = datetime(2026, 5, 26, 20, 0, 0)


# --- the code -------------------------------------------------------------------------

def test_new_codes_are_six_digits_and_vary():
    codes = {otp.new_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 150  # random, not a constant or a counter


@pytest.mark.parametrize("code,ok", [
    ("123456", True), ("000000", True),
    ("12345", False), ("1234567", False), ("12a456", False), ("", False),
    (" 12345", False), ("١٢٣٤٥٦", False),  # Arabic-Indic digits are not accepted
])
def test_well_formed_codes(code, ok):
    assert otp.is_well_formed(code) is ok


def test_stored_hash_is_keyed_and_bound_to_the_challenge():
    h = otp.code_hash(SECRET, "challenge-a", "123456")
    assert h != "123456" and "123456" not in h
    assert len(h) == 64
    assert h == otp.code_hash(SECRET, "challenge-a", "123456")  # deterministic
    assert h != otp.code_hash(SECRET, "challenge-b", "123456")  # another challenge
    assert h != otp.code_hash("another-secret", "challenge-a", "123456")  # keyed
    assert h != otp.code_hash(SECRET, "challenge-a", "123457")


def test_code_matches_only_the_right_code_of_the_right_challenge():
    stored = otp.code_hash(SECRET, "challenge-a", "042424")
    assert otp.code_matches(SECRET, "challenge-a", "042424", stored)
    assert not otp.code_matches(SECRET, "challenge-a", "042425", stored)
    assert not otp.code_matches(SECRET, "challenge-b", "042424", stored)
    assert not otp.code_matches("another-secret", "challenge-a", "042424", stored)
    # A challenge without a code (unknown cédula) never matches anything.
    assert not otp.code_matches(SECRET, "challenge-a", "042424", None)
    assert not otp.code_matches(SECRET, "challenge-a", "", "")


def test_malformed_input_never_matches_even_if_its_hash_was_stored():
    stored = otp.code_hash(SECRET, "c", "12345")
    assert not otp.code_matches(SECRET, "c", "12345", stored)


# --- expiry: 109 seconds --------------------------------------------------------------

def test_ttl_is_the_manuals_109_seconds():
    assert otp.TTL_SECONDS == 109
    assert otp.expires_at(T0) == T0 + timedelta(seconds=109)


@pytest.mark.parametrize("elapsed,expired", [
    (0, False), (1, False), (108, False), (108.999, False),
    (109, True), (110, True), (3600, True),
])
def test_expiry(elapsed, expired):
    expiry = otp.expires_at(T0)
    assert otp.is_expired(expiry, T0 + timedelta(seconds=elapsed)) is expired


@pytest.mark.parametrize("elapsed,left", [(0, 109), (1, 108), (108, 1), (109, 0), (500, 0)])
def test_seconds_left_never_negative(elapsed, left):
    assert otp.seconds_left(otp.expires_at(T0), T0 + timedelta(seconds=elapsed)) == left


def test_custom_ttl():
    assert otp.expires_at(T0, 30) == T0 + timedelta(seconds=30)


# --- the masked mobile ----------------------------------------------------------------

@pytest.mark.parametrize("mobile,last", [
    ("3001234434", "434"), ("300 123 4434", "434"), ("+57 300-123-4434", "434"),
])
def test_last_digits_ignore_formatting(mobile, last):
    assert otp.last_digits(mobile) == last


def test_masked_mobile_reads_like_the_manual():
    assert otp.masked_mobile("434") == "****434"


def test_decoy_digits_are_stable_per_cedula_and_look_real():
    a = otp.decoy_last_digits(SECRET, "1045678434")
    assert a == otp.decoy_last_digits(SECRET, "1045678434")
    assert len(a) == 3 and a.isdigit()
    decoys = {otp.decoy_last_digits(SECRET, str(10_000_000 + n)) for n in range(50)}
    assert len(decoys) > 30  # they differ from one cédula to another
    # ...and depend on the secret, so nobody can compute them to tell decoys apart.
    others = [otp.decoy_last_digits("another-secret", str(10_000_000 + n)) for n in range(50)]
    assert others != [otp.decoy_last_digits(SECRET, str(10_000_000 + n)) for n in range(50)]


# --- the lock: 5 failures, 15 minutes -------------------------------------------------

def test_four_failures_do_not_lock_the_fifth_does():
    failures = 0
    for n in range(1, 5):
        outcome = lockout.register_failure(failures, T0)
        assert outcome.failures == n and not outcome.locked
        failures = outcome.failures
    outcome = lockout.register_failure(failures, T0)
    assert outcome.locked
    assert outcome.locked_until == T0 + timedelta(minutes=15)
    assert outcome.failures == 0  # the count starts again after the lock


def test_limits_are_configurable():
    outcome = lockout.register_failure(2, T0, max_failures=3, lock_minutes=1)
    assert outcome.locked_until == T0 + timedelta(minutes=1)


@pytest.mark.parametrize("offset,locked", [
    (timedelta(seconds=-1), True), (timedelta(minutes=-14, seconds=-59), True),
    (timedelta(0), False), (timedelta(seconds=1), False),
])
def test_is_locked_until_the_instant(offset, locked):
    until = T0 + timedelta(minutes=15)
    assert lockout.is_locked(until, until + offset) is locked
    assert not lockout.is_locked(None, T0)


@pytest.mark.parametrize("remaining,minutes", [
    (timedelta(minutes=15), 15), (timedelta(minutes=14, seconds=1), 15),
    (timedelta(minutes=14), 14), (timedelta(seconds=61), 2), (timedelta(seconds=1), 1),
    (timedelta(0), 1),
])
def test_minutes_left_rounds_up(remaining, minutes):
    assert lockout.minutes_left(T0 + remaining, T0) == minutes
