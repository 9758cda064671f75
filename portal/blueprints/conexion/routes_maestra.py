"""Servicios › Cuenta maestra (manual 003 §5.1 pasos 1–2; manual 004 «Transferencia
maestra»): the product's master account and «Ingresa el monto y la descripción» to fund it
by PSE through the gateway's checkout; the payer comes back to the result page."""
from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from portal.blueprints.conexion import bp
from portal.blueprints.conexion.access import not_found, with_product
from portal.domain import payments as rules
from portal.extensions import limiter
from portal.services import master_account, payments

MAESTRA = "/<int:company_id>/productos/<int:product_id>/servicios/cuenta-maestra"


@bp.route(MAESTRA, methods=["GET", "POST"], endpoint="master_account")
@limiter.limit("30 per minute", methods=["POST"])
@with_product("master_account")
def master_account_page(company_id, product_id):
    errors, form = {}, {}
    if request.method == "POST":
        form = {"monto": request.form.get("monto", ""), "descripcion": request.form.get("descripcion", "")}
        payment, errors = master_account.start_funding(current_user, g.access, form["monto"], form["descripcion"])
        if payment is not None:
            return redirect(payments.checkout_url(payment, return_url=_return_url(payment)), 303)
    found = master_account.summary(g.access.company, g.access.product)
    return render_template("conexion/maestra/page.html", access=g.access, summary=found, errors=errors, form=form,
                           maximum=master_account.maximum()), 422 if errors else 200


def _return_url(payment):
    return url_for("conexion.master_account_return", company_id=g.access.company.id,
                   product_id=g.access.product.id, reference=payment.reference, _external=True)


@bp.get(MAESTRA + "/pagos/<reference>")
@with_product("master_account")
def master_account_return(company_id, product_id, reference):
    """The gateway sends the payer back with ?id=: the acquirer is asked, never the URL trusted."""
    payment = master_account.funding_payment(current_user, g.access, reference) or not_found()
    if payment.status != rules.APPROVED:
        if request.args.get("id"):
            payments.confirm_return(payment, request.args["id"])
        elif payment.attempts:
            payments.refresh(payment, "return")
    return render_template("conexion/maestra/resultado.html", access=g.access, payment=payment)


@bp.post(MAESTRA + "/pagos/<reference>/reintentar")
@with_product("master_account")
def master_account_retry(company_id, product_id, reference):
    payment = master_account.funding_payment(current_user, g.access, reference) or not_found()
    try:
        return redirect(payments.checkout_url(payment, return_url=_return_url(payment)), 303)
    except rules.PaymentError as refusal:
        flash(str(refusal), "warning")
        return redirect(url_for("conexion.master_account_return", company_id=company_id, product_id=product_id,
                                reference=reference), 303)
