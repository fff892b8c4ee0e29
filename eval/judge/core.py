"""The judge: an offline faithfulness checker that grades an answer against its sources.

Why a separate judge: the answer-time verifier in ``rag`` must be fast and is part of what we
evaluate, so the evaluation grades with independent code. The judge splits the answer into
claims (sentences) and, for each, combines

* lexical support: content words, numbers, times and capitalised names of the claim that are
  missing from the sources (a number or name that appears nowhere is strong evidence of a
  hallucination), and words the sources only mention negated ("WiFi: no", "not open");
* embedding similarity of the claim to the closest source sentence or sentence pair;
* structure, read from the spaCy parse: a claim that puts another name in a role the sources
  fill (swapped sides, another speaker), moves a number onto another noun, or flips the
  polarity of the verb it shares with its source sentence is "conflicting" whatever the mix
  says (see "Structure" below; ``JudgeConfig.structure`` switches it off);
* optionally a local LLM (llama.cpp) asked one claim at a time for a strict Yes/No, read from
  the logits of the first answer token rather than from sampled text.

The features are mixed by a logistic model whose weights were fitted on the tuning half of
RAGTruth (see ``eval.suites.ragtruth``); weights and thresholds live in ``JudgeConfig``
(``eval/judge/weights.json``) so the suite can refit them without touching this code; the LLM
step is in ``eval.judge.llm``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from llama_index.core.evaluation import BaseEvaluator, EvaluationResult

from eval.judge.config import JudgeConfig
from eval.judge.llm import load_llm
from rag.text import same_name

if TYPE_CHECKING:
    from rag.embeddings import Embedder
    from rag.settings import Settings

Verdict = Literal["supported", "unsupported", "conflicting"]

# ---------------------------------------------------------------------------------------------
# Result types


@dataclass
class SourceSpan:
    """A stretch of one source: ``sources[source][start:end] == text``."""

    source: int
    start: int
    end: int
    text: str


@dataclass
class AnswerSpan:
    """A stretch of the answer: ``answer[start:end] == text``."""

    start: int
    end: int
    text: str


@dataclass
class ClaimVerdict:
    """The judgement on one answer sentence.

    ``score`` is the probability-like support score in [0, 1] (1 = fully supported).
    ``evidence`` is the closest source span (supporting, or conflicting when the verdict is
    ``conflicting``); ``unsupported`` lists answer spans the sources do not back.
    """

    claim: str
    start: int
    end: int
    verdict: Verdict
    score: float
    evidence: SourceSpan | None
    unsupported: list[AnswerSpan] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    features: dict[str, float] = field(default_factory=dict)


@dataclass
class Verdicts:
    """All claim verdicts for one answer, plus the answer-level decision."""

    answer: str
    claims: list[ClaimVerdict]
    score: float  # support of the weakest claim, in [0, 1]
    threshold: float  # hallucination score at or above which the answer is flagged
    used_llm: bool = False

    @property
    def hallucination_score(self) -> float:
        """1 - score: higher means more likely to contain unsupported content."""
        return 1.0 - self.score

    @property
    def faithful(self) -> bool:
        return self.hallucination_score < self.threshold

    @property
    def unsupported_spans(self) -> list[AnswerSpan]:
        return [
            span
            for claim in self.claims
            if claim.verdict != "supported"
            for span in claim.unsupported
        ]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["faithful"] = self.faithful
        data["hallucination_score"] = self.hallucination_score
        return data


# ---------------------------------------------------------------------------------------------
# Text utilities

_ABBREV = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "st",
    "jr",
    "sr",
    "vs",
    "etc",
    "inc",
    "ltd",
    "co",
    "corp",
    "no",
    "mt",
    "ft",
    "ave",
    "blvd",
    "rd",
    "gen",
    "gov",
    "sen",
    "rep",
    "prof",
    "u.s",
    "e.g",
    "i.e",
    "a.m",
    "p.m",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
}


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


_SENT_END = re.compile(r"[.!?]+[\"')\]]*\s+|\n+")

STOPWORDS = _wordset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is
    it its itself just let me more most my myself nor of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves may might must shall also however although though whether either neither yet
    such many much several various based according provided information passage passages
    source article text mentioned mention mentions described describes state states stated one
    ones well like including include includes included overall also s t d ll ve re m get gets
    got make makes made able"""
)
NEGATIONS = _wordset(
    """not no never none nothing nobody neither nor without cannot n't isn't wasn't aren't
    weren't doesn't don't didn't won't wouldn't can't couldn't shouldn't hasn't haven't hadn't
    lack lacks lacking"""
)
# Number words the judge reads as numbers: 2-19 and the tens by their place in these lists,
# then the rest by value.
_UNITS = (  # noqa: SIM905 -- in order: a word's place is its value
    "two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen"
).split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()  # noqa: SIM905
_NUMBER_WORDS: dict[str, float] = {
    **{word: n for n, word in enumerate(_UNITS, 2)},
    **{word: 10 * n for n, word in enumerate(_TENS, 2)},
    **{"hundred": 100, "thousand": 1000, "dozen": 12},
    **{"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5},
    **{"half": 0.5, "once": 1, "twice": 2, "double": 2, "single": 1},
}
_TOKEN = re.compile(
    r"(?P<time>\b\d{1,2}(?::\d{1,2})?\s*(?:[ap]\.?\s?m\b\.?)|\b\d{1,2}:\d{1,2}\b|\bnoon\b|\bmidnight\b)"
    r"|(?P<num>\$?\d[\d,]*(?:\.\d+)?%?)"
    r"|(?P<word>[A-Za-z][A-Za-z'’\-]*)",
    re.IGNORECASE,
)
_CLAUSE_SPLIT = re.compile(r"[,;:()]|\s(?:and|but|while|which|whereas|although)\s", re.I)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of sentences; keeps abbreviations like "St." and "U.S." intact."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENT_END.finditer(text):
        end = match.end()
        piece = text[start : match.start()]
        last_word = re.findall(r"([A-Za-z.]+)$", piece.rstrip(".!?\"')]"))
        if "\n" not in match.group() and last_word:
            word = last_word[0].lower().strip(".")
            if word in _ABBREV or (len(word) == 1 and word.isalpha()):
                continue
            nxt = text[end : end + 1]
            if nxt and nxt.islower():
                continue
        _append_span(text, start, end, spans)
        start = end
    _append_span(text, start, len(text), spans)
    return spans


def _append_span(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    """Add ``text[start:end]`` without its outer white space, if it holds a word."""
    piece = text[start:end]
    start, end = start + len(piece) - len(piece.lstrip()), end - len(piece) + len(piece.rstrip())
    if end - start >= 2 and re.search(r"[A-Za-z0-9]", text[start:end]):
        spans.append((start, end))


@lru_cache(maxsize=1)
def _porter() -> Any:
    try:
        from nltk.stem.porter import PorterStemmer
    except ImportError:  # nltk comes with llama-index; without it, use the crude fallback
        return None
    return PorterStemmer()


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Porter stem of a lower-cased word, so "reviews"/"reviewed"/"review" match."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    w = w.strip("'-").replace("-", "")
    porter = _porter()
    if porter is not None:
        return str(porter.stem(w))
    for suffix in ("ings", "ing", "ies", "ed", "es", "s"):
        if len(w) - len(suffix) >= 3 and w.endswith(suffix):
            return w[: -len(suffix)]
    return w


_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}


def _norm_number(raw: str) -> str:
    digits = raw.replace("$", "").replace("%", "").replace(",", "")
    try:
        value = float(digits)
    except ValueError:
        return digits
    return format(value, ".12g")


def _norm_time(raw: str) -> list[str]:
    """Canonical "h:mm" 24-hour strings; a time without am/pm may be either half of the day."""
    low = raw.lower().replace(".", "").replace(" ", "")
    if low == "noon":
        return ["12:00"]
    if low == "midnight":
        return ["0:00", "24:00"]
    match = re.match(r"(\d{1,2})(?::(\d{1,2}))?(am|pm)?", low)
    if not match:
        return []
    hour, minute, half = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if half == "pm" and hour < 12:
        hour += 12
    if half == "am" and hour == 12:
        hour = 0
    out = [f"{hour}:{minute:02d}"]
    if half is None and hour < 12:
        out.append(f"{hour + 12}:{minute:02d}")
    if hour in (0, 24):
        out.append(f"{24 - hour}:{minute:02d}")
    return out


@dataclass
class Token:
    text: str
    start: int
    end: int
    kind: str  # "word", "num" or "time"
    keys: tuple[str, ...]  # normalised forms used for matching
    capital: bool = False


def tokenize(text: str, offset: int = 0) -> list[Token]:
    """Words, numbers and times with character offsets (relative to ``offset``)."""
    out: list[Token] = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "word"
        raw = m.group()
        if kind == "time":
            keys = tuple(_norm_time(raw))
        elif kind == "num":
            keys = (_norm_number(raw),)
            scale = re.match(r"\s+(thousand|million|billion|trillion)\b", text[m.end() :], re.I)
            if scale and keys[0].replace(".", "", 1).isdigit():
                keys = (*keys, format(float(keys[0]) * _SCALES[scale.group(1).lower()], ".12g"))
        else:
            low = raw.lower().replace("’", "'")
            keys = (stem(low),)
            if low in _NUMBER_WORDS:
                keys = (stem(low), format(_NUMBER_WORDS[low], ".12g"))
        out.append(Token(raw, m.start() + offset, m.end() + offset, kind, keys, raw[0].isupper()))
    return out


def _is_content(tok: Token) -> bool:
    if tok.kind != "word":
        return True
    low = tok.text.lower().replace("’", "'")
    return len(low) > 2 and low not in STOPWORDS and low not in NEGATIONS


_REFERENCE_WORDS = frozenset(
    {
        "passage",
        "passages",
        "document",
        "source",
        "sources",
        "section",
        "step",
        "point",
        "paragraph",
        "article",
        "review",
        "reference",
    }
)


def _is_reference(toks: list[Token], n: int, text: str, offset: int) -> bool:
    """A number that points at a passage or citation ("passage 2", "[3]"), not a fact."""
    tok = toks[n]
    if tok.kind != "num":
        return False
    if n > 0 and toks[n - 1].text.lower() in _REFERENCE_WORDS:
        return True
    before = text[max(0, tok.start - offset - 1) : tok.start - offset]
    after = text[tok.end - offset : tok.end - offset + 1]
    return before == "[" and after == "]"


def _negated_flags(tokens: list[Token], text: str, offset: int = 0) -> list[bool]:
    """For each token: is it inside a negation's scope ("not X", "X: no", "X: false")?"""
    flags = [False] * len(tokens)
    for i, tok in enumerate(tokens):
        low = tok.text.lower().replace("’", "'")
        if low in NEGATIONS or low.endswith("n't"):
            for j in range(i + 1, min(len(tokens), i + 4)):
                flags[j] = True
    # "key: no" / "key: false" / "key: none" clauses (how records are rendered)
    for m in re.finditer(r"([^.;,\n:]+):\s*(?:no|false|none)\b", text, re.I):
        lo, hi = m.start(1) + offset, m.end(1) + offset
        for j, tok in enumerate(tokens):
            if lo <= tok.start < hi:
                flags[j] = True
    return flags


def record_to_text(record: Any, title: str = "") -> str:
    """Render a JSON record (e.g. a Yelp business) as readable "key: value" lines.

    Why: the checker matches words and sentences, so ``{"WiFi": "free"}`` must become
    "WiFi: free." and ``False`` becomes "no" so that negation is visible to it and to the LLM.
    """
    if isinstance(record, str):
        try:
            record = json.loads(record)
        except ValueError:
            return record
    lines: list[str] = []
    _render(record, title, lines)
    return "\n".join(lines)


def _humanize(key: str) -> str:
    """ "RestaurantsGoodForGroups" -> "Good for groups"; short pairs stay one word ("WiFi")."""
    key = re.sub(r"^Restaurants(?=[A-Z])", "", key)
    parts = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", key).replace("_", " ").split()
    if len(parts) == 2 and all(len(p) <= 4 for p in parts):
        parts = ["".join(parts)]  # WiFi, TakeOut
    return " ".join(parts).strip().capitalize()


def _scalar(value: Any) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if value is None:
        return "unknown"
    if isinstance(value, float) and value.is_integer():
        return format(value, ".12g")
    text = str(value)
    hours = re.fullmatch(r"(\d{1,2}):(\d{1,2})-(\d{1,2}):(\d{1,2})", text)
    if hours:
        h1, m1, h2, m2 = (int(x) for x in hours.groups())
        if (h1, m1, h2, m2) == (0, 0, 0, 0):
            return "closed"
        return f"{h1}:{m1:02d} to {h2}:{m2:02d}"
    if text.startswith("u'") or text.startswith("'"):
        text = text.lstrip("u").strip("'")
    return text


def _render(value: Any, key: str, lines: list[str]) -> None:
    label = _humanize(key) if key else ""
    if isinstance(value, Mapping):
        if value and all(not isinstance(v, (Mapping, list)) for v in value.values()) and label:
            parts = [f"{_humanize(k).lower()}: {_scalar(v)}" for k, v in value.items()]
            lines.append(f"{label}: " + ", ".join(parts) + ".")
            return
        for k, v in value.items():
            _render(v, str(k), lines)
    elif isinstance(value, list):
        for n, item in enumerate(value, 1):
            if isinstance(item, Mapping) and "review_text" in item:
                stars = _scalar(item.get("review_stars"))
                date = str(item.get("review_date", ""))[:10]
                lines.append(f"Review {n} ({stars} stars, {date}): {item['review_text'].strip()}")
            else:
                _render(item, f"{key} {n}" if key else str(n), lines)
    else:
        text = _scalar(value)
        lines.append(f"{label}: {text}." if label else f"{text}.")


# ---------------------------------------------------------------------------------------------
# Structure: who does what to whom, how many of what, and whether it happened
#
# Why: a claim that swaps the sides ("Moscow's Defense Ministry refuted Azerbaijan's version"),
# moves a number onto another noun or negates the verb has every word of its source, and its
# embedding barely moves. The parse (``rag.text.parse``, the shared spaCy layer) tells them
# apart. This is the judge's own reading, independent of the verifier's checks:
#
# * names are placed in slots read from spaCy's noun chunks: the verb the chunk is an argument
#   of, the chunk's role there (passives turned active, prepositions kept: "agent",
#   "patient", "on", "patient>by" for "an attempt by X" inside the object) and whether the
#   name heads the chunk or modifies it ("Azerbaijan" of "Azerbaijan's Defense Ministry");
# * a number counts the word it is hyphenated to ("four-drone"), else the root of its noun
#   chunk, else the "of" complement of the quantity it heads ("$3.66 billion of FTT"); only
#   numbers before their noun count ("Review 3" and "Step 2" are labels), compared by value;
# * polarity ("not", "n't", "never" on a verb or its auxiliary) is read per verb and subject
#   (and object, for "be", "have", "do": "it is unclear" is not "it is not clear").
#
# A claim conflicts when it puts an entity in a slot where the aligned source sentences (those
# covering most of its content words other than names) have another name that the claim drops
# from that slot; when it uses a value the sources give only for other nouns for a noun they
# count only with other values (or a value found nowhere for a noun the aligned sentences
# count), or puts a number where an aligned sentence has another one among the same words ("a
# $100 fine" against "a $100 assessment and a $250,000 fine"); or when the aligned sentences
# use its verb with the same subject only with the other polarity. What the sources attest
# anywhere is never a conflict: a paraphrase that keeps who, how many and whether passes. On
# RAGTruth (tune and test splits) it fires on about 0.2 % of the responses' claims.

# Entity types and parts of speech that never name a participant.
_NOT_NAME_ENTS = frozenset({"DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "QUANTITY", "PERCENT"})
_NOT_NAME_POS = frozenset({"PRON", "DET", "NUM", "ADP", "PUNCT", "AUX", "CCONJ", "SCONJ", "SYM"})
_NAME_ENT_TYPES = frozenset({"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "EVENT", "PRODUCT"})
_MODIFIER_DEPS = frozenset({"poss", "compound", "amod", "nmod", "npadvmod"})
_NUMBER_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "bn": 1e9, "trillion": 1e12}
# Number words that count ("seven", "dozen"); ordinals and multipliers do not ("third").
_NOT_CARDINALS = frozenset(
    {"first", "second", "third", "fourth", "fifth", "once", "twice", "double", "single", "half"}
)
_CARDINALS = {w: float(n) for w, n in _NUMBER_WORDS.items() if w not in _NOT_CARDINALS}
_SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass", "csubj", "expl"})
_DO_BE_HAVE = frozenset({"do", "be", "have"})
_TIME_UNITS = frozenset(
    {"second", "minute", "min", "hour", "day", "week", "month", "year", "decade", "century"}
)
_ALIGN_MIN = 0.6  # share of the claim's content lemmas a source sentence must cover
_ALIGN_BAND = 0.1  # sentences this close to the best one align too
STRUCTURE_SCORE = 0.05  # support score of a claim whose structure contradicts its sources

_Slot = tuple[str, str, str]  # (verb lemma, role, "head" | "mod")


@dataclass(frozen=True)
class _Use:
    """One use of a verb: its lemma, its subject (head lemma and modifiers: "white-tailed
    deer" is not "mule deer"), its object or complement, whether it is negated, and whether
    this is an auxiliary read for its verb."""

    verb: str
    subject: str
    modifiers: frozenset[str]
    obj: str
    negated: bool
    aux: bool

    def matches(self, other: _Use) -> bool:
        if self.verb != other.verb or not _same_key(self.subject, other.subject):
            return False
        a, b = self.modifiers, other.modifiers
        if not (a <= b or b <= a):
            return False
        if self.aux != other.aux:  # "was compared" read as a copula: neither has an object
            return not self.obj and not other.obj
        if self.verb not in _DO_BE_HAVE:
            return True  # the subject picks the use out; objects are parsed less reliably
        # "be" / "have" say little alone: "it is unclear" is not "it is not clear"
        return not self.obj or not other.obj or _same_key(self.obj, other.obj)


@dataclass
class _Structure:
    """One sentence read for structure."""

    lemmas: frozenset[str]  # content lemmas but names and numbers, for alignment
    lowercase: frozenset[str]  # words written in lower case (not names)
    slots: dict[_Slot, list[frozenset[str]]]  # slot -> the names in it, each as its words
    numbers: list[tuple[float, str]]  # (value, the noun it counts)
    polarity: list[_Use]  # each verb with whom it is about and whether it is negated
    names: list[frozenset[str]]  # every name of the sentence ("Tameka Raymond")
    values: set[float]  # every number of the sentence, counting or not
    entities: set[frozenset[str]]  # the names spaCy's entity recogniser marks
    # names whose only capital is the sentence's first letter ("Mule deer have ..."): names
    # only if written as names elsewhere
    tentative: set[frozenset[str]]
    contexts: list[tuple[float, frozenset[str]]]  # each number with the words around it


def _name_word(tok: Any) -> str:
    """The comparable form of a token that is part of a name ("U.S." -> "us"), or ""."""
    if not tok.text[:1].isupper() or tok.pos_ in _NOT_NAME_POS or tok.ent_type_ in _NOT_NAME_ENTS:
        return ""
    if tok.pos_ != "PROPN" and tok.ent_type_ not in _NAME_ENT_TYPES:
        return ""
    word = tok.text.lower().replace("’", "'")
    word = word[:-2] if word.endswith("'s") else word
    return word.replace(".", "").strip("'")


def _same_name(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two names (sets of words) may denote the same participant: a shared word, or
    one the other's initials ("US" / "United States", "ACS" / "American Cancer Society")."""
    if any(same_name(x, y) for x in a for y in b):
        return True
    for short, long in ((a, b), (b, a)):
        if len(short) == 1 and len(long) > 1:
            (word,) = short
            if len(word) == len(long) and set(word) == {w[0] for w in long if w}:
                return True
    return False


def _is_verb_tok(tok: Any) -> bool:
    return tok.pos_ in ("VERB", "AUX") and tok.dep_ != "amod"


def _np_role(root: Any) -> tuple[Any, str] | None:
    """The verb a noun phrase is an argument of and its role there: "agent" (active subject,
    passive "by"), "patient" (object, passive subject), "attr", or a preposition ("on", and
    "patient>by" for "an attempt by X" inside the object). None when no verb governs it."""
    path: list[str] = []
    np = root
    for _ in range(12):
        dep, head = np.dep_, np.head
        if head.i == np.i:
            return None
        if dep == "appos":
            if np.pos_ != "PROPN" or head.pos_ == "PROPN":
                return None  # a description ("Suicide Squad, a DC Comics movie")
            np = head  # a name for what its head describes ("the exchange, Binance")
            continue
        if dep == "conj" or (dep in _MODIFIER_DEPS and not _is_verb_tok(head)):
            np = head  # a conjunct or a modifier shares its head's role
            continue
        if dep == "pobj":
            prep = head
            if prep.dep_ == "agent":
                return (prep.head, ">".join(["agent", *path])) if _is_verb_tok(prep.head) else None
            path.insert(0, prep.lower_)
            if _is_verb_tok(prep.head):
                return prep.head, ">".join(path)
            np = prep.head
            continue
        if not _is_verb_tok(head):
            return None
        if dep in ("nsubj", "csubj"):
            role = "agent"
        elif dep in ("nsubjpass", "dobj", "dative", "oprd"):
            role = "patient"
        elif dep == "attr":
            role = "attr"
        else:
            return None
        return head, ">".join([role, *path])
    return None


def _number_value(doc: Any, tok: Any) -> float | None:
    """The value of a cardinal number token, with its scale ("2.3 million"); None for
    ordinals ("third") and what is not a number."""
    if tok.ent_type_ == "ORDINAL":
        return None
    text = tok.text.lower().replace(",", "").lstrip("$£€")
    if text in _CARDINALS:
        value = _CARDINALS[text]
    else:
        try:
            value = float(text)
        except ValueError:
            return None
    nxt = doc[tok.i + 1] if tok.i + 1 < len(doc) else None
    if nxt is not None and nxt.lower_ in _NUMBER_SCALES:
        value *= _NUMBER_SCALES[nxt.lower_]
    return value


def _counted_noun(doc: Any, tok: Any, chunk_of: dict[int, Any]) -> str:
    """The lemma of what a number counts, or "" (see the section comment)."""
    if tok.i + 2 < len(doc) and doc[tok.i + 1].text == "-" and doc[tok.i + 2].is_alpha:
        return doc[tok.i + 2].lemma_.lower()  # "four-drone strikes", "the 44-day conflict"
    chunk = chunk_of.get(tok.i)
    if chunk is not None and chunk.root.i > tok.i and chunk.root.pos_ in ("NOUN", "PROPN"):
        return chunk.root.lemma_.lower()
    head = tok.head
    if tok.dep_ in ("nummod", "quantmod") and head.pos_ == "NOUN" and head.i > tok.i:
        return head.lemma_.lower()  # "Four hours to kickoff": no chunk, still a count
    quantity = tok
    while (
        quantity.head.i != quantity.i
        and quantity.dep_ != "conj"  # "$3.66 billion of X and $2.16 billion of Y"
        and (quantity.head.like_num or quantity.head.pos_ in ("NUM", "SYM"))
    ):
        quantity = quantity.head
    for prep in quantity.children:
        if prep.dep_ == "prep" and prep.lower_ == "of":
            for p in prep.children:
                if p.dep_ == "pobj":
                    return p.lemma_.lower()
    return ""


def _same_noun(a: str, b: str) -> bool:
    """Equal lemmas, or one the other's abbreviation ("min" / "minute")."""
    return a == b or (min(len(a), len(b)) >= 3 and (a.startswith(b) or b.startswith(a)))


def _noun_key(lemma: str) -> str:
    """A noun lemma's letters up to the first other character ("min.nstruction" -> "min")."""
    match = re.match(r"[a-z]+", lemma.lower())
    return match.group(0) if match else ""


def _subject_key(verb: Any) -> tuple[str, frozenset[str]]:
    """Who a verb is about: the lemma of its subject's head and of the head's modifiers; a
    verb without one ("and is preparing", "had to retreat") takes its governing verb's."""
    for _ in range(4):
        for c in verb.children:
            if c.dep_ in _SUBJECT_DEPS:
                mods = frozenset(
                    m.lemma_.lower()
                    for m in c.children
                    if m.dep_ in _MODIFIER_DEPS and m.is_alpha and not m.is_stop
                )
                return c.lemma_.lower(), mods
        if verb.dep_ not in ("conj", "xcomp") or verb.head.i == verb.i:
            break
        verb = verb.head
    return "", frozenset()


def _object_key(verb: Any) -> str:
    """What a verb is about: its object's or complement's lemma ("have every reason",
    "is unclear"), or ""."""
    return next(
        (c.lemma_.lower() for c in verb.children if c.dep_ in ("dobj", "attr", "acomp")), ""
    )


def _same_key(a: str, b: str) -> bool:
    return _same_noun(a, b) or same_name(a, b)


def _negated(verb: Any) -> bool:
    """ "not", "n't" or "never" on the verb or on one of its auxiliaries ("were not told")."""
    auxes = [c for c in verb.children if c.dep_ in ("aux", "auxpass")]
    return any(c.dep_ == "neg" for a in (verb, *auxes) for c in a.children)


def _number_context(doc: Any, tok: Any) -> tuple[float, frozenset[str]]:
    """A counting number with the content words beside it in its phrase (up to two before,
    three after, not past punctuation or another number): "a $100 special assessment" ->
    (100, {special, assessment}). Empty for dates, times, years, ranges and labels."""
    value = _number_value(doc, tok) if tok.like_num else None
    if value is None or tok.ent_type_ in ("DATE", "TIME") or tok.lower_ in _NUMBER_SCALES:
        return 0.0, frozenset()
    if re.fullmatch(r"1[89]\d\d|20\d\d", tok.text):
        return 0.0, frozenset()
    prev, nxt = doc[tok.i - 1] if tok.i else None, doc[tok.i + 1] if tok.i + 1 < len(doc) else None
    for near in (prev, nxt):
        if near is not None and near.lower_ in ("-", "–", "to", "or", "no", "no.", "#"):
            return 0.0, frozenset()  # "15-20 minutes", "6 to 9", "No. 2": no count of its own
    if prev is not None and prev.pos_ == "NOUN" and prev.text[:1].isupper():
        return 0.0, frozenset()  # "Step 2", "Generation 1": a label

    def side(tokens: Any, limit: int) -> list[str]:
        words = []
        for t in tokens:
            if t.is_punct or (t.like_num and t.lower_ not in _NUMBER_SCALES) or len(words) >= limit:
                break
            if t.is_alpha and not t.is_stop and t.lower_ not in _NUMBER_SCALES:
                words.append(t.lemma_.lower())
        return words

    before = side(reversed(doc[max(0, tok.i - 4) : tok.i]), 2)
    after = side(doc[tok.i + 1 : tok.i + 7], 3)
    return value, frozenset(before + after)


def _read_structure(text: str) -> _Structure:
    from rag.text import parse

    doc = parse(text)
    chunk_of = {t.i: chunk for chunk in doc.noun_chunks for t in chunk}
    # Names: a run of name words under one head ("Sam Bankman-Fried"); an apposition joins
    # the name it renames ("the Head of Household, Bowie Jane").
    runs: dict[int, list[Any]] = {}
    for tok in doc:
        if not _name_word(tok):
            continue
        head = tok
        while head.dep_ in ("compound", "flat") and head.head.i != head.i and _name_word(head.head):
            head = head.head
        runs.setdefault(head.i, []).append(tok)
    # A name's words; where some are entities, only those ("Foreign Minister Jeyhun Bayramov"
    # -> "jeyhun bayramov": titles are shared by many names).
    units: dict[int, set[str]] = {}
    entity_heads = set()
    for i, toks in runs.items():
        named = [t for t in toks if t.ent_type_ in _NAME_ENT_TYPES]
        units[i] = {_name_word(t) for t in named or toks}
        if named:
            entity_heads.add(i)
    for i in sorted(units, reverse=True):
        tok, head = doc[i], doc[i].head
        if tok.dep_ == "appos" and head.i in units and head.i != i and not head.ent_type_:
            units[head.i] |= units.pop(i)  # "the new Head of Household, Bowie Jane"
    slots: dict[_Slot, list[frozenset[str]]] = {}
    for i, words in units.items():
        tok = doc[i]
        if tok.dep_ == "npadvmod" and tok.head.pos_ in ("VERB", "ADJ"):
            continue  # "Oscar-winning", "Russian-brokered": part of a description
        chunk = chunk_of.get(i)
        root = chunk.root if chunk is not None else tok
        position = "head" if root.i == i else "mod"
        if chunk is None and tok.dep_ in _MODIFIER_DEPS:
            position = "mod"  # a possessor or modifier outside any chunk
        role = _np_role(root)
        if role is not None:
            verb, path = role
            slots.setdefault((verb.lemma_.lower(), path, position), []).append(frozenset(words))
    numbers = []
    values = set()
    for tok in doc:
        if not tok.like_num or tok.lower_ in _NUMBER_SCALES:
            continue
        value = _number_value(doc, tok)
        if value is not None:
            values.add(value)
        noun = _noun_key(_counted_noun(doc, tok, chunk_of)) if value is not None else ""
        if tok.ent_type_ in ("DATE", "TIME") and noun not in _TIME_UNITS:
            continue  # a year or a clock time ("the 2024 increase"), not a count
        if value is not None and noun:
            numbers.append((value, noun))
    polarity: list[_Use] = []
    for tok in doc:
        if not _is_verb_tok(tok):
            continue
        # an auxiliary carries its verb's polarity ("was not compared" / "was compared"),
        # read also under its own lemma: parses of the two do not always agree
        verb = tok.head if tok.dep_ in ("aux", "auxpass") else tok
        if verb.i != tok.i and tok.lemma_ not in _DO_BE_HAVE:
            continue
        subject, modifiers = _subject_key(verb)
        polarity.append(
            _Use(
                tok.lemma_.lower(),
                subject,
                modifiers,
                _object_key(verb),
                _negated(verb),
                verb.i != tok.i,
            )
        )
    polarity.sort(key=lambda u: u.aux)  # a verb before the auxiliaries read for it
    # what the sentence says, apart from who and how many: the claim's names and numbers are
    # what is being checked, so they must not decide which source sentence it is compared to
    lemmas = frozenset(
        t.lemma_.lower()
        for t in doc
        if t.is_alpha and not t.is_stop and len(t.text) > 1 and not _name_word(t)
    )
    lowercase = frozenset(t.lower_ for t in doc if t.is_alpha and t.text.islower())
    names = [frozenset(w) for w in units.values()]
    entities = {frozenset(w) for i, w in units.items() if i in entity_heads}
    first = next((t.i for t in doc if t.is_alpha), -1)
    tentative = {
        frozenset(units[i])
        for i, toks in runs.items()
        if i in units and all(t.i == first for t in toks) and i not in entity_heads
    }
    contexts = [(v, c) for v, c in (_number_context(doc, t) for t in doc) if c]
    return _Structure(
        lemmas, lowercase, slots, numbers, polarity, names, values, entities, tentative, contexts
    )


def _aligned(claim: _Structure, sources: Sequence[_Structure]) -> list[_Structure]:
    """The source sentences that say what the claim says: those covering most of its
    content lemmas, and nearly as many as the best one."""
    if not claim.lemmas or not sources:
        return []
    cover = [len(claim.lemmas & s.lemmas) / len(claim.lemmas) for s in sources]
    best = max(cover)
    if best < _ALIGN_MIN:
        return []
    return [s for s, c in zip(sources, cover, strict=True) if c >= best - _ALIGN_BAND]


def structure_conflict(claim: str, sources: Sequence[str]) -> str:
    """Why ``claim`` contradicts ``sources`` (source sentences) in who, how many or whether,
    or "". See the section comment above; the verifier's checks are not used."""
    return _structure_reason(_read_structure(claim), [_read_structure(s) for s in sources])


def _structure_reason(mine: _Structure, theirs: Sequence[_Structure]) -> str:
    aligned = _aligned(mine, theirs)
    if not aligned:
        return ""
    return (
        _name_conflict(mine, theirs, aligned)
        or _number_conflict(mine, theirs, aligned)
        or _polarity_conflict(mine, aligned)
    )


def _name_conflict(
    mine: _Structure, theirs: Sequence[_Structure], aligned: Sequence[_Structure]
) -> str:
    """A name the claim puts in a slot where the aligned sentences have another name that
    the claim leaves out of that slot (displaced, not just joined), and that no source
    sentence puts there. Two names the sources use together are one ("Tameka Raymond")."""
    known = [n for s in theirs for n in s.names]
    entities = [n for s in theirs for n in s.entities]
    lowercase = set().union(*(s.lowercase for s in (mine, *theirs)))

    def real(name: frozenset[str], sentence: _Structure) -> bool:
        # a capital only at the sentence's start is a name unless the word is also written
        # in lower case ("Mule deer have ..." / "... while mule deer have ...")
        return name not in sentence.tentative or not name & lowercase

    def same(a: frozenset[str], b: frozenset[str]) -> bool:
        return _same_name(a, b) or any(
            _same_name(a, n) and _same_name(b, n) and len(n) > 1 for n in known
        )

    for slot, names in mine.slots.items():
        displaced = [
            n
            for s in aligned
            for n in s.slots.get(slot, ())
            if real(n, s) and not any(same(n, m) for m in names)
        ]
        if not displaced:
            continue
        for name in names:
            if not real(name, mine):
                continue
            if name not in mine.entities and not any(_same_name(name, e) for e in entities):
                continue  # a title or a capitalised word ("the Defense Minister"): no name
            if any(same(name, n) for s in theirs for n in s.slots.get(slot, ())):
                continue
            verb, role, _ = slot
            shown = ", ".join(sorted({" ".join(sorted(n)) for n in displaced}))
            return (
                f"the sources put {shown} where the claim puts {' '.join(sorted(name))} "
                f"({role.split('>')[0]} of '{verb}')"
            )
    return ""


def _number_conflict(
    mine: _Structure, theirs: Sequence[_Structure], aligned: Sequence[_Structure]
) -> str:
    """A number moved: the sources use the value for other nouns only and count the claim's
    noun with other values only; or a count changed (the aligned sentences count the noun
    with another value, and the value is nowhere); or, in an aligned sentence, the words
    around one of the claim's numbers stand around another number."""
    counted = [n for s in theirs for n in s.numbers]
    values = set().union(*(s.values for s in theirs))
    for value, noun in mine.numbers:
        for_value = [n for v, n in counted if v == value]
        for_noun = [v for v, n in counted if _same_noun(n, noun)]
        shown = format(value, ",.12g")
        if for_value and for_noun and value not in for_noun:
            counts = ", ".join(format(v, ",.12g") for v in sorted(set(for_noun)))
            return (
                f"in the sources {shown} counts {', '.join(sorted(set(for_value)))} and "
                f"{noun} is counted {counts}"
            )
        aligned_counts = [v for s in aligned for v, n in s.numbers if _same_noun(n, noun)]
        if aligned_counts and value not in values:
            return f"the sources count {noun} {format(aligned_counts[0], ',.12g')}, not {shown}"
    for value, context in mine.contexts:
        for s in aligned:
            own = [len(context & c) for v, c in s.contexts if v == value]
            other = [(len(context & c), v) for v, c in s.contexts if v != value]
            best, there = max(other, default=(0, 0.0))
            if own and max(own) == 0 and best >= 2:  # "a $100 fine" where the source's $100
                # is an assessment and its fine is $250,000
                return (
                    f"the sources give {format(there, ',.12g')} where the claim gives "
                    f"{format(value, ',.12g')} ({', '.join(sorted(context))})"
                )
    return ""


def _polarity_conflict(mine: _Structure, aligned: Sequence[_Structure]) -> str:
    """A verb the aligned sentences use with the same subject (and object, when both name
    one) only with the other polarity."""
    for use in mine.polarity:
        if not use.subject:
            continue  # an imperative or a fragment: nothing to align the verb by
        used = {u.negated for s in aligned for u in s.polarity if use.matches(u)}
        if used and use.negated not in used:
            if use.negated:
                return f"the claim negates '{use.verb}'; the sources do not"
            return f"the sources negate '{use.verb}'; the claim does not"
    return ""


# ---------------------------------------------------------------------------------------------
# Prepared sources


@dataclass
class _Unit:
    source: int
    start: int
    end: int
    text: str


@dataclass
class _Prepared:
    sources: list[str]
    units: list[_Unit]
    unit_keys: list[set[str]]
    vectors: np.ndarray
    keys: set[str]  # every normalised token in the sources
    positive_keys: set[str]  # tokens that occur at least once outside a negation
    unit_negated: list[bool]
    text: str  # the sources joined, for the LLM
    structures: list[_Structure] | None = None  # source sentences read for structure (lazy)


def _window_units(sources: list[str]) -> tuple[list[_Unit], list[_Unit]]:
    sentences: list[_Unit] = []
    windows: list[_Unit] = []
    for idx, src in enumerate(sources):
        spans = split_sentences(src)
        for s, e in spans:
            sentences.append(_Unit(idx, s, e, src[s:e]))
        for (s, _), (_, e) in itertools.pairwise(spans):
            windows.append(_Unit(idx, s, e, src[s:e]))
    return sentences, windows


class Judge:
    """The faithfulness checker. Build once, call :meth:`check` many times.

    ``embedder`` is any object with ``embed(list[str]) -> ndarray`` of unit vectors (see
    ``rag.embeddings.Embedder``); ``llm`` is an optional :class:`LlamaYesNo` (or anything with
    ``p_yes(source_text, claim, question) -> float``).
    """

    def __init__(
        self,
        embedder: Embedder,
        llm: Any | None = None,
        config: JudgeConfig | None = None,
        cache_size: int = 16,
    ) -> None:
        self.embedder = embedder
        self.llm = llm
        self.config = config or JudgeConfig()
        self._cache: OrderedDict[str, _Prepared] = OrderedDict()
        self._cache_size = cache_size

    # -- sources --------------------------------------------------------------------------
    def prepare(self, sources: Sequence[str] | str) -> _Prepared:
        """Split, tokenise and embed sources once; answers about the same sources reuse it."""
        srcs = [sources] if isinstance(sources, str) else [str(s) for s in sources]
        digest = hashlib.sha1("\x00".join(srcs).encode()).hexdigest()
        if digest in self._cache:
            self._cache.move_to_end(digest)
            return self._cache[digest]
        sentences, windows = _window_units(srcs)
        units = sentences + windows
        keys: set[str] = set()
        positive: set[str] = set()
        unit_keys: list[set[str]] = []
        unit_negated: list[bool] = []
        for unit in sentences:
            toks = tokenize(unit.text)
            flags = _negated_flags(toks, unit.text)
            ukeys = {k for t in toks for k in t.keys}
            unit_keys.append(ukeys)
            keys |= ukeys
            positive |= {k for t, neg in zip(toks, flags, strict=True) if not neg for k in t.keys}
            unit_negated.append(any(flags))
        for unit in windows:
            toks = tokenize(unit.text)
            unit_keys.append({k for t in toks for k in t.keys})
            unit_negated.append(False)
        vectors = (
            self.embedder.embed([u.text for u in units])
            if units
            else np.zeros((0, self.embedder.dim), dtype=np.float32)
        )
        text = "\n\n".join(srcs)
        prepared = _Prepared(
            srcs,
            units,
            unit_keys,
            np.asarray(vectors, dtype=np.float32),
            keys,
            positive,
            unit_negated,
            text,
        )
        self._cache[digest] = prepared
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return prepared

    # -- claims ---------------------------------------------------------------------------
    def claim_features(
        self,
        prep: _Prepared,
        answer: str,
        spans: list[tuple[int, int]],
        question: str | None = None,
    ) -> tuple[list[dict[str, float]], list[dict[str, Any]]]:
        """Feature dicts for each claim span, plus details used to explain the verdict.

        Words of the question count as known: restating the question is not a hallucination.
        """
        known = prep.keys
        if question:
            known = known | {k for t in tokenize(question) for k in t.keys}
        claims = [answer[s:e] for s, e in spans]
        vecs = (
            self.embedder.embed(claims)
            if claims
            else np.zeros((0, self.embedder.dim), dtype=np.float32)
        )
        sims = (np.asarray(vecs) @ prep.vectors.T) if len(prep.units) else None
        feats: list[dict[str, float]] = []
        details: list[dict[str, Any]] = []
        for i, (s, e) in enumerate(spans):
            text = answer[s:e]
            toks = tokenize(text, offset=s)
            flags = _negated_flags(toks, text, offset=s)
            content = [
                t
                for n, t in enumerate(toks)
                if _is_content(t) and not _is_reference(toks, n, text, s)
            ]
            missing = [t for t in content if not any(k in known for k in t.keys)]
            numbers = [
                t
                for t in missing
                if t.kind in ("num", "time") or (t.kind == "word" and len(t.keys) > 1)
            ]
            first_word = next((t.start for t in toks if t.kind == "word"), -1)
            names = [t for t in missing if t.kind == "word" and t.capital and t.start != first_word]
            neg_only = [
                t
                for t, neg in zip(toks, flags, strict=True)
                if _is_content(t)
                and not neg
                and t.kind == "word"
                and any(k in prep.keys for k in t.keys)
                and not any(k in prep.positive_keys for k in t.keys)
            ]
            content_keys = {t.keys[0] for t in content}
            n_content = max(1, len(content_keys))
            coverage = 1.0 - len({t.keys[0] for t in missing}) / n_content
            best_unit, emb_max, local_cov = -1, 0.0, 0.0
            if sims is not None and sims.shape[1]:
                row = sims[i]
                best_unit = int(np.argmax(row))
                emb_max = float(row[best_unit])
                top = np.argsort(-row)[:5]
                local_cov = max(
                    len({k for t in content for k in t.keys} & prep.unit_keys[int(j)]) / n_content
                    for j in top
                )
                local_cov = min(1.0, local_cov)
            claim_neg = any(
                t.text.lower() in NEGATIONS or t.text.lower().endswith("n't") for t in toks
            )
            unit_neg = prep.unit_negated[best_unit] if best_unit >= 0 else False
            feats.append(
                {
                    "coverage": coverage,
                    "missing_content": float(min(len({t.keys[0] for t in missing}), 5)),
                    "missing_numbers": float(min(len(numbers), 3)),
                    "missing_names": float(min(len(names), 3)),
                    "negated_only": float(min(len(neg_only), 3)),
                    "local_coverage": local_cov,
                    "emb_max": emb_max,
                    "neg_mismatch": float(claim_neg != unit_neg),
                    "length": math.log1p(len(content_keys)),
                }
            )
            details.append(
                {
                    "missing": missing,
                    "numbers": numbers,
                    "names": names,
                    "neg_only": neg_only,
                    "best_unit": best_unit,
                }
            )
        return feats, details

    def structure(self, prep: _Prepared, claim: str) -> str:
        """Why ``claim`` contradicts the prepared sources in who, how many or whether, or ""
        (see :func:`structure_conflict`); source sentences are parsed once per sources."""
        if prep.structures is None:
            from rag.text import parse_many

            sentences, _ = _window_units(prep.sources)
            texts = list(dict.fromkeys(u.text for u in sentences))
            parse_many(texts)  # one batch through the pipeline
            prep.structures = [_read_structure(t) for t in texts]
        return _structure_reason(_read_structure(claim), prep.structures)

    # -- scoring --------------------------------------------------------------------------

    def llm_candidates(self, fast_probs: Sequence[float]) -> list[int]:
        """Claims worth an LLM read: inside the uncertain band, most suspicious first.

        Why a cap: each read costs a forward pass over the claim, and the answer's verdict
        hinges on its most suspicious claims.
        """
        lo, hi = self.config.llm_band
        inside = [n for n, p in enumerate(fast_probs) if lo <= p <= hi]
        inside.sort(key=lambda n: -fast_probs[n])
        return inside[: self.config.llm_max_claims]

    def check(
        self,
        sources: Sequence[str] | str,
        answer: str,
        *,
        question: str | None = None,
        use_llm: bool | None = None,
        task: str | None = None,
    ) -> Verdicts:
        """Grade ``answer`` against ``sources``; ``use_llm`` defaults to "if an LLM was given"."""
        cfg = self.config
        use_llm = (self.llm is not None) if use_llm is None else use_llm
        if use_llm and self.llm is None:
            raise ValueError("use_llm=True but this Judge was built without an LLM")
        prep = self.prepare(sources)
        spans = claim_spans(answer)
        feats, details = self.claim_features(prep, answer, spans, question)
        verdicts: list[ClaimVerdict] = []
        probs = [_sigmoid(weighted_logit(cfg.weights_fast, f)) for f in feats]
        asked = False
        if use_llm and cfg.weights_llm:
            for n in self.llm_candidates(probs):
                s, e = spans[n]
                p_yes = float(
                    self.llm.p_yes(prep.text[: cfg.max_source_chars], answer[s:e], question)
                )
                asked = True
                feats[n]["fast_logit"] = weighted_logit(cfg.weights_fast, feats[n])
                feats[n]["llm_logit"] = llm_logit(p_yes)
                probs[n] = _sigmoid(weighted_logit(cfg.weights_llm, feats[n]))
        if cfg.structure:
            for n, (s, e) in enumerate(spans):
                why = self.structure(prep, answer[s:e])
                details[n]["structure"] = why
                if why:
                    feats[n]["structure_conflict"] = 1.0
                    probs[n] = max(probs[n], 1.0 - STRUCTURE_SCORE)
        score = 1.0 - max(probs, default=0.0)  # an answer is as faithful as its weakest claim
        threshold = cfg.threshold_for(task)
        flagged = 1.0 - score >= threshold
        # A flagged answer always names a culprit: its weakest claim if none passed the cut.
        forced = (
            max(range(len(probs)), key=probs.__getitem__)
            if flagged and probs and max(probs) < cfg.claim_threshold
            else -1
        )
        for n, ((s, e), f, d) in enumerate(zip(spans, feats, details, strict=True)):
            verdicts.append(self._verdict(prep, answer, s, e, f, d, 1.0 - probs[n], n == forced))
        return Verdicts(answer, verdicts, round(score, 6), threshold, used_llm=asked)

    def _verdict(
        self,
        prep: _Prepared,
        answer: str,
        s: int,
        e: int,
        f: dict[str, float],
        d: dict[str, Any],
        score: float,
        force: bool = False,
    ) -> ClaimVerdict:
        cfg = self.config
        evidence = None
        if d["best_unit"] >= 0:
            u = prep.units[d["best_unit"]]
            evidence = SourceSpan(u.source, u.start, u.end, u.text)
        reasons = []
        if d["numbers"]:
            numbers = ", ".join(t.text for t in d["numbers"])
            reasons.append(f"numbers/times not in sources: {numbers}")
        if d["names"]:
            reasons.append("names not in sources: " + ", ".join(t.text for t in d["names"]))
        if d["neg_only"]:
            reasons.append("sources only negate: " + ", ".join(t.text for t in d["neg_only"]))
        if f.get("neg_mismatch") and f.get("emb_max", 0) > 0.6:
            reasons.append("negation differs from the closest source sentence")
        if "llm_logit" in f:
            reasons.append(f"LLM P(yes)={_sigmoid(f['llm_logit']):.2f}")
        if d.get("structure"):
            reasons.append(d["structure"])
        if score > 1 - cfg.claim_threshold and not force:
            verdict: Verdict = "supported"
            unsupported: list[AnswerSpan] = []
        else:
            conflict = (
                bool(d["neg_only"])
                or (
                    f.get("emb_max", 0) > 0.6
                    and (bool(d["numbers"]) or f.get("neg_mismatch", 0) > 0)
                )
                or ("llm_logit" in f and f["llm_logit"] < -2 and f.get("coverage", 0) > 0.8)
                or bool(d.get("structure"))
            )
            verdict = "conflicting" if conflict else "unsupported"
            unsupported = _answer_spans(answer, s, e, d, cfg.span_mode)
        return ClaimVerdict(
            answer[s:e],
            s,
            e,
            verdict,
            round(score, 4),
            evidence,
            unsupported,
            reasons,
            {k: round(v, 4) for k, v in f.items()},
        )


def weighted_logit(weights: Mapping[str, float], feats: Mapping[str, float]) -> float:
    """The fitted logistic model's log-odds of "hallucinated" for one claim's features
    (``weights`` from ``JudgeConfig``; ``bias`` is the intercept). Public because the
    RAGTruth tuning (``eval.suites.ragtruth``) fits these weights and scores with them."""
    return weights.get("bias", 0.0) + sum(
        w * feats.get(k, 0.0) for k, w in weights.items() if k != "bias"
    )


def llm_logit(p_yes: float) -> float:
    """log-odds of the LLM's Yes, clipped so one overconfident read cannot dominate."""
    p = min(max(float(p_yes), 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


_LIST_MARKER = re.compile(r"\s*(?:[-*•]|\d{1,2}[.)]|\(\d{1,2}\))\s+")


def _is_framing(text: str) -> bool:
    """A bare list number ("4.") or a lead-in ("Here is a summary in 80 words:"): no claim."""
    stripped = text.strip()
    return bool(re.fullmatch(r"[\W\d]*", stripped)) or stripped.endswith(":")


def claim_spans(answer: str, max_chars: int = 300) -> list[tuple[int, int]]:
    """Sentences of the answer; list markers and lead-ins are skipped, long ones cut at ";"."""
    out: list[tuple[int, int]] = []
    for s, e in split_sentences(answer):
        if _is_framing(answer[s:e]):
            continue
        marker = _LIST_MARKER.match(answer, s)
        if marker and marker.end() < e:
            s = marker.end()
        if e - s <= max_chars:
            out.append((s, e))
            continue
        start = s
        for m in re.finditer(r";\s+", answer[s:e]):
            cut = s + m.start() + 1
            if cut - start >= 40:
                _append_span(answer, start, cut, out)
                start = s + m.end()
        _append_span(answer, start, e, out)
    return out


def _answer_spans(answer: str, s: int, e: int, d: dict[str, Any], mode: str) -> list[AnswerSpan]:
    """Where in the claim the unsupported content is: the clause(s) holding the evidence."""
    marked = [t for t in (*d["missing"], *d["neg_only"])]
    if mode == "sentence" or not marked:
        return [AnswerSpan(s, e, answer[s:e])]
    bounds = [s] + [s + m.start() for m in _CLAUSE_SPLIT.finditer(answer[s:e])] + [e]
    pieces: list[tuple[int, int]] = []
    for lo, hi in itertools.pairwise(bounds):
        if any(lo <= t.start < hi for t in marked):
            if pieces and pieces[-1][1] == lo:
                pieces[-1] = (pieces[-1][0], hi)
            else:
                pieces.append((lo, hi))
    out = []
    for lo, hi in pieces:
        while lo < hi and not answer[lo].isalnum():
            lo += 1
        out.append(AnswerSpan(lo, hi, answer[lo:hi]))
    return out or [AnswerSpan(s, e, answer[s:e])]


# ---------------------------------------------------------------------------------------------
# Convenience entry points


@lru_cache(maxsize=2)
def default_embedder(model_dir: str) -> Embedder:
    """The project's embedder from the model cache at ``model_dir``, loaded once a process."""
    from rag.embeddings import build_embedder
    from rag.settings import Settings

    return build_embedder(Settings(model_dir=model_dir))


def build_judge(
    settings: Settings | None = None,
    *,
    use_llm: bool = False,
    llm_model: str = "qwen2.5-coder-1.5b-instruct",
    config: JudgeConfig | None = None,
) -> Judge:
    """The judge with the project's embedder (and LLM when ``use_llm``), from ``settings``."""
    from rag.settings import Settings

    settings = settings or Settings()
    embedder = default_embedder(str(settings.model_dir))
    llm = load_llm(settings, llm_model) if use_llm else None
    if config is None:
        config = JudgeConfig.with_llm() if use_llm else JudgeConfig()
    return Judge(embedder, llm, config)


def check(
    sources: Sequence[str] | str,
    answer: str,
    *,
    question: str | None = None,
    use_llm: bool = False,
    embedder: Embedder | None = None,
    llm: Any | None = None,
    config: JudgeConfig | None = None,
    settings: Settings | None = None,
) -> Verdicts:
    """Check one answer. Loads the default embedder (and LLM with ``use_llm``) when not given.

    ``use_llm=False`` is the fast lexical + embedding checker.
    """
    if embedder is None:
        from rag.settings import Settings

        embedder = default_embedder(str((settings or Settings()).model_dir))
    if use_llm and llm is None:
        llm = load_llm(settings)
    judge = Judge(embedder, llm if use_llm else None, config)
    return judge.check(sources, answer, question=question, use_llm=use_llm)


# ---------------------------------------------------------------------------------------------
# LlamaIndex integration


class FaithfulnessEvaluator(BaseEvaluator):
    """The judge as a LlamaIndex evaluator: passing when no claim is flagged.

    ``score`` is the support of the weakest claim; ``feedback`` lists the flagged claims.
    """

    def __init__(self, judge: Judge, task: str | None = None) -> None:
        self.judge = judge
        self.task = task

    def _get_prompts(self) -> dict[str, Any]:
        return {}  # the judge builds its LLM prompt itself; nothing to swap here

    def _update_prompts(self, prompts_dict: dict[str, Any]) -> None:
        return None

    async def aevaluate(
        self,
        query: str | None = None,
        response: str | None = None,
        contexts: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> EvaluationResult:
        if response is None or not contexts:
            raise ValueError("FaithfulnessEvaluator needs a response and at least one context")
        verdicts = self.judge.check(
            list(contexts), response, question=query, task=kwargs.get("task", self.task)
        )
        flagged = [c for c in verdicts.claims if c.verdict != "supported"]
        feedback = "; ".join(f"{c.verdict}: {c.claim!r}" for c in flagged)
        return EvaluationResult(
            query=query,
            response=response,
            contexts=list(contexts),
            passing=verdicts.faithful,
            score=verdicts.score,
            feedback=feedback or "every claim is supported by the contexts",
        )
