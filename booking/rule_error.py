"""The base of the domain errors that carry a message per form field (a broken rule, 422)."""


class RuleError(Exception):
    """A change or a request that breaks a rule: `message` for the page, `fields` maps form
    field keys to messages shown next to them. Views turn it into a 422 page."""

    status = 422

    def __init__(self, message, fields=None):
        super().__init__(str(message))
        self.message = message
        self.fields = fields or {}
