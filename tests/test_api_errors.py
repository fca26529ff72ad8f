import pytest

from config.api_errors import status_for
from core.errors import DomainError, InvalidInput, NotFound
from loyalty import rules

pytestmark = pytest.mark.django_db


def test_unknown_api_path_answers_in_the_error_body(client):
    response = client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not found.", "details": {}}}


def test_schema_is_published(client):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    assert response.content.startswith(b"openapi: 3")


def test_unknown_api_post_is_a_json_404_even_with_csrf_checks():
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/api/v1/receipts/-1/refund/", {})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_api_docs_are_served_without_a_cdn(client):
    page = client.get("/api/v1/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidInput("x"), 400),
        (InvalidInput("x", code="invalid_card_number"), 400),
        (InvalidInput("x", code="level_names_not_unique"), 400),  # a code of its own answers as its kind
        (rules.UnknownCategory("x"), 400),
        (rules.NegativeRedeem("x"), 400),
        (NotFound("x", code="card_not_found"), 404),
        (NotFound("x", code="something_else_missing"), 404),
        (DomainError("x", code="idempotency_key_reused"), 422),
        (rules.DiscountExceedsMargin("x"), 422),
        (rules.InsufficientPoints("x"), 409),
        (rules.RedeemLimitExceeded("x"), 409),
        (DomainError("x", code="card_blocked"), 409),
    ],
)
def test_the_one_handler_gives_each_domain_code_its_status(error, status):
    assert status_for(error) == status
    assert not hasattr(error, "status")  # domain errors know no HTTP
