"""Outbound I/O behind small interfaces (SMS, e-mail, gateway, files)."""
