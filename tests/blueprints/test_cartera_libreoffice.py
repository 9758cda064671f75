"""Estado de Cartera with LibreOffice (issue #4): an employer without Excel downloads the
Activos file, changes it, saves it with LibreOffice Calc and uploads it: the RQ job
processes it with the right total, and the same content saved again by LibreOffice (other
bytes) is recognised as already processed and waits for the employer's confirmation.

LibreOffice runs headless, as in tests/adapters/test_xlsx.py (same skip policy)."""
import io
import json
import shutil
import subprocess
import zipfile
from decimal import Decimal

import pytest

from portal.domain import cartera_rows as cr
from portal.extensions import db
from portal.models import CarteraUploadLine, PaymentSlip, StatementLine
from tests import cartera_helpers as ch
from tests.conftest import post

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed (Debian package "
                                "libreoffice-calc-nogui); bin/test installs it")


@pytest.fixture
def cartera(client):
    return ch.build(sign_in_client=client)


@pytest.fixture
def libreoffice(tmp_path):
    """libreoffice(data, name) → the bytes LibreOffice Calc writes when it saves `data` as .xlsx."""
    runs = []

    def save(data, name):
        source = tmp_path / f"in{len(runs)}" / name
        source.parent.mkdir()
        source.write_bytes(data)
        out = tmp_path / f"out{len(runs)}"
        runs.append(out)
        subprocess.run([SOFFICE, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                        "--convert-to", "xlsx", "--outdir", str(out), str(source)],
                       check=True, timeout=180, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        saved = (out / name).read_bytes()
        application = zipfile.ZipFile(io.BytesIO(saved)).read("docProps/app.xml")
        assert b"LibreOffice" in application, application[:300]
        return saved

    return save




def upload_lines(upload):
    rows = (db.session.query(CarteraUploadLine, StatementLine)
            .join(StatementLine, StatementLine.id == CarteraUploadLine.line_id)
            .filter(CarteraUploadLine.upload_id == upload.id))
    return {line.credit.number: (row.apply_arrears, row.amount) for row, line in rows}


def test_an_activos_file_saved_by_libreoffice_is_processed_and_its_resave_is_a_duplicate(
        client, cartera, libreoffice):
    edited = ch.edit(ch.download(client, "activos"), {
        ("LI-9001", "Valor a Pagar"): 120000,  # 20.000 above the instalment: extra principal
        ("LI-9002", "Aplica Mora"): "n", ("LI-9002", "Valor a Pagar"): 150000,  # lower case, as typed
    })
    saved = libreoffice(edited, "activos.xlsx")
    assert saved != edited

    first = ch.processed(client, "activos", saved, "activos_libreoffice.xlsx")
    assert first.status == "processed", first.errors_json
    assert (first.total_amount, first.credits_count, first.rows_total) == (Decimal("320000.50"), 3, 3)
    assert upload_lines(first) == {"LI-9001": (False, Decimal("120000.00")),  # no arrears: N by default
                                   "LI-9002": (False, Decimal("150000.00")),
                                   "LI-9003": (False, Decimal("50000.50"))}
    html = ch.status_html(client, first)
    assert "«activos_libreoffice.xlsx» procesado" in html and "3 créditos por $\xa0320.000,50" in html

    # The same values, saved once more by LibreOffice: other bytes, same content key.
    resaved = libreoffice(saved, "activos.xlsx")
    assert cr.file_hash(resaved) != cr.file_hash(saved)
    again = ch.processed(client, "activos", resaved, "activos_otra_vez.xlsx")
    assert again.status == "duplicate"
    assert again.content_key == first.content_key and again.content_sha256 != first.content_sha256
    html = ch.status_html(client, again)
    assert "Este archivo ya fue procesado" in html and f"NroPago {first.id}" in html
    assert "Sí, procesarlo de nuevo" in html and "No, cancelar" in html
    volante = client.get(f"{ch.BASE}/volante", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Valor a pagar: <strong>$\xa0320.000,50</strong>" in volante  # the duplicate is not charged

    confirmed = post(client, f"{ch.BASE}/subidos/{again.id}/confirmar", page=ch.BASE,
                     headers={"HX-Request": "true"})
    assert confirmed.status_code == 200
    assert json.loads(confirmed.headers["HX-Trigger"]) == {"cartera-changed": None, "open-step": "paso-3"}
    db.session.expire_all()
    assert (again.status, first.status) == ("processed", "superseded")
    post(client, f"{ch.BASE}/volante", page=ch.BASE)
    slip = db.session.query(PaymentSlip).one()
    assert (slip.amount, slip.active_upload_id) == (Decimal("320000.50"), again.id)


def test_an_unchanged_retirados_file_saved_by_libreoffice_pays_every_instalment(client, cartera, libreoffice):
    saved = libreoffice(ch.download(client, "retirados"), "retirados.xlsx")
    upload = ch.processed(client, "retirados", saved, "retirados.xlsx")
    assert upload.status == "processed", upload.errors_json
    assert (upload.total_amount, upload.credits_count) == (Decimal("70000.00"), 1)
    assert upload_lines(upload) == {"LI-9004": (False, Decimal("70000.00"))}
    assert "1 crédito por $\xa070.000" in ch.status_html(client, upload)
