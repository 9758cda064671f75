"""Conexión Empresas › Servicios › Consulta de tarjetas (manual 003 §5.1 pasos 2–10): the
«Criterios de Búsqueda», the product's cards, and each card's operations (Consultar
saldo, Abonar, Cargo, bloqueo, reposición; an abono to several cards at once) in the
password modal, each ending in the transaction's data and result."""
from flask import abort, flash, g, request, url_for
from flask_login import current_user

from portal.blueprints.conexion import bp
from portal.blueprints.conexion.access import not_found, with_product
from portal.domain import card_operations as co
from portal.domain import paging
from portal.services import card_operations
from portal.web import redirect_htmx_aware, render

TARJETAS = "/<int:company_id>/productos/<int:product_id>/servicios/tarjetas"
SLUGS = {"saldo": "balance", "abonar": "credit", "cargo": "debit", "bloquear": "block", "desbloquear": "unblock",
         "reposicion": "replacement"}
KIND_SLUGS = {kind: slug for slug, kind in SLUGS.items()}
MODAL = "conexion/lotes/_decision.html"
BODY = "conexion/tarjetas/_operacion_body.html"


@bp.get(TARJETAS)
@with_product("master_account")
def cards_page(company_id, product_id):
    """Paso 2–3: the search and the cards found, paged (bad criteria named: 422)."""
    criteria = co.parse_criteria(request.args)
    f = paging.Filters(request.args)
    rows, page = card_operations.search(g.access, criteria, f["pagina"], f["por_pagina"], f["q"]) if criteria.ok \
        else ([], None)
    params = dict(criteria.params, buscar="1", **f.link_params("pagina")) if criteria.ok else {}
    body = render("conexion/tarjetas/lista.html", partial="conexion/tarjetas/_list.html", access=g.access,
                  criteria=criteria, rows=rows, page=page, filters=f, params=params, fields=co.FIELDS,
                  statuses=co.STATUS_LABELS, reasons=co.REASON_LABELS)
    return body, 422 if criteria.errors or criteria.message else 200


@bp.route(TARJETAS + "/<int:card_id>/<operacion>", methods=["GET", "POST"])
@with_product("master_account")
def card_operation(company_id, product_id, card_id, operacion):
    """Pasos 4–10: the operation's password modal (a page without JavaScript), then its result."""
    if operacion not in SLUGS:
        abort(404)
    card = card_operations.card_of(g.access, card_id) or not_found()
    return _operation(SLUGS[operacion], [card])


@bp.route(TARJETAS + "/abono-multiple", methods=["GET", "POST"])
@with_product("master_account")
def cards_credit(company_id, product_id):
    """Beyond the manual: the same abono to every selected card, all or nothing."""
    ids = {int(v) for v in request.values.getlist("tarjeta") if v.isdigit()}
    if not ids or len(ids) > co.MAX_CARDS:
        flash(f"Seleccione entre 1 y {co.MAX_CARDS} tarjetas para abonar.", "error")
        return redirect_htmx_aware(_back())
    cards = card_operations.cards_of(g.access, ids) or not_found()
    return _operation("credit", cards)


def _operation(kind, cards):
    if request.method == "GET":
        return _modal(kind, cards)
    amount, reason, note, error = _form(kind)
    if error:
        return _modal(kind, cards, error=error, key=request.form.get("clave")), 422
    outcome = card_operations.operate(current_user, g.access, request.form.get("clave", ""),
                                      request.form.get("password", ""), kind, cards, amount=amount, reason=reason,
                                      description=note)
    if outcome.locked:
        flash("Por seguridad su usuario quedó bloqueado por 15 minutos.", "error")
        return redirect_htmx_aware(url_for("auth.corporate_login"))
    if not outcome.decided:
        return _modal(kind, cards, error=outcome.message, key=request.form.get("clave")), 422
    return _modal(kind, cards, outcome=outcome), 200, {"HX-Trigger": "tarjetas-changed"}


def _form(kind):
    """(amount, reason, description, the first error) of the modal's form."""
    amount, error = co.amount_error(request.form.get("monto")) if kind in co.WITH_AMOUNT else (None, None)
    note, note_error = co.note_error(request.form.get("descripcion")) if kind == "credit" else (None, None)
    reason = request.form.get("motivo") if kind == "block" else None
    if kind == "block" and reason not in co.BLOCK_REASONS:
        error = "Motivo: seleccione pérdida, robo o deterioro."
    return amount, reason, note, error or note_error


def _modal(kind, cards, error=None, key=None, outcome=None):
    here = dict(company_id=g.access.company.id, product_id=g.access.product.id)
    post_url = url_for("conexion.card_operation", card_id=cards[0].id, operacion=KIND_SLUGS[kind], **here) \
        if len(cards) == 1 else url_for("conexion.cards_credit", **here)
    return render("conexion/tarjetas/operacion.html", partial=MODAL, modal_body=BODY, access=g.access,
                  kind=kind, post_url=post_url, title=co.KINDS[kind], cards=cards, error=error, outcome=outcome,
                  key=key or card_operations.new_key(), back=_back(), reasons=co.BLOCK_REASONS, note_max=co.NOTE_MAX,
                  balances={card.id: card_operations.balance_of(card) for card in cards} if outcome else {},
                  statuses=co.STATUS_LABELS)


def _back():
    """The list the modal was opened from (its search kept), else the search page."""
    base = url_for("conexion.cards_page", company_id=g.access.company.id, product_id=g.access.product.id)
    back = request.values.get("volver") or ""
    return back if back.startswith(base) else base
