"""Passwords are stored with Argon2id at a real cost (the other tests use a cheap one)."""
from argon2 import PasswordHasher

from portal.services import passwords


def test_production_hasher_is_argon2id_with_real_cost(monkeypatch):
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher())
    stored = passwords.hash_password("Clave#24ab")
    assert stored.startswith("$argon2id$") and "m=65536" in stored and "t=3" in stored
    assert passwords.verify(stored, "Clave#24ab") and not passwords.verify(stored, "clave#24ab")
    assert not passwords.verify("no-es-un-hash", "Clave#24ab")
