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
    assert "not a whole date" in published_warning("13/45/2020", today)


def test_relative_times_fall_in_the_years_of_their_articles_date():
    from rag.dates import relative_years

    assert relative_years("More were laid off this year.", date(2023, 12, 1)) == {"2023"}
    assert relative_years("Sales fell last year.", date(2023, 3, 1)) == {"2022"}
    assert relative_years("It rose last month.", date(2023, 1, 10)) == {"2022"}
    assert relative_years("It rose last month.", None) == set()
    assert relative_years("It rose in March.", date(2023, 1, 10)) == set()
    # A span of years names no year, however long ("the past 3000 years").
    assert relative_years("the hottest month in the past 3000 years", date(2023, 8, 1)) == set()


def test_the_years_a_question_asks_about_are_those_it_writes():
    from rag.dates import asked_years

    assert asked_years("How many were laid off in 2022?") == {"2022"}
    assert asked_years("How many of its 2000 employees were laid off this year?") == set()
    assert asked_years("What did Apple report?") == set()
