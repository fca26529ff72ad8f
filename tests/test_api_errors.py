import pytest

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
