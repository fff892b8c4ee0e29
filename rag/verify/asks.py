"""Does an answer answer? What a question asks for (a number, a time, a name, the N of "what
N"), and whether an answer sentence gives it."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from rag.dates import CALENDAR_WORDS, YEAR
from rag.retrieve import named_outlets, tokenize
from rag.text import (
    LEADING_PREPOSITION,
    ORGANISATION_NOUNS,
    PERSON_NOUNS,
    PLACE_NOUNS,
    actors,
    anchors,
    answer_items,
    answer_tokens,
    as_statement,
    asked_act,
    asked_subject,
    asked_words,
    asks_why,
    calendar_spans,
    counted,
    durations,
    enumerated_counts,
    equated_counts,
    events,
    fills_slot,
    focus,
    focus_kinds,
    kind_asked,
    labelled_by,
    leaves_unidentified,
    lemmas,
    offered_choices,
    parse,
    part_of_object,
    reports_another,
    roles,
    same_name,
    subject_points_back,
    time_points,
    without_fronted,
)
from rag.verify.common import name_words
from rag.verify.config import DEFAULT, VerifyConfig

# What a question asks for, and how an answer shows it has it.
_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|twenty|thirty|"
    r"forty|fifty|hundreds?|thousands?|millions?|billions?|several|single|no"
)


# Nouns whose value is an amount: "What was Tesla's revenue ...?", "What net income did
# Nike report?" ask for a number.
_AMOUNT_NOUNS = (
    "revenue",
    "sales",
    "profit",
    "loss",
    "price",
    "cost",
    "population",
    "budget",
    "salary",
    "income",
    "valuation",
    "worth",
    "score",
    "rate",
    "amount",
    "total",
)


_ASKS = (
    (
        "money",
        re.compile(r"^how much (money|funding|aid|cash)|^how much did .{1,60}(cost|pay)", re.I),
    ),
    (
        "number",
        re.compile(
            r"^(how (many|much|old)|what (number|percentage|share)"
            rf"|what (is|was|were|are) [\w.'’ -]{{0,40}}\b({'|'.join(_AMOUNT_NOUNS)}))\b",
            re.I,
        ),
    ),
    (
        "time",
        re.compile(r"^(when|since when|how long|(what|which) (year|date|day|month|time))\b", re.I),
    ),
    (
        "name",
        re.compile(
            # "which N" asks for one of the Ns, and news names them: which side, which club;
            # so does "what N" when N is a kind of named thing ("What institution, ..., has
            # been forced to hike rates?"), not when it is any noun ("what impact").
            r"^(who|whom|whose|what is the name|what's the name|which \w+"
            rf"|what ({'|'.join(sorted(PERSON_NOUNS | ORGANISATION_NOUNS | PLACE_NOUNS))}))\b",
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
    # Besides the dates and times the parse finds (``gives``): the words that say when.
    "time": re.compile(
        rf"\b{YEAR}\b|\b\d{{1,2}}(?:st|nd|rd|th)\b"
        r"|\b(january|february|march|april|may|june|july|august|september|october|"
        r"november|december|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
        r"yesterday|today|tonight|week|month|year|decade|century|days?|hours?|morning|"
        r"afternoon|evening|night|ago|recently|spring|summer|"
        r"autumn|fall|winter)\b",
        re.I,
    ),
}


# Words an answer says by the form the question asks for, which its source need not write:
# "Altman, now 38," gives an age in years ("He is 38 years old").
_IMPLIED_WORDS = ((re.compile(r"^how old\b", re.I), "years old aged age"),)


def implied_words(question: str) -> frozenset[str]:
    """The words (``tokenize``d) an answer to ``question`` may add without a source saying
    them: the unit its form asks for."""
    q = without_fronted(question.strip())
    return frozenset(
        w for pattern, words in _IMPLIED_WORDS if pattern.match(q) for w in tokenize(words)
    )


# Kinds of answer whose item (a name, a time, a number) is read in its source's parse.
ANCHORED_KINDS = frozenset({"name", "time", "number", "money"})


def asked_for(question: str) -> str | None:
    """What kind of thing the question asks for: "number", "time", "name", or None."""
    if _asks_at_what_point(question):
        return "time"
    q = _question_proper(question)
    for kind, pattern in _ASKS:
        if pattern.search(q):
            return kind
    # "What is the premiere date of X?": the N it asks about is a time; "What net income
    # did Nike report?": an amount.
    noun = focus(q)
    if noun in _TIME_NOUNS:
        return "time"
    if noun in _AMOUNT_NOUNS:
        return "number"
    return None


# "since 2011", "until March": a stretch told by where it starts or ends.
_SINCE = re.compile(rf"\b(?:since|until|till)\s+(?:\w+\s+)?(?:{YEAR}|\d)", re.IGNORECASE)
# "At what point / moment did X ...?" asks when.
_AT_WHAT_POINT = re.compile(r"^\W*(?:(?:and|but|so)[\s,]+)?at what (?:point|moment)\b", re.I)


def _asks_at_what_point(question: str) -> bool:
    """Whether the question asks "at what point / moment", which asks when."""
    return bool(_AT_WHAT_POINT.match(without_fronted(question.strip())))


def _question_proper(question: str) -> str:
    """The question from its wh-word: "Roughly how long ...", "And on what date ...", "In
    the article, who ..." read as "how long ...", "what date ...", "who ..."."""
    q = without_fronted(_OPENING_WORD.sub("", question))
    # "On what date ...?", "By how much ...?": the question proper starts at its wh-word;
    # "Going by the article, roughly what year ...?" at it too.
    return LEADING_PREPOSITION.sub("", _OPENING_WORD.sub("", q))


