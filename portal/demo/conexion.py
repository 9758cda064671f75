"""Conexión Empresas: companies, card products, cards and the funded master accounts."""
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from portal.demo import names
from portal.demo.common import get_or_add, money, rng, txn_id
from portal.domain.clock import utcnow
from portal.extensions import db
from portal.models import (
    Card,
    Company,
    CompanyBranch,
    CompanyContact,
    DistributionTariff,
    LedgerAccount,
    Product,
    Tariff,
)
from portal.services import ledger

BIN = "450714"
MASTER_FUNDING = money("1000000")
TRANSFER_FEE = money("55")   # manual 003, 6.1.1: "Débito por comisión de servicio Transferencia Maestra"
BALANCE_QUERY_FEE = money("60")
TARIFFS = {"topup": "2.50", "affiliation": "0.00"}  # commission per record (Tariff)


@dataclass(frozen=True)
class ProductSpec:
    name: str
    named: bool
    commission: str
    named_cards: int = 0
    # (last4, holder cédula, holder name) — fixed cards from the manual; None holder = unaffiliated
    fixed_cards: tuple = ()
    unaffiliated_cards: int = 0


@dataclass(frozen=True)
class CompanySpec:
    nit: str
    name: str
    contact: str
    address: str
    phone1: str
    signature_scheme: int
    debit_account: str
    iva_rate: str
    products: tuple
    contacts: tuple = ()  # (name, cargo, e-mail, phone): Configuración › Empresas
    gmf_applies: bool = False  # the 4×1000 on its service orders' debits
    distribution: tuple = ("BOGOTA", "0")  # (its city, free; a card delivered elsewhere costs this)
    branches: tuple = ()  # (code as in SUCURSAL, name, city): Reportes › Tarjetas shows the name


JAHC = CompanySpec(
    "900291499", "JAHC TECHNOLOGIES", "Ceo Presidente", "Carrera 13 #83-19", "4193333", 1,
    "AHORROS 418-000482-1",
    "0.12",  # the manual's service order: commission 10.00, "IVA (12.0%)" 1.20
    (ProductSpec("Clásica", True, "10.00", named_cards=5,
                 fixed_cards=(("4578", "1024584578", "CARLOS MARTÍNEZ"),)),
     ProductSpec("Clásica In", False, "8.50", unaffiliated_cards=3)),
    (("Jorge Alberto Hernández Cuello", "Ceo Presidente", "presidencia@jahc.example.com", "6014193333"),
     ("Luisa Fernanda Pérez Royero", "Coordinadora de nómina", "nomina@jahc.example.com", "3004193333")),
    branches=(("1", "Sede principal Chicó", "BOGOTA"), ("2", "Planta Montevideo", "BOGOTA"),
              ("3", "Oficina Medellín", "MEDELLIN")),
)
COOP = CompanySpec(
    "901343454", "EMPRESA DE PRUEBA COOP", "Gerente Financiero", "Calle 72 #54-35, Barranquilla",
    "3856000", 2, "CORRIENTE 210-004455-7", "0.19",
    (ProductSpec("Clásica", True, "10.00", named_cards=4),
     # Manual 003, 3.5: the unnamed cards of "Clásica In / Visa", one of them affiliated.
     ProductSpec("Clásica In", False, "8.50",
                 fixed_cards=(("9053", "19933788", "ANDRÉS FELIPE CASTRO ROJAS"), ("6146", None, None),
                              ("5360", None, None), ("9992", None, None), ("8365", None, None),
                              ("2239", None, None), ("5659", None, None)))),
    (("Álvaro Enrique Mejía Vásquez", "Gerente Financiero", "gerencia.financiera@coop.example.com",
      "6053856000"),),
    gmf_applies=True,  # its orders show the GMF line
    distribution=("BARRANQUILLA", "6500"),  # and their «GASTOS DE DISTRIBUCIÓN» outside Barranquilla
    branches=(("1", "Sede Barranquilla", "BARRANQUILLA"), ("2", "Agencia Cartagena", "CARTAGENA")),
)
COMPANIES = (JAHC, COOP)


def load_companies(stats):
    """Returns {nit: Company}; each company gets its named and unnamed product."""
    companies = {}
    for spec in COMPANIES:
        company = get_or_add(stats, Company, {"nit": spec.nit}, name=spec.name, legal_name=spec.name,
                             contact=spec.contact, address=spec.address,
                             billing_address=spec.address, phone1=spec.phone1,
                             signature_scheme=spec.signature_scheme, debit_account=spec.debit_account,
                             gmf_applies=spec.gmf_applies)
        for code, name, city in spec.branches:
            get_or_add(stats, CompanyBranch, {"company_id": company.id, "code": code}, name=name, city=city)
        for name, role, email, phone in spec.contacts:
            get_or_add(stats, CompanyContact, {"company_id": company.id, "name": name}, role=role,
                       email=email, phone=phone)
        for product in spec.products:
            row = get_or_add(stats, Product, {"company_id": company.id, "name": product.name}, brand="Visa",
                             bin=BIN, named=product.named, commission_per_record=money(product.commission),
                             iva_rate=Decimal(spec.iva_rate), distribution_cost=money(spec.distribution[1]))
            _tariffs(stats, row, spec)
        companies[spec.nit] = company
    db.session.commit()
    return companies


