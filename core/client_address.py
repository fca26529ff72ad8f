"""Which address a request came from, for limits counted per client (the customer page's sign-in).

Behind reverse proxies every request comes from the last proxy (REMOTE_ADDR); the client's address is in
a header the proxies write (CLIENT_ADDRESS_META_KEY, e.g. HTTP_X_FORWARDED_FOR). Each proxy appends the
address it was connected from, so of a list "a, b, c" only the right-most CLIENT_ADDRESS_TRUSTED_PROXIES
entries were written by our own proxies; anything left of them came from the client and may be forged.
The entry the outermost trusted proxy appended is the client. A missing header, one shorter than the
proxies, or an entry that is not an address (`not-an-ip`, `unknown`, a port) falls back to the peer
address: a limit may then be shared, but a request never fails for what a client put in a header.
"""

import ipaddress

from django.conf import settings

UNKNOWN = "0.0.0.0"  # no usable address at all (a Unix socket without the header): one shared limit


def client_address(request) -> str:
    header = getattr(settings, "CLIENT_ADDRESS_META_KEY", None)
    if header:
        chain = [part.strip() for part in str(request.META.get(header, "")).split(",")]
        trusted = max(1, getattr(settings, "CLIENT_ADDRESS_TRUSTED_PROXIES", 1))
        if len(chain) >= trusted:
            address = _address(chain[-trusted])
            if address:
                return address
    return _address(request.META.get("REMOTE_ADDR", "")) or UNKNOWN


def _address(text: str) -> str | None:
    """The address written canonically (no IPv6 zone), or None if `text` is not one address."""
    try:
        address = ipaddress.ip_address(str(text).split("%", 1)[0])
    except ValueError:
        return None
    return str(address)
