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
