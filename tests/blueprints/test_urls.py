"""url_for remembers the URLs it built (portal/urls.py) and gives what Flask gives."""
import pytest
from flask import url_for
from werkzeug.routing import BuildError

CASES = [
    ("staff.requests", {}),
    ("staff.requests", {"estado": "all", "pagina": 2, "q": "año 100% _x"}),
    ("staff.requests", {"pagina": 2, "estado": "all"}),  # same values, another order
    ("staff.decide", {"request_id": 7}),
    ("static", {"filename": "app.css", "v": "abc"}),
]


def _flask_url(app, endpoint, values):
    return super(type(app), app).url_for(endpoint, **values)


def test_a_remembered_url_is_the_url_flask_builds(app):
    for script_root in ("", "/portal", ""):  # the same app mounted at two places
        with app.test_request_context("/personal/solicitudes", base_url=f"http://localhost{script_root}"):
            for endpoint, values in CASES:
                expected = _flask_url(app, endpoint, dict(values))
                assert expected.startswith(f"{script_root}/")
                assert url_for(endpoint, **values) == expected  # built or remembered
                assert url_for(endpoint, **values) == expected  # remembered


def test_a_relative_endpoint_is_read_from_the_request_blueprint(app):
    with app.test_request_context("/personal/solicitudes"):
        assert url_for(".requests") == "/personal/solicitudes"
    with app.test_request_context("/empresas/ingresar"):
        with pytest.raises(BuildError):
            url_for(".requests")  # no such endpoint in conexion: not the staff's URL


def test_what_is_not_remembered_is_built_as_flask_does(app):
    with app.test_request_context("/personal/solicitudes"):
        assert url_for("staff.requests", flag=True) == "/personal/solicitudes?flag=True"
        assert url_for("staff.requests", flag=1) == "/personal/solicitudes?flag=1"
        assert url_for("staff.requests", _external=True) == "http://localhost/personal/solicitudes"
        assert url_for("staff.requests", _anchor="tabla") == "/personal/solicitudes#tabla"
        assert url_for("staff.requests", estado=["a", "b"]) == "/personal/solicitudes?estado=a&estado=b"
    app.config["SERVER_NAME"] = "portal.example"
    with app.app_context():  # outside a request: external, from SERVER_NAME
        assert url_for("staff.requests") == "http://portal.example/personal/solicitudes"


def test_the_memory_is_bounded(app, monkeypatch):
    monkeypatch.setattr(type(app), "remembered_urls", 3)
    with app.test_request_context("/personal/solicitudes"):
        for n in range(10):
            assert url_for("staff.requests", q=str(n)) == f"/personal/solicitudes?q={n}"
        assert len(app._urls) <= 3
