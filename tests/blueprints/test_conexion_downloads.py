"""Configuración › Descargas (manual 003, 2.4) and the help pages the manual is printed
from: the PDF (checked with pdftotext), the batch templates' zip, who may take them."""
import io
import shutil
import subprocess
import zipfile

import pytest

from portal.adapters import templates_zip
from portal.domain import batch_layouts, passwords
from portal.extensions import db
from portal.models import AuditEvent
from portal.services import help_manual
from tests import factories
from tests.blueprints.test_conexion_home import setup_companies
from tests.conftest import post

MANUAL = "/empresas/configuracion/descargas/manual-conexion-empresas.pdf"
ZIP = "/empresas/configuracion/descargas/archivos-lotes-operativos.zip"


@pytest.fixture
def signed_in(client, auth):
    setup_companies(auth)
    return client


def downloads():
    return [e.subject for e in db.session.query(AuditEvent).filter_by(action="conexion.download").order_by(AuditEvent.id)]


def test_descargas_lists_the_manual_and_the_batch_files(signed_in):
    body = signed_in.get("/empresas/configuracion/descargas").get_data(as_text=True)
    assert body.index("<h2 id=\"manuals\">Manuales</h2>") < body.index(f'href="{MANUAL}" download>Manual de Usuario '
                                                                         "Conexión Empresas Online</a>")
    assert body.index("Archivos de gestión") < body.index(f'href="{ZIP}" download>Archivos lotes operativos</a>')
    assert "emision_nominada_id.xlsx" in body


def test_the_zip_is_the_adapters_templates_and_its_download_is_audited(signed_in):
    response = signed_in.get(ZIP)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert 'attachment; filename=archivos_lotes_operativos.zip' in response.headers["Content-Disposition"]
    assert response.data == templates_zip.batch_templates_zip()
    names = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    assert names == [f"{layout.code}.{ext}" for layout in batch_layouts.LAYOUTS.values()
                     for ext in ("xlsx", "txt")] + ["LEEME.txt"]
    assert downloads() == ["archivos_lotes_operativos.zip"]


def test_a_download_resumes_where_a_slow_line_dropped_it(signed_in):
    whole = signed_in.get(ZIP)
    rest = signed_in.get(ZIP, headers={"Range": "bytes=1000-", "If-Range": whole.headers["ETag"]})
    assert rest.status_code == 206 and rest.data == whole.data[1000:]
    assert signed_in.get(ZIP, headers={"If-None-Match": whole.headers["ETag"]}).status_code == 304


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed")
def test_the_manual_is_a_pdf_built_from_the_help_pages(signed_in, tmp_path):
    response = signed_in.get(MANUAL)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-") and b"%%EOF" in response.data[-1024:]
    assert "Manual_Usuario_Conexion_Empresas_Online.pdf" in response.headers["Content-Disposition"]
    path = tmp_path / "manual.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True,
                          text=True, timeout=60).stdout
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True, timeout=60).stdout
    assert int(info.split("Pages:")[1].split()[0]) >= 5
    squeezed = " ".join(text.split())
    assert "Manual de Usuario Conexión Empresas Online" in squeezed
    for chapter in help_manual.CHAPTERS:
        assert f"Capítulo {chapter.number} · {chapter.title}" in squeezed, chapter.title
    for label in ("Lote cargado exitosamente. La validación de los registros está en proceso.",
                  "Clic aquí para seleccionar el archivo de lote.", "Lotes pendientes", "CON ERRORES", "✓",
                  passwords.check("")[0].label, "Archivos lotes operativos", "Página 1 de"):
        assert label in squeezed, label
    assert signed_in.get(MANUAL).data == response.data  # built once per application
    assert downloads() == ["Manual_Usuario_Conexion_Empresas_Online.pdf"] * 2


def test_the_help_pages_are_the_manuals_chapters(signed_in):
    index = signed_in.get("/empresas/ayuda/").get_data(as_text=True)
    for chapter in help_manual.CHAPTERS:
        assert f'href="/empresas/ayuda/{chapter.slug}">Capítulo {chapter.number} · {chapter.title}</a>' in index
        body = signed_in.get(f"/empresas/ayuda/{chapter.slug}").get_data(as_text=True)
        assert f"<h1>Capítulo {chapter.number} · {chapter.title}</h1>" in body
    assert signed_in.get("/empresas/ayuda/no-existe").status_code == 404


def test_the_help_says_what_the_screens_use(signed_in):
    """The rules and layouts come from the code the screens run, not from copies."""
    login = signed_in.get("/empresas/ayuda/ingreso").get_data(as_text=True)
    assert all(rule.label in login for rule in passwords.check(""))
    assert "Después de 5 intentos fallidos seguidos el usuario se bloquea por 15 minutos" in login
    lotes = signed_in.get("/empresas/ayuda/carga-de-lotes").get_data(as_text=True)
    for layout in batch_layouts.LAYOUTS.values():
        assert f"<h3>{layout.label}</h3>" in lotes
        assert all(f"<td>{field.header}</td>" in lotes for field in layout.fields)
    assert "Línea 3, campo «ID PERSONA»: debe tener de 5 a 15 caracteres y tiene 3" in lotes
    for label in ("Tipo de lote", "Enviar", "VALIDO", "Contraseña", "Confirmar", "Eliminar"):
        assert label in lotes


@pytest.mark.parametrize("url", [MANUAL, ZIP, "/empresas/configuracion/descargas", "/empresas/ayuda/",
                                 "/empresas/configuracion/usuario", "/empresas/configuracion/empresas/"])
def test_only_a_signed_in_corporate_user_gets_them(app, client, url):
    assert client.get(url).status_code in (302, 303)  # to the login
    staff = app.test_client()
    factories.user("staff", "analista", roles="admin")
    post(staff, "/personal/ingresar", {"username": "analista", "password": factories.PASSWORD},
         page="/personal/ingresar")
    assert staff.get(url).status_code == 403
    assert downloads() == []
