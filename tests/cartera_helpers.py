"""A small Estado de Cartera for tests: one employer, one branch, a period with three
active workers (one in arrears) and one retired, signed in and on its branch."""
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from openpyxl import load_workbook
from rq import SimpleWorker

from portal import queue
from portal.extensions import db
from portal.models import ApplicationRequest, Branch, CarteraUpload, Credit, Statement, StatementLine, Worker
from tests import factories
from tests.conftest import AuthActions, post

PERIOD = "2026-10"
BASE = f"/hanna/empresas/cartera/{PERIOD}"
# id number, first, last, status, credit, instalment, balance, arrears days, arrears
LINES = [
    ("00012345", "ANA", "ACOSTA", "active", "LI-9001", "100000.00", "800000.00", 0, "0.00"),
    ("22334455", "BETO", "BARRIOS", "active", "LI-9002", "150000.00", "150000.00", 5, "3000.00"),
    ("33445566", "CARLA", "CUETO", "active", "LI-9003", "50000.50", "400000.00", 0, "0.00"),
    ("44556677", "DARIO", "DAZA", "retired", "LI-9004", "70000.00", "140000.00", 0, "0.00"),
]
DISCOUNT = sum(Decimal(line[5]) for line in LINES)


@dataclass
class Cartera:
    entity: object
    branch: object
    statement: object
    user: object


def build(nit="800100200", email="empleador@example.com", sign_in_client=None):
    entity = factories.entity(nit=nit)
    branch = Branch(entity_id=entity.id, code="001", name="PRINCIPAL")
    db.session.add(branch)
    db.session.flush()
    user = factories.user("hanna", email, entity=entity)
    db.session.add(ApplicationRequest(user_id=user.id, entity_id=entity.id, application="EMPRESAS",
                                      status="approved"))
    statement = Statement(entity_id=entity.id, branch_id=branch.id, period=PERIOD, due_date=date(2026, 10, 10))
    db.session.add(statement)
    db.session.flush()
    for id_number, first, last, status, number, instalment, balance, days, arrears in LINES:
        worker = Worker(entity_id=entity.id, branch_id=branch.id, id_number=id_number, first_name=first,
                        last_name=last, status=status,
                        retired_on=date(2026, 6, 30) if status == "retired" else None)
        db.session.add(worker)
        db.session.flush()
        credit = Credit(number=f"{number}{'' if nit == '800100200' else '-' + nit[-3:]}", worker_id=worker.id,
                        entity_id=entity.id, branch_id=branch.id, principal=Decimal("1000000"),
                        balance=Decimal(balance), instalment=Decimal(instalment), granted_on=date(2025, 1, 15))
        db.session.add(credit)
        db.session.flush()
        db.session.add(StatementLine(statement_id=statement.id, credit_id=credit.id, worker_id=worker.id,
                                     kind=status, instalment=Decimal(instalment), balance=Decimal(balance),
                                     arrears_days=days, arrears=Decimal(arrears)))
    db.session.commit()
    if sign_in_client is not None:
        AuthActions(sign_in_client).employer(email, branch)
    return Cartera(entity, branch, statement, user)


def download(client, slug):
    """slug: the file's word in its URL (detalle, activos, retirados)."""
    response = client.get(f"{BASE}/archivos/{slug}.xlsx")
    assert response.status_code == 200
    return response.data


def edit(data, changes, sheet_protection=False):
    """changes: {(credit number, header): value}; returns the saved bytes (openpyxl)."""
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    credit_col = headers.index("Nro Crédito") + 1
    rows = {ws.cell(row=r, column=credit_col).value: r for r in range(2, ws.max_row + 1)}
    for (credit, header), value in changes.items():
        if header not in headers:
            raise KeyError(header)
        ws.cell(row=rows[credit], column=headers.index(header) + 1, value=value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client, slug, data, filename="archivo.xlsx", htmx=True):
    page = f"{BASE}?archivo={slug}"
    headers = {"HX-Request": "true"} if htmx else {}
    return post(client, f"{BASE}/subidos/{slug}", {"archivo": (io.BytesIO(data), filename)}, page=page,
                headers=headers, content_type="multipart/form-data")


def run_jobs():
    SimpleWorker([queue.get_queue()], connection=queue.connection()).work(burst=True)


def processed(client, slug, data, filename="archivo.xlsx"):
    """Upload through the page, let a real RQ worker check it; the newest upload."""
    response = upload(client, slug, data, filename=filename)
    assert response.status_code == 200, response.get_data(as_text=True)
    run_jobs()
    db.session.expire_all()
    return db.session.query(CarteraUpload).order_by(CarteraUpload.id.desc()).first()


def status_html(client, upload_row):
    return client.get(f"{BASE}/subidos/{upload_row.id}/estado", headers={"HX-Request": "true"}).get_data(as_text=True)
