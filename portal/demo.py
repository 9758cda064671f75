"""Demo data for a laptop: `flask demo load` (idempotent)."""
import click
from flask.cli import AppGroup

demo_cli = AppGroup("demo", help="Datos de demostración.")


@demo_cli.command("load")
def load():
    click.echo("sin datos aún")
