"""`flask --app wsgi send-diary-prompts`: queue the diary's daily reminders that are due (cron,
every 5 minutes; the worker runs the same function). Prints a count only."""
import click

from .reminders import queue_due_prompts
from .blueprint import bp


@bp.cli.command("send-diary-prompts")
def send_diary_prompts():
    """Queue the daily diary reminders due now (each patient at their hour, once a day, never
    after 21:00 Kyiv time, not when today is filled in). send-mail delivers them."""
    queued = queue_due_prompts()
    click.echo(f"{len(queued)} diary reminder(s) queued.")
