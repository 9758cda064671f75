"""«Servicios › Cuenta maestra» (manual 003 §5.1; manual 004 «Transferencia maestra»): a
product's master account, funded by PSE through the gateway (a Payment of kind
'master_funding', credited once by payments.APPLIERS whichever report arrives first) and
by bank deposits that one staff member registers and another confirms («Monto depositado»)."""
from dataclasses import dataclass
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, select, update

from portal.domain import clock, four_eyes
from portal.domain import master_account as rules
from portal.domain.formatting import today_bogota
from portal.extensions import db
from portal.models import Company, LedgerEntry, MasterDeposit, MasterFunding, Payment, Product, User
from portal.services import audit, ledger, payments

KIND = "master_funding"
REGISTERED, CONFIRMED, REJECTED = "registered", "confirmed", "rejected"


@dataclass(frozen=True)
class Summary:
    balance: Decimal
    deposited: Decimal
    movements: list


def summary(company, product, limit=10):
    """The page: the running balance, the confirmed deposits' total, the latest movements."""
    account = ledger.company_account("master", company, product)
    db.session.commit()  # the account made on first use is kept
    movements = db.session.scalars(select(LedgerEntry).where(LedgerEntry.account_id == account.id)
                                   .order_by(LedgerEntry.id.desc()).limit(limit)).all()
    return Summary(ledger.balance(account), deposited_total(company.id, product.id), movements)


def deposited_total(company_id, product_id):
    return db.session.scalar(select(func.coalesce(func.sum(MasterDeposit.amount), 0)).where(
        MasterDeposit.company_id == company_id, MasterDeposit.product_id == product_id,
        MasterDeposit.status == CONFIRMED)) or Decimal(0)


def maximum():
    return Decimal(str(current_app.config["MASTER_FUNDING_MAX"]))


# --- funding by PSE --------------------------------------------------------------------------

def payer_of(user):
    """The company user pays: their name and e-mail go to the gateway."""
    first, _, last = (user.full_name or "").partition(" ")
    return {"first_name": user.first_name or first or user.username, "last_name": user.last_name or last or "-",
            "email": user.email, "mobile": None, "address": None}


def start_funding(user, access, raw_amount, raw_description):
    """«Ingresa el monto y la descripción»: (payment, {}) or (None, {field: message})."""
    amount, amount_error = rules.parse_amount(raw_amount, "monto", maximum())
    description, description_error = rules.parse_description(raw_description)
    errors = {name: e for name, e in (("monto", amount_error), ("descripcion", description_error)) if e}
    if errors:
        return None, errors
    funding = MasterFunding(company_id=access.company.id, product_id=access.product.id, amount=amount,
                            requested_by_id=user.id)
    db.session.add(funding)
    db.session.flush()
    audit.record("conexion.master_funding_started", user, subject=f"master_funding:{funding.id}",
                 amount=str(amount))
    text = f"Cuenta maestra {access.product.label}: {description}"[:160]
    return payments.start(KIND, funding.id, amount, text, payer_of(user), user_id=user.id), {}


def funding_payment(user, access, reference):
    """The user's own PSE funding of this company's product, else None (a 404)."""
    return db.session.scalars(select(Payment).join(MasterFunding, MasterFunding.id == Payment.target_id).where(
        Payment.reference == reference, Payment.kind == KIND, Payment.user_id == user.id,
        MasterFunding.company_id == access.company.id, MasterFunding.product_id == access.product.id)).first()


# --- bank deposits registered by staff (four eyes) -------------------------------------------

@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str
    errors: dict | None = None


def deposit_products():
    """Every company's products, for the staff form's list."""
    return db.session.execute(select(Product, Company).join(Company, Company.id == Product.company_id)
                              .order_by(Company.name, Product.id)).all()


def register_deposit(staff, product_id, raw_amount, raw_reference, raw_date):
    product = db.session.get(Product, product_id) if str(product_id or "").isdigit() else None
    amount, amount_error = rules.parse_amount(raw_amount, "monto", maximum())
    reference = " ".join((raw_reference or "").split())
    day, date_error = rules.parse_deposit_date(raw_date, today_bogota())
    errors = {"producto": None if product else "Seleccione la empresa y el producto.",
              "monto": amount_error, "fecha": date_error,
              "referencia": None if 0 < len(reference) <= 40 else "Ingrese la referencia bancaria (máximo 40 caracteres)."}
    errors = {k: v for k, v in errors.items() if v}
    if errors:
        return Outcome(False, "Revise los datos de la consignación.", errors)
    deposit = MasterDeposit(company_id=product.company_id, product_id=product.id, amount=amount,
                            bank_reference=reference, deposited_on=day, registered_by_id=staff.id)
    db.session.add(deposit)
    db.session.flush()
    audit.record("staff.master_deposit_registered", staff, subject=f"master_deposit:{deposit.id}",
                 amount=str(amount), reference=reference)
    db.session.commit()
    return Outcome(True, f"Consignación {reference} registrada; otra persona del personal debe confirmarla.")


def decide_deposit(staff, deposit_id, confirm, reason=None):
    """Confirmar (credited once to the master account) or Rechazar, by a staff member other
    than the one who registered it: the conditional UPDATE lets one decision in."""
    deposit = db.session.get(MasterDeposit, deposit_id)
    if deposit is None:
        return Outcome(False, "La consignación no existe.")
    if four_eyes.same_person(deposit.registered_by_id, staff.id):
        return Outcome(False, four_eyes.same_person_message("registró la consignación",
                                                            "no puede confirmarla ni rechazarla"))
    txn = f"deposit-{deposit.id}"
    values = {"status": CONFIRMED if confirm else REJECTED, "decided_by_id": staff.id, "decided_at": clock.utcnow(),
              "reason": ((reason or "").strip()[:200] or None), "ledger_txn": txn if confirm else None}
    won = db.session.execute(update(MasterDeposit).where(
        MasterDeposit.id == deposit.id, MasterDeposit.status == REGISTERED, MasterDeposit.registered_by_id != staff.id)
        .values(**values).execution_options(synchronize_session=False)).rowcount == 1
    if not won:
        db.session.rollback()
        return Outcome(False, f"La consignación {deposit.bank_reference} ya fue decidida.")
    if confirm:
        _credit(deposit, txn)
    audit.record(f"staff.master_deposit_{values['status']}", staff, subject=f"master_deposit:{deposit.id}",
                 amount=str(deposit.amount), reference=deposit.bank_reference)
    db.session.commit()
    verb = "confirmada y abonada a la cuenta maestra" if confirm else "rechazada"
    return Outcome(True, f"Consignación {deposit.bank_reference} {verb}.")


def _credit(deposit, txn):
    company, product = db.session.get(Company, deposit.company_id), db.session.get(Product, deposit.product_id)
    ledger.post(txn, [
        ledger.Leg(ledger.program_account("funding"), -deposit.amount, f"Consignación {deposit.bank_reference}"),
        ledger.Leg(ledger.company_account("master", company, product), deposit.amount,
                   f"Consignación bancaria {deposit.bank_reference}")], reference=deposit.bank_reference)


def recent_deposits(limit=50):
    """The newest deposits with their company, product and who registered them."""
    return db.session.execute(
        select(MasterDeposit, Company, Product, User.full_name).join(Company, Company.id == MasterDeposit.company_id)
        .join(Product, Product.id == MasterDeposit.product_id).join(User, User.id == MasterDeposit.registered_by_id)
        .order_by(MasterDeposit.id.desc()).limit(limit)).all()
