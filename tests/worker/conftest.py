"""The worker's tests use the email tests' real SMTP server on 127.0.0.1."""
from tests.notifications.conftest import smtp_server  # noqa: F401  (a fixture)
