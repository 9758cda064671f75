"""Allocation of a paid payment slip (volante) to the credits it covers. Pure, Decimal.

Each line says what the employer chose to pay for one credit ("Valor a Pagar") and
whether arrears are charged ("Aplica Mora"). The money a line receives goes, in order:
1. to the instalment due (never more than the balance);
2. to the arrears, only when Aplica Mora = S;
3. to the rest of the balance (an extra payment on the principal);
4. whatever is left is `unapplied` (a credit in the employer's favour, for staff): it
   happens when the balance fell between the upload and the payment.

When the paid amount is less than the sum the lines asked for (it should not, the slip
carries the sum, but a gateway may report less), the shortfall is absorbed in reverse
order of priority across all lines: every line's instalment is funded first (in line
order), then the arrears, then the extra principal. When more is paid, the excess is
unapplied at the slip level. Sums are exact: nothing is created, nothing is lost.
"""
from dataclasses import dataclass, field
from decimal import Decimal

from portal.domain.formatting import money, to_money

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class LineToPay:
    credit_number: str
    requested: Decimal  # "Valor a Pagar"
    instalment: Decimal
    balance: Decimal
    arrears: Decimal = ZERO
    apply_arrears: bool = False
    worker: str = ""  # name, for the explanations


@dataclass(frozen=True)
class LineAllocation:
    credit_number: str
    requested: Decimal
    to_instalment: Decimal
    to_arrears: Decimal
    to_principal: Decimal
    unapplied: Decimal
    instalment_due: Decimal
    arrears_due: Decimal
    reason: str = ""  # Spanish, empty when exactly the instalment (+ arrears) was paid

    @property
    def applied(self):
        return self.to_instalment + self.to_arrears + self.to_principal

    @property
    def received(self):
        return self.applied + self.unapplied


@dataclass(frozen=True)
class Allocation:
    paid: Decimal
    lines: list = field(default_factory=list)
    to_instalment: Decimal = ZERO
    to_arrears: Decimal = ZERO
    to_principal: Decimal = ZERO
    unapplied: Decimal = ZERO  # per-line unapplied + the slip's excess
    excess: Decimal = ZERO  # paid beyond what the lines asked for
    shortfall: Decimal = ZERO  # asked for by the lines and not paid

    @property
    def applied(self):
        return self.to_instalment + self.to_arrears + self.to_principal


def _explain(line, inst_due, arr_due, to_inst, to_arr, to_prin, unapplied, cut):
    parts = []
    if to_inst < inst_due:
        parts.append(f"pagó {money(to_inst, cents=True)} de una cuota de {money(inst_due, cents=True)}; "
                     f"faltan {money(inst_due - to_inst, cents=True)}")
    if line.apply_arrears and to_arr < arr_due:
        parts.append(f"mora pendiente {money(arr_due - to_arr, cents=True)}")
    if not line.apply_arrears and line.arrears > 0:
        parts.append(f"sin mora (Aplica Mora = N): {money(to_money(line.arrears), cents=True)} no cobrados")
    if to_prin > 0:
        parts.append(f"abono extraordinario a capital de {money(to_prin, cents=True)}")
    if unapplied > 0:
        parts.append(f"{money(unapplied, cents=True)} no aplicados porque superan lo adeudado "
                     "(quedan a favor del empleador)")
    if cut > 0:
        parts.append(f"el pago recibido no alcanzó: {money(cut, cents=True)} del valor a pagar no llegaron")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "." if text else ""


def allocate(paid, lines) -> Allocation:
    """Split `paid` over `lines` (see the module's rules)."""
    paid = to_money(paid)
    if paid < 0:
        raise ValueError("paid must be >= 0")
    lines = list(lines)
    # What each line may take, by bucket, capped by what it asked for.
    plans = []
    for line in lines:
        requested = to_money(line.requested)
        balance = max(to_money(line.balance), ZERO)
        inst_due = min(max(to_money(line.instalment), ZERO), balance)
        arr_due = max(to_money(line.arrears), ZERO) if line.apply_arrears else ZERO
        left = max(requested, ZERO)
        inst = min(left, inst_due)
        left -= inst
        arr = min(left, arr_due)
        left -= arr
        prin = min(left, balance - inst)
        left -= prin
        plans.append([requested, inst_due, arr_due, inst, arr, prin, left])

    asked = sum((max(p[0], ZERO) for p in plans), ZERO)
    available = paid
    got = [[ZERO, ZERO, ZERO, ZERO] for _ in plans]  # inst, arrears, principal, unapplied
    for bucket in range(4):  # instalments of all lines first, then arrears, principal, rest
        for i, p in enumerate(plans):
            take = min(p[3 + bucket], available)
            got[i][bucket] = take
            available -= take
    excess = available  # paid beyond what the lines asked

    out = []
    for line, p, g in zip(lines, plans, got, strict=True):
        requested, inst_due, arr_due = p[0], p[1], p[2]
        cut = max(requested, ZERO) - sum(g, ZERO)
        out.append(LineAllocation(
            line.credit_number, requested, g[0], g[1], g[2], g[3], inst_due, arr_due,
            _explain(line, inst_due, arr_due, g[0], g[1], g[2], g[3], cut)))
    total = [sum((a[k] for a in got), ZERO) for k in range(4)]
    return Allocation(paid=paid, lines=out, to_instalment=total[0], to_arrears=total[1],
                      to_principal=total[2], unapplied=total[3] + excess, excess=excess,
                      shortfall=max(asked - paid, ZERO))
