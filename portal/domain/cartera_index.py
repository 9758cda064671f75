"""Estado de Cartera files: the statement's lines indexed for checking one uploaded file
(Activos or Retirados). For each credit of the file's kind the index holds the row's
locked cells as python-calamine reads them back from the file the portal built, and the
most «Valor a Pagar» may say with «Aplica Mora» N and S; cartera_rows' fast path then
compares a row with one `==` on a tuple. The lines themselves (CarteraLine, money as
Decimal) are built only for the rows the full rules look at. Pure: no Flask, no
database, no I/O.

Money stays exact: an amount comes in as an int (whole pesos) or a Decimal, and stands
in the index as the value a cell's float compares equal to exactly when the cell holds
that amount (`read_back`), never through float arithmetic. An amount no float can stand
for alone gives None, and its line's rows take the full rules.
"""
from datetime import date
from decimal import Decimal
from operator import attrgetter, itemgetter

from portal.domain.cartera_layout import DATE, INTEGER, MONEY, TEXT, CarteraLine, OtherFileCredit, layout
from portal.domain.formatting import CENT, to_money

# Below it, an amount with at most two decimals has at most 15 significant digits: the
# float nearest to it is nearest to no other such amount, and is never a whole number
# unless the amount is.
_ONE_FLOAT_LIMIT = Decimal(10) ** 13
MAX_AMOUNT = 10**12  # «Valor a Pagar» from here on is refused (cartera_rows.check_amount)
_NEVER = -1  # a cap no amount of the fast path (≥ 0) is within: the row takes the full rules
_READ_BACK_AS = {TEXT: str, INTEGER: float, MONEY: float, DATE: date}  # a cell of the portal's file


def read_back(amount):
    """What a cell's float compares equal to exactly when the cell holds `amount` (an int
    or a Decimal): the amount itself when whole (Python compares a float with an int
    exactly), the nearest float when it has at most two decimals and is below 10^13
    (the float is then that amount's alone: equal floats mean equal amounts, and a
    larger float a larger amount), else None (no float stands for it alone)."""
    if type(amount) is int:
        return amount
    try:
        whole = int(amount)
    except (ValueError, OverflowError):  # NaN, infinity
        return None
    if whole == amount:
        return whole
    if -_ONE_FLOAT_LIMIT < amount < _ONE_FLOAT_LIMIT and amount == amount.quantize(CENT):
        return float(amount)
    return None


def _cap(amount):
    """read_back of the most a line may receive, or _NEVER when the fast path cannot
    decide it (an amount of MAX_AMOUNT or more is refused by the full rules)."""
    key = read_back(amount)
    return key if key is not None and key < MAX_AMOUNT else _NEVER


class LineIndex:
    """The statement's lines for checking a file of `kind`.

    fast: credit number → (its locked cells but the credit number, in the layout's order,
    as python-calamine reads them back — None where no cell can match —, the cap of
    «Valor a Pagar» with «Aplica Mora» N, the cap with S, its position in the columns),
    for the lines of this kind.
    numbers: their credit numbers, in the order given. locked_at and locked_types: where
    those cells are in a row, and the type each is read back as (a bool, an int or a
    datetime equal to them is not the same cell)."""

    def __init__(self, kind, columns, others, lines=None):
        """columns: CarteraLine's field name → every line's value (the lines of this kind,
        one order for all): credit_number, id_number, first_name, last_name, balance,
        instalment, arrears_days, arrears and (Retirados) retired_on, money as int or
        Decimal. others: (credit number, kind) of the lines of the other file, or a
        function giving them (called once, for the first credit not of this file).
        lines: the CarteraLine themselves when there are (else built when asked for)."""
        spec = layout(kind)
        self.kind, self.numbers, self._columns = kind, columns["credit_number"], columns
        self._built = {line.credit_number: line for line in lines or ()}
        self._others = others if callable(others) else dict(others)
        self._decimals = {}  # whole amount → its Decimal, for the lines built
        credit_at = spec.index("credit_number")
        locked = [(i, c) for i, c in enumerate(spec.columns) if not c.editable and i != credit_at]
        self.locked_at = itemgetter(*(i for i, _ in locked))
        self.locked_types = tuple(_READ_BACK_AS[c.type] for _, c in locked)
        cells = {c.key: self._read_back_column(c) for _, c in locked}
        self.fast = dict(zip(self.numbers, zip(zip(*cells.values(), strict=True), *self._caps(cells["balance"]),
                                                range(len(self.numbers)), strict=True), strict=True))

    @classmethod
    def of(cls, lines, kind):
        """From CarteraLine (and OtherFileCredit) of the statement, of any kind."""
        mine = [line for line in lines if line.kind == kind]
        fields = ("credit_number", "id_number", "first_name", "last_name", "balance", "instalment",
                  "arrears_days", "arrears", "retired_on")
        columns = {name: list(map(attrgetter(name), mine)) for name in fields}
        others = [(line.credit_number, line.kind) for line in lines if line.kind != kind]
        return cls(kind, columns, others, mine)

    def _read_back_column(self, column):
        values = self._columns
        if column.key == "name":  # as CarteraLine.name: f"{first_name} {last_name}".strip()
            return list(map(str.strip, map(" ".join, zip(values["first_name"], values["last_name"], strict=True))))
        if column.type == MONEY:  # most are whole pesos, given as int: their own read_back
            return [amount if type(amount) is int else read_back(amount) for amount in values[column.key]]
        return values[column.key]

    def _caps(self, balances_read_back):
        """The caps of «Valor a Pagar» (with N, with S) of every line: the balance (its
        read_back, already made for its cell), plus the arrears when there are."""
        balances, arrears = self._columns["balance"], self._columns["arrears"]
        without = [key if key is not None and key < MAX_AMOUNT else _NEVER for key in balances_read_back]
        with_arrears = [cap if not extra else _cap(balance + extra)
                        for cap, balance, extra in zip(without, balances, arrears, strict=True)]
        return without, with_arrears

    def get(self, number):
        """The line of this credit number: a CarteraLine of this kind, an OtherFileCredit
        of the other, or None when the statement has no such credit."""
        line = self._built.get(number)
        if line is not None:
            return line
        entry = self.fast.get(number)
        if entry is None:
            if callable(self._others):
                self._others = dict(self._others())
            kind = self._others.get(number)
            return None if kind is None else OtherFileCredit(number, kind)
        line = self._built[number] = self._line(entry[3])
        return line

    def _line(self, at):
        """The CarteraLine at this position, as the file shows it (fields outside the file's
        layout keep CarteraLine's defaults)."""
        values = {name: column[at] for name, column in self._columns.items()}
        for name in ("balance", "instalment", "arrears"):
            values[name] = self._money(values[name])
        values["kind"] = self.kind
        return CarteraLine.from_fields(values)

    def _money(self, amount):
        """An amount as CarteraLine holds it: a Decimal (whole pesos with their two places,
        as the database gives them; one Decimal per whole amount met)."""
        if type(amount) is not int:
            return amount
        found = self._decimals.get(amount)
        if found is None:
            found = self._decimals[amount] = to_money(amount)
        return found
