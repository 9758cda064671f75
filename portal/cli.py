"""flask CLI commands: demo data; the staff's ledger check; an API key for a member."""
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


api_cli = AppGroup("api", help="Llaves de la API para ERP.")


@api_cli.command("llave")
@click.option("--usuario", required=True, help="Usuario de Conexión Empresas que la crea.")
@click.option("--nit", required=True, help="NIT de la empresa (sin dígito de verificación).")
@click.option("--permisos", default="upload,consult", show_default=True,
              help="Separados por comas: upload, consult, master_account.")
@click.option("--nombre", default="ERP", show_default=True)
def api_key_command(usuario, nit, permisos, nombre):
    """Create a key as the member would in Configuración › API; prints it once."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import Company, Membership, User
    from portal.services import api_keys
    membership = db.session.scalars(
        select(Membership).join(User, User.id == Membership.user_id).join(Company, Company.id == Membership.company_id)
        .where(User.kind == "corporate", User.username == usuario, Company.nit == nit)).first()
    if membership is None:
        raise click.ClickException(f"El usuario {usuario} no pertenece a la empresa con NIT {nit}.")
    if not membership.can_admin_company:
        raise click.ClickException("Solo un administrador de la empresa crea llaves.")
    try:
        made = api_keys.create(membership.user, membership, nombre, permisos.split(","))
    except api_keys.KeyRefused as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(made.secret)


def _cents(value):
    return Decimal(value).quantize(Decimal("0.01"))


def init_app(app):
    from portal import demo
    app.cli.add_command(demo.demo_cli)
    app.cli.add_command(ledger_cli)
    app.cli.add_command(api_cli)
