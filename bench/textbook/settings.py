"""The product's settings, routed so the benchmark's textbook checkout is reachable. Benchmarks only."""

from config.settings import *  # noqa

ROOT_URLCONF = "bench.textbook.urls"
