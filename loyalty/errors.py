"""Domain errors: services raise these; the API maps them to HTTP in one place."""


class DomainError(Exception):
    """A request that conflicts with the rules or the current state.

    `code` is the stable machine code of api.md; `status` the HTTP status the
    API answers with; `message` a sentence a cashier can read out.
    """

    status = 409
    code = "conflict"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None, details=None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.details = details or {}


class InvalidInput(DomainError):
    status = 400
    code = "invalid_input"


class NotFound(DomainError):
    status = 404
    code = "not_found"
