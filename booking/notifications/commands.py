"""`flask --app wsgi send-mail` and `send-reminders`: run them from cron every few minutes.
`telegram-poll` and `telegram-webhook`: the Telegram bot's updates (README, "Messages").

send-mail sends every channel of the outbox (email, SMS, Viber, Telegram).

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


def _bot_or_fail():
    from flask import current_app

    if not (current_app.config.get("TELEGRAM_BOT_TOKEN")
            and current_app.config.get("TELEGRAM_BOT_USERNAME")):
        raise click.ClickException("TELEGRAM_BOT_TOKEN and TELEGRAM_BOT_USERNAME are not set.")


@click.command("telegram-poll")
@click.option("--once", is_flag=True, help="Handle the updates waiting now, then stop.")
@click.option("--timeout", type=click.IntRange(1, 50), default=25, show_default=True,
              help="Seconds each long poll waits for an update.")
def telegram_poll(once, timeout):
    """Get the bot's updates from Telegram (getUpdates) and handle them: for a clinic without a
    public address (no webhook). Runs until stopped, or once with --once (the worker's
    telegram-poll job, TELEGRAM_POLLING). Prints counts only."""
    from . import bot, gateways

    _bot_or_fail()
    offset = None
    while True:
        try:
            handled, offset = bot.poll(once=once, timeout=timeout, offset=offset)
        except gateways.GatewayError as error:
            raise click.ClickException(error.detail) from None
        click.echo(f"{handled} update(s) handled.")
        if once:
            return


@click.command("telegram-webhook")
@click.option("--delete", is_flag=True, help="Stop the webhook (for telegram-poll).")
def telegram_webhook(delete):
    """Tell Telegram to send the bot's updates to CANONICAL_URL/telegram/webhook with
    TELEGRAM_WEBHOOK_SECRET (or, with --delete, to stop)."""
    from flask import current_app

    from . import bot, gateways

    _bot_or_fail()
    if not delete and not current_app.config.get("TELEGRAM_WEBHOOK_SECRET"):
        raise click.ClickException("TELEGRAM_WEBHOOK_SECRET is not set.")
    try:
        bot.set_webhook(delete=delete)
    except gateways.GatewayError as error:
        raise click.ClickException(error.detail) from None
    click.echo("Webhook removed." if delete else "Webhook set.")


COMMANDS = (send_mail, send_reminders, telegram_poll, telegram_webhook)
# views.py puts them on the blueprint's CLI group.
