"""Answer-time citation check: every answer sentence -> the passage sentences that support it.

The model's own [n] markers are only a hint. A sentence is supported when a source sentence
(with its neighbours) covers its content words, contains every number and name it states,
agrees on negation, and is close in embedding space. Markers are then rewritten to point at
the passages that really support each sentence; sentences nobody supports are flagged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ingest.chunk import sentence_spans
from rag.embeddings import Embedder
from rag.retrieve import STOPWORDS, outlet_names, tokenize
from rag.text import as_statement, counted, focus, lemmas, number_conflict, role_conflict

MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;-]\s*\d+)*)\]")
_NEGATION_WORDS = "not|no|never|none|neither|nor|denied|denies|refuted|without"
_NEGATION = re.compile(rf"\b({_NEGATION_WORDS})\b|n't\b", re.IGNORECASE)
_CAPITAL = re.compile(r"\b[A-Z][a-zA-Z'’-]+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_YEAR = re.compile(r"(19|20)\d\d")
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b.{0,40}\b(instruction|prompt|rule|previous|above)"
    r"|\b(you are now|system prompt|new instructions?|as an ai)\b"
    r"|\b(reply|respond|answer|say)\s+(only\s+)?(with|exactly)\b",
    re.IGNORECASE,
)
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

# A marker used as a noun ("According to [1], ...", "Source [2] says that ..."): the phrase
# is dropped and its number kept, so the text does not read "According to, ...".
_MARKER_AS_NOUN = re.compile(
    r"^(?:according to the (?:sources?|articles?|passages?|information provided),\s*"
    r"|(?:according to|as (?:reported|stated|mentioned) (?:in|by)|per|in)\s+"
    r"(?:(?:source|article|passage)s?\s+)?\[[\d,;\s-]+\],?\s*"
    r"|(?:source|article|passage)s?\s+\[[\d,;\s-]+\]\s+"
    r"(?:says|said|states|stated|reports|reported|mentions|notes)\s+(?:that\s+)?)",
    re.IGNORECASE,
)
# A pointer to a source left behind when its marker is removed: "..., as stated in [1]."
_POINTER = re.compile(
    r",?\s*\b(?:as\s+)?(?:(?:is|are|was|were|can be|could be)\s+)?(?:stated|mentioned|"
    r"reported|quoted|seen|shown|noted|described|found|explained|cited)(?:\s+\w+)?"
    r"\s+(?:in|by|at)\W*$",
    re.IGNORECASE,
)
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

_POLARITY = re.compile(r"^\s*(yes|no)[,.:;!]\s*", re.IGNORECASE)  # "No peacekeepers" stays

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

SUPPORT_THRESHOLD = 0.55
SHORT_CLAIM_WORDS = 8
MIN_COVERAGE = 0.6
MIN_SIMILARITY = 0.35


@dataclass
class SourceSentence:
    """A sentence of a numbered passage, with its span in the article text."""

    number: int  # the passage number shown to the model
    start: int  # offsets in the article's cleaned text
    end: int
    text: str
    instruction_like: bool = False


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


def is_instruction(text: str) -> bool:
    """Article text that reads like an order to the assistant (prompt injection)."""
    return bool(_INSTRUCTION.search(text))


def split_passage(number: int, text: str, offset: int) -> list[SourceSentence]:
    return [
        SourceSentence(number, offset + s, offset + e, text[s:e], is_instruction(text[s:e]))
        for s, e in sentence_spans(text)
    ]


def split_answer(answer: str) -> list[tuple[str, list[int]]]:
    """Answer sentences without markers, each with the passage numbers the model cited."""
    out = []
    # A marker in front of capitalised text starts a new sentence: "[1] X [2] Y" lists.
    answer = re.sub(r"(?<=[^\s.!?])\s*(?=\[\d+\]\s+[A-Z])", "\n", answer.strip())
    answer = re.sub(r"\s*\n\s*", "\n\n", answer)  # a line break ends a sentence
    for s, e in sentence_spans(answer):
        raw = answer[s:e]
        text = raw
        prefix = _MARKER_AS_NOUN.match(raw)
        if prefix and prefix.end() < len(raw):  # "According to [1], x" -> "X", keeping [1]
            rest = raw[prefix.end() :]
            text = rest[:1].upper() + rest[1:]
        cited: list[int] = []
        for group in MARKER.findall(raw):
            for part in re.split(r"\s*[,;]\s*", group):
                if "-" in part:
                    lo, hi = (int(x) for x in part.split("-")[:2])
                    cited += list(range(lo, min(hi, lo + 10) + 1))
                else:
                    cited.append(int(part))
        text = MARKER.sub("", text).strip()
        pointed = _POINTER.sub("", text).strip(" ,")  # "X, as stated in [1]." -> "X."
        if pointed != text:
            text = pointed + ("." if pointed and pointed[-1] not in ".!?" else "")
        if text.startswith("[") and not text[1:2].isdigit():  # "[Tampa Bay, Florida]"
            text = text[1:].removesuffix("]").strip()
        text = re.sub(r"\s+([.,;:!?])", r"\1", text)
        if text and not re.fullmatch(r"[\W_]+", text):
            out.append((text, sorted(set(cited))))
    return out


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


def off_focus(question: str, text: str, evidence: Sequence[str], fragment: bool = False) -> str:
    """Why a supported answer sentence is about something other than what the question asks,
    or "". A "what N" / "how many N" question asks about N: the answer (with its evidence)
    must speak of N, and a number it gives must count N ("2,000 peacekeepers" does not
    answer "How many drone strikes ...?"). Questions for a name ("which country") are left
    to ``gives``: their answer names an instance, not the type."""
    noun = focus(question)
    if not noun or asked_for(question) == "name":
        return ""
    statement = as_statement(question, text) if fragment else text
    numbers = counted(statement)
    if asked_for(question) == "number" and numbers:
        if not any(noun in nouns for nouns in numbers.values()):
            return f"its numbers count something else than the {noun} asked about"
        return ""
    if noun in lemmas(statement) or any(noun in lemmas(e) for e in evidence):
        return ""
    return f"it does not speak of the {noun} asked about"


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}


def _names(text: str) -> set[str]:
    names = set()
    for w in _CAPITAL.findall(text):
        low = w.lower().strip("'’-")
        if low.endswith(("'s", "’s")):
            low = low[:-2]
        if low not in _NOT_NAMES and len(low) > 1:
            names.add(low)
    return names


def _has_negation(text: str) -> bool:
    return bool(_NEGATION.search(text))


def _near(words: set[str], own: set[str], window: set[str]) -> float:
    """Share of ``words`` in a sentence; words found only in its neighbours count for less
    (a claim that stitches together pieces of different sentences is weaker evidence)."""
    return max(len(words & own) / len(words), len(words & window) / len(words) - 0.15)


def check_support(
    claims: Sequence[str],
    sources: Sequence[SourceSentence],
    embedder: Embedder,
    cache: dict[str, np.ndarray] | None = None,
    contexts: Sequence[str] | None = None,
    premise: str = "",
    headers: Mapping[int, str] | None = None,
    split: bool = True,
) -> list[Support]:
    """Score each claim against every source sentence; see the module docstring.

    ``contexts[i]`` (e.g. the question, for a fragment answer like "2,000") is read together
    with claim i for coverage and similarity; numbers and names still come from the claim.
    ``premise`` is a wh-question the claims answer: small models restate it in full ("X is the
    person who ..., as reported by Y"). Words, numbers and names taken from it need only be in
    the same passage; the words the claim adds must be covered by the sentence itself, and a
    claim that adds nothing is no answer. ``headers`` (passage number -> title and outlet) count
    for names: "The Verge reports ..." is checked against the passage The Verge published.

    A claim no single sentence supports may be supported clause by clause ("A says X, while
    B says Y": each clause by its own sentence), or by two sentences of different passages
    together, at a stricter coverage."""
    usable = [s for s in sources if not s.instruction_like]
    if not claims:
        return []
    if not usable:
        return [Support(c, False, 0.0, reason="no source text") for c in claims]
    contexts = list(contexts) if contexts else [""] * len(claims)
    # "Yes, A said X": the polarity answers the question; the claim to check is "A said X".
    scored = [
        f"{ctx} {_POLARITY.sub('', c)}".strip() for c, ctx in zip(claims, contexts, strict=True)
    ]
    texts = scored + [s.text for s in usable]
    cache = cache if cache is not None else {}
    todo = [t for t in dict.fromkeys(texts) if t not in cache]
    if todo:
        for t, v in zip(todo, embedder.embed(todo), strict=True):
            cache[t] = v
    claim_vecs = np.stack([cache[c] for c in scored])
    src_vecs = np.stack([cache[s.text] for s in usable])
    sims = claim_vecs @ src_vecs.T

    # Per passage: its full text (for numbers and names) and, per sentence, a window with
    # the neighbouring sentences (a claim often joins two adjacent sentences).
    by_passage: dict[int, list[int]] = {}
    for i, s in enumerate(usable):
        by_passage.setdefault(s.number, []).append(i)
    passage_text = {n: " ".join(usable[i].text for i in ids) for n, ids in by_passage.items()}
    passage_numbers = {n: _numbers(t) for n, t in passage_text.items()}
    headers = headers or {}
    passage_lower = {n: f"{headers.get(n, '')} {t}".lower() for n, t in passage_text.items()}
    passage_tokens = {n: set(tokenize(t)) for n, t in passage_text.items()}
    premise_words = set(tokenize(premise)) - FRAMING
    premise_nums, premise_lower = _numbers(premise), premise.lower()
    own_tokens, window_tokens = [], []
    for i, s in enumerate(usable):
        ids = by_passage[s.number]
        k = ids.index(i)
        # The header (title, outlet) is read with every sentence of its passage.
        around = [headers.get(s.number, "")] + [usable[j].text for j in ids[max(0, k - 1) : k + 2]]
        own_tokens.append(set(tokenize(s.text)))
        window_tokens.append(set(tokenize(" ".join(around))))

    results = []
    for ci, claim in enumerate(claims):
        words = set(tokenize(scored[ci])) - FRAMING
        if len(words) < 2 or not tokenize(claim):
            results.append(Support(claim, True, 1.0, neutral=True, reason="no claim to check"))
            continue
        nums, names, neg = _numbers(claim), _names(claim), _has_negation(claim)
        given = words & premise_words
        added = words - premise_words
        if not added:
            results.append(Support(claim, False, 0.0, reason="restates the question"))
            continue
        # A year the claim repeats from the question must not stand where the source has
        # another one ("Tesla's Q1 2021 revenue ..." from a sentence about Q1 2023).
        premise_years = {n for n in nums & premise_nums if _YEAR.fullmatch(n)}
        nums -= premise_nums
        names = {n for n in names if n not in premise_lower}
        # A short claim is mostly its relation ("Azerbaijan's president is X"): two thirds of
        # the question's words in it must be in the supporting sentence too.
        short = len(words) <= SHORT_CLAIM_WORDS
        best: list[Evidence] = []
        reasons: dict[str, int] = {}
        # A number the sources give for another noun ("300 peacekeepers" where 300 counts
        # settlements) is a wrong claim, whichever sentence covers the rest of it.
        # A fragment ("Azerbaijan", "Four") is read into its question for these checks.
        statement = as_statement(contexts[ci], claim) if contexts[ci] else claim
        moved = number_conflict(statement, [s.text for s in usable])
        if moved:
            results.append(Support(claim, False, 0.0, reason=moved))
            continue
        for si, src in enumerate(usable):
            near = _near(added, own_tokens[si], window_tokens[si])
            if given and near < 0.5:  # what the claim adds must be in this sentence
                reasons["too little overlap with any source sentence"] = 1
                continue
            if short and 3 * len(given & window_tokens[si]) < 2 * len(given):
                reasons["the question's terms are not with the answer in the source"] = 1
                continue
            if given and not short:  # the question's words count when the passage has them
                in_passage = len(given & passage_tokens[src.number]) / len(given)
                coverage = 0.7 * near + 0.3 * in_passage
            else:
                coverage = _near(words, own_tokens[si], window_tokens[si])
            window_years = {t for t in window_tokens[si] if _YEAR.fullmatch(t)}
            if premise_years - window_years and window_years - premise_years:
                reasons["the source gives another year"] = 1
                continue
            sim = float(sims[ci, si])
            missing_nums = nums - passage_numbers[src.number]
            missing_names = {n for n in names if n not in passage_lower[src.number]}
            score = 0.6 * coverage + 0.4 * max(sim, 0.0)
            if missing_nums:
                reasons["number not in sources: " + ", ".join(sorted(missing_nums))] = 1
                continue
            if missing_names:
                reasons["name not in sources: " + ", ".join(sorted(missing_names))] = 1
                continue
            if neg != _has_negation(src.text) and sim < 0.85:  # "No X" vs "X" share all words
                reasons["negation differs from the source"] = 1
                continue
            weak_similarity = sim < MIN_SIMILARITY and coverage < 0.9
            if coverage < MIN_COVERAGE or weak_similarity or score < SUPPORT_THRESHOLD:
                reasons["too little overlap with any source sentence"] = 1
                continue
            swapped = role_conflict(statement, [src.text])
            if swapped:  # the same words with the sides swapped: the opposite claim
                reasons[swapped] = 1
                continue
            best.append(Evidence(src.number, src.start, src.end, src.text, round(score, 4)))
        best.sort(key=lambda e: -e.score)
        # One evidence sentence per passage, best passages first.
        seen: set[int] = set()
        evidence = [e for e in best if not (e.number in seen or seen.add(e.number))]
        joint = False
        if not evidence and not given and split:
            evidence = _clause_evidence(scored[ci], usable, embedder, cache, headers)
            joint = bool(evidence)
        if not evidence and not given:
            evidence = _joint_evidence(
                statement,
                words,
                nums,
                names,
                neg,
                usable,
                own_tokens,
                sims[ci],
                passage_text,
                passage_lower,
            )
            joint = bool(evidence)
        if evidence:
            results.append(Support(claim, True, evidence[0].score, evidence=evidence, joint=joint))
        else:
            # A sentence with the same words and other sides says why best.
            swaps = [r for r in reasons if r.startswith("in the sources")]
            reason = next(iter(swaps or reasons), "no supporting sentence")
            top = float(sims[ci].max()) if sims.size else 0.0
            results.append(Support(claim, False, round(min(top, 0.5), 4), reason=reason))
    return results


# Where a claim joins statements that each need their own support.
_CLAUSE_BREAK = re.compile(r",?\s+(?:while|whereas)\s+|;\s+|,\s+(?:and|but|with)\s+", re.I)


def _clause_evidence(
    claim: str,
    usable: Sequence[SourceSentence],
    embedder: Embedder,
    cache: dict[str, np.ndarray],
    headers: Mapping[int, str],
) -> list[Evidence]:
    """One evidence sentence per clause when every clause of the claim is supported on its
    own (each checked as a claim, names and numbers included); [] otherwise."""
    clauses: list[str] = []
    for piece in _CLAUSE_BREAK.split(_POLARITY.sub("", claim)):
        if clauses and len(set(tokenize(piece)) - FRAMING) < 2:
            clauses[-1] += f", {piece}"  # too short to stand alone: keep it with the last one
        elif piece.strip():
            clauses.append(piece.strip())
    if len(clauses) < 2:
        return []
    verdicts = check_support(clauses, usable, embedder, cache, headers=headers, split=False)
    if not all(v.supported for v in verdicts):
        return []
    evidence: list[Evidence] = []
    for v in verdicts:
        if v.evidence and v.evidence[0] not in evidence:
            evidence.append(v.evidence[0])
    return evidence


# A "Yes" to a yes/no question claims the question itself -----------------------------
# Questions answered by yes or no.
YES_NO_QUESTION = re.compile(
    r"^\W*(is|are|was|were|do|does|did|has|have|had|can|could|will|would|should|may|might)\b",
    re.IGNORECASE,
)
# The clause breaks of an answer, and the "as opposed to" that questions also use.
_QUESTION_BREAK = re.compile(rf"{_CLAUSE_BREAK.pattern}|,\s+as opposed to\s+", re.I)
# Negation, plus the verbs that negate what follows ("fails to identify X", "lacks X").
_CONTRARY = re.compile(
    rf"\b({_NEGATION_WORDS}|fail|fails|failed|failing|lack|lacks|lacked|unable)\b|n't\b",
    re.IGNORECASE,
)
YES_THRESHOLD = 0.55


def restates(text: str, question: str) -> bool:
    """Whether an answer sentence only repeats the question ("Yes, A says X" to "Does A say
    X?"): at least four fifths of its content words are the question's."""
    words = set(tokenize(_POLARITY.sub("", text))) - FRAMING
    return len(words & (set(tokenize(question)) - FRAMING)) >= 0.8 * len(words)


def check_yes(
    question: str,
    sources: Sequence[SourceSentence],
    embedder: Embedder,
    outlets: Mapping[int, str],
    known_outlets: Sequence[str],
    cache: dict[str, np.ndarray] | None = None,
    titles: Mapping[int, str] | None = None,
) -> Support:
    """Support for answering "Yes" to a yes/no question: the question's own claim, clause by
    clause ("Does A suggest X, while B indicates Y?").

    Questions like these paraphrase their sources, so a clause is scored by how much of it a
    sentence covers (with its neighbours and its article's title) and by embedding
    similarity; a sentence negated where the clause is not (or the reverse) cannot support
    it. A clause that names an outlet (one of ``known_outlets``) is checked only against
    that outlet's passages (``outlets``: passage number -> outlet). Every clause must reach
    YES_THRESHOLD; its best sentence is cited."""
    usable = [s for s in sources if not s.instruction_like]
    claim = YES_NO_QUESTION.sub("", question.strip(), count=1).rstrip("?").strip()
    clauses = [c for c in _QUESTION_BREAK.split(claim) if len(set(tokenize(c)) - FRAMING) >= 2]
    if not clauses or not usable:
        return Support("Yes.", False, 0.0, reason="no claim in the question to check")
    titles = titles or {}
    # Per sentence, once: its words, its words with its neighbours and title, its polarity.
    by_passage: dict[int, list[int]] = {}
    for i, s in enumerate(usable):
        by_passage.setdefault(s.number, []).append(i)
    own, around, contrary = [], [], []
    for i, s in enumerate(usable):
        ids = by_passage[s.number]
        k = ids.index(i)
        near = [usable[j].text for j in ids[max(0, k - 1) : k + 2]]
        own.append(set(tokenize(s.text)))
        around.append(set(tokenize(" ".join([titles.get(s.number, ""), *near]))))
        contrary.append(bool(_CONTRARY.search(s.text)))
    cache = cache if cache is not None else {}
    evidence: list[Evidence] = []
    lowest = 1.0
    for clause in clauses:
        named = [o for o in known_outlets if _mentions(clause, o)]
        text = clause
        for outlet in named:
            for name in outlet_names(outlet):
                text = re.sub(re.escape(name), " ", text, flags=re.IGNORECASE)
        words = set(tokenize(text)) - FRAMING
        todo = [t for t in dict.fromkeys([text, *(s.text for s in usable)]) if t not in cache]
        if todo:
            for t, v in zip(todo, embedder.embed(todo), strict=True):
                cache[t] = v
        negated = bool(_CONTRARY.search(text))
        best: tuple[float, SourceSentence | None] = (0.0, None)
        for i, s in enumerate(usable):
            if named and outlets.get(s.number) not in named:
                continue
            if negated != contrary[i]:
                continue  # "fails to identify X" is not supported by "X", nor the reverse
            cover = _near(words, own[i], around[i])
            score = 0.5 * cover + 0.5 * float(cache[text] @ cache[s.text])
            if score > best[0]:
                best = (score, s)
        score, found = best
        lowest = min(lowest, score)
        if found is None or score < YES_THRESHOLD:
            why = "no passage from " + " or ".join(named) if found is None and named else ""
            return Support(
                "Yes.", False, round(score, 4), reason=why or f"the sources do not say: {clause}"
            )
        ev = Evidence(found.number, found.start, found.end, found.text, round(score, 4))
        if ev not in evidence:
            evidence.append(ev)
    return Support("Yes.", True, round(lowest, 4), evidence=evidence, joint=True)


def _mentions(text: str, outlet: str) -> bool:
    """Whether ``text`` names ``outlet`` by one of its names."""
    low = text.lower()
    return any(
        re.search(rf"(?<!\w){re.escape(name.lower())}(?!\w)", low)
        for name in outlet_names(outlet)
        if len(name) > 2
    )


JOINT_PENALTY = 0.1
JOINT_CANDIDATES = 6


def _joint_evidence(
    claim: str,
    words: set[str],
    nums: set[str],
    names: set[str],
    neg: bool,
    usable: Sequence[SourceSentence],
    own_tokens: Sequence[set[str]],
    sims: np.ndarray,
    passage_text: Mapping[int, str],
    passage_lower: Mapping[int, str],
) -> list[Evidence]:
    """Two sentences from different passages that together support the claim, each adding
    words the other lacks; [] when no pair does. Stitching costs JOINT_PENALTY coverage."""
    ranked = sorted(range(len(usable)), key=lambda i: -len(words & own_tokens[i]))
    top = [i for i in ranked[:JOINT_CANDIDATES] if words & own_tokens[i]]
    best: tuple[float, int, int] | None = None
    for x, a in enumerate(top):
        for b in top[x + 1 :]:
            na, nb = usable[a].number, usable[b].number
            if na == nb:
                continue
            ta, tb = words & own_tokens[a], words & own_tokens[b]
            if not (ta - tb) or not (tb - ta):
                continue
            coverage = len(ta | tb) / len(words) - JOINT_PENALTY
            sim = max(float(sims[a]), float(sims[b]))
            numbers = _numbers(passage_text[na] + " " + passage_text[nb])
            text = passage_lower[na] + " " + passage_lower[nb]
            if nums - numbers or any(n not in text for n in names):
                continue
            if neg and not (_has_negation(usable[a].text) or _has_negation(usable[b].text)):
                continue
            if claim and role_conflict(claim, [usable[a].text, usable[b].text]):
                continue
            score = 0.6 * coverage + 0.4 * max(sim, 0.0)
            if coverage < MIN_COVERAGE or sim < MIN_SIMILARITY or score < SUPPORT_THRESHOLD:
                continue
            if best is None or score > best[0]:
                best = (score, a, b)
    if best is None:
        return []
    score, a, b = best
    return [
        Evidence(usable[i].number, usable[i].start, usable[i].end, usable[i].text, round(score, 4))
        for i in (a, b)
    ]


def choose_citations(support: Support, max_citations: int = 2) -> list[Evidence]:
    """The model's own citations when they are among the supporting passages, else the best."""
    if not support.supported or support.neutral:
        return []
    if support.joint:
        return support.evidence  # the claim needs every one of them
    cited = [e for e in support.evidence if e.number in support.cited]
    others = [e for e in support.evidence if e.number not in support.cited]
    return (cited + others)[:max_citations] if cited else others[:1]
