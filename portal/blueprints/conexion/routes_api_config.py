"""Conexión Empresas › Configuración › API (issue #12): the company's API keys and webhooks.

Every member sees the keys and the webhooks' URLs; only a member with `admin_company`
creates or revokes a key, registers or disables a URL (each with the password, in the
password modal: a page without JavaScript) and reads the deliveries (else 403,
audited); another company's URL, key, webhook or delivery is a 404 (audited). A key's
and a webhook's secret are shown once, in the answer to the POST that made them."""
from flask import flash, g, redirect, request, url_for
from flask_login import current_user

from portal.authz import require
from portal.blueprints.conexion import bp
from portal.blueprints.conexion.access import not_found, with_product
from portal.domain import api, paging
from portal.domain import webhooks as wh
from portal.services import api_config, api_keys, conexion, webhooks
from portal.web import redirect_htmx_aware, render

BASE = "/configuracion/api/<int:company_id>"
PAGE = "conexion/configuracion/api.html"
MODAL_PAGE = "conexion/configuracion/api_modal.html"
MODAL = "conexion/lotes/_decision.html"
DELIVERIES = "conexion/configuracion/entregas.html"
STATUSES = ("",) + tuple(wh.STATUS_LABELS)


@bp.get("/configuracion/api/")
@require("corporate")
def config_api_home():
    """The company chosen in the selector (?empresa=), else the user's first."""
    companies = conexion.companies_for(current_user)
    chosen = request.args.get("empresa", type=int) or (companies[0].id if companies else None)
    if chosen is None:
        return render(PAGE, companies=[])
    return redirect(url_for("conexion.config_api", company_id=chosen), 303)


@bp.get(BASE)
@with_product()
def config_api(company_id):
    company = g.access.company
    endpoints = webhooks.endpoints_of(company.id)
    return render(PAGE, access=g.access, companies=conexion.companies_for(current_user),
                  may_edit=g.access.may("admin_company"), key_scopes=api_config.scopes_for(g.access.membership),
                  keys=api_config.key_rows(company), endpoints=endpoints,
                  creators=api_config.creators(endpoints), events=api.WEBHOOK_EVENTS)


@bp.route(BASE + "/llaves/nueva", methods=["GET", "POST"])
@with_product("admin_company")
def config_api_key_new(company_id):
    """«Crear llave»: the form, then (once) the whole key."""
    if request.method == "GET":
        return _modal("crear")
    return _after(api_config.make_key(current_user, g.access, request.form), "crear")


@bp.route(BASE + "/llaves/<int:key_id>/revocar", methods=["GET", "POST"])
@with_product("admin_company")
def config_api_key_revoke(company_id, key_id):
    key = api_keys.key_of(company_id, key_id) or not_found()
    if request.method == "GET":
        return _modal("revocar", key=key)
    return _after(api_config.revoke_key(current_user, key, request.form.get("password", "")), "revocar", key=key)


@bp.route(BASE + "/webhooks/nuevo", methods=["GET", "POST"])
@with_product("admin_company")
def config_webhook_new(company_id):
    """«Registrar webhook»: the URL, then (once) its signing secret."""
    if request.method == "GET":
        return _modal("webhook")
    return _after(api_config.register_webhook(current_user, g.access.company, request.form), "webhook")


@bp.route(BASE + "/webhooks/<int:endpoint_id>/desactivar", methods=["GET", "POST"])
@with_product("admin_company")
def config_webhook_disable(company_id, endpoint_id):
    endpoint = webhooks.endpoint_of(company_id, endpoint_id) or not_found()
    if request.method == "GET":
        return _modal("desactivar", endpoint=endpoint)
    outcome = api_config.disable_webhook(current_user, endpoint, request.form.get("password", ""))
    return _after(outcome, "desactivar", endpoint=endpoint)


def _modal(action, **context):
    if action == "crear":
        context.update(scopes=api_config.scopes_for(g.access.membership),
                       products=api_config.products_of(g.access.company))
    return render(MODAL_PAGE, partial=MODAL, modal_body=f"conexion/configuracion/_api_{action}.html",
                  access=g.access, action=action, page_url=_page(), **context)


def _after(outcome, action, **context):
    """Locked: to the login. Refused: the modal again with the message (422). A secret:
    shown in the modal, this once. Otherwise back to the page with the message."""
    if outcome.locked:
        flash("Por seguridad su usuario quedó bloqueado por 15 minutos.", "error")
        return redirect_htmx_aware(url_for("auth.corporate_login"))
    if not outcome.ok:
        return _modal(action, error=outcome.message, typed=outcome.typed, **context), 422
    if outcome.secret:
        return _modal(action, outcome=outcome, **context)
    flash(outcome.message, "success")
    return redirect_htmx_aware(_page())


def _page():
    return url_for("conexion.config_api", company_id=g.access.company.id)


# --- the deliveries ---------------------------------------------------------------------

@bp.get(BASE + "/webhooks/entregas")
@with_product("admin_company")
def config_webhook_deliveries(company_id):
    """Every event sent to the company's URLs, newest first, with its tries; paged."""
    f = paging.Filters(request.args, estado=STATUSES)
    rows, page = webhooks.deliveries(company_id, f["estado"], f["pagina"], f["por_pagina"])
    return render(DELIVERIES, partial="conexion/configuracion/_entregas.html", access=g.access, rows=rows,
                  page=page, filters=f, params=f.link_params("pagina"), statuses=wh.STATUS_LABELS,
                  events=api.WEBHOOK_EVENTS)


@bp.post(BASE + "/webhooks/entregas/<int:delivery_id>/reintentar")
@with_product("admin_company")
def config_webhook_retry(company_id, delivery_id):
    """«Reintentar» a failed delivery: a new round of tries, queued."""
    delivery = webhooks.delivery_of(company_id, delivery_id) or not_found()
    if webhooks.retry(current_user, delivery):
        flash(f"La entrega {delivery.id} ({delivery.event}) se enviará de nuevo.", "success")
    else:
        flash(f"La entrega {delivery.id} no se puede reintentar: no está fallida o su webhook está desactivado.",
              "error")
    back = request.form.get("volver") or ""
    here = url_for("conexion.config_webhook_deliveries", company_id=company_id)
    return redirect_htmx_aware(back if back.startswith(here) else here)
