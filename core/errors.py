"""The one error family: every refusal a service or a rule can give.

A domain error is a stable machine code (api.md), a sentence a cashier or a manager can read out, and
details for a program. It says nothing of HTTP: the one exception handler (`config/api_errors.py`) maps
codes to statuses, so the same refusal can answer a REST call, a page's form or a command's exit.

The sentence is English with {slots} filled from `params`: the handler translates the sentence as written
(`template`, the msgid in core/locale) and fills the slots after, so a German till reads German while the
pure rules, which know no Django, still only write English.
"""


class DomainError(Exception):
    """A request that conflicts with the rules or the current state (the family's default kind)."""

    code = "conflict"

    def __init__(
        self, message: str = "", *, code: str | None = None, details: dict | None = None, params: dict | None = None
    ):
        if code:
            self.code = code
        self.template = message or self.code
        self.params = params or {}
        self.message = self.template.format(**self.params) if self.params else self.template
        self.details = details or {}
        super().__init__(self.message)


class InvalidInput(DomainError):
    """What was sent cannot be read or is out of range (a field error, a malformed number)."""

    code = "invalid_input"


class NotFound(DomainError):
    """What was named does not exist (here)."""

    code = "not_found"