# A time that names its year: a year's number, or the year counted from now.
_NAMES_A_YEAR = re.compile(
    rf"\b(?:FY)?{YEAR}s?\b|'\d0s\b|\b(?:last|this|next|that)\s+year\b"
    r"|\b(?:nineteen|two thousand|twenty)[\s-]+\w+",
    re.IGNORECASE,
)
# "In what year of his presidency ...?" asks for a year of a span, not a calendar year.
_YEAR_OF = re.compile(r"\bwhat year of\b", re.IGNORECASE)

# A joining word or a degree adverb before a question's wh-word.
_OPENING_WORD = re.compile(
    r"^\W*(and|but|so|also|then|exactly|roughly|approximately|about"
    r"|\w+ly(?=\s+(?:what|which|who|whom|whose|when|where|why|how)\b))\b\s*",
    re.IGNORECASE,
)


_TIME_NOUNS = frozenset({"date", "day", "year", "month", "time", "week", "hour"})


_HOW_LONG = re.compile(r"^\W*how long\b(?!\s+ago)", re.IGNORECASE)


def _calendar_words(text: str) -> set[str]:
    """The months and days of the week ``text`` gives as times, not names: "confirmed on
    Wednesday (October 4)" names no team. Only the words themselves, in a date the parse
    finds ("Black Friday" and "Tuesday Morning" still name something), and not one the
    parse makes a verb's subject or object ("Johnson replaced May in July 2019")."""
    spans = calendar_spans(text)
    return {
        tok.lower_
        for tok in parse(text)
        if tok.lower_ in CALENDAR_WORDS
        and tok.dep_ not in ("nsubj", "nsubjpass", "dobj")
        and any(start <= tok.idx < end for start, end in spans)
    }


