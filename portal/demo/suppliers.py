"""Subsidy-advance orders (ADELANTO POR SUBSIDIOS) the supplier verifies (manual 002)."""
import json
from datetime import timedelta

from portal.demo.common import get_or_add, money, rng
from portal.demo.entities import SUPPLIER
from portal.domain.clock import utcnow
from portal.extensions import db
from portal.models import SubsidyOrder

DOCUMENT_TYPE = "ADELANTO POR SUBSIDIOS"
FIRST_NUMBER = 80231

# (descripción, valor unitario)
CATALOGUE = (
    ("ARROZ BLANCO X 5000 G", "19800"), ("ACEITE DE GIRASOL X 3000 ML", "32900"),
    ("LECHE EN POLVO ENTERA X 900 G", "28450"), ("PAÑALES ETAPA 3 X 30 UND", "36900"),
    ("PANELA X 4 UND", "9600"), ("ATÚN EN ACEITE X 160 G", "6350"),
    ("CUADERNO COSIDO 100 HOJAS", "4200"), ("JABÓN DE BAÑO X 3 UND", "8750"),
    ("HUEVOS AA X 30 UND", "17400"), ("PASTA SPAGHETTI X 1000 G", "5650"),
)

# (cédula, name, status); the first ones are the demo affiliates.
HOLDERS = (
    ("72145338", "LUIS ALBERTO PÉREZ MOLINA", "issued"),
    ("32765123", "MARÍA FERNANDA GÓMEZ ARIZA", "issued"),
    ("1043876519", "JOSÉ DE JESÚS ARRIETA CANTILLO", "issued"),
    ("22567341", "YOLANDA CHARRIS POLO", "issued"),
    ("72233109", "JHON JAIRO MERCADO VISBAL", "redeemed"),
    ("1047220356", "DAYANA OSPINO FONTALVO", "issued"),
    ("55231987", "CARMEN ROSA BARRIOS MEZA", "annulled"),
    ("8723456", "RAFAEL ENRIQUE CASSIANI LLANOS", "issued"),
)


def plan():
    """[(number, cédula, name, status, items, amount)] — the same on every run."""
    r = rng("suppliers")
    orders = []
    for index, (cedula, name, status) in enumerate(HOLDERS):
        items = []
        for description, price in r.sample(CATALOGUE, r.randint(2, 5)):
            items.append({"descripcion": description, "cantidad": str(r.randint(1, 4)),
                          "valor": str(money(price))})
        amount = sum(money(i["valor"]) * int(i["cantidad"]) for i in items)
        orders.append((str(FIRST_NUMBER + index), cedula, name, status, items, money(amount)))
    return orders


def load(stats, entities, issuer):
    supplier = entities[SUPPLIER.nit]
    now = utcnow()
    for index, (number, cedula, name, status, items, amount) in enumerate(plan()):
        get_or_add(stats, SubsidyOrder, {"document_type": DOCUMENT_TYPE, "number": number},
                   supplier_entity_id=supplier.id, affiliate_cedula=cedula, affiliate_name=name,
                   amount=amount, items_json=json.dumps(items, ensure_ascii=False), status=status,
                   issued_at=now - timedelta(days=20 - 2 * index), issued_by_id=issuer.id)
    db.session.commit()
