import pytest
from django.core.cache import cache

from dashboard.reports.stores import OWED_KEY


@pytest.fixture(autouse=True)
def _points_owed_counted_anew():
    # The stores page keeps the points owed per store for a few minutes in the cache, which outlives a test.
    cache.delete(OWED_KEY)
    yield
    cache.delete(OWED_KEY)
