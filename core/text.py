"""Text a person typed or a program sent, held to what a name or a code can be: printable and not too long.

PostgreSQL refuses a NUL byte and a value longer than its column with an error, not an answer; a tab or a
line break inside a code or a name breaks the receipts, CSV files and pages it is shown on later. So every
way in (API, forms, CSV import, commands) refuses them first, with a sentence naming the field.
"""

from django.core.exceptions import ValidationError

from core.errors import InvalidInput

CONTROL_CHARACTERS = "Remove the control characters (such as NUL, tab or line breaks)."


def printable(value) -> None:
    """A validator for Django's and DRF's fields (a NUL has Django's own message, "Null characters …")."""
    if isinstance(value, str) and value and "\x00" not in value and not value.isprintable():
        raise ValidationError(CONTROL_CHARACTERS)


def plain_text(value: str | None, *, field: str, max_length: int, required: bool = False) -> str:
    """`value` trimmed, if printable and at most `max_length` characters; else InvalidInput naming `field`."""
    text = (value or "").strip()
    if required and not text:
        problem = "is required"
    elif len(text) > max_length:
        problem = f"must be at most {max_length} characters (it has {len(text)})"
    elif not text.isprintable():
        problem = "must not hold control characters (such as NUL, tab or line breaks)"
    else:
        return text
    message = f"The {field.replace('_', ' ')} {problem}."
    raise InvalidInput(message, details={field: [message]})
