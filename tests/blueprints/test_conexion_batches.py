"""Carga de lotes (manual 003 ch. 3.2, 4.2): load, the job checks every line on a real RQ
worker, «Lotes pendientes», confirm or delete with the password, the detail and the
rejected lines back as a file."""
import io
import json
import re
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from portal.domain import batch_layouts as bl
from portal.extensions import db
from portal.models import AuditEvent, Batch, BatchLine, Card, Product, User
from tests import factories
from tests.cartera_helpers import run_jobs
from tests.conftest import post

HTMX = {"HX-Request": "true"}
PERSON = ["CC", "1045678434", "Pérez", "Gómez", "María", "José", "15/03/1985", "maria@empresa.co", "3001234567",
          "Calle 30 # 1-25", "Barranquilla", "001", "150.000,00"]


def person(n, **changes):
    row = list(PERSON)
    row[1] = str(1045678434 + n)
    for index, value in changes.items():
        row[int(index[1:])] = value
    return row


def xlsx_file(rows, kind="emission", headers=None):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers or bl.layout(kind).headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def txt_file(rows, kind="emission", encoding="cp1252", sep=";"):
    lines = [sep.join(bl.layout(kind).headers)] + [sep.join(row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


@pytest.fixture
def jahc(auth):
    user = factories.user("corporate", "jhomez")
    company = factories.company("900291499", "JAHC TECHNOLOGIES")
    factories.member(user, company, can_upload=True)
    auth.as_user(user)
    return company, company.products[0]


def url(company, product, tail=""):
    return f"/empresas/{company.id}/productos/{product.id}/lotes/{tail}"


def send(client, company, product, data, filename="EMISION.xlsx", kind="emission", headers=HTMX):
    return post(client, url(company, product), {"tipo": kind, "archivo": (io.BytesIO(data), filename)},
                page=url(company, product), headers=headers, content_type="multipart/form-data")


def loaded(client, company, product, data, **kwargs):
    response = send(client, company, product, data, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    run_jobs()
    db.session.expire_all()
    return db.session.query(Batch).order_by(Batch.id.desc()).first()


def decide(client, company, product, batch, action, password=factories.PASSWORD, **extra):
    page = url(company, product, f"{batch.id}/{action}")
    return post(client, page, {"password": password, **extra}, page=page, headers=HTMX)


# --- loading ---------------------------------------------------------------------------------

def test_a_good_file_is_loaded_checked_and_confirmed(client, jahc):
    company, product = jahc
    page = client.get(url(company, product)).get_data(as_text=True)
    for label in ("Cargar lotes", "Nuevos lotes", "Tipo de lote", "Selecciona un tipo de lote",
                  "Clic aquí para seleccionar el archivo de lote.", "Enviar", "Lotes pendientes",
                  "Mostrar", "registros por página", "Buscar…", "No se encontraron registros para tu consulta"):
        assert label in page, label
    response = send(client, company, product, xlsx_file([person(0), person(1)]))
    body = response.get_data(as_text=True)
    assert "Lote cargado exitosamente. La validación de los registros está en proceso." in body
    assert response.headers["HX-Trigger"] == "lotes-changed"
    batch = db.session.query(Batch).one()
    assert re.fullmatch(r"\d{8}", batch.number) and batch.status == "queued"
    row = client.get(url(company, product, f"{batch.id}/fila"), headers=HTMX).get_data(as_text=True)
    assert "EN VALIDACIÓN" in row and 'hx-trigger="every 1s"' in row

    run_jobs()
    db.session.expire_all()
    row = client.get(url(company, product, f"{batch.id}/fila"), headers=HTMX).get_data(as_text=True)
    assert "VALIDO" in row and "every 1s" not in row and "✓" in row
    assert batch.valid_count == 2 and batch.total_amount == Decimal("300000.00")

    modal = client.get(url(company, product, f"{batch.id}/confirmar"), headers=HTMX).get_data(as_text=True)
    for label in ("Confirmación de lote", "NIT", "900291499-3", "Nombre de la empresa", "JAHC TECHNOLOGIES",
                  "Tipo de lote", "Emisión nominada (Id persona)", "Cantidad de registros", "Monto total",
                  "$\xa0300.000,00", "Nro. de lote", batch.number, "Observaciones", "Lote cargado exitosamente",
                  "Contraseña", "Confirmar"):
        assert label in modal, label
    done = decide(client, company, product, batch, "confirmar")
    assert done.status_code == 204 and done.headers["HX-Redirect"] == url(company, product)
    assert f"El lote Nro: {batch.number} fue confirmado exitosamente." in client.get(url(company, product)).get_data(
        as_text=True)
    db.session.expire_all()
    assert batch.status == "confirmed" and batch.confirmed_by_id is not None
    assert "conexion.batch_confirmed" in [e.action for e in db.session.query(AuditEvent)]


def test_without_javascript_the_same_steps_are_pages(client, jahc):
    company, product = jahc
    response = send(client, company, product, xlsx_file([person(0)]), headers={})
    assert response.status_code == 303
    assert "Lote cargado exitosamente" in client.get(response.headers["Location"]).get_data(as_text=True)
    run_jobs()
    batch = db.session.query(Batch).one()
    page = client.get(url(company, product, f"{batch.id}/confirmar")).get_data(as_text=True)
    assert "<html" in page and "Confirmación de lote" in page and "Confirmar lote" in page


def test_a_wrong_password_is_said_and_counts_toward_the_lock(client, jahc):
    company, product = jahc
    batch = loaded(client, company, product, xlsx_file([person(0)]))
    refused = decide(client, company, product, batch, "confirmar", password="mala")
    assert refused.status_code == 422 and "La contraseña no es correcta." in refused.get_data(as_text=True)
    assert db.session.query(User).filter_by(username="jhomez").one().failed_logins == 1
    db.session.expire_all()
    assert batch.status == "valid"
    for _ in range(4):
        last = decide(client, company, product, batch, "confirmar", password="mala")
    assert last.headers["HX-Redirect"] == "/empresas/ingresar"  # locked: this session ends
    assert client.get(url(company, product)).status_code in (302, 303)


def test_a_txt_in_windows_1252_keeps_its_accents(client, jahc):
    company, product = jahc
    batch = loaded(client, company, product, txt_file([person(0, c2="Peña Álvarez")]), filename="EMISION.txt")
    assert batch.status == "valid" and batch.encoding == "cp1252" and batch.source == "txt"
    assert db.session.query(BatchLine).one().holder_name == "MARÍA PEÑA ÁLVAREZ GÓMEZ"


# --- errors ----------------------------------------------------------------------------------

def test_every_error_of_every_line_is_listed_and_the_valid_lines_can_go_alone(client, jahc):
    company, product = jahc
    holder = person(5)
    db.session.add(Card(company_id=company.id, product_id=product.id, token="tok-1", pan_first6="450714",
                        pan_last4="0001", account_mask="****0001", holder_id_type="CC", holder_id_number=holder[1],
                        status="affiliated", expires="12/2029"))
    db.session.commit()
    rows = [person(0), person(1, c0="XX", c8="123"), person(0), holder, person(2, c6="31/02/1990")]
    batch = loaded(client, company, product, xlsx_file(rows))
    assert batch.status == "invalid" and batch.valid_count == 1 and batch.error_count == 4
    row = client.get(url(company, product, f"{batch.id}/fila"), headers=HTMX).get_data(as_text=True)
    assert "CON ERRORES" in row and "4 líneas con errores" in row

    detail = client.get(url(company, product, f"{batch.id}/?estado=errores")).get_data(as_text=True)
    for text in ("TIPO ID: «XX» no es válido", "CELULAR: «123» no es un celular colombiano",
                 "ID PERSONA: ya aparece en la línea 2 de este lote", "ya tiene una tarjeta activa de este producto",
                 "FECHA NACIMIENTO: «31/02/1990» no es una fecha", 'class="error-row"', "Volver"):
        assert text in detail, text

    rejected = client.get(url(company, product, f"{batch.id}/rechazadas"))
    sheet = openpyxl.load_workbook(io.BytesIO(rejected.data)).active
    values = list(sheet.values)
    assert values[0] == tuple(bl.layout("emission").headers) + ("Errores",)
    assert [v[1] for v in values[1:]] == [rows[1][1], rows[2][1], rows[3][1], rows[4][1]]
    assert sheet["B2"].number_format == "@"  # the ID keeps its leading zeros in Excel

    modal = client.get(url(company, product, f"{batch.id}/confirmar"), headers=HTMX).get_data(as_text=True)
    assert "Confirmar solo las líneas válidas" in modal and "4 líneas rechazadas" in modal
    assert f'hx-get="{url(company, product, f"{batch.id}/eliminar")}"' in modal  # or delete it
    decide(client, company, product, batch, "confirmar")
    db.session.expire_all()
    assert batch.status == "confirmed" and batch.valid_count == 1


def test_the_rejected_file_loads_again_once_fixed(client, jahc):
    company, product = jahc
    batch = loaded(client, company, product, xlsx_file([person(0), person(1, c8="123")]))
    back = openpyxl.load_workbook(io.BytesIO(client.get(url(company, product, f"{batch.id}/rechazadas")).data))
    back.active["I2"] = "3009998877"
    out = io.BytesIO()
    back.save(out)
    again = loaded(client, company, product, out.getvalue(), filename="EMISION_rechazadas.xlsx")
    assert [line.errors for line in db.session.query(BatchLine).filter_by(batch_id=again.id)] == [None]
    assert again.status == "valid" and again.valid_count == 1


@pytest.mark.parametrize("data,filename,kind,message", [
    (b"", "EMISION.xlsx", "emission", "vacío"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "EMISION.xlsx", "emission", "Excel 97-2003"),
    (b"%PDF-1.4 hola", "EMISION.xlsx", "emission", "es un PDF"),
    (b"TIPO ID;ID PERSONA\nCC;1\n", "EMISION.txt", "emission", "debe tener 13 columnas"),
    (b"TIPO ID;\x81\x8d", "EMISION.txt", "emission", "ni en Windows-1252"),
    (xlsx_file([PERSON], headers=bl.layout("emission").headers[:-1]), "EMISION.xlsx", "emission",
     "falta la columna «MONTO INICIAL»"),
    (xlsx_file([PERSON], headers=bl.layout("emission").headers + ["EXTRA"]), "EMISION.xlsx", "emission",
     "se agregó la columna «EXTRA»"),
    (xlsx_file([["CC", "1045678434", "1000"]], kind="topup", headers=["ID PERSONA", "TIPO ID", "MONTO", "DESCRIPCION"]),
     "RECARGA.xlsx", "topup", "«TIPO ID» debe ser la columna 1"),
    (xlsx_file([PERSON]), "EMISION.xlsx", "topup", "es un lote de Emisión nominada (Id persona); en «Tipo de lote» escogió Recarga"),
    (xlsx_file([PERSON]), "EMISION.xlsx", "", "Seleccione el tipo de lote"),
    (xlsx_file([PERSON]), "EMISION.xlsx", "affiliation", "no admite lotes de Afiliación"),
])
def test_a_plainly_wrong_file_is_refused_at_once_and_nothing_is_stored(client, jahc, data, filename, kind, message):
    company, product = jahc
    response = send(client, company, product, data, filename=filename, kind=kind)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.query(Batch).count() == 0


@pytest.mark.parametrize("app_config", [{"BATCH_MAX_BYTES": 2048}])
def test_a_file_over_the_limit_is_refused(client, jahc, app_config):
    company, product = jahc
    response = send(client, company, product, txt_file([person(n) for n in range(40)]), filename="E.txt")
    assert response.status_code in (413, 422) and db.session.query(Batch).count() == 0


def test_a_100000_line_xlsx_is_not_taken_for_a_zip_bomb(client, jahc):
    """100,000 lines of 13 columns unzip to ~80 MB as openpyxl writes them (inline text):
    over the 50 MB an xlsx gets by default (a cartera file), within a batch's limit."""
    company, product = jahc
    columns = [chr(65 + i) for i in range(13)]
    rows = "".join(f'<row r="{r}">' + "".join(f'<c r="{c}{r}" t="inlineStr"><is><t>{v}</t></is></c>'
                                              for c, v in zip(columns, person(r, c7=f"p{r}@empresa.co"), strict=True))
                   + "</row>" for r in range(2, 100_002))
    small = zipfile.ZipFile(io.BytesIO(xlsx_file([])))
    sheet = small.read("xl/worksheets/sheet1.xml")
    end = sheet.index(b"</sheetData>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as big:
        for info in small.infolist():
            body = sheet[:end] + rows.encode() + sheet[end:] if info.filename.endswith("sheet1.xml") else \
                small.read(info.filename)
            big.writestr(info.filename, body)
    assert zipfile.ZipFile(out).getinfo("xl/worksheets/sheet1.xml").file_size > 70 * 1024 * 1024
    response = send(client, company, product, out.getvalue())
    assert "Lote cargado exitosamente" in response.get_data(as_text=True)
    assert db.session.query(Batch).one().status == "queued"


def test_the_content_key_hashes_each_lines_json_as_json_dumps_writes_it(client, jahc):
    """Same lines, same key, whatever the bytes — also across versions: a batch checked
    before must still be recognised (sha256 of the type, then each line's values as
    json.dumps(..., default=str, sort_keys=True, ensure_ascii=False) and a newline)."""
    import hashlib
    import json
    from datetime import date

    from portal.services import batches

    values = {"amount": Decimal("150000.00"), "birth_date": date(1985, 3, 15), "email": None,
              "last_name_1": 'PÉREZ "Ñ"\\', "id_type": "CC"}
    assert batches.values_json(values) == json.dumps(values, default=str, sort_keys=True, ensure_ascii=False)
    company, product = jahc
    batch = loaded(client, company, product, xlsx_file([person(0), person(1, c0="XX")]))
    digest = hashlib.sha256(b"emission")
    for (text,) in db.session.query(BatchLine.values_json).filter_by(batch_id=batch.id).order_by(BatchLine.line_no):
        digest.update(json.dumps(json.loads(text), sort_keys=True, ensure_ascii=False).encode() + b"\n")
    assert batch.content_key == digest.hexdigest() and batch.valid_count == 1


def _card(company, product, n, holder=None, status="affiliated"):
    db.session.add(Card(company_id=company.id, product_id=product.id, token=f"tok-{product.id}-{n}",
                        pan_first6="450714", pan_last4=f"{n:04d}", account_mask=f"****{n:04d}",
                        holder_id_type="CC" if holder else None, holder_id_number=holder, status=status,
                        expires="12/2030"))
    db.session.commit()


def _line_errors(batch):
    return {line.line_no: line.errors for line in db.session.query(BatchLine).filter_by(batch_id=batch.id)}


def test_the_products_cards_decide_emissions_top_ups_and_affiliations(client, jahc):
    company, product = jahc
    holder = {n: person(n)[1] for n in range(6)}
    _card(company, product, 1, holder[1])
    _card(company, product, 2, holder[2])
    _card(company, product, 3, holder[2])  # two cards of one person
    _card(company, product, 4, holder[4], status="blocked")  # a blocked card is no card
    emission = loaded(client, company, product, xlsx_file([person(n) for n in (0, 1, 4)]))
    assert _line_errors(emission) == {2: None, 3: "ID PERSONA: ya tiene una tarjeta activa de este producto", 4: None}

    topups = [["CC", holder[n], "1000", "Bono"] for n in (0, 1, 2, 4)]
    topup = loaded(client, company, product, txt_file(topups, kind="topup"), filename="R.txt", kind="topup")
    assert _line_errors(topup) == {2: "ID PERSONA: no tiene tarjeta activa de este producto", 3: None,
                                   4: "ID PERSONA: tiene varias tarjetas activas de este producto; recárguela desde "
                                      "Servicios",
                                   5: "ID PERSONA: no tiene tarjeta activa de este producto"}

    unnamed = Product(company_id=company.id, name="Regalo", brand="Visa", bin="450714", named=False)
    db.session.add(unnamed)
    db.session.commit()
    _card(company, unnamed, 10, status="unaffiliated")
    _card(company, unnamed, 11, holder[5])  # affiliated already
    _card(company, unnamed, 12, status="unaffiliated")
    _card(company, unnamed, 13, holder[3])  # person 3 holds a card of this product
    affiliations = [["450714******0010", "001", "CC", holder[0], "Pérez", "", "Ana"],
                    ["450714******0011", "001", "CC", holder[1], "Pérez", "", "Ana"],
                    ["450714******0099", "001", "CC", holder[2], "Pérez", "", "Ana"],
                    ["450714******0012", "001", "CC", holder[3], "Pérez", "", "Ana"]]
    affiliation = loaded(client, company, unnamed, txt_file(affiliations, kind="affiliation"), filename="A.txt",
                         kind="affiliation")
    assert _line_errors(affiliation) == {2: None, 3: "No. TARJETA: ya está afiliada a una persona",
                                         4: "No. TARJETA: no es una tarjeta innominada de esta empresa y producto",
                                         5: "ID PERSONA: esta persona ya tiene una tarjeta de este producto"}


def _with_empty_text_row(data):
    """The file with a row 3 holding an empty text cell (python-calamine counts it)."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(b"</sheetData>",
                                    b'<row r="3"><c r="A3" t="inlineStr"><is><t></t></is></c></row></sheetData>')
            target.writestr(info, body)
    return out.getvalue()


@pytest.mark.parametrize("empty_rows", [False, True], ids=["titles only", "titles and empty rows"])
def test_a_header_only_file_is_invalid_with_the_reason(client, jahc, empty_rows):
    company, product = jahc
    data = xlsx_file([])
    batch = loaded(client, company, product, _with_empty_text_row(data) if empty_rows else data)
    assert batch.status == "invalid"
    assert "solo trae los títulos" in client.get(url(company, product, f"{batch.id}/")).get_data(as_text=True)


# --- twice -----------------------------------------------------------------------------------

def test_enviar_twice_is_one_batch_and_numbers_never_repeat(client, jahc):
    company, product = jahc
    data = xlsx_file([person(0)])
    send(client, company, product, data)
    send(client, company, product, data)
    assert db.session.query(Batch).count() == 1
    send(client, company, product, xlsx_file([person(1)]))
    first, second = db.session.query(Batch).order_by(Batch.id).all()
    assert int(second.number) == int(first.number) + 1 and second.number[:6] == first.number[:6]


def test_the_same_lines_again_need_an_explicit_confirmation(client, jahc):
    company, product = jahc
    first = loaded(client, company, product, xlsx_file([person(0)]))
    second = loaded(client, company, product, txt_file([person(0)]), filename="EMISION.txt")  # other bytes
    modal = client.get(url(company, product, f"{second.id}/confirmar"), headers=HTMX).get_data(as_text=True)
    assert f"las mismas líneas que el lote Nro: {first.number}" in modal
    refused = decide(client, company, product, second, "confirmar")
    assert refused.status_code == 422 and "Marque que es otro lote" in refused.get_data(as_text=True)
    decide(client, company, product, second, "confirmar", mismo_contenido="si")
    db.session.expire_all()
    assert second.status == "confirmed"


def test_delete_with_the_password_before_authorization(client, jahc):
    company, product = jahc
    batch = loaded(client, company, product, xlsx_file([person(0)]))
    modal = client.get(url(company, product, f"{batch.id}/eliminar"), headers=HTMX).get_data(as_text=True)
    assert "Eliminar lote" in modal and "Contraseña" in modal
    assert decide(client, company, product, batch, "eliminar", password="mala").status_code == 422
    decide(client, company, product, batch, "eliminar")
    db.session.expire_all()
    assert batch.status == "deleted"
    assert f'id="batch-{batch.id}"' not in client.get(url(company, product)).get_data(as_text=True)
    assert decide(client, company, product, batch, "confirmar").status_code == 422


# --- who ---------------------------------------------------------------------------------------

def test_without_the_upload_permission_it_is_403_and_another_companys_batch_is_404(app, client, auth, jahc):
    company, product = jahc
    batch = loaded(client, company, product, xlsx_file([person(0)]))
    other = factories.company("800191045", "OTRA EMPRESA")
    reader = factories.user("corporate", "lector")
    factories.member(reader, company, can_upload=False)
    factories.member(reader, other, can_upload=True)
    second = app.test_client()
    auth.as_user(reader, client=second)
    assert second.get(url(company, product)).status_code == 403
    other_product = db.session.query(Product).filter_by(company_id=other.id).one()
    assert second.get(f"/empresas/{other.id}/productos/{other_product.id}/lotes/{batch.id}/").status_code == 404
    assert second.get(f"/empresas/{other.id}/productos/{product.id}/lotes/").status_code == 404
    assert db.session.query(AuditEvent).filter_by(action="conexion.access_refused").count() == 3


def test_the_downloaded_templates_filled_in_load_as_valid_batches(client, jahc):
    """«Archivos lotes operativos» → fill the emission .xlsx (its «Instrucciones» sheet
    rides along) and the .txt → both VALIDO."""
    import zipfile

    from portal.adapters import templates_zip

    company, product = jahc
    archive = zipfile.ZipFile(io.BytesIO(client.get("/empresas/configuracion/descargas/archivos-lotes-operativos.zip").data))
    book = openpyxl.load_workbook(io.BytesIO(archive.read("emision_nominada_id.xlsx")))
    assert book.sheetnames == [templates_zip.SHEET, templates_zip.INSTRUCTIONS]
    book[templates_zip.SHEET].append(person(0))
    out = io.BytesIO()
    book.save(out)
    assert loaded(client, company, product, out.getvalue()).status == "valid"
    text = archive.read("emision_nominada_id.txt").decode("utf-8-sig") + ";".join(person(1)) + "\r\n"
    assert loaded(client, company, product, text.encode("utf-8-sig"), filename="EMISION.txt").status == "valid"


def _broken_at(data, line):
    """The file with line `line`'s row turned into a cell python-calamine cannot read."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(f'<row r="{line}"'.encode(),
                                    f'<row r="{line}"><c r="A{line}" t="n"><v>abc</v></c></row><row r="{line}"'.encode())
            target.writestr(info.filename, body)
    return out.getvalue()


def test_a_large_xlsx_is_read_a_window_at_a_time_and_a_broken_window_leaves_no_line(client, jahc, monkeypatch):
    from portal.adapters import xlsx, xlsx_windows

    monkeypatch.setattr(xlsx_windows, "WINDOW", 4000)
    monkeypatch.setattr(xlsx_windows, "_CHUNK", 1000)
    windows = []
    monkeypatch.setattr(xlsx_windows, "_read", lambda *args, read=xlsx_windows._read: windows.append(1) or read(*args))
    company, product = jahc
    rows = [person(n) for n in range(60)]
    rows[40] = person(40, c8="123")
    data = xlsx_file(rows)
    batch = loaded(client, company, product, data)
    assert len(windows) > 5
    assert (batch.status, batch.rows_total, batch.valid_count, batch.error_count) == ("invalid", 60, 59, 1)
    line = db.session.query(BatchLine).filter_by(batch_id=batch.id, ok=False).one()
    assert (line.line_no, line.errors) == (42, "CELULAR: «123» no es un celular colombiano: 10 dígitos que empiezan por 3")

    broken = loaded(client, company, product, _broken_at(data, 50), filename="OTRO.xlsx")
    assert broken.status == "invalid" and broken.errors_json == f'["{xlsx.UNREADABLE}"]'
    assert (broken.rows_total, broken.rows_done, broken.valid_count) == (0, 0, 0)  # as a file refused at once
    assert db.session.query(BatchLine).filter_by(batch_id=broken.id).count() == 0


def test_a_short_lines_values_name_every_field(client, jahc):
    company, product = jahc
    batch = loaded(client, company, product, txt_file([person(0)[:3]]), filename="EMISION.txt")
    line = db.session.query(BatchLine).filter_by(batch_id=batch.id).one()
    assert not line.ok and json.loads(line.values_json) == dict.fromkeys(
        [f.key for f in bl.layout("emission").fields], "") | {"id_type": "CC", "id_number": "1045678434",
                                                              "last_name_1": "Pérez"}
