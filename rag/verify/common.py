"""What every check shares: source sentences, verdicts, and the lexical features of a claim
(content words, numbers, capitalised names, negation)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ingest.chunk import sentence_spans
from rag.injection import instruction_spans, is_instruction
from rag.retrieve import STOPWORDS, tokenize
from rag.text import spelled_tens_as_digits
from rag.verify.config import DEFAULT

__all__ = ["is_instruction"]  # re-exported: the engine and tests import it from rag.verify

NEGATION_WORDS = "not|no|never|none|neither|nor|denied|denies|refuted|without"


_NEGATION = re.compile(rf"\b({NEGATION_WORDS})\b|n['’]t\b", re.IGNORECASE)


_CAPITAL = re.compile(r"\b[A-Z][a-zA-Z'’-]+")
_POSSESSIVE = re.compile(r"['’]s$")
# "n't", "'m", "'d", "'ll", "'re", "'ve": contracted words, which name nothing ("Sa'd" does).
_CONTRACTED = re.compile(r"(?:n['’]t|['’](?:m|d|ll|re|ve))$")


# A number, not the digits of a code ("T20", "G7", "Q1": a source may spell it out, "the
# first quarter", so codes are not compared).
_NUMBER = re.compile(r"(?<![A-Za-z\d])\d+(?:[.,]\d+)*")


YEAR = re.compile(r"(19|20)\d\d")


# Words that start sentences or name nothing: not evidence of a named entity.
_NOT_NAMES = STOPWORDS | {
    "however",
    "yes",
    "meanwhile",
    "additionally",
    "moreover",
    "while",
    "despite",
    "although",
    "because",
    "since",
    "both",
    "during",
}


POLARITY = re.compile(r"^\s*(yes|no)[,.:;!]\s*", re.IGNORECASE)  # "No peacekeepers" stays


# Words about the reporting, not the facts ("as reported by TechCrunch", "the article
# suggests"): the outlet is checked as a name against the passage header instead. Also the
# nouns a wh-question uses for its answer's type ("the individual who ... is X"), which
# answers also use to refer back ("removed from the company's leadership").
FRAMING = frozenset(
    tokenize(
        "article articles report reports reported reporting suggest suggests suggested indicate"
        " indicates indicated imply implies implied mention mentions mentioned according"
        " cover covered covers individual person entity company firm organization"
    )
)


@dataclass
class SourceSentence:
    """A sentence of a numbered passage, with its span in the article text."""

    number: int  # the passage number shown to the model
    start: int  # offsets in the article's cleaned text
    end: int
    text: str
    # A planted instruction to the assistant (``rag.injection``): never support. Read from the
    # sentence alone unless given (``split_passage`` reads it in its passage's context).
    instruction_like: bool | None = None

    def __post_init__(self) -> None:
        if self.instruction_like is None:
            self.instruction_like = is_instruction(self.text)


@dataclass
class Evidence:
    number: int
    start: int
    end: int
    text: str
    score: float


@dataclass
class Support:
    """The verdict for one answer sentence."""

    text: str  # the sentence without markers
    supported: bool
    score: float
    cited: list[int] = field(default_factory=list)  # passage numbers the model put on it
    evidence: list[Evidence] = field(default_factory=list)  # best first
    reason: str = ""
    neutral: bool = False  # too short to carry a claim ("Yes.")
    joint: bool = False  # supported only by its evidence sentences together
    # A source says otherwise (sides swapped, a number moved to another noun, the verb
    # negated): not merely unsupported but contradicted.
    contradicted: bool = False
    # Unsupported only for names or numbers it adds: some source sentence says the rest.
    only_details: bool = False
    # Unsupported only for its wording: sentences (closest first) that give its names and
    # numbers, keep its negation and do not swap its sides, but share too few of its words
    # ("a 4-1 victory over Portland" for "beat Portland 4-1"). A reader of meaning (the
    # engine's model) may find the claim in them.
    worded_otherwise: list[Evidence] = field(default_factory=list)


def split_passage(number: int, text: str, offset: int) -> list[SourceSentence]:
    """The passage's sentences; those that read as planted instructions to the assistant
    (``rag.injection``, read in the passage's context) are marked and never used as support."""
    flagged = {(s, e) for s, e, _ in instruction_spans(text)}
    return [
        SourceSentence(number, offset + s, offset + e, text[s:e], (s, e) in flagged)
        for s, e in sentence_spans(text)
    ]


def number_strings(text: str) -> set[str]:
    """The numbers of ``text`` as digits, thousands separators dropped; spelled-out tens
    ("ninety-four") included."""
    return {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(spelled_tens_as_digits(text))}


def name_words(text: str) -> set[str]:
    names = set()
    for w in _CAPITAL.findall(text):
        low = _POSSESSIVE.sub("", w.lower().strip("'’-"))  # "Google's" is Google
        contracted = _CONTRACTED.search(low)
        if contracted and (
            low[contracted.start() :].startswith("n")
            or low[: contracted.start()] in _NOT_NAMES
            or contracted.start() <= 1
        ):
            continue  # a pronoun or an auxiliary contracted ("I'm", "We're", "Don't")
        if low not in _NOT_NAMES and len(low) > 1:
            names.add(low)
    return names


def has_negation(text: str) -> bool:
    return bool(_NEGATION.search(text))


def negation_count(text: str) -> int:
    """How many negation words ``text`` holds ("not", "never", "n't", "denied", ...)."""
    return len(_NEGATION.findall(text))


def near_share(words: set[str], own: set[str], window: set[str]) -> float:
    """Share of ``words`` in a sentence; words found only in its neighbours count for less
    (a claim that stitches together pieces of different sentences is weaker evidence)."""
    return max(
        len(words & own) / len(words), len(words & window) / len(words) - DEFAULT.window_penalty
    )


def windows(
    sources: Sequence[SourceSentence], headers: Mapping[int, str]
) -> tuple[list[set[str]], list[set[str]], list[list[str]]]:
    """Per source sentence: its words; its words read with its neighbours in the same
    passage and that passage's header (``headers``: passage number -> title, outlet); and
    those neighbouring sentences (itself included). A claim often joins two adjacent
    sentences, and "the ministry said" refers back to the sentence before."""
    by_passage: dict[int, list[int]] = {}
    for i, s in enumerate(sources):
        by_passage.setdefault(s.number, []).append(i)
    own, around, texts = [], [], []
    for i, s in enumerate(sources):
        ids = by_passage[s.number]
        k = ids.index(i)
        near = [sources[j].text for j in ids[max(0, k - 1) : k + 2]]
        own.append(set(tokenize(s.text)))
        around.append(set(tokenize(" ".join([headers.get(s.number, ""), *near]))))
        texts.append(near)
    return own, around, texts