def gives(text: str, kind: str, question: str = "") -> bool:
    """Whether an answer sentence contains the kind of thing asked for, beyond what the
    question itself says ("the January 2021 pact" does not answer "how much")."""
    if kind == "name":
        if _chooses(text, question):
            return True
        # A name of several words the question gives, capitalised or not ("the olympic
        # games"), is no answer; one word in lower case may be another thing ("target").
        lower = " " + " ".join(re.findall(r"[\w'’-]+", question.lower())) + " "
        asked = name_words(question) | {
            w
            for phrase in _NAME_PHRASE.findall(text)
            if f" {phrase.lower()} " in lower
            for w in name_words(phrase)
        }
        named = name_words(text) - _calendar_words(text)
        return bool(named - asked) or _narrows(text, question) or fills_slot(question, text)
    if kind == "time" and _HOW_LONG.match(_question_proper(question)):
        # "How long": a stretch of time or a length ("44 days", "25 miles"), not a point in
        # time: "in January 2021" does not say how long after something it came.
        said = question.lower()
        if any(d.lower() not in said for d in durations(text)) or _SINCE.search(text):
            return True  # "since 2011": how long it has lasted
        # "two years ago" is a point
        return gives(_blanked(text, time_points(text)), "number", question)
    noun = focus(_question_proper(question))  # the N of "what N", "how many N"
    if kind == "time" and noun == "year" and not _YEAR_OF.search(question):
        # "What year ...?" asks for a year: "in 2007", "last year", "the late 1990s", not
        # "16 years ago", which leaves the reader to count back from a date not given.
        return any(_NAMES_A_YEAR.search(item) for item in answer_items(text, kind, question))
    if kind == "time" and answer_items(text, kind, question):
        return True  # a date or time the question does not give; a bare number ("38%") is none
    if kind == "time" and _relative_time(text, question):
        return True  # "after the collapse", "when FTX was exposed": a time told by an event
    if kind == "number" and _asks_difference(question) and _lists_operands(text, question):
        return False  # the amounts compared, not the difference asked for
    # "What share of the population ...?" asks for a part of a whole: "1.1 million
    # residents" is a count, "nearly half" or "1.1 million of 2.3 million" a share.
    share = kind == "number" and noun in _SHARE_NOUNS
    if kind == "number" and not share and _quantifies(text, noun):
        return True  # "on practically every platform" answers "on how many platforms"
    pattern = _RATIO if share else _HAS[kind]
    if kind == "number" and not share:
        # A year or a day of the month is no amount: "since 1991" does not say how many years.
        text = _blanked(text, calendar_spans(text))
    asked = {m.group(0).lower() for m in pattern.finditer(question)}
    return any(m.group(0).lower() not in asked for m in pattern.finditer(text))


# Determiners that say how many of a noun by quantifying it whole: all, every, none.
_QUANTIFIERS = frozenset({"every", "all", "each", "both", "no", "none"})


def _quantifies(text: str, noun: str | None) -> bool:
    """Whether ``text`` says how many of ``noun`` by a quantifier ("every platform", "all
    the platforms", "none of the platforms"): an answer to "how many N" as a number is."""
    if not noun:
        return False
    for tok in parse(text):
        if tok.lower_ not in _QUANTIFIERS:
            continue
        if tok.dep_ in ("det", "predet", "nummod", "amod") and tok.head.lemma_.lower() == noun:
            return True
        of = [c for c in tok.children if c.dep_ == "prep" and c.lower_ == "of"]
        if any(g.lemma_.lower() == noun for c in of for g in c.children if g.dep_ == "pobj"):
            return True
    return False


def _asks_difference(question: str) -> bool:
    """Whether the question asks for a difference: "by how much ...?", "how many more ...?",
    "how much higher ...?" (a comparative by the "how much / many")."""
    for tok in parse(question):
        if tok.lower_ != "how" or tok.head.lower_ not in ("much", "many"):
            continue
        amount = tok.head
        if tok.i > 0 and tok.nbor(-1).lower_ == "by":  # "by how much", however it is parsed
            return True
        near = [*amount.children, *amount.head.children, amount.head]
        if any(t.tag_ in ("JJR", "RBR") for t in near):
            return True
    return False


