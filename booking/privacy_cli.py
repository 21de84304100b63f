"""`flask --app wsgi purge [--dry-run]`: remove personal data past its retention period.

Run it from cron once a day. It prints counts per kind only: never a name, an address or a
value. The periods come from config PRIVACY_RETENTION (defaults: booking.retention.
RETENTION_DEFAULTS).
"""
import click

from . import retention

PURGE_HELP = """Remove data past its retention period (config PRIVACY_RETENTION, in days).

\b
Removes, in one transaction:
  outbox_sent          sent emails older than outbox_sent_days
  outbox_failed        failed emails older than outbox_failed_days
  waitlist_entries     waitlist entries (and their offers) whose last wished
                       day is more than waitlist_days ago
  sign_in_throttle     failed staff sign-in counters whose window and lock-out
                       ended more than sign_in_throttle_days ago
  unfinished_intakes   intakes never submitted, of appointments that started
                       more than unfinished_intake_days ago
  patients_anonymised  people who booked but never came (every appointment
                       cancelled, no session record), anonymised like an
                       erasure cancelled_unconfirmed_patient_days after their
                       last booking activity
  idempotency_keys     the JSON API's Idempotency-Keys older than
                       IDEMPOTENCY_HOURS (24), with the answers kept for them
  telegram_links       "Get reminders in Telegram" start codes past their expiry
  message_links        private links of SMS, Viber and Telegram messages past
                       their expiry

\b
Never touched: the audit log (append-only), and the medical records of
treated patients (submitted intakes, treatment session records, follow-up
answers, appointments), which the clinic must keep.

With --dry-run it prints what would be removed and changes nothing.
"""


def register_privacy_cli(app):
    @app.cli.command("purge", help=PURGE_HELP)
    @click.option("--dry-run", is_flag=True,
                  help="Only count what would be removed; change nothing.")
    def purge_command(dry_run):
        try:
            counts = retention.purge(dry_run=dry_run)
        except ValueError as error:  # a bad PRIVACY_RETENTION value
            raise click.ClickException(str(error))
        heading = "Would remove (dry run, nothing changed):" if dry_run else "Removed:"
        click.echo(heading)
        for kind in retention.PURGE_KINDS:
            click.echo(f"  {kind}: {counts[kind]}")
        click.echo(f"  total: {sum(counts.values())}")
