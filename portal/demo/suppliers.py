"""Subsidy-advance orders (ADELANTO POR SUBSIDIOS) the supplier verifies (manual 002): one
or more in every state (vigente, redimida, anulada, vencida) for the demo supplier."""
from datetime import timedelta

from portal.demo.common import get_or_add, money, rng
from portal.demo.entities import SUPPLIER
from portal.domain import subsidy_orders as rules
from portal.domain.clock import utcnow
from portal.domain.formatting import today_bogota
from portal.extensions import db
from portal.models import SubsidyOrder, User
from portal.services import counters

DOCUMENT_TYPE = rules.DOCUMENT_TYPE
FIRST_NUMBER = 80231
SUPPLIER_USER = "proveedor.demo@example.com"  # who redeemed the redeemed ones

# (descripción, valor unitario)
CATALOGUE = (
    ("ARROZ BLANCO X 5000 G", "19800"), ("ACEITE DE GIRASOL X 3000 ML", "32900"),
    ("LECHE EN POLVO ENTERA X 900 G", "28450"), ("PAÑALES ETAPA 3 X 30 UND", "36900"),
    ("PANELA X 4 UND", "9600"), ("ATÚN EN ACEITE X 160 G", "6350"),
    ("CUADERNO COSIDO 100 HOJAS", "4200"), ("JABÓN DE BAÑO X 3 UND", "8750"),
    ("HUEVOS AA X 30 UND", "17400"), ("PASTA SPAGHETTI X 1000 G", "5650"),
)

# (cédula, name, state); the first ones are the demo affiliates. A vencida order is an
# issued one whose «Vigente hasta» has passed.
HOLDERS = (
    ("72145338", "LUIS ALBERTO PÉREZ MOLINA", rules.VIGENTE),
    ("32765123", "MARÍA FERNANDA GÓMEZ ARIZA", rules.VIGENTE),
    ("1043876519", "JOSÉ DE JESÚS ARRIETA CANTILLO", rules.VENCIDA),
    ("22567341", "YOLANDA CHARRIS POLO", rules.VIGENTE),
    ("72233109", "JHON JAIRO MERCADO VISBAL", rules.REDIMIDA),
    ("1047220356", "DAYANA OSPINO FONTALVO", rules.VIGENTE),
    ("55231987", "CARMEN ROSA BARRIOS MEZA", rules.ANULADA),
    ("8723456", "RAFAEL ENRIQUE CASSIANI LLANOS", rules.VIGENTE),
)
STATUS = {rules.VIGENTE: rules.ISSUED, rules.VENCIDA: rules.ISSUED, rules.REDIMIDA: rules.REDEEMED,
          rules.ANULADA: rules.ANNULLED}


def plan():
    """[(number, cédula, name, state, items, amount)] — the same on every run."""
    r = rng("suppliers")
    orders = []
    for index, (cedula, name, state) in enumerate(HOLDERS):
        picked = r.sample(CATALOGUE, r.randint(2, 5))
        items = [rules.Item(description, r.randint(1, 4), money(price)) for description, price in picked]
        orders.append((str(FIRST_NUMBER + index), cedula, name, state, items, rules.amount_of(items)))
    return orders


def _dates(index, state, now, today):
    """(issued_at, valid_until): a vencida order ended yesterday; the others last 30 days."""
    issued_at = now - timedelta(days=20 - 2 * index)
    if state == rules.VENCIDA:
        return now - timedelta(days=40), today - timedelta(days=1)
    return issued_at, today + timedelta(days=10 + 2 * index)


def _closing(state, issuer, redeemer, now):
    if state == rules.REDIMIDA:
        return {"redeemed_at": now - timedelta(days=3), "redeemed_by_id": redeemer.id if redeemer else None}
    if state == rules.ANULADA:
        return {"annulled_at": now - timedelta(days=5), "annulled_by_id": issuer.id,
                "annul_reason": "El afiliado pidió cambiar el proveedor."}
    return {}


def load(stats, entities, issuer):
    supplier = entities[SUPPLIER.nit]
    redeemer = db.session.query(User).filter_by(kind="hanna", username=SUPPLIER_USER).first()
    now, today = utcnow(), today_bogota()
    for index, (number, cedula, name, state, items, amount) in enumerate(plan()):
        issued_at, valid_until = _dates(index, state, now, today)
        get_or_add(stats, SubsidyOrder, {"document_type": DOCUMENT_TYPE, "number": number},
                   supplier_entity_id=supplier.id, affiliate_cedula=cedula, affiliate_name=name,
                   amount=amount, items_json=rules.items_to_json(items), status=STATUS[state],
                   issued_at=issued_at, valid_until=valid_until, issued_by_id=issuer.id,
                   **_closing(state, issuer, redeemer, now))
    counters.raise_to(rules.COUNTER, FIRST_NUMBER + len(HOLDERS) - 1)  # staff's orders come after
    db.session.commit()
