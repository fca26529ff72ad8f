"""What the stack costs before any product code: each view answers `{}` (bench/pos_bench.py, "stack floor").

- /stack/django/: a plain Django view behind the product's middleware;
- /stack/drf/: a DRF APIView, no authentication;
- /stack/terminal/: a DRF APIView behind the product's POS authentication (one terminal lookup).
"""

from django.http import HttpResponse
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from pos.apis import PosView


def plain(request):
    return HttpResponse(b"{}", content_type="application/json")


class Drf(APIView):
    authentication_classes = []
    permission_classes = []

    def get(self, request):
        return Response({})


class Terminal(PosView):
    def get(self, request):
        return Response({})


urlpatterns = [
    path("stack/django/", plain),
    path("stack/drf/", Drf.as_view()),
    path("stack/terminal/", Terminal.as_view()),
]
