"""A card product as the fund's staff set it up (Conexión Empresas administration, role
«tarjetas»): its card data, edited at once, and its tariffs, changed only under four eyes
(domain/four_eyes). Pure: the typed values in, the values to keep and one Spanish message
per wrong field out.

Tariffs are every price the product charges its company: the commission per record of
each batch type and the distribution cost per card by city (what «Calcular orden de
servicio» uses), the IVA rate on them, and the master account's commissions (balance query,
transfer, debit) and a replacement card's cost. All of them move money out of the
company's account, so none may change on one person's word. The card data (name, brand,
BIN, nominada/innominada, validity, the most a card may hold) moves no money: audited."""
import re
from decimal import Decimal
from itertools import zip_longest

from portal.domain.batch_layouts import label as batch_label
from portal.domain.formatting import money, to_money
from portal.domain.forms import Checked
from portal.domain.master_account import read_amount

BATCH_KINDS = ("emission", "topup", "affiliation", "unnamed_emission")
MONEY_MAX = Decimal("999999999999.99")  # Numeric(14, 2)
VALIDITY_MIN, VALIDITY_MAX = 1, 120
NAME_MAX, BRAND_MAX, CITY_MAX = 60, 20, 60

CARD_FIELDS = ("name", "brand", "bin", "named", "card_validity_months", "max_card_balance")
LABELS = {"name": "Nombre", "brand": "Marca", "bin": "BIN", "named": "Tipo de emisión",
          "card_validity_months": "Vigencia de la tarjeta (meses)",
          "max_card_balance": "Saldo máximo por tarjeta",
          "iva_rate": "Tasa de IVA (%)", "distribution_cost": "Costo de distribución en otras ciudades",
          "balance_query_fee": "Comisión por consulta de saldo", "transfer_fee": "Comisión por transferencia (abono)",
          "debit_fee": "Comisión por cargo (débito)", "replacement_cost": "Costo de reposición"}
FEES = ("balance_query_fee", "transfer_fee", "debit_fee", "replacement_cost", "distribution_cost")
NAMED_CHOICES = {"nominada": True, "innominada": False}

_BIN = re.compile(r"^\d{6}$")
_TEXT = re.compile(r"^[\w][\w .&/()+-]*$")


# A new product's form starts from the program's usual figures (the manual's report:
# 60.00 a balance query, 55.00 a transfer; IVA 19 %, ET art. 468).
DEFAULT_TARIFFS = {"commission": {kind: "0.00" for kind in BATCH_KINDS}, "iva_rate": "0.1900",
                   "balance_query_fee": "60.00", "transfer_fee": "55.00", "debit_fee": "55.00",
                   "replacement_cost": "0.00", "distribution_cost": "0.00", "distribution": {}}


def kind_label(kind):
    return f"Comisión por registro: {batch_label(kind)}"


def _money(raw, label, required=True):
    """(Decimal with 2 places, None), (None, None) when empty and optional, or (None, message)."""
    text = (raw or "").strip()
    if not text:
        return None, (f"{label}: es obligatorio." if required else None)
    amount = read_amount(text)
    if amount is None:
        return None, f"{label}: «{text[:30]}» no es un valor en pesos; escriba por ejemplo 6500, 6.500 o 6.500,50."
    if amount < 0:
        return None, f"{label}: no puede ser negativo."
    if amount.as_tuple().exponent < -2:
        return None, f"{label}: admite máximo dos decimales."
    if amount > MONEY_MAX:
        return None, f"{label}: no puede superar {money(MONEY_MAX)}."
    return to_money(amount), None


def _text(raw, label, maximum):
    text = " ".join((raw or "").split())
    if not text:
        return None, f"{label}: es obligatorio."
    if len(text) > maximum:
        return None, f"{label}: tiene {len(text)} caracteres; el máximo es {maximum}."
    if not _TEXT.match(text):
        return None, f"{label}: solo admite letras, números, espacios y . & / ( ) + -"
    return text, None


def _bin(raw, label):
    text = (raw or "").strip()
    if not _BIN.match(text):
        return None, f"{label}: debe tener exactamente 6 dígitos (los primeros del número de la tarjeta)."
    return text, None


def _named(raw, label):
    if raw not in NAMED_CHOICES:
        return None, f"{label}: elija nominada o innominada."
    return NAMED_CHOICES[raw], None


def _validity(raw, label):
    text = (raw or "").strip()
    if not text.isdigit() or not VALIDITY_MIN <= int(text) <= VALIDITY_MAX:
        return None, f"{label}: escriba un número entero de meses, de {VALIDITY_MIN} a {VALIDITY_MAX}."
    return int(text), None


CARD_CHECKS = {"name": lambda raw, label: _text(raw, label, NAME_MAX),
               "brand": lambda raw, label: _text(raw, label, BRAND_MAX),
               "bin": _bin, "named": _named, "card_validity_months": _validity,
               "max_card_balance": lambda raw, label: _money(raw, label, required=False)}


def check_card(form):
    """The product's card data; an empty «Saldo máximo por tarjeta» is no limit (None)."""
    values, typed, errors = {}, {}, {}
    for key in CARD_FIELDS:
        typed[key] = str(form.get(key) or "").strip()
        values[key], error = CARD_CHECKS[key](typed[key], LABELS[key])
        if error:
            errors[key] = error
    if values.get("max_card_balance") == 0:
        errors["max_card_balance"] = f"{LABELS['max_card_balance']}: debe ser mayor que cero (vacío: sin límite)."
    return Checked(values, typed, errors)


