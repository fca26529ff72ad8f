"""How fast one till may call the API (api.md: throttling is per terminal).

A till scans a few cards a minute and sends a basket in bursts; a stolen token used as a scraper asks for
hundreds of cards a second. Each terminal (and each cashier on the cashier screen, whose calls go through
the same API with the cashier's session) has a token bucket in the shared cache: it holds
settings.API_THROTTLE_BURST requests and refills settings.API_THROTTLE_PER_SECOND a second. A request
takes one; an empty bucket answers 429 `throttled` with `Retry-After`, the seconds until one is back.

The bucket is one cache entry updated in one step: on Redis a small Lua script (atomic, so servers
counting at once never let more through), elsewhere (the in-process cache of development and tests)
the same arithmetic under a process lock.

Throttled requests are counted per terminal and day in the cache (`throttled_today`), with the moment of
the last one, for the admin's terminal list: a counter that Redis increments in place costs nothing on a
flood of 429s, where a database write per refused request would move the scraper's load onto PostgreSQL.
They are a day's alarm, not a record: a cache flush forgets them.
"""

import math
import threading
import time
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.utils import timezone
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from pos.actors import PosActor

BUCKET_PREFIX = "api:bucket:"
THROTTLED_PREFIX = "api:throttled:"
LAST_THROTTLED_PREFIX = "api:throttled-last:"
_TWO_DAYS = 2 * 24 * 60 * 60
_REMEMBER_LAST = 30 * 24 * 60 * 60

# The bucket kept as one number (the generic cell rate algorithm): the moment, in ms, at which it would
# be full again. A request adds one interval (1000 / rate ms); it passes while that moment stays within
# burst × interval of now. No fractions of a request are ever rounded away, however often a till asks.
# KEYS[1] the bucket; ARGV: now, interval, burst × interval (ms). Returns "0", or the ms until one passes.
_TAKE = """
local now, interval, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local full_at = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now) + interval
if full_at - now > limit then return string.format('%.17g', full_at - now - limit) end
redis.call('SET', KEYS[1], string.format('%.17g', full_at), 'PX', math.ceil(full_at - now) + 1000)
return '0'
"""
_local_lock = threading.Lock()


def request_take(scope: str) -> float:
    """Take one request from `scope`'s bucket: 0 when it may pass, else the milliseconds until one may."""
    interval = 1000 / float(settings.API_THROTTLE_PER_SECOND)
    limit = int(settings.API_THROTTLE_BURST) * interval
    now = round(time.time() * 1000)  # whole ms: a clock a test sets to 10.0 s is not 9.999999 s
    key = BUCKET_PREFIX + scope
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        redis_key = backend.make_and_validate_key(key)
        client = backend._cache.get_client(redis_key, write=True)
        return float(client.eval(_TAKE, 1, redis_key, now, repr(interval), repr(limit)))
    with _local_lock:  # the in-process cache: one process, so a lock makes the same step atomic
        full_at = max(cache.get(key) or 0, now) + interval
        if full_at - now > limit:
            return full_at - now - limit
        cache.set(key, full_at, timeout=math.ceil((full_at - now) / 1000) + 1)
        return 0


class TerminalThrottle(BaseThrottle):
    """DRF's hook: every API view of the till (pos.apis.PosView) asks it after authentication."""

    def allow_request(self, request, view) -> bool:
        actor = request.auth
        if not isinstance(actor, PosActor):  # refused by the permission check before it gets here
            return True
        self.wait_ms = request_take(actor.scope)
        if self.wait_ms:
            throttled_record(actor.scope)
        return not self.wait_ms

    def wait(self) -> float:
        return self.wait_ms / 1000


def _today() -> str:
    """The chain's date now, on the throttle's clock."""
    return datetime.fromtimestamp(time.time(), tz=timezone.get_current_timezone()).date().isoformat()


def throttled_record(scope: str) -> None:
    day = _today()
    key = f"{THROTTLED_PREFIX}{scope}:{day}"
    if not cache.add(key, 1, timeout=_TWO_DAYS):
        try:
            cache.incr(key)
        except ValueError:  # expired between add() and incr(): a day old, so today's first
            cache.add(key, 1, timeout=_TWO_DAYS)
    cache.set(LAST_THROTTLED_PREFIX + scope, time.time(), timeout=_REMEMBER_LAST)


def throttled_today(scopes: list[str]) -> dict[str, tuple[int, datetime | None]]:
    """For each scope ("terminal:7"), how many requests were refused today and when the last one was
    (ever, while the cache remembers). One cache round trip for a page of the admin's list."""
    day = _today()
    keys = {scope: (f"{THROTTLED_PREFIX}{scope}:{day}", LAST_THROTTLED_PREFIX + scope) for scope in scopes}
    found = cache.get_many([key for pair in keys.values() for key in pair])
    answer = {}
    for scope, (count_key, last_key) in keys.items():
        last = found.get(last_key)
        answer[scope] = (found.get(count_key, 0), datetime.fromtimestamp(last, tz=UTC) if last else None)
    return answer


class CustomerSearchThrottle(SimpleRateThrottle):
    """Each search is an answer to "who has this phone, born when?": few per terminal (or cashier), so
    neither phones nor birthdays can be walked through. Rate: POS_CUSTOMER_SEARCH_RATE."""

    scope = "customer_search"

    def get_rate(self):
        return settings.POS_CUSTOMER_SEARCH_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": request.auth.scope}
