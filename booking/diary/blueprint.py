"""The diary's blueprint (patient pages under /manage/<token>/diary and the command
send-diary-prompts), in a module of its own so views and commands import it without a cycle."""
from flask import Blueprint

from ..extensions import limiter
from ..security import limit_blueprint

bp = Blueprint("diary", __name__, cli_group=None)
limit_blueprint(limiter, bp, "RATELIMIT_PRIVATE_LINKS")
