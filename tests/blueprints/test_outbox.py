"""The dev outbox: every SMS and e-mail, readable so local code-based logins can finish."""
import pytest

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
def test_outbox_is_staff_only_outside_development(client, app_config):
    assert client.get("/dev/outbox").status_code == 404
    factories.user("staff", "analista")
    post(client, "/personal/ingresar", {"username": "analista", "password": factories.PASSWORD},
         page="/personal/ingresar")
    assert client.get("/dev/outbox").status_code == 200
    assert "Buzón de desarrollo" not in client.get("/personal/").get_data(as_text=True)