# --- tariffs --------------------------------------------------------------------------------

def _rate(raw, label):
    """«19» or «19,5» percent → Decimal('0.1900') / ('0.1950')."""
    text = (raw or "").strip().replace("%", "").replace(",", ".")
    if not re.fullmatch(r"\d{1,3}(\.\d{1,2})?", text) or Decimal(text) > 100:
        return None, f"{label}: escriba un porcentaje de 0 a 100 con máximo dos decimales, por ejemplo 19."
    return (Decimal(text) / 100).quantize(Decimal("0.0001")), None


def _distribution(cities, costs, errors):
    """{CITY: cost} from the form's rows; a row left empty is skipped (that is how a city is
    taken off: its destination costs the default again)."""
    table = {}
    for n, (city, cost) in enumerate(zip_longest(cities, costs, fillvalue=""), start=1):
        city, cost = " ".join((city or "").split()).upper(), (cost or "").strip()
        if not city and not cost:
            continue
        label = f"Distribución, fila {n}"
        if not city or len(city) > CITY_MAX:
            errors[f"city-{n}"] = f"{label}: escriba la ciudad (máximo {CITY_MAX} caracteres)."
            continue
        if city in table:
            errors[f"city-{n}"] = f"{label}: la ciudad {city} ya está en otra fila."
            continue
        table[city], error = _money(cost, f"{label} ({city}), costo por tarjeta")
        if error:
            errors[f"city-{n}"] = error
    return table


def check_tariffs(form, cities=(), costs=()):
    """Every tariff of the form: values are strings («10.00», IVA «0.1900») ready for a
    change request's JSON and comparable with `tariffs_of`."""
    values, errors = {"commission": {}}, {}
    for kind in BATCH_KINDS:
        amount, error = _money(form.get(f"commission_{kind}"), kind_label(kind))
        values["commission"][kind] = str(amount) if amount is not None else None
        if error:
            errors[f"commission_{kind}"] = error
    for key in FEES:
        amount, error = _money(form.get(key), LABELS[key])
        values[key] = str(amount) if amount is not None else None
        if error:
            errors[key] = error
    rate, error = _rate(form.get("iva_rate"), LABELS["iva_rate"])
    values["iva_rate"] = str(rate) if rate is not None else None
    if error:
        errors["iva_rate"] = error
    values["distribution"] = {city: str(cost) for city, cost in _distribution(cities, costs, errors).items()
                              if cost is not None}
    return Checked(values, dict(form), errors)


def tariffs_of(product, commissions, distribution):
    """The tariffs in force, in `check_tariffs`' shape: `commissions` {kind: Decimal} of the
    Tariff rows (a kind without one pays the product's commission_per_record), `distribution`
    {CITY: Decimal}."""
    values = {"commission": {kind: str(to_money(commissions.get(kind, product.commission_per_record or 0)))
                             for kind in BATCH_KINDS},
              "iva_rate": str(Decimal(product.iva_rate).quantize(Decimal("0.0001"))),
              "distribution": {city: str(to_money(cost)) for city, cost in sorted(distribution.items())}}
    for key in FEES:
        values[key] = str(to_money(getattr(product, key) or 0))
    return values


def percent_number(rate):
    """Decimal('0.1900') → «19», Decimal('0.195') → «19,5» (as the IVA field shows it)."""
    return f"{Decimal(rate) * 100:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def percent(rate):
    return f"{percent_number(rate)} %"


def describe(values):
    """A change request's tariffs as the queue shows them: one «label: value» per line."""
    if not values:
        return []
    lines = [f"{kind_label(kind)}: {money(Decimal(v), cents=True)}" for kind, v in values["commission"].items()]
    lines.append(f"{LABELS['iva_rate']}: {percent(values['iva_rate'])}")
    lines += [f"{LABELS[key]}: {money(Decimal(values[key]), cents=True)}" for key in FEES]
    lines += [f"Distribución a {city}: {money(Decimal(cost), cents=True)}"
              for city, cost in sorted(values["distribution"].items())]
    return lines


def as_typed(amount):
    """What a money field shows: es-CO without the sign («6.500,00»), read back the same."""
    return money(Decimal(amount), cents=True).replace("$\xa0", "")


def _cities_apart(before, after):
    """A city with a cost of its own on one side only costs the general one on the other."""
    general = {side: f"sin costo propio (el de otras ciudades, {money(Decimal(v['distribution_cost']), cents=True)})"
               for side, v in (("before", before), ("after", after))}
    old = [f"Distribución a {city}: {general['before']}" for city in sorted(set(after["distribution"])
                                                                           - set(before["distribution"]))]
    new = [f"Distribución a {city}: {general['after']}" for city in sorted(set(before["distribution"])
                                                                          - set(after["distribution"]))]
    return old, new


def differences(before, after):
    """Only the lines that change: (before lines, after lines), side by side."""
    old, new = describe(before), describe(after)
    added, removed = _cities_apart(before, after)
    return [line for line in old if line not in new] + added, [line for line in new if line not in old] + removed
