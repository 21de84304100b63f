"""Command-line tasks: `flask --app wsgi seed-demo`, and more as later issues add them."""
import click

from .demo import load_demo_data


def register_cli(app):
    @app.cli.command("seed-demo")
    def seed_demo():
        """Load demo services, practitioners, hours, a closure and appointments (empty DB only)."""
        loaded = load_demo_data()
        if loaded:
            click.echo(f"Demo data loaded: {loaded}.")
        else:
            click.echo("The database already has services; demo data not loaded.")
