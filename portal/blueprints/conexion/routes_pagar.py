"""Órdenes de servicio › Pagar orden (manual 003 §3.3 pasos 5–6): opening it e-mails the
code, «Aceptar» with the code debits the company's account, «Reenviar código». A modal
over the orders list (htmx into #modal), a page without JavaScript."""
from flask import g, request, url_for
from flask_login import current_user

from portal.blueprints.conexion import bp
from portal.blueprints.conexion.access import not_found, with_product
from portal.extensions import limiter
from portal.services import order_payments
from portal.web import render, safe_next

PAGAR = "/<int:company_id>/productos/<int:product_id>/ordenes/<int:order_id>/pagar"
SHOWN_AGAIN = ("wrong", "malformed", "expired", "wait", "blocked")  # 422: the form with why


@bp.route(PAGAR, methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
@with_product("authorize")
def order_pay(company_id, product_id, order_id):
    order = order_payments.order_of(g.access, order_id) or not_found()
    if request.method == "GET":
        return _modal(order, order_payments.request_code(current_user, g.access, order))
    return _modal(order, order_payments.pay(current_user, g.access, order, request.form.get("codigo", "")))


@bp.post(PAGAR + "/reenviar")
@limiter.limit("10 per minute")
@with_product("authorize")
def order_pay_resend(company_id, product_id, order_id):
    order = order_payments.order_of(g.access, order_id) or not_found()
    return _modal(order, order_payments.resend(current_user, g.access, order))


def _modal(order, outcome):
    back = safe_next(request.values.get("volver")) or url_for(
        "conexion.product", company_id=g.access.company.id, product_id=g.access.product.id)
    response = render("conexion/ordenes/pagar.html", partial="conexion/ordenes/_pagar.html", access=g.access,
                      order=order, outcome=outcome, back=back, account=order_payments.account_mask(g.access.company))
    headers = {"HX-Trigger": "ordenes-changed"} if outcome.status in ("approved", "declined", "error", "pending") else {}
    return response, 422 if outcome.status in SHOWN_AGAIN else 200, headers
