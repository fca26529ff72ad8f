"""One structured log line per request, for operators: who (terminal or cashier), what, how it ended, how long.

Written as JSON on one line, so a log shipper reads it without a parser of ours. It carries the path only:
never the query string, headers or body, where tokens, PINs and full card numbers travel. Card numbers that
appear in a path (/api/v1/cards/2000000000503/) keep their last four digits.
"""

import json
import logging
import re
import time

logger = logging.getLogger("loyalty.requests")

# A card number (EAN-13, gift cards' 16+ digits) or any long digit run that could be one.
LONG_NUMBER = re.compile(r"\d{9,}")


def mask_numbers(path: str) -> str:
    return LONG_NUMBER.sub(lambda m: "*" * (len(m.group()) - 4) + m.group()[-4:], path)


def request_fields(request, response, started: float) -> dict:
    fields = {
        "method": request.method,
        "path": mask_numbers(request.path),
        "status": response.status_code,
        "duration_ms": round((time.monotonic() - started) * 1000, 1),
    }
    # DRF copies what its authentication found onto the Django request: a PosActor for the till's API.
    actor = getattr(request, "auth", None)
    terminal = getattr(actor, "terminal", None)
    if terminal is not None:
        fields["terminal"] = terminal.pk
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        fields["user"] = user.pk
    return fields


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        response = self.get_response(request)
        if logger.isEnabledFor(logging.INFO):
            logger.info(json.dumps(request_fields(request, response, started)))
        return response
