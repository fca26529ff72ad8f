import pytest
from rest_framework.test import APIClient

from pos.demo import build_demo

CENTRAL = "demo-token-central-till-1"
RIVERSIDE = "demo-token-riverside-till-1"


@pytest.fixture
def demo(db):
    build_demo()


def terminal_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def till(demo):
    return terminal_client(CENTRAL)


@pytest.fixture
def other_till(demo):
    return terminal_client(RIVERSIDE)