def _tariffs(stats, product, spec):
    """Its commission per batch type (emissions pay the product's own), and delivering a
    card in the company's city costs nothing (elsewhere: Product.distribution_cost)."""
    for kind, commission in TARIFFS.items():
        get_or_add(stats, Tariff, {"product_id": product.id, "kind": kind}, commission=money(commission))
    get_or_add(stats, DistributionTariff, {"product_id": product.id, "destination": spec.distribution[0]},
               cost=money("0"))


def card_plan(today):
    """{(company nit, product name): [(last4, holder cédula, holder name, expires)]}."""
    r, plan = rng("cards"), {}
    used = {card[0] for company in COMPANIES for product in company.products for card in product.fixed_cards}
    for company in COMPANIES:
        for product in company.products:
            cards, taken = list(product.fixed_cards), set()
            for count, named in ((product.named_cards, True), (product.unaffiliated_cards, False)):
                for _ in range(count):
                    last4 = f"{r.randint(0, 9999):04d}"
                    while last4 in used:
                        last4 = f"{r.randint(0, 9999):04d}"
                    used.add(last4)
                    if named:
                        first, last, sex = names.person(r)
                        cards.append((last4, names.cedula(r, sex, taken, 0), f"{first} {last}"))
                    else:
                        cards.append((last4, None, None))
            plan[(company.nit, product.name)] = [
                (last4, cedula, name, f"{r.randint(1, 12):02d}/{today.year + 3}")
                for last4, cedula, name in cards]
    return plan


def _account(stats, kind, name, **key):
    lookup = {"kind": kind, **key} if key else {"kind": kind}
    return get_or_add(stats, LedgerAccount, lookup, name=name)


def _post(stats, txn, when, legs, reference=None):
    """One balanced movement (services/ledger: its balances move with it): legs =
    [(account, amount, description)] summing to zero; once per txn id."""
    if not ledger.post(txn, [ledger.Leg(*leg) for leg in legs], reference=reference, when=when):
        return False
    stats.created("ledger_entries", len(legs))
    return True


def load_cards_and_ledger(stats, companies, today):
    funding = _account(stats, "funding", "Fondeo del programa - Banco Coopcentral")
    fees = _account(stats, "fees", "Comisiones del programa")
    start = utcnow() - timedelta(days=20)
    for (nit, product_name), cards in card_plan(today).items():
        company = companies[nit]
        product = db.session.query(Product).filter_by(company_id=company.id, name=product_name).one()
        master = _account(stats, "master", f"Cuenta maestra {company.name} - {product.label}",
                          product_id=product.id, company_id=company.id)
        _post(stats, txn_id("fund", nit, product_name), start,
              [(funding, -MASTER_FUNDING, f"Fondeo cuenta maestra {company.name}"),
               (master, MASTER_FUNDING, "Abono a cuenta maestra")], reference=nit)
        _post(stats, txn_id("balance-query", nit, product_name), start + timedelta(hours=1),
              [(master, -BALANCE_QUERY_FEE, "Débito por comisión de servicio Consulta Transferencia Maestra. Comisión"),
               (fees, BALANCE_QUERY_FEE, f"Comisión consulta de saldo {company.name}")])
        topped = 0
        for index, (last4, cedula, holder, expires) in enumerate(cards):
            card = get_or_add(stats, Card, {"product_id": product.id, "pan_last4": last4},
                              company_id=company.id, token=secrets.token_hex(16), pan_first6=BIN,
                              account_mask=f"{BIN}****{last4}", holder_id_type="CC" if cedula else None,
                              holder_id_number=cedula, holder_name=holder,
                              status="affiliated" if cedula else "unaffiliated", expires=expires)
            account = _account(stats, "card", f"Tarjeta {card.account_mask}", card_id=card.id,
                               company_id=company.id, product_id=product.id)
            if cedula is None or topped >= 3:
                continue
            topped += 1
            amount = money(100_000 + 50_000 * (index % 3))
            when = start + timedelta(days=1, hours=index)
            reference = f"*****{last4}"
            _post(stats, txn_id("topup", nit, product_name, last4), when,
                  [(master, -amount, "Débito Transf. Maestra Tarjeta"),
                   (account, amount, "Abono Transf. Maestra")], reference=reference)
            _post(stats, txn_id("topup-fee", nit, product_name, last4), when,
                  [(master, -TRANSFER_FEE, "Débito por comisión de servicio Transferencia Maestra. Comisión"),
                   (fees, TRANSFER_FEE, f"Comisión transferencia {card.account_mask}")], reference=reference)
    db.session.commit()
