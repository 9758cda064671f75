"""A service order of JAHC's «Clásica / Visa» pending payment (manual 003 §3.3 paso 4), so
Consultas › Órdenes de servicio is not empty: an emission of one record loaded, confirmed
and authorized by jhomez through the portal's own services — 10.00 + IVA (12.0%) 1.20 =
11.20, as the manual's order 12622. Looked up by its demo file name: a second run adds
nothing."""
from portal.demo import batches as demo_batches
from portal.demo.accounts import DEMO_PASSWORD
from portal.demo.common import rng
from portal.demo.conexion import JAHC
from portal.domain import orders as o
from portal.extensions import db
from portal.models import Batch, Product, User
from portal.services import batches, conexion, orders

FILENAME = "demo_orden_emision.xlsx"


def load(stats, companies):
    company = companies[JAHC.nit]
    product = db.session.query(Product).filter_by(company_id=company.id, named=True).order_by(Product.id).first()
    if product is None or db.session.query(Batch.id).filter_by(product_id=product.id, filename=FILENAME).first():
        return
    user = db.session.query(User).filter_by(kind="corporate", username="jhomez").one()
    access = conexion.access(user, company.id, product.id)
    line = demo_batches._person_line(rng(f"orders:{product.id}"), set())
    line[-1] = "0"  # the manual's order loads nothing on the card: only the commission is paid
    batch = batches.submit(user, access, "emission", FILENAME, demo_batches._xlsx("emission", [line]))
    batches.process(batch.id)
    db.session.refresh(batch)
    if batches.confirm(user, batch, DEMO_PASSWORD, same_content_ok=True).ok:
        signed = orders.sign(user, access, [batch.id], o.PER_BATCH, DEMO_PASSWORD)
        stats.created("service_orders", len(signed.orders))
    stats.created("batches")
