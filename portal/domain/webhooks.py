"""Webhooks' rules, without Flask or I/O: which URLs a company may register (https; no
private or loopback host: the portal's own network must not be reachable through a
webhook, SSRF), the body posted, its headers, and what happens after a failed try.
The signature itself is domain/api.webhook_signature."""
import ipaddress
import json
from decimal import Decimal
from urllib.parse import urlsplit

from portal.domain import api

URL_MAX = 500
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
STATUS_LABELS = {PENDING: "Pendiente", DELIVERED: "Entregado", FAILED: "Fallido"}
SECRET_PREFIX = "whsec_"
ERROR_MAX = 200  # WebhookAttempt.error


def url_problem(url, allow_http):
    """A Spanish message naming what is wrong with a URL to register, or None (the host's
    addresses are checked apart: host_problem)."""
    url = (url or "").strip()
    if not url:
        return "Escriba la URL que recibirá los eventos (por ejemplo, https://erp.empresa.com/portal/eventos)."
    if len(url) > URL_MAX:
        return f"La URL admite máximo {URL_MAX} caracteres."
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 — raises on a port that is not a number
    except ValueError:
        return "La URL no es válida: revise el puerto y los corchetes."
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme.lower() not in schemes:
        return "La URL debe empezar por https:// (los eventos viajan cifrados)."
    if not parts.hostname:
        return "La URL debe incluir el nombre del servidor (por ejemplo, https://erp.empresa.com/…)."
    if parts.username or parts.password:
        return "La URL no debe llevar usuario ni contraseña: cada evento va firmado con el secreto del webhook."
    if parts.fragment or any(c.isspace() for c in url):
        return "La URL no debe tener espacios ni fragmento (#…)."
    return None


def host_of(url):
    return urlsplit(url.strip()).hostname


def literal_address(host):
    """The host as an IP address when it is one, else None."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def is_private(address):
    """Not a public Internet address: loopback, private networks, link-local (the cloud's
    metadata service), reserved, multicast, an IPv4 inside IPv6…"""
    address = ipaddress.ip_address(address)
    address = getattr(address, "ipv4_mapped", None) or address
    return not address.is_global or address.is_multicast


def host_problem(host, addresses):
    """A Spanish message when the host is (or resolves to) a private address, or when it
    resolves to nothing; None when every address is public."""
    if not addresses:
        return f"No se encontró el servidor «{host}»: revise el nombre."
    if any(is_private(a) for a in addresses):
        return (f"La URL apunta a una dirección interna o privada ({host}). Por seguridad el portal solo envía "
                "eventos a servidores públicos de Internet: una dirección interna permitiría usar el portal "
                "para llegar a su propia red (SSRF).")
    return None


def envelope(event_id, event, created_at, data):
    """The body posted (bytes, kept as is to sign and to show): `created_at` an aware
    datetime (Bogotá), amounts already strings in `data`."""
    return json.dumps({"id": event_id, "type": event, "created_at": created_at.isoformat(timespec="seconds"),
                       "data": data}, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def headers(secret, event, delivery_id, timestamp, body):
    timestamp = int(timestamp)
    return {"Content-Type": "application/json", "User-Agent": "Portal-Webhooks/1",
            "X-Portal-Event": event, "X-Portal-Delivery": str(delivery_id),
            "X-Portal-Timestamp": str(timestamp),
            "X-Portal-Signature": api.webhook_signature(secret, timestamp, body)}


def succeeded(status_code):
    return status_code is not None and 200 <= status_code < 300


def retry_in(attempts, intervals):
    """Seconds until the next try after `attempts` failed ones, or None: none left (the
    delivery fails). `intervals` are RQ's retry intervals (the first try is not one)."""
    return intervals[attempts - 1] if 1 <= attempts <= len(intervals) else None


# --- what each event carries: ids, numbers, statuses, amounts as strings, masked cards ---

def amount(value):
    return f"{Decimal(value or 0):.2f}"


def batch_data(batch, **extra):
    return {"batch_id": batch.id, "number": batch.number, "product_id": batch.product_id, "kind": batch.kind,
            "status": batch.status, "lines": batch.rows_total, "valid_lines": batch.valid_count,
            "error_lines": batch.error_count, "total_amount": amount(batch.total_amount), **extra}


def order_data(order, **extra):
    data = {"order_id": order.id, "number": order.number, "product_id": order.product_id, "kind": order.kind,
            "status": order.status}
    data.update({name: amount(getattr(order, name)) for name in ("commission", "iva", "total", "amount", "gmf",
                                                                  "to_pay")})
    return {**data, **extra}


def card_loaded_data(order_id, order_number, line_id, card_id, masked_pan, value, kind):
    """`masked_pan` is already first 6 / last 4 (domain/cards.masked): never more."""
    return {"card_id": card_id, "card": masked_pan, "amount": amount(value), "kind": kind, "order_id": order_id,
            "order_number": order_number, "line_id": line_id}
