"""Benchmark of autodiscover-dns against every backend: ``python -m bench.run --help``."""
