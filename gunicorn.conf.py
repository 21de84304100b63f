"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app`.

Every value can be set from the environment, so one file serves every server:

    GUNICORN_BIND          where to listen (default 127.0.0.1:8000: nginx in front, same host)
    WEB_CONCURRENCY        number of worker processes (default 2 x cores + 1, at most
                           GUNICORN_MAX_WORKERS, default 8)
    GUNICORN_TIMEOUT       seconds a request may take before its worker is restarted (30)
    GUNICORN_KEEPALIVE     seconds to keep an idle connection from the proxy open (5)
    FORWARDED_ALLOW_IPS    proxies trusted to set X-Forwarded-Proto (default 127.0.0.1,::1);
                           a comma separated list of addresses or networks
    GUNICORN_ACCESS_LOG    access log file, "-" for standard output (default), "" for none
    GUNICORN_ERROR_LOG     error log file, "-" for standard error (default)
    GUNICORN_LOG_LEVEL     info (default), warning, debug ...
    GUNICORN_CONTROL_SOCKET  path of gunicorn's control socket (default: none, switched off)

Private links (/manage/<token>, /follow-up/<token>, /feeds/<token>, ...) appear in request
lines; the access log goes through booking.security's redaction, so a log line shows
/manage/[token]/intake, never the token.
"""
import logging
import multiprocessing
import os
import sys

# The project folder, whatever the current directory (gunicorn -c /srv/expio/gunicorn.conf.py).
PROJECT_DIR = os.path.dirname(os.path.abspath(__file__))
if PROJECT_DIR not in sys.path:
    sys.path.insert(0, PROJECT_DIR)

from booking.security import RedactTokensFilter, redact_tokens  # noqa: E402


def _int(name, default):
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def default_workers(cores=None, cap=None):
    """2 x cores + 1 (gunicorn's own advice for sync workers), capped: each worker is a
    process with its own database connection, and a small clinic does not need more."""
    cores = cores or multiprocessing.cpu_count()
    cap = cap or _int("GUNICORN_MAX_WORKERS", 8)
    return max(1, min(2 * cores + 1, cap))


# --- Server socket, workers, timeouts -----------------------------------------------------------

bind = [address.strip() for address in
        os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",") if address.strip()]
workers = _int("WEB_CONCURRENCY", 0) or default_workers()
worker_class = "sync"  # one request per process at a time; the database does the waiting
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then (a slow leak anywhere cannot grow without bound); the jitter
# keeps them from all restarting at once. Not too often: a worker's start (imports, the app)
# costs about 1.8 s of CPU, which at 2,000 requests was about 1 ms a request under load.
max_requests = _int("GUNICORN_MAX_REQUESTS", 10000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 1000)
# The app is loaded in each worker after the fork (no preload): every worker opens its own
# database connections, and nothing opened in the master is shared by accident.
preload_app = False
# gunicorn's control socket (gunicornc) is off unless a path is given: two servers on one host
# would otherwise share $HOME/.gunicorn/gunicorn.ctl.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True

# --- Behind a reverse proxy ---------------------------------------------------------------------

# Only these peers may tell us the request came over HTTPS (X-Forwarded-Proto: https), which
# makes Flask build https:// URLs and lets the Secure session cookie work.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proxy_protocol = False

# --- Logging ------------------------------------------------------------------------------------

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The combined format with the request duration in microseconds; the forwarded client
# address is logged too (gunicorn's %(h)s is the proxy when nginx is in front).
access_log_format = ('%(h)s %({x-forwarded-for}i)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s '
                     '"%(f)s" "%(a)s" %(D)s')


class RedactAccessLog(RedactTokensFilter):
    """booking.security's filter, for gunicorn's access records.

    gunicorn logs `access_log.info(format, atoms)` with a mapping of atoms (the request line,
    the path, the query, the referrer ...). The line is rendered first, with gunicorn's own
    atoms object (it answers "-" for a missing header), then the tokens are redacted from the
    whole line, so every atom that could carry a private link is covered."""

    def filter(self, record):
        if record.args and not isinstance(record.args, tuple):
            try:
                record.msg = redact_tokens(record.getMessage())
            except (TypeError, ValueError, KeyError):
                record.msg = redact_tokens(str(record.msg))
            record.args = ()
        return super().filter(record)


def install_access_log_redaction():
    """Put RedactAccessLog first on the gunicorn.access logger (once)."""
    logger = logging.getLogger("gunicorn.access")
    ours = [f for f in logger.filters if isinstance(f, RedactAccessLog)]
    for existing in ours:
        logger.removeFilter(existing)
    logger.filters.insert(0, ours[0] if ours else RedactAccessLog())


def export_worker_processes(count):
    """Tell the app how many workers serve requests (config.WORKER_PROCESSES): with more than
    one, production refuses to count rate limits in memory:// (each worker would count alone)."""
    os.environ["EXPIO_WORKER_PROCESSES"] = str(count)


export_worker_processes(workers)  # this file's value; on_starting has the command line's


def on_starting(server):
    # In the master, before any worker is forked: every worker inherits the filter and the
    # number of workers (from this file, WEB_CONCURRENCY or --workers).
    install_access_log_redaction()
    export_worker_processes(server.cfg.workers)


def nworkers_changed(server, new_value, old_value):
    # TTIN/TTOU: workers forked from now on check the new number.
    export_worker_processes(new_value)


def on_reload(server):
    install_access_log_redaction()


def post_worker_init(worker):
    # The app (loaded in the worker) adds booking.security's own filter to the same logger;
    # ours must run before it, since it renders the line that the other one then sees as text.
    install_access_log_redaction()
