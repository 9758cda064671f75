"""Shared steps for payment tests: an affiliate with a credit, the sandbox checkout paid by card or
PSE, the way back to the merchant (the affiliate signs in with `auth.affiliate()`)."""
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

from portal.extensions import db
from portal.models import AffiliateCredit
from tests import factories
from tests.conftest import AuthActions, post

APPROVED, DECLINED, OTHER = "4242 4242 4242 4242", "4111 1111 1111 1111", "5555 5555 5555 4444"


def affiliate_with_credit(balance="1752770.00", instalment="175277.00"):
    affiliate = factories.affiliate()
    credit = AffiliateCredit(affiliate_id=affiliate.id, number="LI-38", debt=Decimal(balance),
                             paid=Decimal("0"), balance=Decimal(balance), instalment=Decimal(instalment))
    db.session.add(credit)
    db.session.commit()
    return affiliate, credit


def checkout_query(location):
    parts = urlsplit(location)
    assert parts.path == "/pasarela/checkout", location
    return parts.query


def pay_with_card(client, query, number=APPROVED, **overrides):
    data = {"number": number, "holder": "MARIA PEREZ", "expiry": "12/30", "cvc": "123",
            "installments": "1", **overrides}
    return post(client, f"/pasarela/checkout/tarjeta?{query}", data, page=f"/pasarela/checkout?{query}&medio=tarjeta")


def pay_with_pse(client, query, bank="1"):
    data = {"user_type": "0", "id_type": "CC", "id_number": "1045678434", "bank": bank}
    return post(client, f"/pasarela/checkout/pse?{query}", data, page=f"/pasarela/checkout?{query}&medio=pse")


def back_to_merchant(client, voucher_location):
    page = client.get(voucher_location).get_data(as_text=True)
    link = re.search(r'href="([^"]+)">Regresar al Comercio', page).group(1).replace("&amp;", "&")
    return client.get(link), link


def query_value(query, name):
    return parse_qs(query)[name][0]


def instalment_checkout(client, option="cuota", bank=None):
    """An affiliate with LI-38 signs in and opens the checkout for one instalment;
    with `bank`, pays it by PSE there. Returns (credit, checkout query)."""
    _, credit = affiliate_with_credit()
    AuthActions(client).affiliate()
    url = f"/pagos-express/creditos/{credit.id}/pagar"
    query = checkout_query(post(client, url, {"option": option}, page=url).headers["Location"])
    if bank:
        back_to_merchant(client, pay_with_pse(client, query, bank=bank).headers["Location"])
    return credit, query
