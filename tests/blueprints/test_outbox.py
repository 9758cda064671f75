"""The dev outbox: every SMS and e-mail, readable so local code-based logins can finish."""
import re

import pytest

from portal.extensions import db
from portal.models import OutboxMessage
from portal.services import messaging
from tests import factories
from tests.conftest import post


def test_outbox_lists_messages_in_development(client):
    factories.affiliate()
    post(client, "/pagos-express/ingresar", {"cedula": "1045678434"}, page="/pagos-express/ingresar")
    page = client.get("/dev/outbox?para=3001234434")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "código de acceso" in body and "3001234434" in body


@pytest.mark.parametrize("app_config", [{"DEV_OUTBOX_ENABLED": False}])
def test_outside_development_no_one_reads_the_messages(client, auth, app_config):
    factories.affiliate()
    post(client, "/pagos-express/ingresar", {"cedula": "1045678434"}, page="/pagos-express/ingresar")
    code = re.search(r"\b(\d{6})\b", db.session.query(OutboxMessage).one().body).group(1)
    assert client.get("/dev/outbox").status_code == 404
    desk = auth.new_client("staff", "analista", roles="pagos")
    assert desk.get("/dev/outbox").status_code == 404
    assert desk.get("/dev/outbox?para=3001234434").status_code == 404
    page = desk.get("/personal/mensajes").get_data(as_text=True)
    assert "Mensajes enviados" in page and "SMS" in page and "******4434" in page
    assert code not in page and "3001234434" not in page and "código de acceso" not in page


def test_staff_see_delivery_status_filtered_and_masked(auth):
    messaging.send_email("nomina@clinica.co", "Conexión Empresas: contraseña temporal", "Clave: Temporal#123")
    failed = messaging.send_sms("3157770001", "Su código es 654321")
    db.session.commit()
    db.session.get(OutboxMessage, failed.id).status = "failed"
    db.session.get(OutboxMessage, failed.id).error = "Proveedor no responde"
    db.session.commit()
    desk = auth.new_client("staff", "analista", roles="cartera")
    page = desk.get("/personal/mensajes").get_data(as_text=True)
    assert "no****@clinica.co" in page and "******0001" in page and "Proveedor no responde" in page
    assert "Temporal#123" not in page and "654321" not in page and "nomina@" not in page
    only_failed = desk.get("/personal/mensajes?estado=failed", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in only_failed and "******0001" in only_failed and "clinica" not in only_failed


def test_non_staff_cannot_see_the_delivery_log(client, auth):
    assert client.get("/personal/mensajes").status_code in (302, 303)
    factories.affiliate()
    employer = auth.new_client("hanna", "empleador@example.com")
    assert employer.get("/personal/mensajes").status_code in (403, 404)


def test_production_refuses_to_start_with_the_outbox_readable():
    from flask import Flask

    from portal.config import load_config

    with pytest.raises(RuntimeError, match="DEV_OUTBOX_ENABLED"):
        load_config(Flask("x"), {"ENV_NAME": "production", "DEV_OUTBOX_ENABLED": True, "SECRET_KEY": "k" * 32})
