"""Hosted checkout (card or PSE), voucher, status polling and the acquirer's API."""
import hmac
from urllib.parse import urlencode, urlsplit

from flask import abort, current_app, jsonify, redirect, render_template, request, session, url_for

from portal.blueprints.gateway import bp
from portal.blueprints.gateway.forms import CardForm, PseForm
from portal.domain import acquirer_rules as rules
from portal.domain import clock
from portal.domain.gateway import from_cents
from portal.extensions import limiter
from portal.services import acquirer
from portal.web import render

# The last few transactions paid in this browser (their vouchers stay viewable), and the
# checkout of the latest one unless it was approved (for "Intentar con otro medio de pago"):
# a checkout query is ~450 bytes in the cookie, sent with every request after it.
REMEMBERED = "gateway_paid"
RETRY = "gateway_retry"
REMEMBER_LAST = 5


def _checkout_or_refusal():
    checkout = acquirer.read_checkout(request.args)
    problem = acquirer.checkout_problem(checkout) or _redirect_problem(checkout.redirect_url)
    return checkout, problem


def _redirect_problem(url):
    """The payer is only ever sent back to the merchant's own site."""
    if url and urlsplit(url).netloc not in ("", request.host):
        return "La dirección de regreso al comercio no es válida."
    return None


def _page(checkout, card=None, pse=None, method=None, status=200):
    return render_template(
        "gateway/checkout.html", checkout=checkout, total=from_cents(checkout.amount_in_cents),
        card=card or CardForm(formdata=None), pse=pse or PseForm(formdata=None),
        method=method, pending=acquirer.pending_for(checkout.reference),
        query=urlencode(checkout.query()), banks=rules.PSE_BANKS), status


def _remember(tx, checkout):
    kept = [known for known in session.get(REMEMBERED, []) if known != tx.public_id]
    session[REMEMBERED] = (kept + [tx.public_id])[-REMEMBER_LAST:]
    if tx.status == "APPROVED":
        session.pop(RETRY, None)
    else:
        session[RETRY] = [tx.public_id, urlencode(checkout.query())]


def _paid_here(public_id):
    return public_id in session.get(REMEMBERED, [])


def _retry_query(public_id):
    """The checkout query to try again with, for the latest transaction only."""
    latest, query = session.get(RETRY) or (None, None)
    return query if latest == public_id else None


@bp.get("/checkout")
def checkout():
    checkout, problem = _checkout_or_refusal()
    if problem:
        return render_template("gateway/refused.html", problem=problem, checkout=checkout), 400
    return _page(checkout, method=request.args.get("medio"))


def _payable_checkout():
    """(checkout, None) when a new attempt may start, else (checkout, refusal response)."""
    checkout, problem = _checkout_or_refusal()
    if problem:
        return checkout, (render_template("gateway/refused.html", problem=problem,
                                          checkout=checkout), 400)
    if acquirer.pending_for(checkout.reference):
        return checkout, _page(checkout, status=409)
    return checkout, None


def _paid(tx, checkout):
    _remember(tx, checkout)
    return redirect(url_for("gateway.voucher", public_id=tx.public_id), 303)


@bp.post("/checkout/tarjeta")
@limiter.limit(lambda: current_app.config["GATEWAY_PAY_RATE_LIMIT"])
def pay_card():
    checkout, refusal = _payable_checkout()
    if refusal:
        return refusal
    form = CardForm()
    card = rules.clean_card_number(form.number.data)
    if form.validate_on_submit():
        month, _, year = (form.expiry.data or "").replace(" ", "").partition("/")
        for field, error in ((form.number, card.error),
                             (form.expiry, rules.expiry_error(month.zfill(2), year, clock.utcnow())),
                             (form.cvc, rules.cvc_error(form.cvc.data.strip()))):
            if error:
                field.errors = [*field.errors, error]
        if not (form.number.errors or form.expiry.errors or form.cvc.errors):
            return _paid(acquirer.pay_by_card(checkout, card.digits, form.holder.data.strip(),
                                              int(form.installments.data), request.remote_addr),
                         checkout)
    return _page(checkout, card=form, method="tarjeta", status=422)


@bp.post("/checkout/pse")
@limiter.limit(lambda: current_app.config["GATEWAY_PAY_RATE_LIMIT"])
def pay_pse():
    checkout, refusal = _payable_checkout()
    if refusal:
        return refusal
    form = PseForm()
    if form.validate_on_submit():
        return _paid(acquirer.pay_by_pse(checkout, form.user_type.data, form.id_type.data,
                                         form.id_number.data, form.bank.data, request.remote_addr),
                     checkout)
    return _page(checkout, pse=form, method="pse", status=422)


@bp.get("/transacciones/<public_id>")
def voucher(public_id):
    """'Resultado de la Transacción - Voucher', only in the browser that paid."""
    if not _paid_here(public_id):
        abort(404)
    tx = acquirer.find(public_id) or abort(404)
    context = dict(tx=tx, total=from_cents(tx.amount_in_cents),
                   retry_query=_retry_query(public_id),
                   back_url=_back_url(tx), fund=current_app.config)
    return render("gateway/voucher.html", partial="gateway/_voucher_body.html", **context)


def _back_url(tx):
    if not tx.redirect_url:
        return None
    joiner = "&" if "?" in tx.redirect_url else "?"
    return f"{tx.redirect_url}{joiner}{urlencode({'id': tx.public_id})}"


# --- the acquirer's API (the merchant's adapter asks here) -----------------------------

def _authorized():
    given = request.headers.get("Authorization", "")
    expected = f"Bearer {current_app.config['GATEWAY_PRIVATE_KEY']}"
    return hmac.compare_digest(given.encode(), expected.encode())


@bp.get("/v1/transactions/<public_id>")
def api_transaction(public_id):
    if not _authorized():
        return jsonify(error={"type": "AUTHENTICATION_ERROR"}), 401
    tx = acquirer.find(public_id)
    if tx is None:
        return jsonify(error={"type": "NOT_FOUND_ERROR"}), 404
    return jsonify(data=acquirer.as_api(tx))


@bp.get("/v1/transactions")
def api_transactions():
    if not _authorized():
        return jsonify(error={"type": "AUTHENTICATION_ERROR"}), 401
    reference = request.args.get("reference", "")
    return jsonify(data=[acquirer.as_api(tx) for tx in acquirer.by_reference(reference)])
