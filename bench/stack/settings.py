"""The product's settings, routed to the stack-floor views of bench/stack/urls.py. Benchmarks only."""

from config.settings import *  # noqa

ROOT_URLCONF = "bench.stack.urls"
