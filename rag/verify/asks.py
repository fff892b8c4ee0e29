"""Does an answer answer? What a question asks for (a number, a time, a name, the N of "what
N"), and whether an answer sentence gives it."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from rag.text import as_statement, counted, focus, lemmas
from rag.verify.common import _names
from rag.verify.config import DEFAULT, VerifyConfig

# What a question asks for, and how an answer shows it has it.
_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|twenty|thirty|"
    r"forty|fifty|hundreds?|thousands?|millions?|billions?|several|single|no"
)


_ASKS = (
    (
        "money",
        re.compile(r"^how much (money|funding|aid|cash)|^how much did .{1,60}(cost|pay)", re.I),
    ),
    (
        "number",
        re.compile(
            r"^(how (many|much)|what (number|percentage|share)"
            r"|what (is|was|were|are) [\w.'’ -]{0,40}\b(revenue|sales|profit|loss|price|cost|"
            r"population|budget|salary|income|valuation|worth|score|rate|amount|total))\b",
            re.I,
        ),
    ),
    ("time", re.compile(r"^(when|since when|how long|what (year|date|day|month|time))\b", re.I)),
    (
        "name",
        re.compile(
            r"^(who|whom|whose|what is the name|what's the name|which (person|official|"
            r"minister|leader|president|company|companies|country|countries|city|ministry|"
            r"organi[sz]ation|group|player|team))\b",
            re.I,
        ),
    ),
)


_HAS = {
    "money": re.compile(
        r"[$€£¥]|\b(dollars?|euros?|pounds?|rubles?|roubles?|yuan|manats?|lira|usd|eur)\b"
        r"|\d\s*(million|billion|trillion|bn)\b",
        re.I,
    ),
    "number": re.compile(rf"\d+(?:[.,]\d+)*|\b({_NUMBER_WORDS})\b", re.I),
    "time": re.compile(
        r"\d+(?:[.,]\d+)*|\b(january|february|march|april|may|june|july|august|september|october|"
        r"november|december|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
        r"yesterday|today|tonight|week|month|year|decade|century|days?|hours?|morning|"
        r"afternoon|evening|night|since|until|after|before|ago|recently|spring|summer|"
        r"autumn|fall|winter)\b",
        re.I,
    ),
}


def asked_for(question: str) -> str | None:
    """What kind of thing the question asks for: "number", "time", "name", or None."""
    q = re.sub(r"^\W*(and|but|so|also|then|exactly|roughly|approximately|about)\b\s*", "", question)
    q = re.sub(r"^(according to [^,]+,|in [^,]{1,40},)\s*", "", q.strip(), flags=re.I)
    for kind, pattern in _ASKS:
        if pattern.search(q):
            return kind
    return None


def gives(text: str, kind: str, question: str = "") -> bool:
    """Whether an answer sentence contains the kind of thing asked for, beyond what the
    question itself says ("the January 2021 pact" does not answer "how much")."""
    if kind == "name":
        return bool(_names(text) - _names(question))
    pattern = _HAS[kind]
    asked = {m.group(0).lower() for m in pattern.finditer(question)}
    return any(m.group(0).lower() not in asked for m in pattern.finditer(text))


def off_focus(
    question: str,
    text: str,
    evidence: Sequence[str],
    fragment: bool = False,
    similar: Callable[[str, str], float] | None = None,
    config: VerifyConfig = DEFAULT,
) -> str:
    """Why a supported answer sentence is about something other than what the question asks,
    or "". A "what N" / "how many N" question asks about N: the answer (with its evidence)
    must speak of N, and a number it gives must count N or a near synonym (``similar`` of
    the two nouns at least ``config.focus_similarity``: "four games" answers "how many
    matches", "2,000 peacekeepers" does not answer "How many drone strikes ...?"). A "why
    ... V" question asks for a reason for V. Questions for a name ("which country") are left
    to ``gives``: their answer names an instance, not the type."""
    noun = focus(question)
    if not noun or asked_for(question) == "name":
        return ""
    statement = as_statement(question, text) if fragment else text
    numbers = counted(statement)
    if asked_for(question) == "number" and numbers:
        counts = {n for nouns in numbers.values() for n in nouns}
        if noun in counts or (
            similar and max(similar(noun, n) for n in counts) >= config.focus_similarity
        ):
            return ""
        return f"its numbers count something else than the {noun} asked about"
    # The evidence must name it: an answer that only repeats the question's noun ("The area
    # of Gaza is 2.3 million residents") names it without the sources saying anything of it.
    if any(noun in lemmas(e) for e in evidence):
        return ""
    return f"its sources do not speak of the {noun} asked about"
