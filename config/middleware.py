"""Requests the site refuses before any view reads them."""

from django.http import HttpResponse, JsonResponse

from config.api_errors import error_body


class LengthRequiredMiddleware:
    """A body sent in chunks (Transfer-Encoding, no Content-Length) is answered 411 Length Required.

    Django reads exactly Content-Length bytes of a body. Gunicorn decodes a chunked body but passes no
    length, so Django read it as empty (a checkout "without lines"); Django's development server does
    not decode chunks at all. Rather than guess a length, the client is asked to send one, which every
    HTTP client can.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.META.get("HTTP_TRANSFER_ENCODING") and not request.META.get("CONTENT_LENGTH"):
            message = "Send the body with a Content-Length header, not in chunks (Transfer-Encoding)."
            if request.path.startswith("/api/"):
                return JsonResponse(error_body("length_required", message), status=411)
            return HttpResponse(message, status=411, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
