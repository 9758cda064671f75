"""Shared steps for the master account's tests: a company user with «master_account»
signed in, a PSE funding started on the page and paid at the sandbox checkout."""
from decimal import Decimal

from portal.extensions import db
from portal.models import GatewayEvent, GatewayTransaction, LedgerAccount, Payment
from portal.services import acquirer, ledger
from tests import factories
from tests import payment_helpers as h
from tests.conftest import post


def master_user(username="tesorera", master=True, company=None):
    """(user, company, product, the page's URL) — the user not signed in."""
    company = company or factories.company()
    user = factories.user("corporate", username)
    factories.member(user, company, can_master_account=master)
    product = company.products[0]
    return user, company, product, f"/empresas/{company.id}/productos/{product.id}/servicios/cuenta-maestra"


def start_funding(client, url, amount="250000", description="Recarga de marzo"):
    return post(client, url, {"monto": amount, "descripcion": description}, page=url)


def funded_at_checkout(client, auth, bank="1", amount="250000"):
    """The user funds by PSE; the payer never comes back (returns user, company, product, url,
    the payment and where «Regresar al Comercio» would take them)."""
    user, company, product, url = master_user()
    auth.as_user(user)
    query = h.checkout_query(start_funding(client, url, amount).headers["Location"])
    voucher = h.pay_with_pse(client, query, bank=bank).headers["Location"]
    return user, company, product, url, db.session.query(Payment).one(), voucher


def event_body():
    tx = db.session.query(GatewayTransaction).one()
    return acquirer.signed_envelope(db.session.query(GatewayEvent).filter_by(transaction_id=tx.id).one())


def master_balance(company, product):
    db.session.expire_all()
    account = db.session.query(LedgerAccount).filter_by(kind="master", company_id=company.id,
                                                        product_id=product.id).first()
    return ledger.balance(account) if account else Decimal(0)
