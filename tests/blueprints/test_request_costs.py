"""Work every request does, kept to what the request needs."""
import itsdangerous.serializer

from tests.conftest import signed_in_client


def test_a_signed_in_page_does_not_resend_an_unchanged_session_cookie(app):
    client = signed_in_client(app, "staff", "admin", roles="admin")
    client.get("/personal/")  # the first page may still add to the session
    page = client.get("/personal/")
    assert page.status_code == 200
    assert "Set-Cookie" not in page.headers
    assert client.get("/personal/solicitudes").status_code == 200  # the cookie still works


def test_the_csrf_token_is_signed_once_per_page(app, monkeypatch):
    client = signed_in_client(app, "staff", "admin", roles="admin")
    signed = []
    original = itsdangerous.serializer.Serializer.dumps

    def counting_dumps(self, obj, salt=None):
        signed.append(salt or self.salt)
        return original(self, obj, salt)

    monkeypatch.setattr(itsdangerous.serializer.Serializer, "dumps", counting_dumps)
    body = client.get("/personal/solicitudes").get_data(as_text=True)
    assert body.count("csrf_token") >= 2  # several forms share the one token
    assert signed.count(b"wtf-csrf-token") == 1
