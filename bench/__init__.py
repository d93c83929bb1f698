"""Benchmarks: each ``bench_*.py`` prints a table. Run them all with ``make bench``."""