def _lists_operands(text: str, question: str) -> bool:
    """Whether an answer gives amounts side by side ("$3.66 billion of unlocked FTT and $2.16
    billion of FTT collateral") and marks none of them as a difference: the reader is left
    to do the sum. A difference is marked by "by" or a comparative ("$1.5 billion more"),
    or is what a verb measures ("fell 0.3 points to 3.7%", "cut 1,000 jobs"); an amount a
    change goes to or from ("to 3.7%", "from $3 billion", "against $2.16 billion") is no
    operand side by side with it."""
    asked = {t.lower_ for t in parse(question) if t.like_num}
    doc = parse(text)
    heads = {}
    for tok in doc:
        if tok.like_num and tok.lower_ not in asked:
            head = tok
            while head.dep_ in ("compound", "nummod", "quantmod") and head.head.i != head.i:
                head = head.head
            heads[head.i] = head
    operands = []
    for head in heads.values():
        chain = [head, *list(head.ancestors)[:3]]
        if any(
            t.lower_ == "by"
            or t.tag_ in ("JJR", "RBR")
            or any(c.tag_ in ("JJR", "RBR") for c in t.children)
            for t in chain
        ):
            return False  # the difference, marked
        if head.dep_ in ("dobj", "npadvmod") and head.head.pos_ == "VERB":
            return False  # what the verb measures: "fell 0.3 points"
        if head.dep_ == "pobj" and head.head.lower_ in _END_POINTS:
            continue
        operands.append(head)
    # Two amounts of one unit, or one amount's phrase coordinated with another's.
    units = [h.lemma_.lower() for h in operands]
    at = {h.i for h in operands}
    return len(set(units)) < len(units) or any(
        h.dep_ == "conj" and h.head.i in at for h in operands
    )


# Prepositions of an amount a change goes to or from, or is set against.
_END_POINTS = frozenset({"to", "from", "at", "against", "versus", "vs", "than"})


# The nouns of a question that asks for a part of a whole, and the ways an answer says one.
_SHARE_NOUNS = frozenset({"share", "proportion", "percentage", "fraction", "portion", "ratio"})
_FRACTION = r"(?:half|halves|thirds?|quarters?|fifths?|tenths?)"
_RATIO = re.compile(
    r"\d[\d.,]*\s*(?:%|per\s*cent\b|percent\b)"
    r"|\b(?:a|one|two|three|four|nearly|almost|about|roughly|around|over|under|just)[\s-]+"
    + _FRACTION
    + r"\b|\bhalf\s+(?:of|the)\b|\b(?:majority|minority)\b"
    r"|\b(?:one|\d+)\s+in\s+(?:every\s+)?(?:\d+|two|three|four|five|six|seven|eight|nine|ten)\b"
    r"|\d[\d.,]*(?:\s+(?:million|billion|thousand))?\s+(?:out\s+)?of\s+"
    r"(?:the\s+|its\s+|\w+['’]s\s+)?(?:\w+\s+)?(?!(?:19|20)\d\d\b)\d",
    re.IGNORECASE,
)


