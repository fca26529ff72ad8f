"""The demo's terminals as API clients: shared by the till's, the customer page's and the dashboard's tests."""

from rest_framework.test import APIClient

CENTRAL = "demo-token-central-till-1"
RIVERSIDE = "demo-token-riverside-till-1"


def terminal_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client
