"""Conexión Empresas administration, products (role «tarjetas», admin too): the list of every
company's products, a product's page, create and edit its card data; its tariffs change
through «Cambios por aprobar» (four eyes)."""
from itertools import zip_longest

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.authz import require
from portal.blueprints.staff import bp
from portal.domain import four_eyes as changes
from portal.domain import paging
from portal.domain import products as rules
from portal.services import products
from portal.web import render

ROLES = ("tarjetas",)


@bp.get("/productos/")
@require("staff", roles=ROLES)
def products_list():
    companies = products.companies()
    f = paging.Filters(request.args, empresa=("",) + tuple(str(c.id) for c in companies))
    rows, page = products.search(f)
    return render("staff/products.html", partial="staff/_products_table.html", rows=rows, page=page,
                  filters=f, params=f.link_params("pagina"), companies=companies)


def _cities():
    return request.form.getlist("ciudad"), request.form.getlist("costo")


@bp.route("/productos/nuevo", methods=["GET", "POST"])
@require("staff", roles=ROLES)
def new_product():
    outcome = None
    if request.method == "POST":
        outcome = products.create(current_user, request.form, *_cities())
        if outcome.ok:
            flash(outcome.message, "success")
            return redirect(url_for("staff.product", product_id=outcome.product.id), 303)
    card = request.form if outcome else {"brand": "Visa", "named": "nominada", "card_validity_months": "36"}
    tariff = _typed_tariffs() if outcome else _tariff_fields(rules.DEFAULT_TARIFFS)
    return render_template("staff/product_new.html", outcome=outcome, card=card, tariff=tariff,
                           companies=products.companies(), kinds=rules.BATCH_KINDS, labels=rules.LABELS,
                           kind_label=rules.kind_label), 422 if outcome else 200


@bp.get("/productos/<int:product_id>")
@require("staff", roles=ROLES)
def product(product_id):
    return _detail(products.get(product_id) or abort(404))


@bp.post("/productos/<int:product_id>")
@require("staff", roles=ROLES)
def update_product(product_id):
    item = products.get(product_id) or abort(404)
    return _done(item, products.update(current_user, item, request.form), "card")


@bp.post("/productos/<int:product_id>/tarifas")
@require("staff", roles=ROLES)
def propose_product_tariffs(product_id):
    item = products.get(product_id) or abort(404)
    return _done(item, products.propose_tariffs(current_user, item, request.form, *_cities()), "tariff")


def _done(item, outcome, form):
    if not outcome.ok:
        return _detail(item, outcome, form, 422)
    flash(outcome.message, "success")
    return redirect(url_for("staff.product", product_id=item.id), 303)


def _card_fields(item):
    return {"name": item.name, "brand": item.brand, "bin": item.bin, "named": "nominada" if item.named else "innominada",
            "card_validity_months": item.card_validity_months,
            "max_card_balance": "" if item.max_card_balance is None else rules.as_typed(item.max_card_balance)}


def _tariff_fields(values):
    """A tariffs dict (domain/products) as the form shows it: IVA in percent."""
    fields = {f"commission_{kind}": rules.as_typed(amount) for kind, amount in values["commission"].items()}
    fields.update({key: rules.as_typed(values[key]) for key in rules.FEES},
                  iva_rate=rules.percent_number(values["iva_rate"]))
    return dict(fields, rows=[(city, rules.as_typed(cost)) for city, cost in values["distribution"].items()])


def _typed_tariffs():
    """What was typed, without the trailing empty rows (the form adds three of its own)."""
    rows = list(zip_longest(*_cities(), fillvalue=""))
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    return dict(request.form, rows=rows)


def _detail(item, outcome=None, form=None, status=200):
    current, pending = products.tariffs(item), products.pending_change(item)
    return render_template(
        "staff/product.html", product=item, outcome=outcome, cards=products.cards_of(item), current=current,
        card=request.form if form == "card" else _card_fields(item),
        tariff=_typed_tariffs() if form == "tariff" else _tariff_fields(current),
        failed=form, pending=pending, pending_lines=rules.describe(changes.decode(pending.proposed)) if pending else [],
        tariff_lines=rules.describe(current), kinds=rules.BATCH_KINDS, labels=rules.LABELS,
        kind_label=rules.kind_label), status