def _blanked(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` with each of the (ordered, disjoint) character ``spans`` replaced by a space."""
    for start, end in reversed(spans):
        text = text[:start] + " " + text[end:]
    return text


# Prepositions of time ("after the collapse") and subordinators of a time clause ("when it
# was exposed"); "since" and "while" also give reasons and contrasts, so only as prepositions.
_TEMPORAL_PREPOSITIONS = frozenset(
    {"after", "before", "during", "until", "till", "since", "following"}
)
_TEMPORAL_SUBORDINATORS = frozenset({"after", "before", "until", "till", "when", "once"})


def _relative_time(text: str, question: str) -> bool:
    """Whether ``text`` tells a time by an event the question does not give: a temporal
    preposition or subordinator ("after", "when", ...) whose phrase or clause holds a content
    word the question lacks, or "the same time" as something."""
    asked = lemmas(question)
    doc = parse(text)
    for tok in doc:
        if (
            tok.lower_ == "time"
            and any(c.lower_ == "same" for c in tok.children)
            and any(c.dep_ in ("relcl", "acl", "prep") for c in tok.children)
        ):
            return True  # "the same time it was exposed", not "At the same time, ..."
        # A subordinator opens an adverbial clause ("when it was exposed"), not a question
        # ("does not say when"); a preposition opens its own phrase ("after the collapse").
        opens_clause = (
            tok.lower_ in _TEMPORAL_SUBORDINATORS
            and tok.dep_ in ("mark", "advmod")
            and tok.head.dep_ == "advcl"
        )
        opens_phrase = tok.lower_ in _TEMPORAL_PREPOSITIONS and tok.dep_ == "prep"
        if not (opens_clause or opens_phrase):
            continue
        scope = tok.head.subtree if opens_clause else tok.subtree
        if any(
            t.pos_ in ("NOUN", "PROPN", "VERB") and t.lemma_.lower() not in asked
            for t in scope
            if t.i > tok.i
        ):
            return True
    return False


# Capitalised words in a row: a name of several words as an answer writes it.
_NAME_PHRASE = re.compile(r"\b[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)+")


def _chooses(text: str, question: str) -> bool:
    """Whether the answer names some but not all of the names the question offers to choose
    among ("Of A and B, which one ...?" -> "A has returned ..."); naming both chooses none."""
    choices = offered_choices(question)
    if not choices:
        return False
    named = name_words(text)
    chosen = sum(1 for c in choices if c & named)
    return 0 < chosen < len(choices)


def _narrows(
    text: str,
    question: str,
    wh: tuple[str, ...] = ("which",),
    nouns: frozenset[str] = frozenset(),
    numbers_narrow: bool = True,
) -> bool:
    """Whether the answer picks out one of the Ns a "which N" question asks about without a
    name: its N carries a word the question does not ("the 3+3 regional cooperation format"
    to "Which regional cooperation format ...?"). "It carried out the strikes" to "Which side
    carried out the strikes?" does not. ``nouns`` overrides the question's N; without
    ``numbers_narrow`` a number does not narrow ("four drones" says no kind of drone)."""
    noun = set(nouns or _wh_nouns(question, wh))
    if not noun:
        return False
    narrowing = _NARROWING if numbers_narrow else _NARROWING - {"nummod"}
    asked = lemmas(question)
    for tok in parse(text):
        if tok.lemma_.lower() in noun and any(
            c.dep_ in narrowing
            and any(not w.is_punct and w.lemma_.lower() not in asked for w in c.subtree)
            for c in tok.children
        ):
            return True
    return False


# Modifiers that say which N: "hazy weather", "the 3+3 format", "a role in the talks".
_NARROWING = frozenset(
    {"compound", "amod", "nummod", "nmod", "poss", "prep", "appos", "acl", "relcl"}
)


def _generic(question: str, text: str) -> bool:
    """Whether the answer to a "what N" question speaks of N only as the question does:
    "Messi missed the games due to injury" to "What injury kept Messi out?" names no
    injury. An answer that fills the question's slot, narrows N ("a hamstring injury") or
    does not say N at all (an instance: "Russia deployed peacekeepers" to "What measures
    ...?") is not generic. "What kind / type of N" asks which N: an answer that counts N
    in place of saying which ("four-drone strikes" to "What type of drones ...?") is
    generic; one that says N with no count is left to the other checks (its kind may sit
    in a phrase the parse puts elsewhere: "customer money—both cash and crypto")."""
    kind = kind_asked(question)
    if kind:
        counted_n = any(
            t.lemma_.lower() == kind and any(c.dep_ == "nummod" for c in t.children)
            for t in parse(text)
        )
        return (
            counted_n
            and not _narrows(text, question, ("what",), frozenset({kind}), numbers_narrow=False)
            and not fills_slot(question, text)
        )
    nouns = {
        t.head.lemma_.lower() for t in parse(question) if t.lower_ == "what" and t.dep_ == "det"
    }
    if not nouns or not any(t.lemma_.lower() in nouns for t in parse(text)):
        return False
    return not _narrows(text, question, ("what",)) and not fills_slot(question, text)


def off_focus(
    question: str,
    text: str,
    evidence: Sequence[str],
    fragment: bool = False,
    similar: Callable[[str, str], float] | None = None,
    config: VerifyConfig = DEFAULT,
    context: Sequence[str] = (),
    earlier: Sequence[str] = (),
) -> str:
    """Why a supported answer sentence is about something other than what the question asks,
    or "". A "what N" / "how many N" question asks about N: the answer (with its evidence)
    must speak of N, and a number it gives must count N or a near synonym (``similar`` of
    the two nouns at least ``config.focus_similarity``: "four games" answers "how many
    matches", "2,000 peacekeepers" does not answer "How many drone strikes ...?"). A "why
    ... V" question asks for a reason for V: its evidence must tell of V, unless no sentence
    of the ``context`` (the retrieved passages) does, when the sources word the act
    otherwise ("move south" / "leave for the southern region") and the support check alone
    judges it. Questions for a name ("which country") are left to ``gives``: their answer
    names an instance, not the type. A sentence whose subject is a pronoun ("he", "they")
    speaks of what the answer's ``earlier`` (verified) sentences name: "Kelce plays tight
    end. He ..." speaks of Kelce in both."""
    detached = _detached(question, text, evidence, similar, config)
    if detached:
        return detached
    another = reports_another(question, text) or part_of_object(question, text)
    if another:
        return another
    noun = focus(question)
    kind = asked_for(question)
    statement = as_statement(question, text) if fragment else text
    doer = asked_subject(question)
    referred = earlier if earlier and subject_points_back(statement) else ()
    if doer and not _speaks_of(doer, [statement, *evidence, *referred]):
        return f"neither it nor its sources speak of the {doer[0]} the question asks about"
    unnamed = leaves_unidentified(question, statement)
    if unnamed:
        return f"it speaks of the {unnamed} without saying who it is"
    # A name, or a time asked for by its type ("what is the premiere date"), answers by
    # instance: checked by ``gives`` and ``_detached``, not by the word.
    if not noun or kind == "name" or (kind == "time" and noun in _TIME_NOUNS):
        return ""
    if _asks_at_what_point(question):
        return ""  # "at what point" asks when, not about a point
    numbers = counted(statement)
    if kind == "number" and numbers:
        if _counts_noun(noun, {n for nouns in numbers.values() for n in nouns}, similar, config):
            return ""
        if _part_of_same_whole(question, statement):
            return ""
        return f"its numbers count something else than the {noun} asked about"
    # A number given as the N itself must be of N: "The area of Gaza is 2.3 million
    # residents" does not answer "What is the area of Gaza?".
    equated = equated_counts(statement, noun) if numbers else frozenset()
    if equated and not _counts_noun(noun, equated, similar, config):
        return f"it gives as the {noun} a number of something else"
    if _generic(question, statement):
        return f"it speaks of the {noun} asked about without saying which"
    if fills_slot(question, statement):
        return ""  # it names an instance of the N asked about, which need not be called N
    # The evidence must name it: an answer that only repeats the question's noun ("The area
    # of Gaza is 2.3 million residents") names it without the sources saying anything of it.
    about = {noun, *focus_kinds(question)}
    if any(lemmas(e) & about for e in evidence):
        return ""
    if context and asks_why(question):
        participants = told_words(question)
        if not any(_tells_of(s, noun, participants) for s in context):
            return ""  # no passage tells of the act as asked: a paraphrase is all there is
    return f"its sources do not speak of the {noun} asked about"


def _speaks_of(doer: tuple[str, frozenset[str]], texts: Sequence[str]) -> bool:
    """Whether any of ``texts`` speaks of the doer a question asks about (``asked_subject``):
    says its head word ("lawyers"), or, for a name, the name in any form ("Russian")."""
    head, names = doer
    words = frozenset().union(*(told_words(t) for t in texts))
    if head in words:
        return True
    return head in names and any(same_name(head, w) for w in words)


def _tells_of(sentence: str, verb: str, participants: frozenset[str]) -> bool:
    """Whether ``sentence`` tells of the act ``verb`` with one of the question's
    ``participants`` (its ``told_words``): "the Armenian forces had to retreat" tells of the
    retreat "Why did the Armenian forces have to retreat?" asks about; "a blockade that
    prevents civilians from moving" does not tell of the move of "Why did Israel tell people
    to move south?"."""
    return any(
        e.lemma == verb and (e.actors | e.targets | e.objects | e.things) & participants
        for e in events(sentence)
    )


def told_words(text: str) -> frozenset[str]:
    """The lemmas of ``text`` with its name words in lower case: the words it tells of,
    to compare with another text's ("Glazers" / "glazer", "Cue")."""
    return lemmas(text) | {w.lower() for w in name_words(text)}


def _counts_noun(
    noun: str,
    counted_nouns: set[str] | frozenset[str],
    similar: Callable[[str, str], float] | None,
    config: VerifyConfig,
) -> bool:
    """Whether a number counting ``counted_nouns`` is a number of the ``noun`` asked about:
    the same noun, a near synonym ("four games" for "how many matches"), or the noun is
    itself a count of them ("2.3 million residents" for "population", read as "the number
    of residents"). Each reading must be at least ``config.focus_similarity`` close."""
    if noun in counted_nouns:
        return True
    if not similar:
        return False
    return any(
        max(similar(noun, n), similar(noun, f"number of {_plural(n)}")) >= config.focus_similarity
        for n in counted_nouns
    )


def _part_of_same_whole(question: str, statement: str) -> bool:
    """Whether a "what N of X" question is answered by a quantity of the same X: "94% of
    business leaders" answers "What share of business leaders ...?" (the N, a share, a
    proportion, a majority, is the part the quantity measures)."""

    def wholes(tok: Any) -> set[str]:
        return {
            pobj.lemma_.lower()
            for prep in tok.children
            if prep.dep_ == "prep" and prep.lower_ == "of"
            for pobj in prep.children
            if pobj.dep_ == "pobj"
        }

    asked = {
        w
        for t in parse(question)
        if t.lower_ in ("what", "which") and t.dep_ == "det"
        for w in wholes(t.head)
    }
    if not asked:
        return False
    return any(
        (tok.like_num or any(c.dep_ == "nummod" for c in tok.children)) and wholes(tok) & asked
        for tok in parse(statement)
    )


def _plural(noun: str) -> str:
    """A rough English plural of a lemma, for comparing meanings ("number of residents"
    reads closer to "population" than "number of resident"), never shown to a reader."""
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun if noun.endswith("s") else noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "o", "u"):
        return noun[:-1] + "ies"
    return noun + "s"


def _wh_nouns(question: str, wh: tuple[str, ...] = ("which", "what")) -> list[str]:
    """The lemmas of the nouns a "which N" / "what N" question asks for, in order."""
    return [t.head.lemma_.lower() for t in parse(question) if t.lower_ in wh and t.dep_ == "det"]


def _detached(
    question: str,
    text: str,
    evidence: Sequence[str],
    similar: Callable[[str, str], float] | None,
    config: VerifyConfig,
) -> str:
    """Why the name, date or number an answer gives is, in its sources, about something
    the question does not ask about, or "".

    For a question asking for a name, a time, a number or an amount, the answer's new
    item is found in each evidence sentence and read up the parse (``rag.text.anchors``):
    some word it is told about there must be one of the question's own words (or a form
    of one, or a word at least ``config.anchor_similarity`` close). "On what date did the
    ministry put out its statement?" answered with "Nov. 10, 2020", which the source gives
    for the end of the fighting, fails; so does a name the source gives as someone's
    victim when the question asks who acted. Evidence where the item cannot be found is
    not judged here."""
    kind = asked_for(question)
    if kind not in ANCHORED_KINDS:
        return ""
    if kind == "number" and focus(question):
        return ""  # "how many N": the number must count N, checked in ``off_focus``
    # Who or what did something, for an answer held to the stricter bar: the item must be
    # tied to the act itself, not only to the question's frame (paraphrases of the act,
    # "sent" / "deployed", fail it, hence not the default).
    act = asked_act(question) if config.act_anchored else ""
    # The N of "which N" is what the answer is, not what the sources must tell of it: a
    # "six-nation platform comprising of Turkey, ..." does not answer "Which country has a
    # close alliance with Azerbaijan?".
    described = asked_words(question)
    asked = (described - set(_wh_nouns(question)[:1])) or described
    wanted = frozenset({act}) if act else asked
    if not wanted:
        return ""
    found = False
    for sentence in evidence:
        for token in answer_tokens(sentence, text, kind, question):
            found = True
            if act:  # the stricter bar: the item did the act asked about
                # "the host city" for "which city hosted": the city did the act
                named = roles(token)
                around = actors(token).union(*(named[n] for n in named if n in described))
            else:
                around = anchors(token)
            # A value in a fact box is told about by the label beside it.
            around |= labelled_by(token, config.fact_box_words)
            if any(same_name(a, w) for a in around for w in wanted):
                return ""
            if similar and any(
                similar(a, w) >= config.anchor_similarity for a in around for w in wanted
            ):
                return ""
    if not found:
        # The answer gives its item, and the sentences it cites do not hold it: it came from
        # elsewhere in the passage ("on Nov. 10, 2020" cited to a sentence about last week).
        # (Names are left out: "FC Montreal" for the source's "CF Montreal" is a slip the
        # support check already weighs.)
        # A count the answer shows its work for ("at two ...: Alameda and FTX") is its own
        # arithmetic over items the support check has found.
        own = answer_tokens(text, text, kind, question) if kind != "name" else []
        if own and any(t.lower_ not in enumerated_counts(text) for t in own):
            return "the sentences it cites do not give what it answers with"
        return ""
    return "where its sources give it, it is about something else than " + ", ".join(sorted(wanted))


# Verbs of putting a story out: an outlet "publishes", "posts" or "runs" a story.
_PUBLISHING = frozenset({"publish", "post", "print", "run", "report", "write", "release"})
# Of those, the ones that say publishing whoever does them ("When did Russia report the
# strikes?" asks when Russia reported them, which an article may tell).
_ONLY_PUBLISHING = frozenset({"publish", "post", "print"})
# What an outlet puts out.
_STORY_NOUNS = frozenset(
    {"article", "story", "piece", "report", "column", "feature", "op-ed", "editorial", "post"}
)


def asks_publication(question: str, outlets: Sequence[str] = ()) -> bool:
    """Whether a question asks when a story was published ("When did The Verge publish its
    story on Cue's testimony?", "On what date was the Fortune piece on Ellison published?",
    "When did CBSSports.com run its match report?"): it asks for a time, and its verb is one
    of publishing whose doer is an outlet (one of ``outlets`` or a story noun) or that says
    publishing by itself. That time is the article's, which the store holds; its text rarely
    says it."""
    if asked_for(question) != "time" or _HOW_LONG.match(_question_proper(question)):
        return False  # "how long before kickoff was it posted" asks a stretch, not a date
    doc = parse(without_fronted(question.strip()))
    for verb in doc:
        lemma = verb.lemma_.lower()
        if verb.pos_ != "VERB" or lemma not in _PUBLISHING:
            continue
        if lemma in _ONLY_PUBLISHING:
            return True
        for arg in verb.children:
            if arg.dep_ not in ("nsubj", "nsubjpass", "dobj"):
                continue
            phrase = "".join(t.text_with_ws for t in arg.subtree)
            if arg.lemma_.lower() in _STORY_NOUNS or named_outlets(phrase, outlets):
                return True
    return False


def story_words(question: str) -> frozenset[str]:
    """What a question about a story's publication says the story is about: its asked words
    without those of publishing, stories and times ("When did The Verge publish its story on
    Cue's testimony?" -> {"testimony"}, and the names: {"cue"})."""
    words = asked_words(question) | {w.lower() for w in name_words(question)}
    return frozenset(words - _PUBLISHING - _STORY_NOUNS - _TIME_NOUNS)
