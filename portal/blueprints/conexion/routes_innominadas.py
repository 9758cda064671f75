"""Conexión Empresas › Lotes › Tarjetas innominadas (manual 003 §3.4 Solicitud, §3.5
Afiliación), for products of unnamed cards: a named product's URLs are not found."""
from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from portal.blueprints.conexion import bp
from portal.blueprints.conexion.access import not_found, with_product
from portal.domain import embossing, paging
from portal.extensions import limiter
from portal.services import unnamed_cards
from portal.web import redirect_htmx_aware, render, send_xlsx

INNOMINADAS = "/<int:company_id>/productos/<int:product_id>/lotes/innominadas"
AFILIACION = INNOMINADAS + "/afiliacion"


def _unnamed_only():
    if g.access.product.named:
        not_found()


def _here(endpoint, **values):
    return url_for(endpoint, company_id=g.access.company.id, product_id=g.access.product.id, **values)


# --- Solicitud ---------------------------------------------------------------------------------

@bp.route(INNOMINADAS + "/solicitud", methods=["GET", "POST"])
@limiter.limit("60 per hour", methods=["POST"])
@with_product("upload")
def unnamed_request(company_id, product_id):
    _unnamed_only()
    if request.method == "GET":
        return _request_page(done=unnamed_cards.done_batch(g.access, request.args.get("lote")))
    outcome = unnamed_cards.request_cards(current_user, g.access, request.form)
    if outcome.locked:
        flash("Por seguridad su usuario quedó bloqueado por 15 minutos.", "error")
        return redirect_htmx_aware(url_for("auth.corporate_login"))
    if not outcome.ok:
        return _request_page(outcome=outcome), 422
    if not request.htmx:
        return redirect(_here("conexion.unnamed_request", lote=outcome.batch.id), 303)
    return render_template("conexion/innominadas/_procesado.html", done=outcome.batch, **_request_context())


def _request_context(outcome=None):
    checked = outcome.checked if outcome else None
    return {"access": g.access, "outcome": outcome, "typed": checked.typed if checked else {},
            "errors": checked.errors if checked else {}, "form_key": _form_key(outcome),
            "expiry": unnamed_cards.expiry(g.access.product),
            "branches": unnamed_cards.branches(g.access.company), "labels": embossing.LABELS,
            "max_cards": current_app.config["UNNAMED_MAX_CARDS"], "line_max": embossing.LINE_MAX,
            "after_url": _after_url()}


def _form_key(outcome):
    """A refused request keeps its key (fixed and sent again, it is still one request)."""
    posted = request.form.get("solicitud", "") if outcome else ""
    return posted if unnamed_cards.valid_form_key(posted) else unnamed_cards.new_form_key()


def _request_page(outcome=None, done=None):
    return render("conexion/innominadas/solicitud.html", partial="conexion/innominadas/_solicitud_form.html",
                  done=done, **_request_context(outcome))


def _after_url():
    """«Aceptar» leads to Lotes › Autorización, where the batch waits (Carga de lotes for
    a user who may not authorize)."""
    if g.access.may("authorize"):
        return _here("conexion.authorization")
    return _here("conexion.batches_page")


# --- Afiliación --------------------------------------------------------------------------------

@bp.get(AFILIACION)
@with_product("upload")
def unnamed_batches(company_id, product_id):
    _unnamed_only()
    f = paging.Filters(request.args)
    rows, page = unnamed_cards.requested(g.access, f["q"], f["pagina"], f["por_pagina"])
    return render("conexion/innominadas/afiliacion.html", partial="conexion/innominadas/_lotes.html",
                  access=g.access, rows=rows, page=page, filters=f, params=f.link_params("pagina"))


@bp.get(AFILIACION + "/<int:batch_id>")
@with_product("upload")
def unnamed_batch(company_id, product_id, batch_id):
    _unnamed_only()
    batch = unnamed_cards.batch_of(g.access, batch_id) or not_found()
    f = paging.Filters(request.args)
    cards, page = unnamed_cards.cards(batch, f["q"], f["pagina"], f["por_pagina"])
    return render("conexion/innominadas/detalle.html", partial="conexion/innominadas/_tarjetas.html",
                  access=g.access, batch=batch, cards=cards, page=page, filters=f, params=f.link_params("pagina"),
                  states=unnamed_cards.CARD_STATES, has_cards=page.total > 0 or unnamed_cards.has_cards(batch))


@bp.get(AFILIACION + "/<int:batch_id>.xlsx")
@with_product("upload")
def unnamed_affiliation_file(company_id, product_id, batch_id):
    _unnamed_only()
    batch = unnamed_cards.batch_of(g.access, batch_id) or not_found()
    name, data = unnamed_cards.affiliation_file(current_user, batch) or abort(404)
    return send_xlsx(name, data)
