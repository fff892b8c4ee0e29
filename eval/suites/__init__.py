"""Benchmark suites; each exposes ``run(data_dir, out_dir, limit, ...) -> dict``."""
