"""Pagos Express (manual 001; 000 for employers)."""
from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from portal.authz import require
from portal.blueprints.pagos import bp
from portal.blueprints.pagos.forms import AmountForm, ChildForm, PayerForm
from portal.domain import payments as rules
from portal.extensions import csrf, limiter
from portal.services import pagos_express as px
from portal.services import payments
from portal.web import render


@bp.get("/")
@require("affiliate", "hanna")
def home():
    return render_template("pagos/home.html", recent=px.recent_payments(current_user))


def _go_to_checkout(payment, expires_at=None):
    try:
        return redirect(payments.checkout_url(payment, expires_at), 303)
    except rules.PaymentError as refusal:
        flash(str(refusal), "warning")
        return redirect(url_for("pagos.payment_return", reference=payment.reference), 303)


# --- affiliates: CRÉDITOS ---------------------------------------------------------------

@bp.get("/creditos")
@require("affiliate")
def credits():
    return render_template("pagos/credits.html", credits=px.credits_for(current_user))


@bp.route("/creditos/<int:credit_id>/pagar", methods=["GET", "POST"])
@require("affiliate")
def pay_credit(credit_id):
    credit = px.credit_for(current_user, credit_id) or abort(404)
    form = AmountForm()
    error = None
    if form.validate_on_submit():
        choice = px.amount_choice(credit, form.option.data, form.other.data)
        if choice.error is None:
            return _go_to_checkout(px.pay_credit(current_user, credit, choice.amount))
        error = choice.error
        form.other.errors = [error] if form.option.data == "otro" else []
    status = 422 if (error or form.errors) else 200
    return render_template("pagos/pay_credit.html", credit=credit, form=form, error=error), status


# --- affiliates: JARDÍN -----------------------------------------------------------------

@bp.get("/jardin")
@require("affiliate")
@limiter.limit("30 per minute", methods=["GET"])
def kindergarten():
    form = ChildForm(request.args)
    searched = "child_id" in request.args
    slips = px.open_kindergarten_slips(form.child_id.data) if searched and form.validate() else []
    return render("pagos/kindergarten.html", partial="pagos/_kindergarten_results.html",
                  form=form, slips=slips, searched=searched)


@bp.post("/jardin/<int:slip_id>/pagar")
@require("affiliate")
def pay_kindergarten(slip_id):
    child_id = request.form.get("child_id", "").strip()
    slip = px.kindergarten_slip(slip_id, child_id) or abort(404)
    try:
        payment = px.pay_kindergarten(current_user, slip)
    except px.PaymentInFlight as refusal:
        flash(str(refusal), "warning")
        return redirect(url_for("pagos.kindergarten", child_id=child_id), 303)
    return _go_to_checkout(payment)


# --- employers: PAGAR LIBRANZA EMPRESAS -----------------------------------------------

@bp.get("/libranza")
@require("hanna")
def employer_slips():
    if px.employer_entity_id(current_user) is None:
        abort(403)
    return render_template("pagos/employer_slips.html", slips=px.employer_slips(current_user),
                           expired=px.slip_is_expired)


@bp.route("/libranza/<int:slip_id>/pagar", methods=["GET", "POST"])
@require("hanna")
def pay_employer_slip(slip_id):
    slip = px.employer_slip(current_user, slip_id) or abort(404)
    if slip.status == "paid":
        flash(f"El volante {slip.number} ya está pagado.", "info")
        return redirect(url_for("pagos.employer_slips"), 303)
    if px.slip_is_expired(slip):
        return render_template("pagos/slip_expired.html", slip=slip), 409
    form = PayerForm()
    if form.validate_on_submit():
        payer = {name: getattr(form, name).data.strip() for name in
                 ("first_name", "last_name", "email", "mobile", "address")}
        try:
            payment = px.pay_employer_slip(current_user, slip, payer)
        except px.PaymentInFlight as refusal:
            flash(str(refusal), "warning")
            return redirect(url_for("pagos.employer_slips"), 303)
        return _go_to_checkout(payment, slip.expires_at)
    return render_template("pagos/payer.html", slip=slip, form=form), 422 if form.errors else 200


# --- after the acquirer ------------------------------------------------------------------

@bp.get("/pagos/<reference>/resultado")
@require("affiliate", "hanna")
def payment_return(reference):
    """The acquirer sends the payer back here with ?id=; we ask the acquirer ourselves."""
    payment = px.payment_for(current_user, reference) or abort(404)
    if payment.status != rules.APPROVED:
        if request.args.get("id"):
            payments.confirm_return(payment, request.args["id"])
        elif payment.attempts:
            payments.refresh(payment, "return")
    return render("pagos/payment_status.html", partial="pagos/_payment_status.html", payment=payment)


@bp.post("/pagos/<reference>/reintentar")
@require("affiliate", "hanna")
def retry_payment(reference):
    payment = px.payment_for(current_user, reference) or abort(404)
    slip = px.slip_of(payment)
    if slip is not None and px.slip_is_expired(slip):
        return render_template("pagos/slip_expired.html", slip=slip), 409
    return _go_to_checkout(payment, slip.expires_at if slip else None)


@bp.post("/eventos")
@csrf.exempt
@limiter.limit("600 per minute")
def gateway_events():
    """The acquirer's signed `transaction.updated` events (server to server)."""
    body = request.get_json(silent=True)
    result = payments.handle_event(body)
    if result in ("ok", "unknown_reference"):
        return jsonify(received=True)
    current_app.logger.warning("gateway event refused: %s", result)
    return jsonify(received=False, reason=result), 400
