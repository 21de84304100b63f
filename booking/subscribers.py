"""Import every module that subscribes to domain events (booking/events.py), once.

Called from create_app, so the publishing services never import their listeners.
"""


def register_subscribers():
    from .attention import subscribers as attention_subscribers  # noqa: F401
    from .diary import subscribers as diary_subscribers  # noqa: F401
    from .notifications import subscribers as notification_subscribers  # noqa: F401
    from .waitlist import subscribers as waitlist_subscribers  # noqa: F401
