"""domain/email_codes.py and masking.bank_account: the e-mailed code's rules as a table."""
from datetime import datetime, timedelta

import pytest

from portal.domain import email_codes as ec
from portal.domain import masking

NOW = datetime(2026, 5, 26, 20, 0, 0)
LATER, EARLIER = NOW + timedelta(minutes=1), NOW - timedelta(seconds=1)


@pytest.mark.parametrize("consumed,tries,expires,state", [
    (None, 0, LATER, ec.OPEN),
    (None, 4, LATER, ec.OPEN),
    (None, 5, LATER, ec.BLOCKED),
    (None, 5, EARLIER, ec.BLOCKED),  # blocked wins over expired
    (None, 0, NOW, ec.EXPIRED),
    (NOW, 0, LATER, ec.USED),
])
def test_state(consumed, tries, expires, state):
    assert ec.state(consumed, tries, expires, NOW) == state


@pytest.mark.parametrize("tries,expires,blocked", [(5, LATER, True), (5, NOW, False), (4, LATER, False)])
def test_a_block_lasts_until_the_codes_expiry(tries, expires, blocked):
    assert ec.still_blocked(tries, expires, NOW) is blocked


@pytest.mark.parametrize("ago,wait", [(0, 60), (0.5, 60), (59, 1), (59.5, 1), (60, 0), (600, 0)])
def test_resend_wait(ago, wait):
    assert ec.resend_wait(NOW - timedelta(seconds=ago), NOW, 60) == wait


@pytest.mark.parametrize("tries,left", [(0, 5), (4, 1), (5, 0), (7, 0)])
def test_tries_left(tries, left):
    assert ec.tries_left(tries) == left


@pytest.mark.parametrize("number,shown", [
    ("AHORROS 418-000482-1", "AHORROS ****4821"),
    ("CORRIENTE 210-004455-7", "CORRIENTE ****4557"),
    ("4180004821", "****4821"),
    (None, "****"),
])
def test_a_bank_account_shows_its_type_and_last_four_digits(number, shown):
    assert masking.bank_account(number) == shown
