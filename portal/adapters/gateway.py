"""The merchant's view of the payment gateway, behind one small interface.

`SandboxGateway` talks to the built-in sandbox acquirer in-process (the embedded
default); `HttpGateway` speaks the same public contract over HTTPS to a real gateway
(Wompi-style: GET {base}/v1/transactions/<id> with the private key)."""
import json
import urllib.parse
import urllib.request

from portal.domain import gateway as contract


class SandboxGateway:
    """`acquirer` is the sandbox's own module (portal.services.acquirer), handed in by
    the caller: in-process calls instead of HTTP, same answers as its public API."""

    def __init__(self, config, checkout_url=None, acquirer=None):
        self.config = config
        self.checkout_url = checkout_url
        self.acquirer = acquirer

    def get_transaction(self, transaction_id):
        tx = self.acquirer.find(transaction_id)
        return self.acquirer.as_api(tx) if tx else None

    def transactions_for(self, reference):
        return [self.acquirer.as_api(tx) for tx in self.acquirer.by_reference(reference)]


class HttpGateway:
    def __init__(self, config, checkout_url):
        self.config = config
        self.checkout_url = checkout_url
        self.base = config["GATEWAY_API_URL"].rstrip("/")

    def _get(self, path):
        request = urllib.request.Request(
            self.base + path, headers={"Authorization": f"Bearer {self.config['GATEWAY_PRIVATE_KEY']}"})
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise

    def get_transaction(self, transaction_id):
        body = self._get("/v1/transactions/" + urllib.parse.quote(transaction_id, safe=""))
        return body["data"] if body else None

    def transactions_for(self, reference):
        body = self._get("/v1/transactions?reference=" + urllib.parse.quote(reference, safe=""))
        return body["data"] if body else []


def checkout_query(config, reference, amount_in_cents, redirect_url, expiration_time):
    """The signed parameters of the hosted checkout."""
    query = {
        "public-key": config["GATEWAY_PUBLIC_KEY"], "currency": contract.CURRENCY,
        "amount-in-cents": amount_in_cents, "reference": reference,
        "signature:integrity": contract.integrity_signature(
            reference, amount_in_cents, contract.CURRENCY, config["GATEWAY_INTEGRITY_SECRET"],
            expiration_time),
        "redirect-url": redirect_url,
    }
    if expiration_time:
        query["expiration-time"] = expiration_time
    return query


def gateway_for(config, sandbox_checkout_url=None, sandbox=None):
    """`sandbox_checkout_url` is only needed to send a payer to the checkout; `sandbox`
    is the in-process sandbox acquirer."""
    if config.get("GATEWAY_ADAPTER", "sandbox") == "sandbox":
        return SandboxGateway(config, sandbox_checkout_url, sandbox)
    return HttpGateway(config, config["GATEWAY_CHECKOUT_URL"])
