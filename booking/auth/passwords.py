"""Password rules: long enough, not common, no composition rules; hashed with scrypt."""
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

MIN_LENGTH = 8
MAX_LENGTH = 256  # long passphrases welcome; the bound only stops absurd input
# zxcvbn's guessability score, 0-4: below 2 are common passwords and close variants of them.
MIN_SCORE = 2
# zxcvbn slows down on very long input; the start of a long passphrase says enough.
SCORED_PREFIX = 100


def password_problem(password, *, user_inputs=()):
    """A message saying what is wrong with a new password, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return _l("Please use at least %(n)d characters. A few words together work well.",
                  n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _l("Please use at most %(n)d characters.", n=MAX_LENGTH)
    if zxcvbn(password[:SCORED_PREFIX], user_inputs=list(user_inputs))["score"] < MIN_SCORE:
        return _l("This password is too common or too easy to guess. Try a few unrelated words.")
    return None


def hash_password(password):
    # scrypt with Werkzeug's default cost in production; tests set a cheaper cost in config.
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() \
        else "scrypt"
    return generate_password_hash(password, method=method)


def password_matches(password_hash, password):
    return check_password_hash(password_hash, password)


# Compared against when the account does not exist, so that unknown accounts and wrong passwords
# take the same time to refuse.
DUMMY_HASH = hash_password("not-a-real-account-password")
