"""Command-line tasks: `flask --app wsgi seed-demo`, and more as later issues add them."""
import sys
from datetime import timedelta

import click

from .auth import services as staff_accounts
from .demo import DemoRefused, load_demo_data
from .models import ROLES
from .intake.services import intake_status
from .scheduler.availability import appointments_between
from .scheduler.booking_rules import local_today
from .timeutil import to_local


def register_cli(app):
    from .worker.cli import register_worker_cli

    register_worker_cli(app)

    @app.cli.command("seed-demo")
    def seed_demo():
        """Load the demo clinic with six months of past (empty database only, never in
        production), and one staff account per role, whose passwords are shown once."""
        try:
            loaded = load_demo_data()
        except DemoRefused as error:
            raise click.ClickException(str(error)) from None
        if not loaded:
            click.echo("The database already has services; demo data not loaded.")
            return
        click.echo(f"Demo data loaded: {loaded}.")
        click.echo("Demo staff accounts (passwords shown only now; sign in at /staff/sign-in):")
        for account in loaded.staff:
            click.echo(f"  {account.role:<13} {account.email:<28} {account.password}")

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



    @app.cli.command("create-staff")
    @click.argument("email")
    @click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES),
                  help="Repeat for several roles, e.g. --role admin --role clinician.")
    @click.option("--name", "full_name", default="", help="Full name shown to colleagues.")
    @click.option("--practitioner", "practitioner_id", type=int, default=None,
                  help="For clinicians: the practitioner id whose calendar is theirs.")
    @click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
    def create_staff(email, roles, full_name, practitioner_id, password_stdin):
        """Create a staff account (the only way to create the first admin)."""
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            user = staff_accounts.create_staff(email, password, roles, full_name=full_name,
                                               practitioner_id=practitioner_id)
        except staff_accounts.StaffError as error:
            for message in error.fields.values() or [error.message]:
                click.echo(f"Error: {message}", err=True)
            raise SystemExit(1)
        click.echo(f"Created {user.email} with role(s): {', '.join(sorted(user.roles))}.")

    @app.cli.command("send-followups")
    def send_followups():
        """Create the follow-up requests that are due (config FOLLOW_UPS: 1 and 3 months after a
        course's last session), each exactly once; mark finished courses completed. Prints the
        course reference and label of each new request: never its link or token."""
        from .courses.follow_ups import create_due_follow_ups
        from .notifications.messages import queue_follow_ups

        created = create_due_follow_ups()
        for item in created:
            click.echo(f"{item.course_reference}  {item.label}  due {item.due_on.isoformat()}")
        click.echo(f"{len(created)} follow-up request(s) created.")
        # One email each, with its private link (send-mail delivers them).
        click.echo(f"{queue_follow_ups(created)} follow-up email(s) queued.")
