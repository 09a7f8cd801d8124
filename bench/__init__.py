"""Benchmarks of certmatch against openssl and under load: `python -m bench.run` (see bench/README.md)."""
