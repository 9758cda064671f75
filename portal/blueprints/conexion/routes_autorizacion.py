"""Conexión Empresas › Lotes › Autorización (manual 003 §3.3 pasos 1–4): the product's
confirmed batches, «Calcular orden de servicio» before signing, one or two signatures
(services/orders.py decides), and «Eliminar»."""
from flask import current_app, flash, g, render_template, request, url_for
from flask_login import current_user

from portal.blueprints.conexion import bp
from portal.blueprints.conexion.access import not_found, with_product
from portal.blueprints.conexion.routes_lotes import LOTES
from portal.domain import orders as o
from portal.domain.formatting import day_time
from portal.services import auth, orders
from portal.web import redirect_htmx_aware, render

AUTORIZACION = LOTES + "/autorizacion"
MODES = {o.PER_BATCH: "Procesar por lote", o.PER_KIND: "Procesar por tipo de lote"}


def _url(endpoint):
    return url_for(endpoint, company_id=g.access.company.id, product_id=g.access.product.id)


def _form():
    """The chosen batches (another company's or product's: 404, audited), the mode, the password."""
    batch_ids = request.form.getlist("lote")
    if orders.foreign(g.access, batch_ids):
        not_found()
    return batch_ids, request.form.get("modo", ""), request.form.get("password", "")


@bp.get(AUTORIZACION)
@with_product("authorize")
def authorization(company_id, product_id):
    return _list()


@bp.post(AUTORIZACION + "/calcular")
@with_product("authorize")
def authorization_calculate(company_id, product_id):
    """«Autorizar» (paso 2): the orders the signature would make (paso 3); nothing stored."""
    found = orders.preview(current_user, g.access, *_form())
    if found.locked:
        return _locked()
    if not found.ok:
        return _refused(found.message)
    # With htmx the list's «Contraseña» stays on the page under the modal and goes with
    # the second «Autorizar»; the page without JavaScript asks for it again.
    return _calculation(found.chosen, found.quotes, carry_password=bool(request.htmx))


@bp.post(AUTORIZACION + "/firmar")
@with_product("authorize")
def authorization_sign(company_id, product_id):
    """The second «Autorizar»: a first signature waits for another one, the last makes the orders."""
    batch_ids, mode, password = _form()
    changed = _changed_since_calculation(batch_ids, mode)
    if changed:
        return changed
    done = orders.sign(current_user, g.access, batch_ids, mode, password)
    if done.locked:
        return _locked()
    if done.message == auth.WRONG_PASSWORD:
        return _calculation_again(orders.selection(g.access, batch_ids, mode), done.message)
    if not done.ok:
        return _refused(done.message)
    if done.waiting is not None:
        flash(f"{done.message} Si nadie más firma antes del {day_time(done.waiting.lapses_at)} (hora de Bogotá), "
              "la firma vence y los lotes vuelven a «Confirmado».", "success")
        return redirect_htmx_aware(_url("conexion.authorization"))
    flash(done.message, "success")
    # The orders list needs «consult»: a signer without it stays on Autorización
    return redirect_htmx_aware(_url("conexion.orders_page" if g.access.may("consult") else "conexion.authorization"))


def _changed_since_calculation(batch_ids, mode):
    """The signer signs what the calculation showed: if another signer was quicker (or the
    first signature lapsed) meanwhile, the calculation again, as it is now."""
    picked = orders.selection(g.access, batch_ids, mode)
    now = str(picked.waiting.id) if picked.waiting else ""
    if picked.refusal or now == request.form.get("primera_firma", ""):
        return None
    return _calculation_again(picked, "Las firmas de estos lotes cambiaron mientras revisaba el cálculo (otro "
                                      "responsable firmó, o la primera firma venció). Revíselo antes de autorizar.")


def _calculation_again(picked, message):
    quotes = orders.calculate(g.access, picked.batches, picked.mode) if not picked.refusal else []
    return _calculation(picked, quotes, error=message, status=422)


@bp.post(AUTORIZACION + "/eliminar")
@with_product("authorize")
def authorization_delete(company_id, product_id):
    batch_ids, _, password = _form()
    decision = orders.discard(current_user, g.access, batch_ids, password)
    if decision.locked:
        return _locked()
    if not decision.ok:
        return _refused(decision.message)
    flash(decision.message, "success")
    return redirect_htmx_aware(_url("conexion.authorization"))


def _list(error=None, status=200):
    rows = orders.awaiting(g.access)
    return render_template("conexion/autorizacion/lista.html", access=g.access, rows=rows,
                           signatures=orders.first_signatures(rows), modes=MODES, error=error,
                           picked=set(request.form.getlist("lote")),
                           mode=request.form.get("modo") or o.PER_BATCH), status


def _calculation(picked, quotes, error=None, carry_password=False, status=200):
    return render("conexion/autorizacion/calculo.html", partial="conexion/lotes/_decision.html",
                  modal_body="conexion/autorizacion/_calculo_body.html", access=g.access, picked=picked,
                  quotes=quotes, error=error, carry_password=carry_password, modes=MODES, iva_label=o.iva_label,
                  lapse_hours=current_app.config["SIGNATURE_LAPSE_HOURS"]), status


def _refused(message):
    """A refusal of «Autorizar» or «Eliminar»: in the modal (htmx), else on the list."""
    if request.htmx:
        return _calculation(None, [], error=message, status=422)
    return _list(error=message, status=422)


def _locked():
    flash("Por seguridad su usuario quedó bloqueado por 15 minutos.", "error")
    return redirect_htmx_aware(url_for("auth.corporate_login"))
