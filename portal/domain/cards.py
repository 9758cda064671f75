"""A prepaid card's number (PAN) and what may be shown of it. Pure: no Flask, no database.

A new PAN is the product's BIN (6 digits), a random middle and the Luhn check digit: 16
digits. The full number exists only in the caller's memory while the card is made; what
is stored and shown is its first 6 and last 4 (PCI DSS), as
    masked(pan)        450714******9053   (Número de tarjeta, an affiliation file's No. TARJETA)
    account_mask(…)    450714****9053     (Número de cuenta, as the demo's cards)
"""
import secrets
from datetime import date

PAN_LENGTH = 16
BIN_LENGTH = 6


def luhn_check_digit(partial: str) -> str:
    """The digit that makes `partial` + it pass the Luhn check."""
    total = 0
    for position, char in enumerate(reversed(partial)):
        digit = int(char)
        if position % 2 == 0:  # doubled: it will sit second from the right
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return str(-total % 10)


def luhn_valid(pan: str) -> bool:
    return len(pan) > 1 and pan.isdigit() and luhn_check_digit(pan[:-1]) == pan[-1]


def new_pan(bin_: str, randbelow=secrets.randbelow) -> str:
    """A 16-digit Luhn-valid number of the BIN, its middle drawn from a CSPRNG."""
    if len(bin_) != BIN_LENGTH or not bin_.isdigit():
        raise ValueError("the BIN has 6 digits")
    middle_length = PAN_LENGTH - BIN_LENGTH - 1
    partial = bin_ + f"{randbelow(10 ** middle_length):0{middle_length}d}"
    return partial + luhn_check_digit(partial)


def parts(pan: str) -> tuple[str, str]:
    """(first 6, last 4): all of a PAN that may be kept."""
    return pan[:6], pan[-4:]


def masked(first6: str, last4: str) -> str:
    return f"{first6}******{last4}"


def account_mask(first6: str, last4: str) -> str:
    return f"{first6}****{last4}"


def expiry(today: date, months: int) -> str:
    """MM/YYYY, `months` after `today`'s month (today in Bogotá: the caller's)."""
    index = today.year * 12 + today.month - 1 + months
    return f"{index % 12 + 1:02d}/{index // 12}"
