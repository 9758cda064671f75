"""Staff payment queues: review of mismatched reports, payments waiting for the bank."""
from flask import current_app, flash, request, url_for
from flask_login import current_user

from portal.authz import require
from portal.blueprints.staff import bp
from portal.domain import paging
from portal.services import payment_queue
from portal.web import redirect_htmx_aware, render


@bp.get("/pagos")
@require("staff", roles=("pagos",))
def payments():
    args = request.args
    q = args.get("q", "").strip()[:60]
    status = "resolved" if args.get("estado") == "resueltas" else "open"
    reviews, reviews_page = payment_queue.reviews(status, q, paging.parse_positive(args.get("pagina")))
    waiting, waiting_page = payment_queue.waiting(q, paging.parse_positive(args.get("pagina_espera")))
    return render("staff/payments.html", partial="staff/_payments_tables.html", q=q, status=status,
                  reviews=reviews, reviews_page=reviews_page, waiting=waiting,
                  waiting_page=waiting_page, counts=payment_queue.counts(),
                  sandbox=current_app.config["GATEWAY_ADAPTER"] == "sandbox")


def _done(outcome):
    flash(outcome.message, "success" if outcome.ok else "error")
    return redirect_htmx_aware(url_for("staff.payments"))


@bp.post("/pagos/revisiones/<int:review_id>/resolver")
@require("staff", roles=("pagos",))
def resolve_review(review_id):
    return _done(payment_queue.resolve(current_user, review_id, request.form.get("note")))


@bp.post("/pagos/<reference>/consultar")
@require("staff", roles=("pagos",))
def ask_acquirer(reference):
    return _done(payment_queue.ask_acquirer(current_user, reference))


@bp.post("/pagos/sandbox/<transaction_id>/liquidar")
@require("staff", roles=("pagos",))
def sandbox_settle(transaction_id):
    if current_app.config["GATEWAY_ADAPTER"] != "sandbox":
        return _done(payment_queue.Outcome(False, "Solo disponible con la pasarela sandbox."))
    return _done(payment_queue.sandbox_settle(current_user, transaction_id, request.form.get("status")))
