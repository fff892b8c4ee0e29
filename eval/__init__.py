"""Offline evaluation: a faithfulness judge, benchmark suites and their reports."""
