"""rag.dates: which published dates are worth a warning at ingest."""

from __future__ import annotations

from datetime import date


def test_published_warning_rules() -> None:
    from rag.dates import published_warning

    today = date(2024, 1, 1)
    assert published_warning("", today) == ""
    assert published_warning("2024-01-02", today) == ""  # tomorrow: time zones
    assert published_warning("Mon, 06 Nov 2023 10:00:00 GMT", today) == ""
    assert "in the future" in published_warning("2024-02-01", today)
    assert "not a date" in published_warning("13/45/2020", today)
