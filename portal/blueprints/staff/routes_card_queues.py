"""Personal › Lotes and Personal › Órdenes de servicio (role tarjetas): the Conexión Empresas
queues (services/staff_card_queues.py) and «Consultar al banco» for a debit that waits."""
from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from portal.authz import require
from portal.blueprints.staff import bp
from portal.domain import batch_layouts as bl
from portal.domain import batches as b
from portal.domain import orders as o
from portal.domain import paging
from portal.services import order_payments
from portal.services import staff_card_queues as queues
from portal.web import render

ROLES = ("tarjetas",)
# «Consultar al banco»: the bank's answer applied (whatever it was) is the action done
FLASH = {"approved": "success", "declined": "success", "error": "success", "pending": "info"}


@bp.get("/lotes")
@require("staff", roles=ROLES)
def card_batches():
    f = paging.Filters(request.args, estado=queues.BATCH_STATES)
    rows, page = queues.batches(f["estado"], f["q"], f["pagina"], f["por_pagina"])
    return render("staff/card_batches.html", partial="staff/_card_batches_table.html", rows=rows, page=page,
                  filters=f, params=f.link_params("pagina"), labels=queues.BATCH_STATE_LABELS,
                  kind_label=bl.label)


@bp.get("/lotes/<int:batch_id>")
@require("staff", roles=ROLES)
def card_batch(batch_id):
    found = queues.batch(batch_id) or abort(404)
    f = paging.Filters(request.args)
    lines, page = queues.rejected_lines(found, f["pagina"], f["por_pagina"])
    return render("staff/card_batch.html", partial="staff/_card_batch_lines.html", batch=found, lines=lines,
                  page=page, filters=f, params=f.link_params("pagina"), kind_label=bl.label,
                  status_label=b.BATCH.label)


@bp.get("/ordenes")
@require("staff", roles=ROLES)
def card_orders():
    f = paging.Filters(request.args, estado=queues.ORDER_STATES)
    rows, page = queues.orders(f["estado"], f["q"], f["pagina"], f["por_pagina"])
    return render("staff/card_orders.html", partial="staff/_card_orders_table.html", rows=rows, page=page,
                  filters=f, params=f.link_params("pagina"), labels=queues.ORDER_STATE_LABELS,
                  payment_labels=queues.PAYMENT_LABELS, status_label=o.ORDER.label, kind_label=bl.label)


@bp.post("/ordenes/debitos/<int:payment_id>/consultar-banco")
@require("staff", roles=ROLES)
def requery_bank(payment_id):
    outcome = order_payments.requery(current_user, payment_id) or abort(404)
    flash(outcome.message, FLASH.get(outcome.status, "error"))
    return redirect(url_for("staff.card_orders", estado="en_banco"), 303)
