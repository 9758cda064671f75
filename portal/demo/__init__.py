"""Demo data for a laptop: `flask demo load` (idempotent) and `flask demo logins`.

Everything is looked up by its natural key (NIT, username, cédula, credit number, …) and
created only when missing, so a second run changes nothing; names and amounts come from
seeded generators, so they are the same on every machine. Periods are the three months
before the current one (America/Bogota)."""
import time

import click
from flask.cli import AppGroup

from portal.demo import accounts, bank, batches, cartera, conexion, entities, orders, pagos, slips, suppliers
from portal.demo.accounts import DEMO_PASSWORD, KIND_LABELS, LOGINS
from portal.demo.common import Stats
from portal.domain.formatting import today_bogota

__all__ = ["DEMO_PASSWORD", "LOGINS", "demo_cli", "load_demo"]

demo_cli = AppGroup("demo", help="Datos de demostración.")


def load_demo(today=None):
    """Loads every area, one commit per area. Returns the rows created per table."""
    today = today or today_bogota()
    stats = Stats()
    parties = entities.load(stats)
    companies = conexion.load_companies(stats)
    bank.load(stats)  # the sandbox bank's accounts that «Pagar orden» debits
    users = accounts.load(stats, parties, companies)
    cartera.load(stats, parties, today)
    pagos.load(stats, today)
    slips.load(stats, today)
    suppliers.load(stats, parties, issuer=users["pagos"])
    conexion.load_cards_and_ledger(stats, companies, today)
    batches.load(stats, companies)
    orders.load(stats, companies)
    return stats


@demo_cli.command("load")
def load_command():
    """Carga (o completa) los datos de demostración; se puede repetir sin duplicar nada."""
    started = time.monotonic()
    stats = load_demo()
    created = ", ".join(f"{table} {count}" for table, count in sorted(stats.items()) if count)
    click.echo(f"Datos de demostración listos en {time.monotonic() - started:.1f} s. "
               f"Nuevos: {created or 'ninguno (ya estaban cargados)'}.")
    click.echo("Ingresos de demostración: flask demo logins")


def _status(login):
    """Whether the printed credentials still work, for the password logins."""
    from portal.extensions import db
    from portal.models import Affiliate, User
    from portal.services import passwords

    try:
        if login.kind == "affiliate":
            found = db.session.query(Affiliate.id).filter_by(cedula=login.username).first()
            return "" if found else "sin cargar"
        user = db.session.query(User).filter_by(kind=login.kind, username=login.username).first()
    except Exception:  # no database yet
        db.session.rollback()
        return "sin cargar"
    if user is None:
        return "sin cargar"
    return "" if passwords.verify(user.password_hash, login.password) else "contraseña cambiada"


def login_rows(with_status=True):
    rows = []
    for login in LOGINS:
        secret = login.password or "código SMS en /dev/outbox"
        status = _status(login) if with_status else ""
        rows.append((KIND_LABELS[login.kind], login.path, login.username, secret,
                     f"{login.note} [{status}]" if status else login.note))
    return rows


@demo_cli.command("cuenta-debito")
@click.argument("nit")
@click.argument("cuenta")
def debit_account_command(nit, cuenta):
    """Cambia la cuenta que debita «Pagar orden» de una empresa de demostración (NIT sin
    dígito de verificación) por otra del banco sandbox, p. ej. una cuenta de prueba."""
    problem = bank.use_account(nit, cuenta)
    if problem:
        raise click.ClickException(problem)
    click.echo(f"La empresa {nit} paga sus órdenes con la cuenta {cuenta}.")


@demo_cli.command("logins")
def logins_command():
    """Muestra los ingresos de demostración (tipo, dónde ingresar, usuario, contraseña)."""
    header = ("Tipo", "Dónde ingresar", "Usuario / e-mail / cédula", "Contraseña", "Qué muestra")
    rows = login_rows()
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(4)]

    def line(row):
        return "  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4]

    click.echo(line(header))
    click.echo("  ".join("-" * w for w in widths) + "  " + "-" * len(header[4]))
    for row in rows:
        click.echo(line(row))
