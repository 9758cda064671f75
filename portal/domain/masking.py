"""What staff may see of a contact: enough to tell who, never enough to reach them."""


def email(address):
    """«nomina@clinica.co» → «no****@clinica.co»."""
    local, at, domain = (address or "").partition("@")
    if not at:
        return mobile(address)
    return f"{local[:2]}****@{domain}"


def mobile(number):
    """«3001234434» → «******4434»."""
    number = number or ""
    return "*" * max(len(number) - 4, 2) + number[-4:]


def recipient(channel, value):
    return mobile(value) if channel == "sms" else email(value)


def bank_account(number):
    """«AHORROS 418-000482-1» → «AHORROS ****4821»: the account's type and last four digits."""
    words = (number or "").split()
    kind = words[0] + " " if len(words) > 1 and words[0].isalpha() else ""
    digits = "".join(ch for ch in "".join(words[1:] if kind else words) if ch.isdigit())
    return f"{kind}****{digits[-4:]}"
