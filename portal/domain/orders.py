"""The fund's service order (manual 003 §3.3 paso 3, ch. 4; DESIGN §5, §9): what a company
pays to have its authorized batches processed, and its states. Pure: no Flask, no database.

    pending_payment → paying → paid → processed     «Pagar orden»: the bank debits the
    paying → pending_payment                          company's account (paying: the bank
                                                      answered «pending»; a refusal goes back)
    pending_payment → annulled                        «Anular orden» with the password

The arithmetic, line by line as the PDF shows it (every line rounded half up to the cent,
every total the sum of its lines):

    price of a batch       = records × the tariff's commission per record (product, batch type)
    distribution           = for each destination of an emission's cards: cards × its cost
    SubTotal               = Total Precio + Total Gastos Distribución      («Monto comisión»)
    IVA                    = SubTotal × the product's rate                  («Monto IVA»)
    TOTAL ORDEN SERVICIO   = SubTotal + IVA                                 («Monto OS»)
    GMF of a batch         = its amount × 4×1000, where the company's configuration applies it
    Monto                  = the money to load on cards (the batches' amounts)
    TOTAL A PAGAR          = TOTAL ORDEN SERVICIO + Monto + GMF             (debited at once)
"""
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from portal.domain.states import Machine

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
GMF_RATE = Decimal("0.004")  # 4×1000 (Estatuto Tributario art. 871)
FIRST_NUMBER = 12397  # the manual's first order: one sequence from here

PENDING_PAYMENT, PAYING, PAID, PROCESSED, ANNULLED = "pending_payment", "paying", "paid", "processed", "annulled"
ORDER = Machine("service order", {
    PENDING_PAYMENT: (PAYING, PAID, ANNULLED),
    PAYING: (PAID, PENDING_PAYMENT),
    PAID: (PROCESSED,),
    PROCESSED: (), ANNULLED: (),
}, labels={PENDING_PAYMENT: "Pendiente de pago", PAYING: "Pago en proceso", PAID: "Pagada",
           PROCESSED: "Procesada", ANNULLED: "Anulada"})

PER_BATCH, PER_KIND = "lote", "tipo"  # «Procesar por lote» / «Procesar por tipo de lote»


def cents(value) -> Decimal:
    """Half up to the cent, as the order's PDF shows every line."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class BatchIn:
    """What the order needs of one authorized batch."""
    key: object  # the caller's id for it
    kind: str
    records: int
    amount: Decimal  # the money its lines load on cards
    destinations: tuple = ()  # (destination, cards) of an emission's deliveries


@dataclass(frozen=True)
class Rates:
    """A product's tariff: commission per record by batch type, distribution cost by
    destination (`default_distribution` elsewhere), its IVA rate, and the company's GMF."""
    commission: dict  # batch kind → Decimal per record
    iva_rate: Decimal
    gmf_applies: bool = False
    distribution: dict = None  # destination (upper case) → Decimal per card
    default_distribution: Decimal = ZERO
    gmf_rate: Decimal = GMF_RATE

    def unit_price(self, kind):
        return cents(self.commission.get(kind, ZERO))

    def distribution_cost(self, destination):
        return cents((self.distribution or {}).get(destination.strip().upper(), self.default_distribution))


@dataclass(frozen=True)
class BatchCharge:
    """«INFORMACIÓN DE LOTES»: one batch's line of the order."""
    key: object
    records: int
    unit_price: Decimal
    price: Decimal  # SubTotal of the line: records × unit price
    amount: Decimal
    gmf: Decimal


@dataclass(frozen=True)
class DistributionCharge:
    """«GASTOS DE DISTRIBUCIÓN»: Cantidad, Destino, Costo."""
    destination: str
    quantity: int
    unit_cost: Decimal
    cost: Decimal


@dataclass(frozen=True)
class Quote:
    batches: tuple
    distribution: tuple
    iva_rate: Decimal

    @property
    def total_price(self):
        return sum((b.price for b in self.batches), ZERO)

    @property
    def total_distribution(self):
        return sum((d.cost for d in self.distribution), ZERO)

    @property
    def commission(self):
        """«Monto comisión»: SubTotal Orden de Servicio."""
        return self.total_price + self.total_distribution

    @property
    def iva(self):
        return cents(self.commission * self.iva_rate)

    @property
    def total(self):
        """«Monto OS»: TOTAL ORDEN SERVICIO."""
        return self.commission + self.iva

    @property
    def amount(self):
        """«Monto»: what the cards receive."""
        return sum((b.amount for b in self.batches), ZERO)

    @property
    def gmf(self):
        return sum((b.gmf for b in self.batches), ZERO)

    @property
    def to_pay(self):
        """TOTAL A PAGAR: what the bank debits."""
        return self.total + self.amount + self.gmf


def quote(batches: Iterable[BatchIn], rates: Rates) -> Quote:
    charges, places = [], {}
    for batch in batches:
        unit = rates.unit_price(batch.kind)
        amount = cents(batch.amount)
        gmf = cents(amount * rates.gmf_rate) if rates.gmf_applies else ZERO
        charges.append(BatchCharge(batch.key, batch.records, unit, cents(unit * batch.records), amount, gmf))
        for destination, quantity in batch.destinations:
            place = " ".join(destination.split()).upper()
            places[place] = places.get(place, 0) + quantity
    distribution = tuple(
        DistributionCharge(place, quantity, rates.distribution_cost(place),
                           cents(rates.distribution_cost(place) * quantity))
        for place, quantity in sorted(places.items()))
    return Quote(tuple(charges), distribution, Decimal(rates.iva_rate))


def groups(batches, mode):
    """The orders that authorizing `batches` makes: one per batch («Procesar por lote») or
    one per batch type («Procesar por tipo de lote»), in the order the batches came."""
    if mode == PER_BATCH:
        return [[batch] for batch in batches]
    if mode != PER_KIND:
        raise ValueError(f"unknown mode {mode!r}")
    by_kind = {}
    for batch in batches:
        by_kind.setdefault(batch.kind, []).append(batch)
    return list(by_kind.values())


def iva_label(rate) -> str:
    """«IVA (12.0%)» as the PDF prints the rate."""
    return f"IVA ({Decimal(rate) * 100:.1f}%)"
