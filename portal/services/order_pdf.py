"""«Descarga de Orden de Servicio» (manual 003 §4.3): the order as the fund prints it, every
field of the manual's, rendered by adapters/pdf.py from templates/pdf/orden_servicio.html.
The figures are the ones stored when the order was made (services/orders.py), never
recomputed: the PDF says what the company is asked to pay."""
from flask import render_template

from portal.adapters import pdf
from portal.domain import batch_layouts as bl
from portal.domain import orders as o
from portal.domain.formatting import today_bogota
from portal.extensions import db
from portal.services import audit, service_orders

# The manual's «Tipo de Lote» reads «Emisión nominada»: the layout's label without its key.
KIND_LABELS = {"unnamed_emission": "Emisión Innominada"}  # as manual 3.4 writes it


def kind_label(kind):
    if kind in KIND_LABELS:
        return KIND_LABELS[kind]
    spec = bl.LAYOUTS.get(kind)
    return spec.label.split(" (")[0] if spec else kind


def file_name(order):
    return f"Orden_de_servicio_{order.number}.pdf"


def context(order):
    """What the template prints (also read by the tests)."""
    batches = list(order.batches)
    names = service_orders.usernames([batch.uploaded_by_id for batch in batches])
    return {
        "order": order, "company": order.company, "product": order.product, "printed_on": today_bogota(),
        "kind": kind_label(order.kind), "signers": [u.username for u in service_orders.signers_of(order)],
        "lines": [{"batch": batch, "uploader": names.get(batch.uploaded_by_id, ""),
                   "records": service_orders.records_of(batch), "unit": service_orders.unit_price(batch)}
                  for batch in batches],
        "iva_label": o.iva_label(order.iva_rate),
    }


def render(user, order):
    """(file name, PDF bytes) of the order; the download is audited. Commits."""
    html = render_template("pdf/orden_servicio.html", font_css=pdf.font_css(), **context(order))
    data = pdf.from_html(html)
    audit.record("conexion.order_pdf", user, subject=f"order:{order.id}", number=order.number)
    db.session.commit()
    return file_name(order), data
