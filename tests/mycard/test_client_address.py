"""The address the sign-in limit counts per (issue 13, item 9): the one our proxies appended, validated,
else the peer address. Whatever a client writes into the header, never a 500."""

import pytest
from django.test import Client, RequestFactory

from core.client_address import client_address
from tests.mycard import support as my_support
from tests.mycard.support import UNKNOWN, sign_in

clock = my_support.clock
fresh_cache = my_support.fresh_cache

pytestmark = pytest.mark.django_db

XFF = "HTTP_X_FORWARDED_FOR"


def address(settings, header: str | None, peer: str = "192.0.2.1", trusted: int = 1, **meta) -> str:
    settings.CLIENT_ADDRESS_META_KEY, settings.CLIENT_ADDRESS_TRUSTED_PROXIES = header, trusted
    return client_address(RequestFactory().get("/", REMOTE_ADDR=peer, **meta))


@pytest.mark.parametrize(
    ("trusted", "forwarded", "expected"),
    [
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # the left entry came from the client: forgeable
        (2, "6.6.6.6, 203.0.113.7, 10.0.0.2", "203.0.113.7"),  # the outer proxy appended the client
        (1, " 2001:db8::1 ", "2001:db8::1"),
        (1, "fe80::1%eth0", "fe80::1"),
        (2, "203.0.113.7", "192.0.2.1"),  # shorter than the proxies: not written by them
        (1, "not-an-ip", "192.0.2.1"),
        (1, "203.0.113.7, not-an-ip", "192.0.2.1"),
        (1, "203.0.113.7:443", "192.0.2.1"),
        (1, "", "192.0.2.1"),
        (1, ",,,", "192.0.2.1"),
        (1, "unknown\x00", "192.0.2.1"),
    ],
)
def test_the_client_is_the_address_our_outermost_proxy_appended(settings, trusted, forwarded, expected):
    assert address(settings, XFF, trusted=trusted, HTTP_X_FORWARDED_FOR=forwarded) == expected


def test_a_missing_header_falls_back_to_the_peer(settings):
    assert address(settings, XFF) == "192.0.2.1"
    assert address(settings, "HTTP_X_REAL_IP", HTTP_X_REAL_IP="198.51.100.4") == "198.51.100.4"
    assert address(settings, None, HTTP_X_FORWARDED_FOR="198.51.100.4") == "192.0.2.1"  # not configured: ignored


def test_without_any_usable_address_the_limit_is_shared_not_a_failure(settings):
    assert address(settings, XFF, peer="") == "0.0.0.0"
    assert address(settings, XFF, peer="unix:/run/gunicorn.sock", HTTP_X_FORWARDED_FOR="bad") == "0.0.0.0"


@pytest.mark.parametrize("forwarded", [None, "not-an-ip", "a, b, c", "203.0.113.7, 198.51.100.4", "x" * 10_000])
def test_sign_in_behind_the_proxy_never_fails_on_the_header(demo, settings, clock, forwarded):
    settings.CLIENT_ADDRESS_META_KEY = XFF
    extra = {XFF: forwarded} if forwarded is not None else {}
    assert sign_in(Client(), UNKNOWN, "12345678", **extra).status_code == 200


def test_each_client_behind_the_proxy_has_its_own_limit_and_cannot_forge_another(demo, settings, clock):
    settings.CLIENT_ADDRESS_META_KEY = XFF
    proxy = Client(REMOTE_ADDR="10.0.0.1")
    # Ten attempts from one customer, each with a different forged left part: one address all the same.
    codes = [sign_in(proxy, UNKNOWN, "12345678", **{XFF: f"6.6.6.{n}, 203.0.113.7"}).status_code for n in range(10)]
    assert codes == [200] * 10
    assert sign_in(proxy, UNKNOWN, "12345678", **{XFF: "203.0.113.7"}).status_code == 429
    assert sign_in(proxy, UNKNOWN, "12345678", **{XFF: "198.51.100.4"}).status_code == 200  # another customer
