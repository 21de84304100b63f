"""`flask --app wsgi worker [--once]`: every periodic job on its schedule, in one process."""
import logging
import signal
import sys

import click

from .runner import Worker

WORKER_HELP = """Run every periodic job on its schedule, until stopped (SIGTERM or Ctrl+C).

\b
  send-mail        every minute: deliver the due emails of the outbox
  send-reminders   every 5 minutes: queue reminders and questionnaire nudges
  send-diary-prompts every 5 minutes: the headache diary's daily reminders
  send-followups   daily at 09:00 clinic time: course follow-up requests
  purge            daily at 02:30 clinic time: remove data past retention

WORKER_SCHEDULE in config.py changes a schedule or switches a job off. Each
job runs under a database lock, so two workers (or servers) never run one
job at once. One log line per run: the job, its counts, how long it took.
The separate commands (send-mail, send-reminders, send-diary-prompts,
send-followups, purge) stay, for cron.
"""


def _log_to_stderr():
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("expio.worker").setLevel(logging.INFO)


def _stop_on_signals(worker):
    """SIGTERM or Ctrl+C: finish the job in hand, then stop. A second Ctrl+C stops at once."""
    def stop(signum, frame):
        if worker.stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        worker.stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def register_worker_cli(app):
    @app.cli.command("worker", help=WORKER_HELP)
    @click.option("--once", is_flag=True,
                  help="Run every job that is due once, then exit (1 if one failed).")
    def worker_command(once):
        _log_to_stderr()
        try:
            worker = Worker()
        except ValueError as error:  # a bad WORKER_SCHEDULE
            raise click.ClickException(str(error)) from None
        if once:
            runs = worker.run_due()
            failed = [run.job for run in runs if not run.ok]
            click.echo(f"{len(runs)} job(s) run" + (f", failed: {', '.join(failed)}" if failed
                                                    else "") + ".")
            raise SystemExit(1 if failed else 0)
        _stop_on_signals(worker)
        try:
            worker.run_forever()
        except KeyboardInterrupt:
            pass
