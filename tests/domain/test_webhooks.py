"""Webhooks' rules (domain/webhooks.py): which URLs may be registered, which addresses are
private (SSRF), the body and headers posted, the backoff and the last try."""
import json
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from portal.domain import api
from portal.domain import webhooks as wh


@pytest.mark.parametrize("url,allow_http,problem", [
    ("https://erp.example.com/portal/eventos?origen=portal", False, None),
    ("https://erp.example.com:8443/eventos", False, None),
    ("https://[2001:db8::1]/eventos", False, None),  # the address is checked apart
    ("http://erp.example.com/eventos", True, None),
    ("http://erp.example.com/eventos", False, "debe empezar por https://"),
    ("", False, "Escriba la URL"),
    ("   ", False, "Escriba la URL"),
    ("ftp://erp.example.com/", True, "debe empezar por https://"),
    ("javascript:alert(1)", True, "debe empezar por https://"),
    ("https:///eventos", False, "nombre del servidor"),
    ("https://ana:clave@erp.example.com/", False, "usuario ni contraseña"),
    ("https://erp.example.com:99999/", False, "revise el puerto"),
    ("https://erp.example.com/a b", False, "espacios"),
    ("https://erp.example.com/#x", False, "fragmento"),
    ("https://erp.example.com/" + "a" * 500, False, "máximo 500"),
])
def test_url_rules(url, allow_http, problem):
    found = wh.url_problem(url, allow_http)
    assert (found is None) if problem is None else (problem in found)


@pytest.mark.parametrize("address,private", [
    ("127.0.0.1", True), ("127.8.9.10", True), ("10.0.0.5", True), ("172.16.3.4", True), ("192.168.1.1", True),
    ("169.254.169.254", True), ("100.64.0.1", True), ("0.0.0.0", True), ("224.0.0.1", True),
    ("::1", True), ("fd00::1", True), ("fe80::1", True), ("::ffff:127.0.0.1", True), ("::ffff:10.0.0.1", True),
    ("8.8.8.8", False), ("190.24.1.10", False), ("2800:3f0:4005:800::200e", False),
])
def test_private_addresses(address, private):
    assert wh.is_private(address) is private


def test_a_host_is_refused_if_any_of_its_addresses_is_private_and_says_why():
    assert wh.host_problem("erp.example.com", ["8.8.8.8"]) is None
    refused = wh.host_problem("erp.example.com", ["8.8.8.8", "10.0.0.7"])
    assert "SSRF" in refused and "erp.example.com" in refused
    assert "No se encontró el servidor" in wh.host_problem("no-existe.example", [])


def test_the_body_and_its_signed_headers():
    at = datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo("America/Bogota"))
    body = wh.envelope("e-1", "order.paid", at, {"order_id": 3, "to_pay": wh.amount(Decimal("1015.2"))})
    assert json.loads(body) == {"id": "e-1", "type": "order.paid", "created_at": "2026-11-30T10:00:00-05:00",
                                "data": {"order_id": 3, "to_pay": "1015.20"}}
    headers = wh.headers("whsec_x", "order.paid", 42, 1_800_000_000, body)
    assert headers["X-Portal-Event"] == "order.paid" and headers["X-Portal-Delivery"] == "42"
    assert api.webhook_verified("whsec_x", headers["X-Portal-Timestamp"], body, headers["X-Portal-Signature"],
                                1_800_000_100)
    assert not api.webhook_verified("whsec_x", headers["X-Portal-Timestamp"], body + b" ",
                                    headers["X-Portal-Signature"], 1_800_000_100)


@pytest.mark.parametrize("attempts,wait", [(1, 30), (2, 120), (3, None), (0, None)])
def test_the_backoff_then_the_last_try(attempts, wait):
    assert wh.retry_in(attempts, [30, 120]) == wait


@pytest.mark.parametrize("code,ok", [(200, True), (204, True), (299, True), (302, False), (500, False), (None, False)])
def test_only_a_2xx_delivers(code, ok):
    assert wh.succeeded(code) is ok
