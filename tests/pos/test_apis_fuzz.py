"""Property-based fuzzing of the whole POS API from its own OpenAPI schema
(schemathesis): whatever a hostile or buggy client sends, the server never
answers 5xx, and every error has the api.md error body."""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from config.wsgi import application
from pos.demo import build_demo
from tests.tills import CENTRAL

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Requests go straight into the WSGI app, whose request signals would close
    the test's DB connection (fatal inside its transaction on PostgreSQL).
    Django's own test client disconnects them the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


EXAMPLES_PER_OPERATION = 40


def operations():
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)
    return [result.ok() for result in schema.get_all_operations()]


def fuzz(operation):
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
    def run(case):
        headers = {"Authorization": f"Token {CENTRAL}", **(case.headers or {})}
        if case.method == "POST":
            headers.setdefault("Idempotency-Key", "fuzz")
        response = case.call(headers=headers)
        case.validate_response(response, checks=[not_a_server_error])
        if response.status_code >= 400:
            body = json.loads(response.text)  # never an HTML error page
            where = (case.method, case.formatted_path, response.status_code)
            assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, where

    run()


def test_the_schema_lists_every_pos_operation():
    names = sorted(f"{op.method.upper()} {op.path}" for op in operations())
    assert names == [
        "GET /api/v1/cards/{number}/",
        "GET /api/v1/categories/",
        "GET /api/v1/products/{code}/",
        "GET /api/v1/receipts/{receipt_id}/",
        "POST /api/v1/cards/{number}/activate/",
        "POST /api/v1/cards/{number}/replace/",
        "POST /api/v1/checkout/",
        "POST /api/v1/checkout/quote/",
        "POST /api/v1/customers/search/",
        "POST /api/v1/receipts/{receipt_id}/refund/",
    ]


@pytest.mark.parametrize("index", range(10))
def test_no_input_gives_a_server_error(index):
    build_demo()
    fuzz(sorted(operations(), key=lambda op: (op.method, op.path))[index])
