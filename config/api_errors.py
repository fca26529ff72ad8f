"""One error body for every API error (api.md):

    {"error": {"code": "card_blocked", "message": "human sentence", "details": {...}}}

Domain errors (`core.errors`) carry a code, a message and details, and no HTTP status: the
status of each code is decided here, once (`STATUS_BY_CODE`). DRF's own exceptions are mapped
to stable codes here too.

The `message` speaks the request's language (LocaleMiddleware: the till's English/Deutsch choice, else
Accept-Language, else English), so an external POS that asks for nothing reads English; `code` and
`details` never change with it. The German sentences are in core/locale/de.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext, gettext_noop
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from core.errors import DomainError
from core.refusals import spoken

_DRF_CODES = {
    exceptions.ValidationError: ("invalid_input", gettext_noop("The request is not valid.")),
    exceptions.ParseError: ("malformed_request", gettext_noop("The request body is not valid JSON.")),
    exceptions.NotAuthenticated: ("not_authenticated", gettext_noop("Credentials were not provided.")),
    exceptions.AuthenticationFailed: ("authentication_failed", gettext_noop("The credentials are not valid.")),
    exceptions.PermissionDenied: ("permission_denied", gettext_noop("You are not allowed to do this.")),
    exceptions.NotFound: ("not_found", gettext_noop("Not found.")),
    exceptions.MethodNotAllowed: ("method_not_allowed", gettext_noop("This method is not allowed here.")),
    exceptions.NotAcceptable: ("not_acceptable", gettext_noop("This response format is not available.")),
    exceptions.UnsupportedMediaType: (
        "unsupported_media_type",
        gettext_noop("Send JSON (Content-Type: application/json)."),
    ),
    exceptions.Throttled: ("throttled", gettext_noop("Too many requests; try again later.")),
}


# The HTTP status of each domain code (api.md). A code not listed answers as its kind does (an
# InvalidInput with a code of its own is a 400, a NotFound a 404); anything else is a conflict, 409.
STATUS_BY_CODE = {
    # the request cannot be read: 400
    "invalid_input": 400,
    "invalid_card_number": 400,
    "unknown_category": 400,
    "same_card": 400,
    "idempotency_key_required": 400,
    "invalid_amount": 400,  # a gift card load outside the batch's limits, payments above what is due
    # unknown here: 404
    "not_found": 404,
    "card_not_found": 404,
    "receipt_not_found": 404,
    "product_not_found": 404,
    "account_not_found": 404,
    "gift_card_not_found": 404,
    # understood, but refused: 422
    "idempotency_key_reused": 422,
    "discount_exceeds_margin": 422,
    # the rest conflicts with the current state: 409 (card_blocked, insufficient_points, …)
    "conflict": 409,
    "coupon_invalid": 409,
    # gift cards (api.md "Gift cards"): blocked, expired, never sold, no top-ups, not enough on it, not new
    "gift_card_blocked": 409,
    "gift_card_expired": 409,
    "gift_card_not_active": 409,
    "gift_card_top_up_not_allowed": 409,
    "insufficient_gift_card_balance": 409,
    "gift_card_not_issued": 409,
}


def status_for(error: DomainError) -> int:
    for code in (error.code, *(kind.code for kind in type(error).__mro__ if issubclass(kind, DomainError))):
        if code in STATUS_BY_CODE:
            return STATUS_BY_CODE[code]
    return 409


def domain_error_response(error: DomainError) -> JsonResponse:
    """A domain error as the API's answer, for the few JSON views outside DRF (the cashier screen's)."""
    return JsonResponse(error_body(error.code, spoken(error), error.details), status=status_for(error))


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def api_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, spoken(exc), exc.details), status=status_for(exc))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None  # a real bug: let Django's 500 handling log it
    code, message = _code_for(exc)
    message = gettext(message)
    details = {}
    if isinstance(exc, exceptions.ValidationError):
        details = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
    elif isinstance(exc, exceptions.Throttled):
        details = {"retry_after": exc.wait}  # whole seconds, as in the Retry-After header
        message = gettext("Too many requests from this terminal; try again in {0} s.").format(exc.wait)
    elif not isinstance(exc.detail, (dict, list)):
        message = str(exc.detail)
    response.data = error_body(code, message, details)
    return response


def _code_for(exc) -> tuple[str, str]:
    for cls in type(exc).__mro__:
        if cls in _DRF_CODES:
            return _DRF_CODES[cls]
    return ("error", gettext_noop("The request could not be processed."))


@csrf_exempt  # an unknown POST under /api/ is a 404, not Django's HTML CSRF page
def api_not_found(request, exception=None, **kwargs):
    """404 for unknown /api/ paths, in the API's error body."""
    return JsonResponse(error_body("not_found", gettext("Not found.")), status=status.HTTP_404_NOT_FOUND)


def api_server_error(request):
    return JsonResponse(error_body("server_error", gettext("Something went wrong on our side.")), status=500)


# Django-level errors (a bad Host header, a CSRF failure, an unknown URL, a crash)
# never reach DRF's handler: under /api/ they still answer in the API's error body.


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def bad_request(request, exception=None):
    if _is_api(request):
        return JsonResponse(error_body("bad_request", gettext("The request could not be understood.")), status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if _is_api(request):
        return JsonResponse(error_body("permission_denied", gettext("You are not allowed to do this.")), status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception=None):
    if _is_api(request):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return api_server_error(request)
    return defaults.server_error(request)
