"""Benchmarks behind ``jepa-wm bench``: JSON reports, each with an in-run baseline."""
