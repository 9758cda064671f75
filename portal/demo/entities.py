"""Employers and the supplier behind the Hanna users, with their branches (sucursales)."""
from dataclasses import dataclass

from portal.demo.common import get_or_add
from portal.extensions import db
from portal.models import Branch, Entity


@dataclass(frozen=True)
class EntitySpec:
    nit: str
    name: str
    email: str
    phone: str
    branches: tuple  # (code, name, city)
    workers: int = 0  # employers only


EMPLOYERS = (
    EntitySpec("890112233", "DISTRIBUIDORA DEL CARIBE S.A.S.", "cartera@distcaribe.example.com",
               "605 3491109",
               (("001", "PRINCIPAL BARRANQUILLA", "Barranquilla"),
                ("002", "SUCURSAL SOLEDAD", "Soledad"),
                ("003", "SUCURSAL MALAMBO", "Malambo")),
               workers=52),
    EntitySpec("802009876", "CLÍNICA SANTA MARÍA DEL ATLÁNTICO LTDA.", "nomina@clinicasm.example.com",
               "605 3714674",
               (("001", "SEDE PRINCIPAL", "Barranquilla"),
                ("002", "SEDE SABANALARGA", "Sabanalarga")),
               workers=50),
    EntitySpec("900567321", "INSTITUTO EDUCATIVO NUEVO AMANECER", "tesoreria@nuevoamanecer.example.com",
               "605 3856620",
               (("001", "SUCURSAL ÚNICA", "Puerto Colombia"),),
               workers=48),
)

SUPPLIER = EntitySpec("900765432", "MERCADOS LA ECONOMÍA S.A.S.", "ventas@laeconomia.example.com",
                      "605 3602211", (("001", "PRINCIPAL", "Barranquilla"),))

MULTI_BRANCH_EMPLOYER = EMPLOYERS[0]


def load(stats):
    """Returns {nit: Entity} for the employers and the supplier."""
    entities = {}
    for spec in (*EMPLOYERS, SUPPLIER):
        entity = get_or_add(stats, Entity, {"nit": spec.nit}, name=spec.name, email=spec.email,
                            phone=spec.phone)
        for code, name, city in spec.branches:
            get_or_add(stats, Branch, {"entity_id": entity.id, "code": code}, name=name, city=city)
        entities[spec.nit] = entity
    db.session.commit()
    return entities
