"""flask CLI commands: demo data; the staff's ledger check."""
from decimal import Decimal

import click
from flask.cli import AppGroup

ledger_cli = AppGroup("ledger", help="Revisión del libro de cuentas (staff).")


@ledger_cli.command("diferencias")
def differences_command():
    """Each account whose running balance differs from the sum of its entries; exit 1 if any."""
    from portal.services import ledger
    found = ledger.differences()
    if not found:
        click.echo("Sin diferencias")
        return
    click.echo(f"{'Cuenta':>8}  {'Tipo':<9} {'Saldo':>18} {'Suma de asientos':>18}  Nombre")
    for account, balance, total in found:
        click.echo(f"{account.id:>8}  {account.kind:<9} {_cents(balance):>18} {_cents(total):>18}  {account.name}")
    click.echo(f"Cuentas con diferencias: {len(found)}")
    raise SystemExit(1)


def _cents(value):
    return Decimal(value).quantize(Decimal("0.01"))


def init_app(app):
    from portal import demo
    app.cli.add_command(demo.demo_cli)
    app.cli.add_command(ledger_cli)
