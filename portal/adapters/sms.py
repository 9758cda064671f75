"""SMS: an interface with the outbox as the embedded default.

A real provider gets its own class with the same `send(to, text)` and is chosen with
SMS_ADAPTER; none is wired yet because the fund has not named one.
"""


class OutboxSms:
    def send(self, to, text):
        return None


ADAPTERS = {"outbox": OutboxSms}


def sms_for(config):
    name = config.get("SMS_ADAPTER", "outbox")
    if name not in ADAPTERS:
        raise RuntimeError(f"SMS_ADAPTER desconocido: {name}")
    return ADAPTERS[name]()
