"""A processed order as the company sees it (Consultas › Órdenes de servicio, manual 003
§4.2): the order Procesada with its Monto depositado, its batch Procesado, and every record
Procesado or Rechazado with the processor's reason."""
from sqlalchemy import update

from portal.domain import line_outcomes
from portal.extensions import db
from portal.models import Card
from portal.services import card_processor
from tests import factories
from tests import order_helpers as oh


def test_the_detail_and_the_records_show_what_the_processor_did(client, auth):
    company = factories.company()
    user = factories.user("corporate", "jhomez")
    factories.member(user, company, can_upload=True, can_authorize=True, can_consult=True)
    emission = oh.confirmed_batch(user, company, "emission", [
        ["CC", cedula, "PÉREZ", "", "MARÍA", "", "15/03/1985", "", "3001234567", "Calle 1", "BARRANQUILLA", "", "0"]
        for cedula in ("1045678434", "1045678435")])
    assert card_processor.process(oh.paid_order(user, [emission]).id) == "processed"
    topup = oh.confirmed_batch(user, company, "topup", [["CC", "1045678434", "1500", "Bono"],
                                                        ["CC", "1045678435", "700", "Bono"]])
    db.session.execute(update(Card).where(Card.holder_id_number == "1045678435").values(status="blocked"))
    db.session.commit()
    order = oh.paid_order(user, [topup])
    assert card_processor.process(order.id) == "processed"
    auth.as_user(user)
    base = f"/empresas/{company.id}/productos/{company.products[0].id}/ordenes/{order.id}/"

    detail = client.get(base).get_data(as_text=True)
    for shown in ("Procesada", "Procesado", "$\u00a01.500,00"):  # the order, its batch, Monto depositado
        assert shown in detail, shown
    records = client.get(base + f"lotes/{topup.id}").get_data(as_text=True)
    assert "1045678434" in records and "Procesado" in records
    assert f"Rechazado: {line_outcomes.NO_CARD}" in records
