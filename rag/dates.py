"""Temporal phrases in a question -> a published-date range, by a deterministic parser.

"in October 2023", "last week", "before Nov 10, 2020", "yesterday", "since 2021-03-01",
"between May 1 and June 3, 2023", "in 2022", "past 3 days" -- relative to a reference date.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
_MONTHS |= {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}
_MONTHS["sept"] = 9
# The words of a month or a day of the week, whole, in lower case ("april", "apr", "sept",
# "wednesday").
CALENDAR_WORDS = frozenset(_MONTHS) | {d.lower() for d in calendar.day_name}
_MONTH = r"(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d{2}"
YEAR = _YEAR
# The same month names as running text writes them, capitalised and whole ("April", "Apr",
# "Sept"): matched case-sensitively, so the modal "may" is no month.
MONTH_WORD = (
    r"(?:"
    + "|".join(sorted({m[:1].upper() + m[1:] for m in _MONTHS}, key=len, reverse=True))
    + r")\b"
)
# A specific day: "Nov 10, 2020", "10 November 2020", "2020-11-10", "Nov 10" (reference year).
_DATE = (
    rf"(?:{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?|{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?"
    rf"|{_YEAR}-\d{{2}}-\d{{2}}|{_MONTH}\s+{_YEAR}|{_YEAR})"
)
_NUMBERS = {
    "a": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "ten": 10,
    "few": 3,
    "couple of": 2,
}


@dataclass(frozen=True)
class DateRange:
    """Inclusive published-date bounds; either may be open."""

    start: date | None
    end: date | None
    phrase: str

    def describe(self) -> str:
        lo = self.start.isoformat() if self.start else "…"
        hi = self.end.isoformat() if self.end else "…"
        return f"published {lo} to {hi} (from “{self.phrase}”)"


def month_names(text: str) -> list[str]:
    """The full names of the months ``text`` mentions, abbreviated or not ("Sept. 27" ->
    ["September"]): a claim may spell out a month its source abbreviates."""
    found = re.findall(rf"\b{_MONTH}(?=\s+\d)", text, flags=re.IGNORECASE)
    return list(
        dict.fromkeys(
            calendar.month_name[_MONTHS[m.lower().rstrip(".")]] for m in found if m[0].isupper()
        )
    )


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_date_span(text: str, ref: date) -> tuple[date, date] | None:
    """A date expression -> the first and last day it covers."""
    t = text.strip().lower().replace(",", " ")
    t = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", t)
    t = re.sub(r"\s+", " ", t).replace(".", "")
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", t):
        d = date(int(m[1]), int(m[2]), int(m[3]))
        return d, d
    if re.fullmatch(_YEAR, t):
        return date(int(t), 1, 1), date(int(t), 12, 31)
    words = t.replace(" of ", " ").split()
    month = next((_MONTHS[w] for w in words if w in _MONTHS), None)
    nums = [int(w) for w in words if w.isdigit()]
    if month is None:
        return None
    year = next((n for n in nums if n > 31), None)
    day = next((n for n in nums if n <= 31), None)
    if day is None:
        y = year or ref.year
        return date(y, month, 1), _month_end(y, month)
    y = year or ref.year
    try:
        d = date(y, month, day)
    except ValueError:
        return None
    return d, d


def _relative(phrase: str, ref: date) -> tuple[date, date] | None:
    p = phrase.lower()
    if p == "today":
        return ref, ref
    if p == "yesterday":
        d = ref - timedelta(days=1)
        return d, d
    if p in ("this week", "this past week"):
        return ref - timedelta(days=ref.weekday()), ref
    if p == "last week":
        start = ref - timedelta(days=ref.weekday() + 7)
        return start, start + timedelta(days=6)
    if p == "this month":
        return ref.replace(day=1), ref
    if p == "last month":
        end = ref.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    if p == "this year":
        return date(ref.year, 1, 1), ref
    if p == "last year":
        return date(ref.year - 1, 1, 1), date(ref.year - 1, 12, 31)
    m = re.fullmatch(
        r"(?:in the |over the )?(?:past|last) (\d+|a|one|two|three|four|five|six|"
        r"seven|ten|few|couple of) (day|week|month|year)s?",
        p,
    )
    if m:
        n = int(m[1]) if m[1].isdigit() else _NUMBERS[m[1]]
        days = {"day": 1, "week": 7, "month": 30, "year": 365}[m[2]] * n
        return ref - timedelta(days=days), ref
    m = re.fullmatch(r"(\d+|a|one|two|three|four|five|six|seven|ten) (day|week|month)s? ago", p)
    if m:
        n = int(m[1]) if m[1].isdigit() else _NUMBERS[m[1]]
        days = {"day": 1, "week": 7, "month": 30}[m[2]] * n
        d = ref - timedelta(days=days)
        return (
            (d, d)
            if m[2] == "day"
            else (d - timedelta(days=days // n // 2), d + timedelta(days=days // n // 2))
        )
    return None


_RELATIVE = re.compile(
    r"\b(today|yesterday|this (?:past )?week|last week|this month|last month|this year|"
    r"last year|(?:in the |over the )?(?:past|last) (?:\d+|a|one|two|three|four|five|six|seven|"
    r"ten|few|couple of) (?:day|week|month|year)s?|(?:\d+|a|one|two|three|four|five|six|seven|"
    r"ten) (?:day|week|month)s? ago)\b",
    re.IGNORECASE,
)


def relative_years(text: str, published: date | None) -> set[str]:
    """The years that ``text``'s relative times ("this year", "last month", "two weeks ago")
    fall in, read against ``published`` (its article's date): "more than 9,000 were laid off
    this year" in a 2023 article speaks of 2023, not of 2022. Only times of a year or less
    ("the past 3,000 years" names no year)."""
    if published is None:
        return set()
    years: set[str] = set()
    for m in _RELATIVE.finditer(text):
        try:
            span = _relative(m.group(1), published)
        except (ValueError, OverflowError):  # beyond the calendar
            continue
        if span is not None and (span[1] - span[0]).days <= 366:
            years.update(str(y) for y in range(span[0].year, span[1].year + 1))
    return years


def asked_years(question: str) -> set[str]:
    """The years a question asks about by a date it writes with its year ("in 2022", "between
    March 2021 and May 2022"); empty for none, or a relative one ("this year")."""
    span = parse_temporal(question)
    if span is None or span.start is None or span.end is None or not _YEAR_IN.search(span.phrase):
        return set()
    return {str(y) for y in range(span.start.year, span.end.year + 1)}


_YEAR_IN = re.compile(r"\b(?:1[89]|20)\d\d\b")


_BETWEEN = re.compile(rf"\bbetween ({_DATE}) and ({_DATE})", re.IGNORECASE)
_BOUND = re.compile(
    rf"\b(before|after|since|until|till|prior to|by|from|on|in|during|as of)\s+(?:the\s+)?"
    rf"({_DATE})\b",
    re.IGNORECASE,
)


def parse_temporal(question: str, reference: date | None = None) -> DateRange | None:
    """The first date constraint in ``question``, or None. Deterministic; no model involved."""
    ref = reference or date.today()
    if m := _BETWEEN.search(question):
        b = parse_date_span(m[2], ref)
        # "between May 1 and June 3, 2023": the first date takes the second one's year
        a = parse_date_span(m[1], ref.replace(year=b[0].year) if b else ref)
        if a and b:
            return DateRange(a[0], b[1], m[0])
    if m := _BOUND.search(question):
        span = parse_date_span(m[2], ref)
        if span:
            word = m[1].lower()
            if word in ("before", "prior to"):
                return DateRange(None, span[0] - timedelta(days=1), m[0])
            if word in ("until", "till", "by", "as of"):
                return DateRange(None, span[1], m[0])
            if word in ("after",):
                return DateRange(span[1] + timedelta(days=1), None, m[0])
            if word in ("since", "from"):
                return DateRange(span[0], None, m[0])
            return DateRange(span[0], span[1], m[0])
    if m := _RELATIVE.search(question):
        span = _relative(m[1], ref)
        if span:
            return DateRange(span[0], span[1], m[0])
    return None


def check_date_range(after: date | None, before: date | None) -> None:
    """Refuse an empty published-date range (``after`` later than ``before``) with a message."""
    from rag.errors import InputError

    if after and before and after > before:
        raise InputError(
            f"The date range is empty: {after.isoformat()} is after {before.isoformat()}.",
            "Swap the two dates: the “after” date must be the earlier one.",
        )


def read_published(value: str) -> datetime | None:
    """A published value as a time (UTC when it names no zone), or None when it does not
    give a whole date: epoch seconds or milliseconds (1701598500, 1701598500000), YYYYMMDD,
    or a written date with its year, month and day ("Dec 3, 2023", "2023-12-03T10:00Z").

    A part the text leaves out is not made up: read against two different default dates,
    a year alone ("2021"), a month or a weekday ("Tuesday") comes out differently, and is
    no date (it had taken today's month and day, or the next such weekday)."""
    raw = (value or "").strip()
    if not raw:
        return None
    try:
        if re.fullmatch(r"\d{12,13}", raw):
            return datetime.fromtimestamp(int(raw) / 1000, UTC)
        if re.fullmatch(r"\d{9,10}(\.\d+)?", raw):
            return datetime.fromtimestamp(float(raw), UTC)
        if re.fullmatch(r"\d{8}", raw):
            return datetime.strptime(raw, "%Y%m%d").replace(tzinfo=UTC)
        from dateutil import parser as dateparser

        one = dateparser.parse(raw, default=datetime(1901, 1, 1))
        other = dateparser.parse(raw, default=datetime(1902, 2, 2))
    except (ValueError, OverflowError, TypeError, AttributeError):
        return None
    if one is None or other is None or one.date() != other.date():
        return None
    return one if one.tzinfo else one.replace(tzinfo=UTC)


def published_warning(value: str, today: date | None = None, future_days: int = 2) -> str:
    """Why an article's published date looks wrong ("" when it is fine or absent).

    The value is kept either way; an unreadable one is stored raw, a far-future one as is.
    """
    raw = (value or "").strip()
    if not raw:
        return ""
    read = read_published(raw)
    if read is None:
        shown = raw if len(raw) <= 60 else raw[:57] + "..."
        return (
            f"published date '{shown}' is not a whole date (year, month and day): kept as"
            " written; date filters will not match it"
        )
    parsed = read.date()
    limit = (today or date.today()) + timedelta(days=future_days)
    if parsed > limit:
        return f"published date {parsed.isoformat()} is in the future: kept, check the source"
    return ""


def long_date(day: date) -> str:
    """A date as running text writes it: "November 20, 2023"."""
    return f"{day:%B} {day.day}, {day.year}"


def published_day(published: str | None) -> date | None:
    """The date of a stored published value ("2015-06-16", "2015-06-16T08:00:00"), if any."""
    try:
        return date.fromisoformat((published or "")[:10])
    except ValueError:
        return None
