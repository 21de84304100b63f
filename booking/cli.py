"""Command-line tasks: `flask --app wsgi seed-demo`, and more as later issues add them."""
from datetime import timedelta

import click

from .demo import load_demo_data
from .intake.services import intake_status
from .scheduler.services import appointments_between, local_today
from .timeutil import to_local


def register_cli(app):
    @app.cli.command("seed-demo")
    def seed_demo():
        """Load demo services, practitioners, hours, a closure and appointments (empty DB only)."""
        loaded = load_demo_data()
        if loaded:
            click.echo(f"Demo data loaded: {loaded}.")
        else:
            click.echo("The database already has services; demo data not loaded.")

    @app.cli.command("appointments")
    @click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), default=None,
                  help="First day (YYYY-MM-DD, Kyiv); default today.")
    @click.option("--days", type=click.IntRange(1, 62), default=1, help="How many days.")
    def list_appointments(first, days):
        """The appointments of a day or a few, with the intake status (no clinical content)."""
        first_day = first.date() if first else local_today()
        last_day = first_day + timedelta(days=days - 1)
        rows = appointments_between(first_day, last_day)
        if not rows:
            click.echo(f"No appointments from {first_day} to {last_day}.")
        for appointment in rows:
            starts = to_local(appointment.starts_at)
            click.echo("  ".join([
                starts.strftime("%a %Y-%m-%d %H:%M"), appointment.reference,
                appointment.practitioner.full_name, appointment.service.name,
                appointment.status, f"intake: {intake_status(appointment)}",
            ]))

