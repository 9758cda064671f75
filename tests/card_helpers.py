"""A company whose master account and cards hold money, for «Consulta de tarjetas»."""
import json
import secrets
from decimal import Decimal

from portal.extensions import db
from portal.models import Batch, BatchLine, Card
from portal.services import conexion, ledger
from tests import factories


def setup(master="1000.00", username="jhomez", nit="900291499", **perms):
    """(user with master_account, access, company) with `master` in the master account."""
    user = factories.user("corporate", username)
    company = factories.company(nit=nit, name=f"EMPRESA {nit}")
    factories.member(user, company, **dict({"can_master_account": True}, **perms))
    access = conexion.access(user, company.id, company.products[0].id)
    fund(access, master)
    db.session.commit()
    return user, access, company


def fund(access, amount, account=None, txn=None):
    account = account or ledger.company_account("master", access.company, access.product)
    ledger.post(txn or f"fund-{secrets.token_hex(6)}", [
        ledger.Leg(ledger.program_account("funding"), -Decimal(amount), "Fondeo"),
        ledger.Leg(account, Decimal(amount), "Fondeo")])


def card(access, last4="1234", balance="0", holder="1045678434", name="MARIA PEREZ", status="affiliated",
         email=None, batch_number=None):
    """A card of the product with `balance` on it (and, with `email` or `batch_number`,
    the emission line that made it)."""
    made = Card(company_id=access.company.id, product_id=access.product.id, token=secrets.token_hex(16),
                pan_first6="450714", pan_last4=last4, account_mask=f"450714****{last4}", holder_id_type="CC",
                holder_id_number=holder, holder_name=name, status=status, expires="12/2029")
    db.session.add(made)
    db.session.flush()
    if Decimal(balance):
        fund(access, balance, ledger.card_account(made))
    if email or batch_number:
        line_of(access, made, email, batch_number or f"2605{last4}0001")
    db.session.commit()
    return made


def line_of(access, made, email, number):
    batch = Batch(number=number, company_id=access.company.id, product_id=access.product.id, kind="emission",
                  status="processed", filename="E.xlsx", uploaded_by_id=access.membership.user_id)
    db.session.add(batch)
    db.session.flush()
    db.session.add(BatchLine(batch_id=batch.id, line_no=1, id_type="CC", id_number=made.holder_id_number,
                             values_json=json.dumps({"email": email} if email else {}), card_id=made.id))


def master_balance(access):
    return ledger.balance(ledger.company_account("master", access.company, access.product))


def card_balance(made):
    return ledger.balance(ledger.card_account(made))
