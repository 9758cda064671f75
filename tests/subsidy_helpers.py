"""Builders for ADELANTO POR SUBSIDIOS tests: suppliers (entities with PROVEEDORES approved),
their users and orders in any state."""
from datetime import timedelta
from decimal import Decimal

from portal.domain import subsidy_orders as rules
from portal.domain.clock import utcnow
from portal.domain.formatting import today_bogota
from portal.extensions import db
from portal.models import ApplicationRequest, Entity, SubsidyOrder
from tests import factories

ITEMS = [rules.Item("ARROZ BLANCO X 5000 G", 2, Decimal("19800.00")),
         rules.Item("LECHE EN POLVO X 900 G", 1, Decimal("28450.50"))]


def supplier(nit="900765432", name="MERCADOS LA ECONOMÍA S.A.S.", email=None):
    """(entity, its Hanna user) with PROVEEDORES approved."""
    entity = db.session.query(Entity).filter_by(nit=nit).first() or factories.entity(nit, name)
    user = factories.user("hanna", email or f"proveedor{nit}@example.com", entity=entity)
    db.session.add(ApplicationRequest(user_id=user.id, entity_id=entity.id, application="PROVEEDORES",
                                      status="approved"))
    db.session.commit()
    return entity, user


def order(entity, number="80001", cedula="1045678434", state=rules.VIGENTE, items=ITEMS, issued_by=None):
    today = today_bogota()
    closing = {rules.REDIMIDA: {"redeemed_at": utcnow()}, rules.ANULADA: {"annulled_at": utcnow(),
                                                                         "annul_reason": "Prueba"}}
    status = {rules.REDIMIDA: rules.REDEEMED, rules.ANULADA: rules.ANNULLED}.get(state, rules.ISSUED)
    o = SubsidyOrder(document_type=rules.DOCUMENT_TYPE, number=number, supplier_entity_id=entity.id,
                     affiliate_cedula=cedula, affiliate_name="MARIA PEREZ", amount=rules.amount_of(items),
                     items_json=rules.items_to_json(items), status=status,
                     valid_until=today - timedelta(days=1) if state == rules.VENCIDA else today + timedelta(days=30),
                     issued_by_id=issued_by.id if issued_by else None, **closing.get(state, {}))
    db.session.add(o)
    db.session.commit()
    return o
