"""Conexión Empresas batches of both demo companies, in every state a batch reaches before
its authorization: VALIDO, CON ERRORES, CONFIRMADO (whole, and with its valid lines only)
and ELIMINADO. Each goes through the portal's own service, as a user's file would (the
job runs here, inline); a batch is looked up by its demo file name, so a second run adds
nothing."""
import io

import openpyxl

from portal.demo import names
from portal.demo.accounts import DEMO_PASSWORD
from portal.demo.common import rng
from portal.domain import batch_layouts as bl
from portal.extensions import db
from portal.models import Batch, Card, Product, User
from portal.services import batches, conexion

# (file name, batch type, lines with an error, what the demo does after the check)
PLANS = {
    True: (("demo_emision_valido.xlsx", "emission", 0, None),
           ("demo_emision_con_errores.xlsx", "emission", 2, None),
           ("demo_recarga_confirmado.txt", "topup", 0, "confirm"),
           ("demo_emision_eliminado.xlsx", "emission", 0, "delete")),
    False: (("demo_afiliacion_valido.xlsx", "affiliation", 0, None),
            ("demo_afiliacion_solo_validas.txt", "affiliation", 1, "confirm")),
}


def load(stats, companies):
    user = db.session.query(User).filter_by(kind="corporate", username="jhomez").one()
    for company in companies.values():
        for product in db.session.query(Product).filter_by(company_id=company.id).order_by(Product.id):
            access = conexion.access(user, company.id, product.id)
            for filename, kind, bad, then in PLANS[product.named]:
                if db.session.query(Batch.id).filter_by(product_id=product.id, filename=filename).first():
                    continue
                _load_one(stats, user, access, filename, kind, bad, then)


def _load_one(stats, user, access, filename, kind, bad, then):
    rows = _lines(access, kind, filename, bad)
    data = _txt(kind, rows) if filename.endswith(".txt") else _xlsx(kind, rows)
    batch = batches.submit(user, access, kind, filename, data)
    batches.process(batch.id)
    db.session.refresh(batch)
    if then == "confirm":
        batches.confirm(user, batch, DEMO_PASSWORD, same_content_ok=True)
    elif then == "delete":
        batches.delete(user, batch, DEMO_PASSWORD)
    stats.created("batches")


def _lines(access, kind, seed, bad):
    """Lines of `kind` for this product, the last `bad` of them with an error."""
    r, taken = rng(f"batches:{access.product.id}:{seed}"), set()
    if kind == "affiliation":
        free = db.session.scalars(db.select(Card).where(Card.product_id == access.product.id,
                                                        Card.status == "unaffiliated").order_by(Card.id)).all()
        rows = [_affiliate_line(r, card, taken) for card in free[:3]]
    elif kind == "topup":
        holders = db.session.scalars(db.select(Card).where(Card.product_id == access.product.id,
                                                           Card.status == "affiliated").order_by(Card.id)).all()
        rows = [[card.holder_id_type, card.holder_id_number, str(50_000 * (i + 1)), "Bono de demostración"]
                for i, card in enumerate(holders[:3])]
    else:
        rows = [_person_line(r, taken) for _ in range(5)]
    for row in rows[len(rows) - bad:] if bad else []:
        row[1 if kind != "affiliation" else 3] = "12"  # too short a document number
    return rows


def _person_line(r, taken):
    first, last, sex = names.person(r)
    surname1, surname2 = last.split(" ", 1)
    return ["CC", names.cedula(r, sex, taken, 0), surname1, surname2, first, "", f"{r.randint(1, 28):02d}/"
            f"{r.randint(1, 12):02d}/{r.randint(1960, 2004)}", "", f"3{r.randint(0, 999_999_999):09d}",
            f"Calle {r.randint(1, 99)} # {r.randint(1, 99)}-{r.randint(1, 99)}", "BARRANQUILLA", "001",
            str(r.choice((0, 100_000, 150_000)))]


def _affiliate_line(r, card, taken):
    first, last, sex = names.person(r)
    surname1, surname2 = last.split(" ", 1)
    return [card.masked_pan, "001", "CC", names.cedula(r, sex, taken, 0), surname1, surname2, first]


def _xlsx(kind, rows):
    book = openpyxl.Workbook()
    book.active.append(bl.layout(kind).headers)
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _txt(kind, rows):
    lines = [";".join(bl.layout(kind).headers)] + [";".join(row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")
