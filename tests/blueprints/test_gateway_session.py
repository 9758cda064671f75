"""The hosted checkout remembers the payer's last transactions in the session cookie,
without letting it grow with every payment."""
import pytest

from tests import payment_helpers as h
from tests.conftest import post

COOKIE_BOUND = 700  # bytes; a fresh affiliate session is about 300


def _pay_instalment(client, credit, number=h.APPROVED):
    url = f"/pagos-express/creditos/{credit.id}/pagar"
    query = h.checkout_query(post(client, url, {"option": "cuota"}, page=url).headers["Location"])
    return h.pay_with_card(client, query, number=number).headers["Location"]


@pytest.mark.parametrize("app_config", [{"GATEWAY_PAY_RATE_LIMIT": "100 per minute"}])
def test_twenty_payments_keep_the_session_cookie_under_a_fixed_bound(client, auth, app_config):
    _, credit = h.affiliate_with_credit(balance="100000000.00")
    auth.affiliate()
    sizes = []
    for _ in range(20):
        _pay_instalment(client, credit)
        sizes.append(len(client.get_cookie("portal_session").value))
    assert max(sizes) < COOKIE_BOUND, sizes


def test_the_latest_declined_voucher_offers_another_method(client, auth):
    _, credit = h.affiliate_with_credit(balance="100000000.00")
    auth.affiliate()
    voucher = _pay_instalment(client, credit, number=h.DECLINED)
    assert "Intentar con otro medio de pago" in client.get(voucher).get_data(as_text=True)
