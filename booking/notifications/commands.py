"""`flask --app wsgi send-mail` and `send-reminders`: run them from cron every few minutes.

Both print counts and message ids only: never an address, a subject, a body or a link.
"""
import click

from . import messages, sender


@click.command("send-mail")
@click.option("--limit", type=click.IntRange(1, 10000), default=100, show_default=True,
              help="Send at most this many messages in this run.")
def send_mail(limit):
    """One pass over the outbox: claim the due messages, send them, mark them sent (or retry
    later with backoff, failed after MAIL_MAX_ATTEMPTS). Without MAIL_SERVER (development)
    the messages are printed here instead."""
    try:
        report = sender.send_due(limit=limit)
    except sender.MailNotConfigured as error:
        raise click.ClickException(str(error)) from None
    for message_id, error in report.errors:
        click.echo(f"message {message_id}: {error}", err=True)
    click.echo(f"{report.sent} sent, {report.retried} to retry, {report.failed} failed, "
               f"{report.skipped} taken by another sender, {report.released} released.")


@click.command("send-reminders")
def send_reminders():
    """Queue the reminders (config REMINDER_HOURS) and the "questionnaire not finished" nudges
    (INTAKE_NUDGE_HOURS) that are due, each exactly once. send-mail delivers them."""
    queued = messages.queue_due_reminders()
    reminders = sum(1 for key in queued if key.startswith("reminder:"))
    click.echo(f"{reminders} reminder(s) and {len(queued) - reminders} questionnaire "
               f"nudge(s) queued.")


COMMANDS = (send_mail, send_reminders)  # views.py puts them on the blueprint's CLI group
