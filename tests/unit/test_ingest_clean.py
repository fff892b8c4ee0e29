"""ingest/clean.py: whitespace and published dates."""

from __future__ import annotations

from ingest.clean import clean_text, parse_date


def test_clean_text_whitespace_and_dates():
    assert clean_text("a  b\t c\r\n\n\n\nnext ") == "a b c\n\nnext"
    assert parse_date("Nov 10, 2020")[0].startswith("2020-11-10")
    assert parse_date("2023-10-05T08:00:00+02:00")[1] == 1696485600
    assert parse_date("not a date") == ("", None)
