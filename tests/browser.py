"""What every browser test shares: Debian's chromium driven by Playwright, the skip reasons when
either is missing, and where screenshots go (the `browser` fixture is in tests/conftest.py) for a person to look at."""

import os
from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    expect = sync_playwright = None

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
# Made here, not by the first browser test: tests without a browser save pictures too, and CI may have no chromium.
ARTIFACTS.mkdir(exist_ok=True)

# A test module's `pytestmark`: a real server (live_server) needs committed rows, hence transaction=True.
BROWSER_TEST = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        sync_playwright is None, reason="playwright is not installed (pip install -r requirements-dev.txt)"
    ),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no chromium at {CHROMIUM} (apt-get install chromium)"),
]


__all__ = ["ARTIFACTS", "BROWSER_TEST", "CHROMIUM", "CHROMIUM_ARGS", "expect", "sync_playwright"]


def is_page_error(msg) -> bool:
    """A console error, except the browser's note on an API 4xx: those are answers the page shows."""
    api_answer = "/api/v1/" in msg.location.get("url", "") and msg.text.startswith("Failed to load resource")
    return msg.type == "error" and not api_answer
