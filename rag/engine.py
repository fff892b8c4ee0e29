"""NewsRAG: ask / stream / chat over the ingested articles, with verified citations."""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.llms import LLM
from llama_index.core.memory import ChatMemoryBuffer

import prompts
from ingest.chunk import sentence_spans
from rag.dates import long_date, parse_temporal, published_day
from rag.embeddings import Embedder, VectorMemory, embed_cached
from rag.errors import LLMError, NewsragError, StoreEmptyError
from rag.injection import instruction_spans
from rag.limits import check_question, check_top_k
from rag.retrieve import (
    Filters,
    HybridRetriever,
    Retrieved,
    named_outlets,
    not_stocked,
    outlet_names,
    stored_outlets,
    tokenize,
    without_outlets,
)
from rag.settings import Settings
from rag.store import Store
from rag.text import (
    Alternatives,
    alternatives,
    another_year,
    answer_items,
    asks_what_was_said,
    bound_clash,
    bound_conflict,
    claims_of,
    complete_dates,
    doer_unnamed,
    fact_box_entry,
    lacks_complement,
    lemmas,
    names_its_pointer,
    names_more,
    other_speaker,
    points_back,
    publishers_named,
    refers_back,
    reports_speech,
    resolve_pointers,
    resolves,
    same_name,
    states_something,
    subject_points_back,
    upper_first,
    without_fronted,
    yes_no_claim,
)
from rag.tokens import count_tokens
from rag.verify import (
    ANCHORED_KINDS,
    POLARITY,
    Evidence,
    NameCandidate,
    SourceSentence,
    Support,
    VerifyConfig,
    asked_for,
    asks_publication,
    check_order,
    check_support,
    check_yes,
    choose_citations,
    gives,
    is_instruction,
    is_yes_no,
    name_candidates,
    name_words,
    off_focus,
    one_name,
    option_candidates,
    report_order,
    restates,
    split_answer,
    states_predicate,
    story_words,
    told_words,
    yes_clauses,
)

if TYPE_CHECKING:
    from rag.query_engine import NewsRAGChatEngine, NewsRAGQueryEngine

# Kinds of answer item a failed answer may be reduced to (see ``NewsRAG._salvage``).
_SALVAGED_KINDS = frozenset({"time", "number", "money"})
# Questions whose answer adds something to the question (not yes/no ones, whose answer is
# the question's own claim and must be checked in full).
_WH_QUESTION = re.compile(
    r"^\W*(?:(?:and|but|so|also|then)\s+)?(?:who|whom|whose|what|which|when|where|why|how)\b",
    re.IGNORECASE,
)


@dataclass
class Citation:
    number: int
    doc_id: str
    title: str
    outlet: str
    published: str
    url: str
    passage: str  # the passage shown to the model
    sentence: str  # the exact supporting sentence
    span: tuple[int, int]  # of ``sentence`` in the article's cleaned text
    score: float


@dataclass
class AnswerSentence:
    text: str
    supported: bool
    citations: list[int]
    score: float
    reason: str = ""


@dataclass
class Answer:
    question: str
    text: str
    refused: bool
    citations: list[Citation]
    sentences: list[AnswerSentence]
    retrieved: list[Retrieved]
    filters: dict[str, Any]
    timings: dict[str, float]
    model: str
    prompt_tokens: int = 0
    raw_text: str = ""  # what the model wrote, before verification
    standalone_question: str = ""  # after condensing a follow-up
    notes: list[str] = field(default_factory=list)
    refusal_probability: float | None = None  # the model's P(refusal marker first)
    pick: dict[str, Any] | None = None  # the sentence the model picked as the answer, if read

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "citations": [asdict(c) for c in self.citations],
            "sentences": [asdict(s) for s in self.sentences],
            "retrieved": [r.to_dict() for r in self.retrieved],
            "filters": self.filters,
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "model": self.model,
            "prompt_tokens": self.prompt_tokens,
            "raw_answer": self.raw_text,
            "standalone_question": self.standalone_question,
            "notes": self.notes,
            "refusal_probability": self.refusal_probability,
            "pick": self.pick,
        }


@dataclass
class Passage:
    """The sentences of one retrieved chunk the model sees, under its article's header.

    Each sentence is shown with its own label ([1], [2], ... across all passages), so the
    model cites, and picks, the sentence itself."""

    number: int
    retrieved: Retrieved
    text: str
    sentences: list[SourceSentence]
    labels: list[int] = field(default_factory=list)


@dataclass
class Pick:
    """The model's constrained one-token choice among the labelled evidence sentences: each
    (label, sentence, passage, share of the choice), likeliest first, and the share of
    "none of them". The first is the pick; the rest are candidates for a hint."""

    ranked: list[tuple[int, SourceSentence, Passage, float]]
    none_share: float

    @property
    def sentence(self) -> SourceSentence:
        return self.ranked[0][1]

    @property
    def passage(self) -> Passage:
        return self.ranked[0][2]

    @property
    def share(self) -> float:
        return self.ranked[0][3]


def final_answer(events: Iterator[dict[str, Any]]) -> Answer:
    """Drain a stream of events and return the verified Answer it ends with."""
    answer = None
    for event in events:
        if event["type"] == "answer":
            answer = event["answer"]
    if answer is None:
        raise NewsragError("The answer stream ended without an answer.", "Try the question again.")
    return answer


def refusal_text(raw: str) -> str:
    """What a refusal says: that the articles do not hold the answer when the model wrote
    none (or nothing was relevant), that no answer could be verified when it wrote one that
    failed the checks. The articles may hold the answer the model got wrong."""
    return prompts.load("refusal_unverified" if strip_refusal_marker(raw) else "refusal")


def is_refusal_text(text: str) -> bool:
    """Whether ``text`` is one of the refusals ``refusal_text`` writes."""
    return text.strip() in (prompts.load("refusal"), prompts.load("refusal_unverified"))


def strip_refusal_marker(raw: str) -> str:
    """The answer without refusal markers and lines that only list source numbers or titles.

    Small models sometimes write the marker and then answer anyway; what is left is verified
    like any answer, and an empty remainder is a refusal."""
    marker = prompts.load("refusal_marker").lower()
    kept = []
    for line in raw.strip().splitlines():
        text = re.sub(re.escape(marker), "", line, flags=re.IGNORECASE).strip(" .:-")
        if re.fullmatch(r"(\[\d+\]\s*)*", text) or text.lower().startswith("sources:"):
            continue
        kept.append(text)
    return "\n".join(kept).strip()


# Only yes/no questions (``is_yes_no``) get the "Start with Yes or No." instruction
# (given to every question, the 1.5B model began wh-answers with "Yes,").
_YES = re.compile(r"^\W*yes\b", re.IGNORECASE)
# A sentence left hanging once its marker is gone: "This is stated in [1].", "This
# information is found in source [3]." (the prompt's own word for a passage). One that stops
# at its copula ("The host city is [1].") is found by its parse (``text.lacks_complement``).
_DANGLING = re.compile(
    r"\b(in|at|by|from|of|to|on|with|per|see|and|or)(\s+(the\s+)?sources?)?\W*$", re.IGNORECASE
)
# "(Outlet, 2023-11-06)" as the prompt's source headers write it.
_SOURCE_DATE = re.compile(r"\s*\((?:[^()]{1,80},\s*)?\d{4}-\d{2}-\d{2}\)")


def _because(reason: str) -> str:
    """A check's reason as a note's closing parenthesis ("" when there is none: no "()")."""
    return f" ({reason})" if reason else ""


def _points_at_left_out(text: str) -> bool:
    """Whether a sentence after one left out speaks of it: its subject points back ("This
    was done after ...") and it does not say itself what that subject is."""
    return subject_points_back(text) and not names_its_pointer(text)


def _shown_sentences(sentences: list[AnswerSentence], notes: list[str]) -> list[int]:
    """The indexes of the sentences an answer shows when no unsupported one may be
    shown (``unsupported_sentences="drop"``); each one left out is named in ``notes``.

    A sentence no source supports is a claim a reader cannot check: left out and said so,
    as a contradicted one is, and so is a sentence after it that points back at it ("This
    marked ...") without saying what it points at (the checks before this still read them
    all: an unsupported lead answer refuses the whole answer)."""
    kept: list[int] = []
    left_out = False
    for i, s in enumerate(sentences):
        if not s.supported:
            notes.append(
                f"Left out a sentence the sources do not support: {s.text}{_because(s.reason)}"
            )
            left_out = True
        elif left_out and _points_at_left_out(s.text):
            notes.append(f"Left out a sentence about the one left out: {s.text}")
        else:
            kept.append(i)
            left_out = False
    return kept


def _unsupported_note(sentences: list[AnswerSentence]) -> str:
    """Why an answer none of whose sentences the sources state was declined: its first such
    sentence and the check's reason ("" when every sentence passed)."""
    failed = next((s for s in sentences if not s.supported), None)
    if failed is None:
        return ""
    return f"The sources do not state: {in_quotes(failed.text)}{_because(failed.reason)}."


_BARE_NO = re.compile(r"^\W*no\W*$", re.IGNORECASE)


def _echo_note(echo: str) -> str:
    """Why a draft that makes no claim of its own was declined: a bare "No" rests on no
    sentence (only a number the sources bound the other way shows one, ``_bounded_no``)."""
    if _BARE_NO.match(echo):
        return (
            "The answer is a bare “No”, and no source sentence says the question's claim is false."
        )
    return f"The answer makes no claim of its own to check: {in_quotes(echo)}."


def _unsentence(note: str) -> str:
    """A note as a clause to put in brackets: no final stop, first letter lower-cased."""
    note = note.rstrip(". ")
    return note[:1].lower() + note[1:]


def _before(passages: list[Passage], sentence: str) -> str:
    """``sentence`` with the text before it in the chunk that holds it (the sentence alone
    when no passage's chunk does)."""
    for p in passages:
        text = p.retrieved.chunk.text
        at = text.find(sentence)
        if at >= 0:
            return text[: at + len(sentence)]
    return sentence


_DATES_NOTE = (
    "Dates the answer gives without a year (a weekday, a month and day) are completed from"
    " the sentences it cites, else read against the date of the article cited."
)


def _spans(text: str) -> list[tuple[int, int]]:
    """A chunk's sentence spans, without those that read as planted instructions (read in
    context: an opener taints what follows it). Ingest drops them; this keeps them out of
    answers from older stores too."""
    flagged = {(s, e) for s, e, _ in instruction_spans(text)}
    return [(s, e) for s, e in sentence_spans(text) if (s, e) not in flagged]


def _source_sentences(
    number: int, hit: Retrieved, spans: list[tuple[int, int]]
) -> list[SourceSentence]:
    """Passage ``number``'s sentences at ``spans`` of its chunk, offsets in the article
    (already read for planted instructions, in their chunk's context)."""
    chunk = hit.chunk
    return [
        SourceSentence(number, chunk.start + s, chunk.start + e, chunk.text[s:e], False)
        for s, e in spans
    ]


def _with_labels(passages: list[Passage], doc_id: str, start: int, max_words: int) -> str:
    """The source sentence at article offset ``start`` of ``doc_id`` (in the passage that
    holds it), with the fact-box fragments (``rag.text.fact_box_entry``) beside it, up to
    two on each side, when it is one itself: "Release date." is read with "December 1,
    2017" beside it (``rag.text.labelled_by``), and the value after that, which decides
    whose label it is. The sentence alone otherwise; "" when no passage holds it."""
    for p in passages:
        chunk = p.retrieved.chunk
        if chunk.doc_id != doc_id:
            continue
        spans = sentence_spans(chunk.text)
        at = next((k for k, (s, _) in enumerate(spans) if chunk.start + s == start), None)
        if at is None:
            continue
        texts = [chunk.text[s:e] for s, e in spans]
        lo, hi = _fact_box_around(texts, at, 2, max_words)
        return " ".join(texts[lo : hi + 1])
    return ""


def _fact_box_around(texts: list[str], at: int, reach: int, max_words: int) -> tuple[int, int]:
    """The first and last of the fact-box fragments (``rag.text.fact_box_entry``) in a row
    around ``texts[at]``, at most ``reach`` on each side; (at, at) when it is none."""
    if not fact_box_entry(texts[at], max_words):
        return at, at
    lo = hi = at
    while lo > max(0, at - reach) and fact_box_entry(texts[lo - 1], max_words):
        lo -= 1
    while hi < min(len(texts) - 1, at + reach) and fact_box_entry(texts[hi + 1], max_words):
        hi += 1
    return lo, hi


def _with_previous(passages: list[Passage], sentence: str) -> str:
    """``sentence`` with the sentence before it in the chunk that holds it."""
    before = _before(passages, sentence)
    spans = sentence_spans(before)
    return before[spans[-2][0] :] if len(spans) > 1 else before


def _metadata(passages: list[Passage]) -> dict[int, dict[str, Any]]:
    """Passage number -> its chunk's metadata (outlet, title, published time)."""
    return {p.number: p.retrieved.chunk.meta for p in passages}


def _outlets_and_titles(meta: dict[int, dict[str, Any]]) -> dict[str, dict[int, str]]:
    """The ``outlets`` and ``titles`` keywords of the yes/no checks, from passage number ->
    chunk metadata."""
    return {
        "outlets": {n: m.get("source") or "" for n, m in meta.items()},
        "titles": {n: m.get("title") or "" for n, m in meta.items()},
    }


def _holds_name(text: str, question: str, evidence: list[str], outlets: list[str]) -> bool:
    """Whether the evidence names the item ``text`` answers with (``answer_items``: the
    first name it gives beyond the question's; an outlet's own name is not one): a word of
    it written as a name ("games" in lower case is none; "FC Montreal" for the source's "CF
    Montreal" is a slip, held by "Montreal"). True when it gives none."""
    outlet_words = {frozenset(name_words(n)) for o in outlets for n in outlet_names(o)}
    items = [
        words
        for item in answer_items(text, "name", question)
        if (words := frozenset(name_words(item))) and words not in outlet_words
    ]
    written = name_words(" ".join(evidence))
    # "Russian" is written in "a Russian-brokered agreement".
    written |= {part for w in written for part in re.split(r"[-–]", w)}
    return not items or bool(items[0] & written)


def _when(ts: float, other: float) -> str:
    """A published time as a reader compares it with ``other``: the day ("November 20,
    2023"), with the time of day (UTC) when both fall on the same day."""
    moment = datetime.fromtimestamp(ts, UTC)
    day = long_date(moment.date())
    if moment.date() == datetime.fromtimestamp(other, UTC).date():
        return f"{day}, {moment:%H:%M} UTC"
    return day


def _plain(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def is_fragment(text: str) -> bool:
    """A short answer with no verb-like structure: "2,000 [1]", "January 2021"."""
    words = re.findall(r"[A-Za-z0-9][\w,.'-]*", text)
    return len(words) <= 4


def in_quotes(text: str) -> str:
    """``text`` quoted, its own quotation marks made single as a quote within a quote is
    written (“‘Certainly ...,’ Cue said.”), not doubled (““Certainly ...,” Cue said.”)."""
    inner = text.translate(str.maketrans({"“": "‘", "”": "’", '"': "'"}))
    return f"“{inner}”"


class NewsRAG:
    """The Python API. Thread-safe: generation is serialised, everything else runs freely."""

    def __init__(
        self, settings: Settings, store: Store, embedder: Embedder, llm: LLM | None
    ) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self._llm = llm
        self.retriever = HybridRetriever(store, embedder, settings.top_k)
        self.verify_config = VerifyConfig()  # the verifier's thresholds (rag.verify.config)
        self._sentence_vectors = VectorMemory(settings.sentence_memory)
        self._generate_lock = threading.Lock()
        self._sessions: dict[str, ChatMemoryBuffer] = {}
        self._sessions_lock = threading.Lock()
        from rag.library import Library

        self.library = Library(settings, store, embedder)  # ingest, list, remove articles

    @classmethod
    def from_settings(cls, settings: Settings | None = None, load_llm: bool = True) -> NewsRAG:
        """Build every part from settings (store, embedder, LLM)."""
        from rag.embeddings import build_embedder
        from rag.llm import build_llm

        settings = settings or Settings()
        store = Store(settings)
        embedder = build_embedder(settings, store)  # refuses a store of another dimension
        llm = build_llm(settings) if load_llm else None
        return cls(settings, store, embedder, llm)

    # Properties ------------------------------------------------------------
    @property
    def llm(self) -> LLM:
        if self._llm is None:
            from rag.llm import build_llm

            self._llm = build_llm(self.settings)
        return self._llm

    @property
    def model_name(self) -> str:
        return self._llm.metadata.model_name if self._llm else self.settings.llm_model

    # Retrieval -------------------------------------------------------------
    def _filters_for(
        self, question: str, filters: Filters | None, reference_date: date | None
    ) -> Filters:
        filters = replace(filters) if filters else Filters()
        if filters.after is None and filters.before is None:
            found = parse_temporal(
                without_outlets(question, self.store.outlets()),
                reference_date or self.settings.reference_date,
            )
            if found:
                filters.after, filters.before, filters.date_phrase = (
                    found.start,
                    found.end,
                    found.phrase,
                )
        return filters

    def retrieve(
        self,
        question: str,
        filters: Filters | None = None,
        top_k: int | None = None,
        reference_date: date | None = None,
    ) -> tuple[list[Retrieved], Filters, list[str]]:
        """Hybrid search with filters. A date or outlet taken from the question is the
        reader's filter, like one set by hand; it is dropped (with a note) when it matches no
        article (the question may name the date of an event, not of publication). A question
        naming several outlets retrieves from each of them."""
        if self.store.article_count() == 0:
            raise StoreEmptyError(
                "No articles are ingested yet.", "Run `newsrag ingest PATH` first."
            )
        applied = self._filters_for(question, filters, reference_date)
        if applied.sources and not applied.outlet_phrase:
            applied.sources = stored_outlets(applied.sources, self.store.outlets())
        if not applied.sources:
            named = named_outlets(question, self.store.outlets())
            if named:
                applied.sources, applied.outlet_phrase = named, ", ".join(named)
        # A filter the question gave that matches no article is let go, its date first: the
        # date may be an event's, not a publication's, while an outlet the store holds
        # was named for what it published. Then its outlets, the date kept; then both.
        tries = [applied]
        if applied.date_phrase:
            tries.append(replace(applied, after=None, before=None, date_phrase=""))
        if applied.outlet_phrase:
            tries += [replace(t, sources=[], outlet_phrase="") for t in list(tries)]
        hits: list[Retrieved] = []
        attempt = applied
        for attempt in tries:
            hits = self._search(question, top_k, attempt)
            if hits:
                break
        notes: list[str] = []
        if applied.outlet_phrase and not attempt.outlet_phrase:
            notes.append(
                f"No article from {applied.outlet_phrase} matches; searched every outlet instead."
            )
        if applied.date_phrase and not attempt.date_phrase:
            kept = f" from {attempt.outlet_phrase}" if attempt.outlet_phrase else ""
            notes.append(
                f"No article{kept} was published in the range of “{applied.date_phrase}”;"
                " searched all dates instead."
            )
        if not hits and not attempt.is_empty():
            notes.append(f"No article matches the filters ({attempt.describe()}).")
        return hits, attempt, notes

    def _publishers_not_stored(self, question: str, hits: list[Retrieved]) -> list[str]:
        """The publishers a question names for the pieces it speaks of ("a Bloomberg
        article") that the store holds no article from and that nothing retrieved names
        either: what those pieces said is not in the articles, so the question is refused
        rather than answered from other outlets. A name that what was retrieved gives is the
        pieces' subject ("the Apple article"), not their publisher. Only when every stored
        article names its outlet: otherwise the store cannot know what it lacks."""
        names = publishers_named(question)
        if not names or self.store.unattributed_count():
            return []
        seen = " ".join(f"{h.chunk.meta.get('title') or ''} {h.chunk.text}" for h in hits)

        def named_there(name: str) -> bool:  # as written: "Variety" is not "a variety of"
            bare = re.escape(re.sub(r"^The\s+", "", name))
            return bool(re.search(rf"(?<!\w){bare}(?!\w)", seen))

        return [name for name in not_stocked(names, self.store.outlets()) if not named_there(name)]

    def _search(self, question: str, top_k: int | None, filters: Filters) -> list[Retrieved]:
        """One search, or one per outlet when the question names several (each gets its
        share of ``top_k``, best first in turn), so a comparison sees every side."""
        outlets = filters.sources if filters.outlet_phrase else []
        if len(outlets) < 2:
            return self.retriever.search(question, top_k, filters)
        k = top_k or self.retriever.top_k
        share = max(2, -(-k // len(outlets)))
        per = [
            self.retriever.search(question, share, replace(filters, sources=[o])) for o in outlets
        ]
        merged: list[Retrieved] = []
        for i in range(share):
            merged += [hits[i] for hits in per if i < len(hits)]
        return merged[: max(k, 2 * len(outlets))]

    def _relevant(self, question: str, hits: list[Retrieved]) -> list[Retrieved]:
        """Chunks that plausibly bear on the question (dense similarity or shared terms)."""
        q = set(tokenize(question))
        keep = []
        for r in hits:
            overlap = len(q & set(tokenize(r.chunk.text + " " + r.chunk.meta.get("title", ""))))
            share = overlap / len(q) if q else 0.0
            if (r.dense or 0.0) >= self.settings.min_relevance or (len(q) >= 2 and share >= 0.5):
                keep.append(r)
        return keep

    # Prompt ------------------------------------------------------------------
    def _passages(
        self, question: str, hits: list[Retrieved], cache: dict[str, np.ndarray]
    ) -> list[Passage]:
        """Cut each chunk down to its sentences most relevant to the question."""
        per_hit = []
        all_sentences: list[str] = []
        for r in hits:
            spans = _spans(r.chunk.text)
            per_hit.append(spans)
            all_sentences += [r.chunk.text[s:e] for s, e in spans]
        embed_cached(self.embedder, [question], cache)
        self._sentence_vectors.fill(self.embedder, all_sentences, cache)
        qv, qwords = cache[question], set(tokenize(question))
        scored = []
        for hi, (r, spans) in enumerate(zip(hits, per_hit, strict=True)):
            for s, e in spans:
                text = r.chunk.text[s:e]
                words = set(tokenize(text))
                lex = len(qwords & words) / max(1, len(qwords))
                scored.append((float(cache[text] @ qv) + 0.5 * lex - 0.01 * hi, hi, s, e))
        scored.sort(key=lambda x: -x[0])
        budget = self.settings.context_budget
        # Only sentences close to the best one answer. A retrieved chunk's best sentence may be
        # twice as far (a question about two articles needs a sentence of each).
        margin = self.settings.evidence_margin
        floor = scored[0][0] - margin if scored and margin is not None else float("-inf")
        heads = {}
        for i, (_, hi, _, _) in enumerate(scored):
            heads.setdefault(hi, i)
        chosen: dict[int, list[tuple[int, int]]] = {}
        taken: set[tuple[str, int]] = set()  # overlapping chunks repeat sentences: send once
        for i, (score, hi, s, e) in enumerate(scored):
            if score < floor and (heads[hi] != i or score < floor - margin):
                continue
            key = (hits[hi].chunk.doc_id, hits[hi].chunk.start + s)
            if key in taken:
                continue
            n = count_tokens(hits[hi].chunk.text[s:e])
            if n > budget and chosen:
                continue
            if len(chosen.get(hi, [])) >= self.settings.max_sentences_per_passage:
                continue
            chosen.setdefault(hi, []).append((s, e))
            taken.add(key)
            budget -= n
            if budget <= 0:
                break
        # A fact box's label goes with its value ("Teams. Netherlands. Runner-up."): the
        # value alone scores low, and the label alone answers nothing. (At most two
        # fragments of ``fact_box_words`` words each: a few tokens past the budget.)
        for hi, spans in chosen.items():
            chunk, order = hits[hi].chunk, per_hit[hi]
            texts = [chunk.text[s:e] for s, e in order]
            for span in list(spans):
                k = order.index(span)
                lo, last = _fact_box_around(texts, k, 1, self.verify_config.fact_box_words)
                for j in range(lo, last + 1):
                    key = (chunk.doc_id, chunk.start + order[j][0])
                    if order[j] not in spans and key not in taken:
                        spans.append(order[j])
                        taken.add(key)
        # Best-answering passage first: small models lean on what they read first.
        best = {}
        for rank, (_, hi, _, _) in enumerate(scored):
            if hi in chosen:
                best.setdefault(hi, rank)
        passages: list[Passage] = []
        label = 0
        for hi in sorted(chosen, key=lambda h: best[h]):
            r = hits[hi]
            spans = sorted(chosen[hi])
            number = len(passages) + 1
            # Already read for planted instructions in their chunk's context, above.
            sentences = _source_sentences(number, r, spans)
            labels = list(range(label + 1, label + 1 + len(sentences)))
            label += len(sentences)
            text = " ".join(x.text for x in sentences)
            passages.append(Passage(number, r, text, sentences, labels))
        return passages

    def _messages(
        self, question: str, passages: list[Passage], instruction: str = ""
    ) -> list[ChatMessage]:
        """System prompt, then the labelled sentences under their article headers, the
        question and the instruction: the answer's by default. Everything before the
        instruction is shared by the pick and the answer, so llama.cpp reads it once."""
        blocks = []
        for p in passages:
            m = p.retrieved.chunk.meta
            about = ", ".join(x for x in (m.get("source"), (m.get("published") or "")[:10]) if x)
            lines = "\n".join(f"[{n}] {s.text}" for n, s in zip(p.labels, p.sentences, strict=True))
            blocks.append(
                prompts.render(
                    "source",
                    title=m.get("title") or "Untitled",
                    about=f" ({about})" if about else "",  # no empty "()" to copy
                    text=lines,
                )
            )
        if not instruction:
            yes_no = prompts.load("yes_no") if is_yes_no(question) else ""
            instruction = prompts.render("answer", yes_no=yes_no)
        user = prompts.render(
            "question", sources="\n\n".join(blocks), question=question, instruction=instruction
        )
        return [
            ChatMessage(role=MessageRole.SYSTEM, content=prompts.load("system")),
            ChatMessage(role=MessageRole.USER, content=user),
        ]

    def _count_prompt_tokens(self, messages: list[ChatMessage]) -> int:
        text = "\n".join(m.content or "" for m in messages)
        counter = getattr(self._llm, "count_tokens", None)
        return int(counter(text)) if callable(counter) else count_tokens(text)

    # Answering -----------------------------------------------------------------
    def ask(
        self,
        question: str,
        filters: Filters | None = None,
        top_k: int | None = None,
        reference_date: date | None = None,
    ) -> Answer:
        """Answer one question from the articles, with verified citations."""
        return final_answer(self.stream(question, filters, top_k, reference_date))

    def stream(
        self,
        question: str,
        filters: Filters | None = None,
        top_k: int | None = None,
        reference_date: date | None = None,
        standalone: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Events: ``{"type": "token", "text": delta}`` while the model writes, then one
        ``{"type": "answer", "answer": Answer}`` with the verified text and citations."""
        question = question.strip()
        if not question:
            raise NewsragError("The question is empty.", "Type a question about your articles.")
        check_question(question, self.settings)
        top_k = check_top_k(top_k)
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        query = standalone or question
        hits, applied, notes = self.retrieve(query, filters, top_k, reference_date)
        relevant = self._relevant(query, hits)
        timings["retrieve_s"] = time.perf_counter() - t0
        base = {
            "question": question,
            "retrieved": hits,
            "filters": applied.to_dict(),
            "model": self.model_name,
            "standalone_question": standalone or "",
            "notes": notes,
        }
        cache: dict[str, np.ndarray] = {}
        missing = self._publishers_not_stored(query, hits)
        if missing:
            timings["total_s"] = time.perf_counter() - t0
            notes.append(f"The articles I have include none from {' or '.join(missing)}.")
            yield {"type": "answer", "answer": self._refusal(base, timings, "")}
            return
        ordered = self._answer_order(base, query, applied, cache, timings)
        if ordered is not None:
            timings["total_s"] = time.perf_counter() - t0
            yield {"type": "token", "text": ordered.text}
            yield {"type": "answer", "answer": ordered}
            return
        # Its own check of relevance: the story's words in the article's title and text.
        published = self._answer_published(base, query, hits, applied, cache, timings)
        if published is not None:
            timings["total_s"] = time.perf_counter() - t0
            yield {"type": "token", "text": published.text}
            yield {"type": "answer", "answer": published}
            return
        if not relevant:
            timings["total_s"] = time.perf_counter() - t0
            notes.append("Nothing retrieved is relevant to the question.")
            yield {"type": "answer", "answer": self._refusal(base, timings, "")}
            return
        t1 = time.perf_counter()
        passages = self._passages(query, relevant, cache)
        messages = self._messages(query, passages)
        prompt_tokens = self._count_prompt_tokens(messages)
        # The prompt and the answer must fit the model's context: drop the least relevant
        # passages (the last ones) until they do.
        room = self.settings.llm_context - self.settings.llm_max_tokens
        while prompt_tokens > room and len(passages) > 1:
            passages = passages[:-1]
            messages = self._messages(query, passages)
            prompt_tokens = self._count_prompt_tokens(messages)
        if prompt_tokens > room:
            raise NewsragError(
                f"The question and its best source need {prompt_tokens} prompt tokens; the"
                f" model's context leaves room for {room}.",
                "Shorten the question, or raise NEWSRAG_LLM_CONTEXT.",
            )
        timings["prompt_s"] = time.perf_counter() - t1

        t2 = time.perf_counter()
        raw = ""
        with self._model_call():
            # The refusal probe reads the answer's prompt, so the answer starts from the
            # cache; the pick (needed only when the answer fails) comes later and reads just
            # its own instruction again.
            p_refuse, extra = self._probe_refusal(messages)
            base["refusal_probability"] = p_refuse
            if self._declines(query, p_refuse):
                raw = prompts.load("refusal_marker")
                timings["first_token_s"] = time.perf_counter() - t0
                parts = iter(())
            else:
                parts = self.llm.stream_chat(messages, **extra)
            for part in parts:
                if not raw:
                    timings["first_token_s"] = time.perf_counter() - t0
                delta = part.delta or ""
                raw += delta
                if delta:
                    yield {"type": "token", "text": delta}
        timings["generate_s"] = time.perf_counter() - t2

        @functools.cache
        def pick() -> Pick | None:
            """The model's pick, read only once a written answer has failed: an answer that
            passes never needs it, so it costs the user nothing (the model call after the
            answer was most of the time between the last word and the verified answer)."""
            with self._model_call():
                found = self._pick(query, passages)
            if found is not None:
                base["pick"] = {
                    "sentence": found.sentence.text,
                    "share": found.share,
                    "none_share": found.none_share,
                }
            return found

        t3 = time.perf_counter()
        answer = self._verify(base, passages, raw, cache, prompt_tokens, timings, pick)
        if answer.refused and strip_refusal_marker(raw) and pick() is not None:
            answer = self._second_look(base, answer, query, passages, cache, pick()) or answer
            # Read after the refusal was written: report it on the answer, as it was read.
            answer.pick = answer.pick or base.get("pick")
        if answer.refused:
            answer = self._chosen_name(answer, query, passages, cache) or answer
        else:
            answer = self._checked_name(answer, query, passages, cache)
        offered = alternatives(query)
        if offered is not None:
            answer = self._chosen_alternative(answer, offered, passages, cache)
        if not answer.refused and self._leaned_to_decline(p_refuse):
            # Said, so a reader can weigh it: the model itself expected no answer.
            answer.notes.append(
                f"The model leaned to declining (P = {p_refuse:.2f} that the articles do not"
                " answer); the answer shown passed every check."
            )
        timings["verify_s"] = time.perf_counter() - t3
        timings["total_s"] = time.perf_counter() - t0
        yield {"type": "answer", "answer": answer}

    def _pick(self, question: str, passages: list[Passage]) -> Pick | None:
        """The sentence the model picks as the answer, by a constrained one-token choice
        among the first nine labels that state something (and 0, "none of them"), read from
        the logits after the pick prompt; None when the backend exposes no logits.

        Why: a small model writing freely often copies a passage's lead sentence; asked only
        to choose, it points at the answering sentence more often, and where the two
        disagree the written answer is the suspect one (see ``_verify``). The prompt shares
        everything up to the question with the answer prompt, so llama.cpp reads only the
        instruction again."""
        probe = getattr(self.llm, "start_probabilities", None)
        labelled = [(n, s, p) for p in passages for n, s in zip(p.labels, p.sentences, strict=True)]
        # A dateline or heading shown as its own sentence ("Apr 20, 2022 ...") was the pick
        # for four of RGB's first twenty questions, ahead of the sentence it dates.
        labelled = [x for x in labelled if x[0] <= 9 and states_something(x[1].text)]
        if not callable(probe) or not labelled:
            return None
        probs = probe(
            self._messages(question, passages, prompts.load("pick")),
            ["0", *(str(n) for n, _, _ in labelled)],
        )
        if probs is None:
            return None
        total = sum(probs) or 1.0
        share = [p / total for p in probs]
        ranked = sorted(
            ((n, s, p, round(share[i + 1], 4)) for i, (n, s, p) in enumerate(labelled)),
            key=lambda x: -x[3],
        )
        return Pick(ranked, round(share[0], 4))

    def _hint(self, pick: Pick) -> tuple[int, SourceSentence] | None:
        """The picked sentence to point the model at when its written answer failed: the
        likeliest pick, when it is at least ``hint_threshold`` likely and likelier than
        "none of them"; else None. Its answer faces every check, so the pick need only be
        plausible."""
        for label, sentence, _, share in pick.ranked:
            if share < self.settings.hint_threshold or share <= pick.none_share:
                return None
            if not is_instruction(sentence.text):
                return label, sentence
        return None

    def _second_look(
        self,
        base: dict[str, Any],
        failed: Answer,
        question: str,
        passages: list[Passage],
        cache: dict[str, np.ndarray],
        pick: Pick,
    ) -> Answer | None:
        """A second written answer, from the evidence sentence the model picked, when the
        first did not pass verification; None when there is no such sentence, the model
        declines, or the second answer does not pass either.

        Why: a small model writing freely copies a passage's lead or names the wrong side,
        while asked only to choose it points at the answering sentence more often. Told
        which sentence that is, it writes the answer from it; the answer faces every check
        the first one did. Only after a failure, so an answer that passes costs nothing
        more; the prompt shares everything up to the instruction with the first, so the
        model reads only the new instruction. Not for yes/no questions (the yes/no check
        reads the whole evidence) nor when the model itself declined."""
        if is_yes_no(failed.question):
            return None
        hint = self._hint(pick)
        if hint is None:
            return None
        label, sentence = hint
        instruction = prompts.render("hint", label=label, sentence=sentence.text)
        messages = self._messages(question, passages, instruction)
        t = time.perf_counter()
        with self._model_call():
            raw = self.llm.chat(messages, **self._no_refusal()).message.content or ""
        # The question's own timings: the caller adds verify_s and total_s to them.
        failed.timings["second_look_s"] = time.perf_counter() - t
        tried = f"The model answered again from sentence [{label}], which it picked"
        if not strip_refusal_marker(raw):
            failed.notes.append(f"{tried}, and declined.")
            return None
        notes = [
            *failed.notes,
            f"The written answer did not pass verification ({failed.raw_text.strip()!r}). {tried}.",
        ]
        strict = replace(self.verify_config, act_anchored=True)
        before = len(notes)  # the check appends its reason to ``notes`` itself
        second = self._verify(
            {**base, "notes": notes},
            passages,
            raw,
            cache,
            failed.prompt_tokens,
            failed.timings,
            config=strict,
        )
        if second.refused:
            why = second.notes[before:] or [_unsupported_note(second.sentences)]
            failed.notes.append(
                f"{tried}; that answer did not pass either: {raw.strip()!r}"
                + (f" ({_unsentence(why[-1])})." if why[-1] else ".")
            )
            return None
        return second

    @contextmanager
    def _model_call(self) -> Iterator[None]:
        """One model call at a time (llama.cpp holds one context); a backend's failure
        becomes an LLMError that says what to check."""
        try:
            with self._generate_lock:
                yield
        except NewsragError:
            raise
        except Exception as exc:
            raise LLMError(
                f"The language model failed: {exc}",
                "Check the model settings (`newsrag models list`).",
            ) from exc

    def _declines(self, question: str, p_refuse: float | None) -> bool:
        """Whether the model's refusal stands, with nothing generated.

        A wh-question's answer names an item (a person, a time, a number, a reason) that the
        verifier finds in the sources or not, so it is written and verified unless the model
        is all but sure (``refusal_threshold``). A yes/no answer's polarity is one forced word
        that no source sentence states: when the model leaned to declining
        (``decline_threshold``) its refusal stands. Measured (1.5B): forcing answers to
        wh-questions the model leaned to decline answered 9 more of 112 held-out answerable
        questions correctly; forced yes/no answers on MultiHop were wrong 2 times in 3."""
        if p_refuse is None:
            return False
        if is_yes_no(question) and self._leaned_to_decline(p_refuse):
            return True
        return p_refuse >= self.settings.refusal_threshold

    def _leaned_to_decline(self, p_refuse: float | None) -> bool:
        """Whether the refusal probe leaned to declining (``decline_threshold``); never for
        a backend without the probe (None)."""
        return p_refuse is not None and p_refuse >= self.settings.decline_threshold

    def _probe_refusal(self, messages: list[ChatMessage]) -> tuple[float | None, dict[str, Any]]:
        """How sure the model is that the sources lack the answer, and the generation options
        that follow from it.

        Small models write the refusal marker for answerable questions whenever it is merely
        their likeliest first token (at 30-75 % on held-out questions their sources answer;
        answerable and unanswerable questions overlap over 0.3-0.8). A local llama.cpp model
        exposes its first-token distribution: below the threshold of ``_declines`` the
        marker's first token is banned and the verifier judges the answer. Other backends
        return (None, {}): their own refusal is taken as written."""
        probe = getattr(self.llm, "start_probability", None)
        if not callable(probe):
            return None, {}
        marker = prompts.load("refusal_marker")
        p = probe(messages, marker)
        if p is None:
            return None, {}
        return round(p, 4), self._no_refusal()

    def _no_refusal(self) -> dict[str, Any]:
        """Generation options that keep a local model from opening with the refusal marker.

        Banned: the marker's first token, and "[" opening a line (a list of source headers,
        "[1] Title [2] Title", is what small models write when pushed to answer; " ["
        closing a sentence is another token and stays allowed)."""
        first = getattr(self.llm, "first_token", None)
        if not callable(first):
            return {}
        banned = {first(prompts.load("refusal_marker")), first("[1]")}
        return {"logit_bias": {str(t): -100.0 for t in sorted(banned)}}

    def _refusal(
        self,
        base: dict[str, Any],
        timings: dict[str, float],
        raw: str,
        prompt_tokens: int = 0,
        sentences: list[AnswerSentence] | None = None,
    ) -> Answer:
        return Answer(
            text=refusal_text(raw),
            refused=True,
            citations=[],
            sentences=sentences or [],
            timings=timings,
            prompt_tokens=prompt_tokens,
            raw_text=raw,
            **base,
        )

    def _verify(
        self,
        base: dict[str, Any],
        passages: list[Passage],
        raw: str,
        cache: dict[str, np.ndarray],
        prompt_tokens: int,
        timings: dict[str, float],
        pick: Callable[[], Pick | None] | None = None,
        salvage: bool = True,
        config: VerifyConfig | None = None,
    ) -> Answer:
        question = base["standalone_question"] or base["question"]
        config = config or self.verify_config
        noted = len(base["notes"])  # the notes before this check (filters, a first answer)
        # A copied header ends its line, unless the sentence goes on to its citation mark.
        cleaned = _SOURCE_DATE.sub(
            lambda m: "" if re.match(r"\s*[\[.,;]", m.string[m.end() :]) else "\n",
            strip_refusal_marker(raw),
        )
        titles = {_plain(p.retrieved.chunk.meta.get("title") or "") for p in passages} - {""}
        # Source headers copied into the answer are not claims: drop them. The model cites
        # sentence labels; the checks below think in passages.
        passage_of = {n: p.number for p in passages for n in p.labels}
        parts = [
            (t, sorted({passage_of[c] for c in cited if c in passage_of}))
            for t, cited in split_answer(cleaned)
            if cited or _plain(t) not in titles  # a headline the model cites is a claim
        ]

        details: list[str] = []  # sentences unsupported only for a name or number they add

        def refuse(sentences: list[AnswerSentence] | None = None) -> Answer:
            # The written answer failed; the item it gives, or the model's pick, may answer.
            # Only from sentences a source says but for a name or number they add: a wrong
            # detail is repaired; a sentence the sources do not say, or a true one about
            # something else, is no answer to repair.
            repairable = " ".join(details)

            def check(trial: dict[str, Any], text: str) -> Answer:
                # Every check a written answer faces, without rescuing it again.
                return self._verify(
                    trial, passages, text, cache, prompt_tokens, timings, None, False, config
                )

            rescued = None
            if salvage:
                # Sentences the sources do not support as written (or contradict): one of
                # their clauses may be what they do support.
                weak = (
                    {t for (t, _), v in zip(parts, verdicts, strict=True) if not v.supported}
                    if parts
                    else set()
                )
                rescued = (self._salvage(base, raw, repairable, check) if repairable else None) or (
                    self._kept_clauses(base, raw, cleaned, weak, check)
                )

            def answers(text: str) -> bool:
                # Every check a written answer faces (on a copy of the notes).
                return not check({**base, "notes": []}, text).refused

            quoted = rescued or self._quote_pick(
                base, timings, raw, prompt_tokens, pick, cleaned, answers
            )
            return quoted or self._refusal(base, timings, raw, prompt_tokens, sentences)

        if not parts:
            return refuse()
        sources = [s for p in passages for s in p.sentences]
        # A fragment ("2,000", "January 2021") is checked as the answer to the question.
        contexts = [question if is_fragment(t) else "" for t, _ in parts]
        # The premise is what the user asked, not the condensed question: condensing can
        # slip the answer into the question, and then the answer would look like an echo.
        asked = base["question"]
        if is_yes_no(asked):
            no = self._bounded_no(base, asked, sources, passages, timings, raw, prompt_tokens)
            if no is not None:
                return no
        premise = asked if _WH_QUESTION.match(without_fronted(asked)) else ""
        headers = {
            p.number: " ".join(
                x for x in (p.retrieved.chunk.meta.get(k) for k in ("title", "source")) if x
            )
            for p in passages
        }
        verdicts = check_support(
            [t for t, _ in parts],
            sources,
            self.embedder,
            cache,
            contexts,
            premise,
            headers,
            config=config,
            outlets={p.number: p.retrieved.chunk.meta.get("source") or "" for p in passages},
            named_outlets=(base.get("filters") or {}).get("sources") or (),
            published={
                p.number: published_day(p.retrieved.chunk.meta.get("published")) for p in passages
            },
        )
        if is_yes_no(asked):
            self._check_yes(asked, [t for t, _ in parts], verdicts, passages, sources, cache)
        self._read_worded_otherwise(verdicts, passages)
        by_number = {p.number: p for p in passages}
        citations: list[Citation] = []
        keyed: dict[tuple[str, int, int], int] = {}
        sentences: list[AnswerSentence] = []
        supporting: list[list[str]] = []  # per sentence, every source sentence supporting it
        supported_at: dict[int, list[tuple[str, int]]] = {}  # id(sentence): (doc id, start)
        # read by refuse()
        details = [t for (t, _), v in zip(parts, verdicts, strict=True) if v.only_details]
        shown_texts: list[str] = []  # each sentence as shown, its markers added at the end
        dated = False  # a date shown completed from its article's date
        dropped = False  # the sentence before was left out as contradicted
        echoes: list[str] = []  # sentences that restate the question or point at nothing
        for (text, cited), verdict in zip(parts, verdicts, strict=True):
            if (
                verdict.reason == "restates the question"
                or _DANGLING.search(text)
                or lacks_complement(text)
                or not tokenize(text)
            ):
                echoes.append(text)
                continue  # an echo of the question or a dangling pointer is no claim
            if verdict.contradicted:
                # The sources say otherwise: a sentence a reader would take as true with a
                # warning beside it is worse than none. Dropped, and said so.
                base["notes"].append(
                    f"Left out a sentence the sources contradict: {text}{_because(verdict.reason)}"
                )
                dropped = True
                continue
            if dropped and _points_at_left_out(text):
                # "This was done after ...": what it speaks of was the sentence left out (as
                # a kept clause that points back is left out with its clause, ``_kept_clauses``).
                base["notes"].append(f"Left out a sentence about the one left out: {text}")
                continue
            dropped = False
            verdict.cited = cited
            numbers = []
            for ev in choose_citations(verdict, config.max_citations):
                p = by_number[ev.number]
                key = (p.retrieved.chunk.doc_id, ev.start, ev.end)
                if key not in keyed:
                    keyed[key] = len(citations) + 1
                    citations.append(
                        self._citation(keyed[key], p, ev.start, ev.end, ev.text, ev.score)
                    )
                numbers.append(keyed[key])
            sentences.append(
                AnswerSentence(text, verdict.supported, numbers, verdict.score, verdict.reason)
            )
            supporting.append([e.text for e in verdict.evidence])
            supported_at[id(sentences[-1])] = [
                (by_number[e.number].retrieved.chunk.doc_id, e.start) for e in verdict.evidence
            ]
            # A date without its year takes the year its cited sentences give it, else is
            # read against the date of the article it cites.
            shown = (
                complete_dates(
                    text,
                    published_day(citations[numbers[0] - 1].published),
                    [citations[n - 1].sentence for n in numbers],
                )
                if numbers
                else text
            )
            dated = dated or shown != text
            shown_texts.append(shown)
        if not any(s.supported and s.citations for s in sentences):
            # Say which sentence failed and why: a refusal with no reason leaves the reader
            # guessing whether the articles lack the fact or the check missed it.
            note = _unsupported_note(sentences) or (
                _echo_note(echoes[0]) if echoes and len(base["notes"]) == noted else ""
            )
            if note:
                base["notes"].append(note)
            return refuse(sentences)
        kind = asked_for(question)
        if kind in ANCHORED_KINDS and sentences and not sentences[0].supported:
            # The lead sentence is the answer ("The 2019 Tour was won by X"); when the name,
            # time or number it gives is unsupported and no supported sentence gives it,
            # the sentences after it are context around an unverified answer.
            verified = " ".join(s.text for s in sentences if s.supported).lower()
            lead = [
                item
                for item in answer_items(sentences[0].text, kind, question)
                if item.lower() not in verified
            ]
            if lead:
                base["notes"].append(
                    f"The {kind} the answer gives ({lead[0]}) is not in its sources."
                )
                return refuse(sentences)
        # An answering sentence is supported, cited, gives the kind of thing asked for (what
        # the user typed, not the condensed question, must not already hold it: condensing
        # can slip the answer in) and speaks of what the question asks about.
        answering = [
            (s, support)
            for s, support in zip(sentences, supporting, strict=True)
            if s.supported and s.citations and (not kind or gives(s.text, kind, asked))
        ]
        if kind and not answering:
            # Supported, but not an answer: "It came in at [1]." to "How many ...?"
            base["notes"].append(f"The supported sentences do not give the {kind} asked for.")
            return refuse(sentences)
        # About something else: "Azerbaijani forces prevented a sabotage attempt" to "What
        # weather did the Armenian forces take advantage of?"
        source_texts = [source.text for source in sources]
        # What a "he" may stand for: the verified sentences before it.
        verified_before = {
            id(sentence): [x.text for x in sentences[:i] if x.supported and x.citations]
            for i, sentence in enumerate(sentences)
        }
        elsewhere = [
            off_focus(
                question,
                s.text,
                # Any sentence that supports it may tie it to the question, cited or not; a
                # fact box's value with its label.
                [
                    text
                    for text in dict.fromkeys(
                        _with_labels(passages, doc_id, start, config.fact_box_words)
                        for doc_id, start in [
                            (citations[n - 1].doc_id, citations[n - 1].span[0]) for n in s.citations
                        ]
                        + supported_at[id(s)]
                    )
                    if text
                ],
                fragment=is_fragment(s.text),
                similar=lambda a, b: self._similarity(a, b, cache),
                config=config,
                context=source_texts,
                earlier=verified_before[id(s)],
            )
            for s, _ in answering
        ]
        if elsewhere and all(elsewhere):
            base["notes"].append(f"Not an answer: {elsewhere[0]}.")
            return refuse(sentences)
        # "Who made the bracelet?" answered with a name the sources do not give the maker:
        # every supporting sentence, read with what comes before it in its chunk (where "he"
        # may be named), tells of the act with a doer it does not name.
        if answering and all(
            support and all(doer_unnamed(question, _before(passages, e)) for e in support)
            for _, support in answering
        ):
            base["notes"].append("Not an answer: its sources do not say who did it.")
            return refuse(sentences)
        # Told of another year than the one asked about: "$18.8 billion" from a passage on
        # Q1 2022, to "What was the revenue in Q1 2021?".
        if answering and all(
            support and all(another_year(question, _before(passages, e), e) for e in support)
            for _, support in answering
        ):
            base["notes"].append("Not an answer: its sources tell of another year than asked.")
            return refuse(sentences)
        # Whose words: the asked speaker's, not another of its kind. Read over the whole
        # answer, so that "It added ..." is the speaker named before it.
        speaker = other_speaker(question, " ".join(s.text for s, _ in answering))
        if speaker:
            base["notes"].append(f"Not an answer: {speaker}.")
            return refuse(sentences)
        # Asked what a speaker said, an answer from sentences that report no one's words (the
        # outlet's own, read with the sentence before: "He added: ...") puts words in the
        # speaker's mouth.
        if (
            answering
            and asks_what_was_said(asked)
            and not named_outlets(asked, self.store.outlets())  # an outlet's voice is its own
            and not any(
                reports_speech(_with_previous(passages, e))
                for _, support in answering
                for e in support
            )
        ):
            base["notes"].append("Not an answer: its sources report no one saying it.")
            return refuse(sentences)
        # The name an answer gives must be in a sentence that supports it (or the one before,
        # where "he" is named), not only in an article's title or elsewhere in its passage:
        # "Epic Games is capable of ..." cited to "Google could solve this problem today",
        # under a title on Epic, names the wrong company.
        if kind == "name" and answering:
            known = self.store.outlets()
            if not any(
                _holds_name(s.text, asked, [_with_previous(passages, e) for e in support], known)
                for s, support in answering
            ):
                base["notes"].append("Not an answer: the sentences it cites do not give its name.")
                return refuse(sentences)
        if dated:
            base["notes"].append(_DATES_NOTE)
        if self.settings.unsupported_sentences == "drop":
            if is_yes_no(asked) and any(
                not s.supported and (POLARITY.match(s.text) or _YES.match(s.text))
                for s in sentences
            ):
                # The "Yes" or "No" is the answer: without it the rest answers nothing.
                base["notes"].append(_unsupported_note(sentences))
                return refuse(sentences)
            kept = _shown_sentences(sentences, base["notes"])
            if not any(sentences[i].citations for i in kept):
                return refuse(sentences)  # what was left spoke of what was left out
            # Markers renumbered over the sentences shown: no source card for a sentence
            # left out.
            numbering: dict[int, int] = {}
            for i in kept:
                for n in sentences[i].citations:
                    numbering.setdefault(n, len(numbering) + 1)
            citations = [replace(citations[old - 1], number=new) for old, new in numbering.items()]
            shown_texts = [shown_texts[i] for i in kept]
            sentences = [
                replace(sentences[i], citations=[numbering[n] for n in sentences[i].citations])
                for i in kept
            ]
        return Answer(
            text=" ".join(
                self._with_markers(shown, "".join(f"[{n}]" for n in sentence.citations))
                for shown, sentence in zip(shown_texts, sentences, strict=True)
            ),
            refused=False,
            citations=citations,
            sentences=sentences,
            timings=timings,
            prompt_tokens=prompt_tokens,
            raw_text=raw,
            **base,
        )

    def _similarity(self, a: str, b: str, cache: dict[str, np.ndarray]) -> float:
        """Cosine of two short texts' embeddings (cached per question)."""
        embed_cached(self.embedder, [a, b], cache)
        return float(cache[a] @ cache[b])

    def _salvage(
        self,
        base: dict[str, Any],
        raw: str,
        written: str,
        verify: Callable[[dict[str, Any], str], Answer],
    ) -> Answer | None:
        """The time or number the ``written`` sentences give, verified on its own as
        the answer to the question, when the sentences around it were not supported; else
        None.

        Why: a small model often gets the item right and the rest of its sentence wrong
        ("Sam Bankman-Fried's trial began on Tuesday, October 1, 2023": the day is in the
        sources, the date is not). The item is checked as a fragment answer ("Tuesday"),
        with every check a fragment gets: read into the question, supported, tied to what
        the question asks in its source. Only times, numbers and amounts: a date or a number
        belongs to one event of its sentence, while a sentence names many people and
        things, and a name's tie to the question is looser (measured: names rescued from RGB
        noise passages were wrong: "the Home Depot College Football Awards Show" for "Who is
        the Maxwell Award winner?"). Not for yes/no questions, nor when the model declined
        to write. ``verify(base, text)`` checks a text as the written answer, without
        salvaging again."""
        asked = base["question"]
        question = base["standalone_question"] or asked
        kind = asked_for(question)
        if not written.strip() or kind not in _SALVAGED_KINDS or is_yes_no(asked):
            return None
        for item in answer_items(written, kind, question):
            answer = verify({**base, "notes": list(base["notes"])}, f"{item}.")
            if not answer.refused:
                answer.raw_text = raw
                answer.notes.append(
                    "The written answer did not pass verification; answered with the"
                    f" {kind} it gives, which the sources support: {item}."
                )
                return answer
        return None

    def _kept_clauses(
        self,
        base: dict[str, Any],
        raw: str,
        written: str,
        weak: set[str],
        verify: Callable[[dict[str, Any], str], Answer],
    ) -> Answer | None:
        """The written answer's claims that its sources support, as the answer, when it
        failed and one of its ``weak`` sentences (those its sources do not support as
        written) makes several (``rag.text.claims_of``): clauses with subjects of their own,
        or a name described in an appositive ("Caroline Ellison, the CEO of Alameda,"); else
        None. A sentence that failed for another reason (about something else than
        asked) is not split: its clauses would face those checks one at a time.

        Why: a small model often joins a supported answer to a detail of its own ("Google
        acquired YouTube for $1.65 billion in Google stock, and the deal was finalized on
        November 2006", where the sources say the deal was announced in October 2006): the
        first clause answers, the second is not the sources'. Each clause keeps its
        sentence's citations and faces every check; those the sources do not support, or
        contradict, are left out, and the note says which. Not for yes/no questions (a
        "Yes" covers the whole claim)."""
        asked = base["question"]
        if is_yes_no(asked):
            return None
        # Per sentence: its claims (or itself, whole) and its citation marks.
        groups = [
            ((claims_of(text) if text in weak else []) or [(text, False)], cited)
            for text, cited in split_answer(written)
        ]
        if all(len(claims) == 1 for claims, _ in groups):
            return None  # no sentence to split

        def attempt(kept: list[tuple[str, list[int]]]) -> Answer:
            # Each claim keeps its sentence's marks, before its full stop.
            text = " ".join(
                c.rstrip(".") + "".join(f" [{n}]" for n in cited) + "." for c, cited in kept
            )
            return verify({**base, "notes": list(base["notes"])}, text)

        answer = attempt([(c, cited) for claims, cited in groups for c, _ in claims])
        if answer.refused:
            return None

        def same(text: str) -> str:
            return text.strip().rstrip(".").strip()

        supported = {same(s.text) for s in answer.sentences if s.supported and s.citations}
        kept: list[tuple[str, list[int]]] = []
        left: list[str] = []
        for claims, cited in groups:
            dropped = clause_kept = False
            for c, describes in claims:
                # A clause after one left out must not stand for what that one said:
                # "Azerbaijan challenged these claims" without the claims is no statement;
                # nor a description of a name without the clause that named it.
                if (
                    same(c) in supported
                    and not (dropped and points_back(c))
                    and (clause_kept or not describes)
                ):
                    kept.append((c, cited))
                    clause_kept = clause_kept or not describes
                else:
                    dropped = True
                    clause_kept = clause_kept and describes
                    left.append(c)
        kind = asked_for(base["standalone_question"] or asked)
        if not kept or (kind and any(answer_items(c, kind, asked) for c in left)):
            return None  # the item asked for is in what the sources do not support
        if left:
            answer = attempt(kept)
            if answer.refused:
                return None
        answer.raw_text = raw
        out = f" one by one, leaving out those they do not: {' '.join(left)}" if left else ""
        answer.notes.append(
            "The written answer did not pass verification as written; its clauses did, checked"
            + (out or " one by one.")
        )
        return answer

    def _quote_pick(
        self,
        base: dict[str, Any],
        timings: dict[str, float],
        raw: str,
        prompt_tokens: int,
        pick: Callable[[], Pick | None] | None,
        written: str,
        answers: Callable[[str], bool],
    ) -> Answer | None:
        """The sentence the model picked, quoted and cited, when its written answer did not
        pass and the pick is a confident answer: one that ``answers`` (passes every check a
        written answer faces, cited to itself); else None.

        Not when the model itself declined to write, nor when it leaned to declining
        (``decline_threshold``): a pick from a model that expected no answer is weak evidence,
        and on held-out questions such quotes were as often near misses as answers. Nor for
        a yes/no question (a sentence is not a yes or a no)."""
        leaned = self._leaned_to_decline(base.get("refusal_probability"))
        if not written or leaned or is_yes_no(base["question"]):
            return None
        found = pick() if pick else None
        if (
            found is None
            or found.share < self.settings.pick_threshold
            or found.none_share >= found.share
            or is_instruction(found.sentence.text)
        ):
            return None
        text = found.sentence.text
        if not answers(f"{text} [{found.ranked[0][0]}]"):
            return None
        base["notes"].append(
            "The written answer did not pass verification; quoted the source sentence the"
            f" model picked as the answer (P = {found.share:.2f})."
        )
        return self._quoted_answer(
            base,
            timings,
            raw,
            prompt_tokens,
            found.passage,
            found.sentence,
            found.share,
            "picked and quoted",
        )

    def _quoted_answer(
        self,
        base: dict[str, Any],
        timings: dict[str, float],
        raw: str,
        prompt_tokens: int,
        passage: Passage,
        sentence: SourceSentence,
        score: float,
        reason: str,
        lead: str = "",
    ) -> Answer:
        """An answer that is one source sentence in quotes, cited [1], after ``lead`` ("No.")
        when given: the model's pick (``_quote_pick``) or the sentence a "No" rests on
        (``_bounded_no``)."""
        shown = f"{lead} {in_quotes(sentence.text)}" if lead else in_quotes(sentence.text)
        citation = self._citation(1, passage, sentence.start, sentence.end, sentence.text, score)
        return Answer(
            text=f"{shown} [1]",
            refused=False,
            citations=[citation],
            sentences=[AnswerSentence(shown, True, [1], score, reason)],
            timings=timings,
            prompt_tokens=prompt_tokens,
            raw_text=raw,
            **base,
        )

    def _shared_names(
        self,
        question: str,
        passages: list[Passage],
        cache: dict[str, np.ndarray],
        given: str = "",
    ) -> list[NameCandidate]:
        """The names a question's reports share (``name_candidates``), best first, or none
        when the model's reads are off or the question is not one that asks for its
        subject's name."""
        if self.settings.yes_entailment_threshold is None or asked_for(question) != "name":
            return []
        meta = _metadata(passages)
        return name_candidates(
            question,
            [s for p in passages for s in p.sentences],
            self.embedder,
            **_outlets_and_titles(meta),
            known_outlets=self.store.outlets(),
            limit=self.settings.name_choice_candidates,
            per_outlet=self.settings.yes_entailment_sentences,
            cache=cache,
            given=given,
        )

    def _read_names(
        self, candidates: list[NameCandidate], passages: list[Passage], timings: dict[str, float]
    ) -> list[tuple[float, NameCandidate]] | None:
        """The model's share of "Yes" for each candidate's claim (``_model_reads``), timed;
        None when the backend exposes no logits."""
        meta = _metadata(passages)
        t = time.perf_counter()
        read = []
        for candidate in candidates:
            share = self._model_reads(candidate.claim, candidate.evidence, meta)
            if share is None:
                return None
            read.append((share, candidate))
        if candidates:
            timings["name_choice_s"] = timings.get("name_choice_s", 0.0) + time.perf_counter() - t
        return read

    def _named_answer(
        self,
        answer: Answer,
        share: float,
        chosen: NameCandidate,
        passages: list[Passage],
        note: str,
        reason: str = "a name its reports share, read by the model as the question's claim",
        quote: bool = False,
    ) -> Answer:
        """``answer`` replaced by the name (or option) ``chosen``, cited to the sentences the
        model read; with ``quote``, followed by the first of them in quotes."""
        by_number = {p.number: p for p in passages}
        citations = [
            self._citation(i, by_number[s.number], s.start, s.end, s.text, share)
            for i, s in enumerate(chosen.evidence, start=1)
        ]
        marks = "".join(f"[{c.number}]" for c in citations)
        shown = upper_first(chosen.name)
        text = f"{shown} {marks}."
        if quote:  # the option with the sentence it rests on, for the reader to weigh
            text = f'{shown}: "{chosen.evidence[0].text.strip()}" {marks}'
        return replace(
            answer,
            text=text,
            refused=False,
            citations=citations,
            sentences=[
                AnswerSentence(
                    f"{shown}.", True, [c.number for c in citations], round(share, 4), reason
                )
            ],
            notes=[*answer.notes, note],
        )

    def _chosen_name(
        self,
        failed: Answer,
        question: str,
        passages: list[Passage],
        cache: dict[str, np.ndarray],
    ) -> Answer | None:
        """For a question asking for a name whose written answer failed (and its second
        look, if any): the name its reports share that the model reads as what the question
        claims, cited to the sentences it read; None when no candidate reaches
        ``yes_entailment_threshold``, or the likeliest does not lead the next by
        ``alternative_margin``.

        The candidates (``name_candidates``: the first ``name_choice_candidates`` names that
        the passages of every outlet the question names give) are each put in the
        question's place ("Google, recently involved in an antitrust battle, is also
        accused of X") and read by the strict fact checker that reads a "Yes"
        (``_model_reads``), beside ``yes_entailment_sentences`` sentences of each named
        outlet; the likeliest one that reaches the threshold, clearly ahead, answers. Not when
        the model declined or leaned to declining (``_quote_pick``'s reasons), nor for yes/no
        questions."""
        if (
            not strip_refusal_marker(failed.raw_text)
            or is_yes_no(failed.question)
            or self._leaned_to_decline(failed.refusal_probability)
        ):
            return None
        candidates = self._shared_names(question, passages, cache)
        read = self._read_names(candidates, passages, failed.timings)
        if not read:
            return None
        shares = ", ".join(f"{c.name} {p:.2f}" for p, c in read)
        ranked = sorted(read, key=lambda x: -x[0])
        share, chosen = ranked[0]
        if share < (self.settings.yes_entailment_threshold or 0.0):
            failed.notes.append(
                f"The model did not read any of the sources' names as the answer ({shares})."
            )
            return None
        # A choice between rivals is a choice only with a lead, as for an either-or
        # question: the reader of a small model puts a wrong name within a few hundredths
        # of the right one ("Caroline Ellison 0.52, Sam Bankman-Fried 0.49").
        margin = self.settings.alternative_margin
        if margin is not None and len(ranked) > 1 and share - ranked[1][0] < margin:
            failed.notes.append(
                f"The model read none of the sources' names clearly ahead of the others ({shares})."
            )
            return None
        return self._named_answer(
            failed,
            share,
            chosen,
            passages,
            "The written answer did not pass verification; of the names its reports share, the"
            f" model read {chosen.name} as what the question describes ({shares}):"
            f" {chosen.claim}.",
        )

    def _checked_name(
        self,
        answer: Answer,
        question: str,
        passages: list[Passage],
        cache: dict[str, np.ndarray],
    ) -> Answer:
        """A verified answer to a question that asks for the name its reports share, its
        name read by the model as the question's claim (as ``_chosen_name`` reads a
        candidate): kept when the model leans to it (``yes_entailment_threshold``) or reads
        no other shared name as likelier; else replaced by the likeliest other name when
        that one reaches the threshold and leads every other read (its own included) by
        ``alternative_margin``, else refused.

        Why: words and participants cannot tell "The individual associated with using $1
        billion of customer funds for a buyout is Caroline Ellison [1]" from the truth when
        the cited sentence is Ellison's testimony about Bankman-Fried. Read by the model,
        each of the 6 wrong names MultiHop's first 220 questions got through the checks
        (The Verge and TechCrunch named, say) scored under 0.42 and a shared name the model
        found likelier was there for every one; of the 34 right names, 9 scored under 0.5
        and 2 of those had a likelier rival. Costs a read per such answer, two more when it
        scores under the threshold."""
        threshold = self.settings.yes_entailment_threshold
        if answer.refused or threshold is None or is_yes_no(answer.question):
            return answer
        known = self.store.outlets()
        items = [
            i for i in answer_items(answer.text, "name", question) if not named_outlets(i, known)
        ]
        candidates = self._shared_names(question, passages, cache, items[0]) if items else []
        if not candidates:
            return answer
        mine = candidates[0] if one_name(candidates[0].name, items[0]) else None
        given = self._read_names([mine] if mine else [], passages, answer.timings)
        if given is None:
            return answer
        share = given[0][0] if given else 0.0
        if share >= threshold:
            answer.notes.append(
                f"The model read {items[0]} as what the question describes ({share:.2f})."
            )
            return answer
        # The answer's own name in another form is no rival ("Altman" for "Sam Altman").
        others = [c for c in candidates if c is not mine and not one_name(c.name, items[0])]
        read = self._read_names(others, passages, answer.timings)
        if read is None or not (mine or read):
            return answer  # nothing was read
        likelier = [x for x in read if x[0] > share]
        shares = ", ".join(f"{c.name} {p:.2f}" for p, c in [*given, *read])
        if not likelier:
            answer.notes.append(
                f"The model read {items[0]} as what the question describes at {share:.2f}, and"
                f" no other name its reports share as likelier ({shares})."
            )
            return answer
        best, chosen = max(likelier, key=lambda x: x[0])
        doubt = (
            f"The answer named {items[0]}, which the model read as what the question describes"
            f" less likely than another name its reports share ({shares})"
            if mine
            else f"The answer named {items[0]}, which no report the question names gives as"
            f" the kind of name it asks for, and the model read a name they share ({shares})"
        )
        runner_up = max([p for p, c in [*given, *read] if c is not chosen], default=0.0)
        margin = self.settings.alternative_margin
        if best >= threshold and (margin is None or best - runner_up >= margin):
            return self._named_answer(
                answer, best, chosen, passages, f"{doubt}; answered with {chosen.name}."
            )
        if best >= threshold:  # a rival, but not clearly ahead (as ``_chosen_name``)
            return self._declined(answer, f"{doubt}, none clearly ahead of the others.")
        return self._declined(answer, f"{doubt}, none at {threshold:.2f} or more.")

    @staticmethod
    def _declined(answer: Answer, note: str) -> Answer:
        """``answer`` turned into a refusal, with ``note`` saying why."""
        return replace(
            answer,
            text=refusal_text(answer.raw_text),
            refused=True,
            citations=[],
            sentences=[],
            notes=[*answer.notes, note],
        )

    def _chosen_alternative(
        self,
        answer: Answer,
        offered: Alternatives,
        passages: list[Passage],
        cache: dict[str, np.ndarray],
    ) -> Answer:
        """An either-or question answered by the option the model reads likeliest, cited to
        the sentences it read; declined when no option leads the others by
        ``alternative_margin``. The question takes it that one option holds, so the shares
        are compared, not held to ``yes_entailment_threshold``: the strict reader of a small
        model puts a true option under an even share often (0.47 for "as a former one",
        against 0.20 for "as Alameda's current CEO"), while on the development sets a lead
        of 0.2 was never the wrong option's.

        Why: asked "Did the deal count as a win for Armenia or for Azerbaijan?", the model
        writes "Yes, ..." and the yes/no checks judge a claim the question never made; asked
        "Who let the story out, Taylor or Travis?", the written answer names one and its
        words are in the sources either way. Each option's claim is read by the strict fact
        checker (``_model_reads``) against the same sentences (``option_candidates``), so
        the shares compare: a constrained choice between what the question offers. Costs a
        read per option (about 150 tokens each)."""
        margin = self.settings.alternative_margin
        if margin is None or self.settings.yes_entailment_threshold is None:
            return answer  # no choice asked for, or the model's reads are off
        meta = _metadata(passages)
        candidates = option_candidates(
            offered,
            [s for p in passages for s in p.sentences],
            self.embedder,
            **_outlets_and_titles(meta),
            known_outlets=self.store.outlets(),
            per_option=self.settings.yes_entailment_sentences,
            cache=cache,
        )
        read = self._read_names(candidates, passages, answer.timings)
        if read is None:
            return answer  # the backend reads no shares: the written answer's checks stand
        shares = ", ".join(f"{c.name} {p:.2f}" for p, c in read)
        ranked = sorted(read, key=lambda x: -x[0])
        if ranked:
            best, chosen = ranked[0]
            runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
            if best - runner_up >= margin:
                return self._named_answer(
                    answer,
                    best,
                    chosen,
                    passages,
                    f"The question offers options; the model read {chosen.name} in the sources"
                    f" ({shares}): {chosen.claim}.",
                    reason="the option the model read in the sources as the question's claim",
                    quote=True,
                )
        return self._declined(
            answer,
            "The question offers options; the model read none of them clearly in the sources"
            f" ({shares or 'nothing to read'}).",
        )

    def _answer_order(
        self,
        base: dict[str, Any],
        question: str,
        filters: Filters,
        cache: dict[str, np.ndarray],
        timings: dict[str, float],
    ) -> Answer | None:
        """The answer to "Did A report X before B reported Y?" read off the two reports'
        publication times (``check_order``), both reports cited; a refusal when a report is
        not found or both carry the same time; None when the question orders no two outlets'
        reports (the model then answers as usual). Each report is searched for by its own
        clause among its outlet's articles: the whole question, about two stories, finds
        one of them at best.

        Why not the model: when an article was published is metadata the store holds
        exactly, and a small model asked to order two reports guesses; the sentences it
        cites tell what each report says, never which came first."""
        if not is_yes_no(question):
            return None  # (before reading the store's outlets, on every wh-question)
        known = self.store.outlets()
        order = report_order(question, known)
        if order is None:
            return None
        hits: dict[str, Retrieved] = {}
        for clause in (order.first, order.second):
            within = replace(filters, sources=named_outlets(clause, known), outlet_phrase="")
            for r in self.retriever.search(clause, None, within):
                hits.setdefault(r.chunk.chunk_id, r)
        passages = [
            Passage(n, r, r.chunk.text, _source_sentences(n, r, _spans(r.chunk.text)))
            for n, r in enumerate(hits.values(), start=1)
        ]
        meta = _metadata(passages)
        read: list[str] = []

        def confirm(clause: str, found: list[SourceSentence]) -> float | None:
            """The model's share of "Yes" for a report the words fall short on, when it
            reaches ``yes_entailment_threshold``."""
            threshold = self.settings.yes_entailment_threshold
            share = None if threshold is None else self._model_reads(clause, found, meta)
            if share is None or share < threshold:
                return None
            read.append(clause)
            return share

        verdict = check_order(
            order,
            [s for p in passages for s in p.sentences],
            self.embedder,
            **_outlets_and_titles(meta),
            published={n: m.get("published_ts") for n, m in meta.items()},
            known_outlets=known,
            cache=cache,
            config=self.verify_config,
            confirm=confirm,
            per_clause=self.settings.yes_entailment_sentences,
        )
        if verdict is None:
            base["notes"].append(
                "The question asks which of two reports came first: the articles do not hold"
                " both reports as it describes them, or both carry the same time."
            )
            return self._refusal(base, timings, "")
        by_number = {p.number: p for p in passages}
        (first, first_outlet, first_ts), (second, second_outlet, second_ts) = verdict.reports
        citations = [
            self._citation(i, by_number[ev.number], ev.start, ev.end, ev.text, ev.score)
            for i, ev in ((1, first), (2, second))
        ]
        when_first, when_second = _when(first_ts, second_ts), _when(second_ts, first_ts)
        came = "before" if first_ts < second_ts else "after"
        polarity = "Yes." if verdict.yes else "No."
        told = (
            f"{first_outlet} published its report on {when_first} [1], {came}"
            f" {second_outlet}'s on {when_second} [2]."
        )
        base["notes"].append(
            "Answered from the two reports' publication times, which the store holds, not"
            " by the model."
        )
        base["notes"].extend(
            f"The model read this report in its sentences (their words alone fell short): {c}"
            for c in read
        )
        timings["first_token_s"] = timings.get("retrieve_s", 0.0)
        return Answer(
            text=f"{polarity} {told}",
            refused=False,
            citations=citations,
            sentences=[
                AnswerSentence(polarity, True, [1, 2], 1.0, "ordered by publication time"),
                AnswerSentence(
                    told, True, [1, 2], min(first.score, second.score), "publication times"
                ),
            ],
            timings=timings,
            prompt_tokens=0,
            raw_text="",
            **base,
        )

    def _answer_published(
        self,
        base: dict[str, Any],
        question: str,
        hits: list[Retrieved],
        applied: Filters,
        cache: dict[str, np.ndarray],
        timings: dict[str, float],
    ) -> Answer | None:
        """The answer to "When did The Verge publish its story on X?" read off the story's
        published date, its sentence closest to the question cited; None when the question
        asks no such thing (``asks_publication``), or none of the first ``top_k`` retrieved
        articles (of the outlet the question names, if any) is about what the question says
        the story is about (half of its words at least, ``story_words``, in the article's
        title and passage: the check of relevance here, as a paraphrase such as "write-up"
        may leave the usual one short), or the first that is has no published date.

        Why not the model: when a story was published is metadata the store holds exactly,
        shown to the model only in a passage's header; the article's sentences rarely say
        it, so an answer from the header could never be verified against them."""
        if not asks_publication(question, self.store.outlets()):
            return None
        outlets = set(applied.sources or [])
        about = story_words(question).difference(*(told_words(o) for o in outlets))
        hits = [r for r in hits if not outlets or r.chunk.meta.get("source") in outlets]
        if not hits or not about:
            return None

        def tells(r: Retrieved) -> bool:
            words = told_words(f"{r.chunk.meta.get('title') or ''} {r.chunk.text}")
            return 2 * len(about & words) >= len(about)

        # The best of the first few that is about the story asked for.
        best = next((r for r in hits[: self.settings.top_k] if tells(r)), None)
        if best is None:
            return None
        meta = best.chunk.meta
        day = published_day(meta.get("published"))
        if day is None:
            return None
        [passage] = self._passages(question, [best], cache)
        cited = max(passage.sentences, key=lambda s: len(lemmas(s.text) & about))
        title = meta.get("title") or ""
        outlet = meta.get("source") or ""
        story = f"“{title}”" if title else "its story"
        text = (
            f"{outlet} published {story} on {long_date(day)} [1]."
            if outlet
            else f"{upper_first(story)} was published on {long_date(day)} [1]."
        )
        base["notes"].append(
            "Answered from the article's published date, which the store holds, not by the model."
        )
        timings["first_token_s"] = timings.get("retrieve_s", 0.0)
        return Answer(
            text=text,
            refused=False,
            citations=[self._citation(1, passage, cited.start, cited.end, cited.text, 1.0)],
            sentences=[AnswerSentence(text, True, [1], 1.0, "published date")],
            timings=timings,
            prompt_tokens=0,
            raw_text="",
            **base,
        )

    def _check_yes(
        self,
        question: str,
        texts: list[str],
        verdicts: list[Support],
        passages: list[Passage],
        sources: list[SourceSentence],
        cache: dict[str, np.ndarray],
    ) -> None:
        """An answer that opens with "Yes" claims the question itself: its bare "Yes" and any
        sentence that only repeats the question are judged by ``check_yes``, and where its
        shared words fall short, by the model reading each clause (``_entailed_yes``); in
        place."""
        if not texts or not _YES.match(texts[0]):
            return
        # "Did Moscow send more than 2,000?" where the sources say "almost 2,000": the
        # "Yes" claims the other side of the number, whatever its sentence goes on to say
        # (answered "No" by ``_bounded_no`` where the sentence saying so is surely the
        # claim's; declined here otherwise).
        clash = bound_conflict(yes_no_claim(question), [s.text for s in sources])
        if clash:
            verdicts[0] = replace(verdicts[0], supported=False, contradicted=True, reason=clash)
            return
        support: Support | None = None
        known = self.store.outlets()
        for i, text in enumerate(texts):
            bare = not (set(tokenize(text)) - {"yes"})
            if not bare and not restates(text, question):
                continue
            # A sentence that only repeats the question stands on its support unless that
            # support leaves out what it says of its subject ("plain sailing" cited to a
            # sentence about the bidding): then it is the "Yes" itself, judged as one.
            if (
                not bare
                and verdicts[i].supported
                and states_predicate(
                    POLARITY.sub("", text),
                    " ".join(e.text for e in verdicts[i].evidence),
                    known,
                )
            ):
                continue
            if support is None:
                meta = _metadata(passages)
                support = check_yes(
                    question,
                    sources,
                    self.embedder,
                    **_outlets_and_titles(meta),
                    known_outlets=known,
                    cache=cache,
                    config=self.verify_config,
                )
                if not support.supported:
                    entailed = self._entailed_yes(question, sources, meta, known, cache)
                    support = entailed or support
            verdicts[i] = replace(support, text=verdicts[i].text, cited=verdicts[i].cited)

    def _bounded_no(
        self,
        base: dict[str, Any],
        question: str,
        sources: list[SourceSentence],
        passages: list[Passage],
        timings: dict[str, float],
        raw: str,
        prompt_tokens: int,
    ) -> Answer | None:
        """ "No", quoting and citing the source sentence, when a yes/no question bounds a
        number the other way from its sources (``text.bound_clash``): "Did Moscow send more
        than 2,000 peacekeepers?" where the article says "almost 2,000 peacekeepers", no
        source bounds it as the question does, and none counts it plainly on the question's
        side. The sentence must name every name of the claim. Else None (and a "Yes" to it
        is declined, ``_check_yes``).

        A count the sources give otherwise ("five drone strikes" where they say four) is no
        "No": counts of one noun add up, belong to other acts ("shot down 35 drones" /
        "launched 40"), round ("some 1,800") or name the noun otherwise ("troops"); a review
        found a wrong "No" in each.

        Why: the small model answers "Yes" to nearly every yes/no question, and a "No" cannot
        rest on a missing sentence, nor on the model's reading (its reads of a false claim
        and a true one overlap; README, session 27). A bound the other way is read from the
        parse of both: the one contradiction this product can show, whatever the draft
        said."""
        usable = [s for s in sources if not s.instruction_like]
        claim = yes_no_claim(question)
        clash = bound_clash(claim, [s.text for s in usable], sure=True)
        if clash is None:
            return None
        reason, index = clash
        said = usable[index]
        # A number of another story is no "No": the sentence must name every claim name.
        names = name_words(claim)
        if any(not any(same_name(n, w) for w in name_words(said.text)) for n in names):
            return None
        passage = next(p for p in passages if p.number == said.number)
        base["notes"].append(f"Answered No: {reason}.")
        return self._quoted_answer(
            base, timings, raw, prompt_tokens, passage, said, 1.0, reason, lead="No."
        )

    def _read_worded_otherwise(self, verdicts: list[Support], passages: list[Passage]) -> None:
        """A sentence the words' check fails only on its wording (``Support.worded_otherwise``)
        is read by the model against those sentences; it stands, cited to the first, when the
        model's share of Yes reaches ``paraphrase_entailment_threshold``. In place.

        Why: readers ask in their own words and the model answers in them ("beat Portland
        4-1" for "a 4-1 victory over Portland"); shared words, word embeddings and sentence
        embeddings all tell such a paraphrase from a false sentence poorly on this machine,
        while the model's strict read passed none of 25 false clauses on MultiHop
        (``_entailed_yes``). Names, numbers, negation and sides are still checked by words and
        the parse first: the model is asked only about the wording. Cost: one read of about
        100-200 tokens for each such sentence."""
        threshold = self.settings.paraphrase_entailment_threshold
        if threshold is None:
            return
        meta: dict[int, dict[str, Any]] | None = None
        for i, verdict in enumerate(verdicts):
            if verdict.supported or verdict.contradicted or not verdict.worded_otherwise:
                continue
            meta = meta if meta is not None else _metadata(passages)
            found = [
                SourceSentence(e.number, e.start, e.end, e.text) for e in verdict.worded_otherwise
            ]
            share = self._model_reads(verdict.text, found, meta)
            if share is None:
                return
            if share < threshold:
                verdict.reason += f" (the model reads it there at {share:.2f})"
                continue
            best = verdict.worded_otherwise[0]
            verdicts[i] = replace(
                verdict,
                supported=True,
                score=round(share, 4),
                evidence=[replace(best, score=round(share, 4))],
                reason=f"worded otherwise, read in its source by the model (Yes at {share:.2f})",
            )

    def _entailed_yes(
        self,
        question: str,
        sources: list[SourceSentence],
        meta: dict[int, dict[str, Any]],
        known: list[str],
        cache: dict[str, np.ndarray],
    ) -> Support | None:
        """Support for a "Yes" read by the model itself: each clause the question claims is
        shown with the sentences likeliest to state it (``yes_clauses``), and the model's
        share of Yes against No for its first word must reach ``yes_entailment_threshold``
        on every clause. None when the backend exposes no logits or there is nothing to ask.

        Why: a question paraphrases its articles ("non-competitive prices" / "prices that
        aren't competitive"), and shared words and embeddings tell a paraphrase from a false
        clause poorly. On MultiHop's 63 comparison questions with a yes/no answer (their
        gold evidence as the sources), the words' score ranked a true "Yes" above a false one
        0.68 of the time and the model's share 0.79; at an even share it passed 16 of 38
        true ones and none of 25 false ones. Cost: one read of about 150 tokens a clause,
        only for a "Yes" the words' check failed."""
        if self.settings.yes_entailment_threshold is None:
            return None
        clauses = yes_clauses(
            question,
            sources,
            self.embedder,
            **_outlets_and_titles(meta),
            known_outlets=known,
            per_clause=self.settings.yes_entailment_sentences,
            cache=cache,
        )
        if not clauses:
            return None
        evidence: list[Evidence] = []
        lowest = 1.0
        for clause, found in clauses:
            share = self._model_reads(clause, found, meta)
            if share is None:
                return None
            lowest = min(lowest, share)
            if share < self.settings.yes_entailment_threshold:
                return Support(
                    "Yes.",
                    False,
                    round(share, 4),
                    reason=f"the model does not read this in the sources: {clause}",
                )
            best = found[0]
            ev = Evidence(best.number, best.start, best.end, best.text, round(share, 4))
            if ev not in evidence:
                evidence.append(ev)
        return Support(
            "Yes.",
            True,
            round(lowest, 4),
            evidence=evidence,
            reason=f"each clause read in its sources by the model (Yes at {lowest:.2f} or more)",
            joint=True,
        )

    def _model_reads(
        self, claim: str, found: list[SourceSentence], meta: dict[int, dict[str, Any]]
    ) -> float | None:
        """The model's share of "Yes" against "No" when asked, as a strict fact checker
        (``prompts/entail*.txt``), whether the quoted sentences (under their outlet and
        title) state ``claim``; None when the backend exposes no logits."""
        probe = getattr(self.llm, "start_probabilities", None)
        if not callable(probe):
            return None
        quoted = "\n".join(
            f"{meta[s.number].get('source') or 'An article'}"
            f' ("{meta[s.number].get("title") or "Untitled"}"): {s.text}'
            for s in sorted(found, key=lambda s: (s.number, s.start))
        )
        messages = [
            ChatMessage(role=MessageRole.SYSTEM, content=prompts.load("entail_system")),
            ChatMessage(
                role=MessageRole.USER, content=prompts.render("entail", source=quoted, claim=claim)
            ),
        ]
        with self._model_call():
            probs = probe(messages, ["Yes", "No"])
        if probs is None:
            return None
        return probs[0] / (probs[0] + probs[1]) if probs[0] + probs[1] > 0 else 0.0

    @staticmethod
    def _with_markers(text: str, marks: str) -> str:
        """The markers before the sentence's final stop ("... in 2023 [1]."), after it when
        the stop ends an abbreviation too ("... at 11:03 p.m. [1]")."""
        if not marks:
            return text
        words = text.split()
        last = words[-1] if words else ""
        if text and text[-1] in ".!?" and not re.search(r"[A-Za-z]\.[A-Za-z]", last):
            return f"{text[:-1]} {marks}{text[-1]}"
        return f"{text} {marks}"

    @staticmethod
    def _citation(
        number: int, p: Passage, start: int, end: int, sentence: str, score: float
    ) -> Citation:
        m = p.retrieved.chunk.meta
        return Citation(
            number=number,
            doc_id=p.retrieved.chunk.doc_id,
            title=m.get("title", ""),
            outlet=m.get("source", ""),
            published=m.get("published", ""),
            url=m.get("url", ""),
            passage=p.text,
            sentence=sentence,
            span=(start, end),
            score=score,
        )

    # Chat ------------------------------------------------------------------------
    def _memory(self, session_id: str) -> ChatMemoryBuffer:
        with self._sessions_lock:
            if session_id not in self._sessions:
                self._sessions[session_id] = ChatMemoryBuffer.from_defaults(
                    token_limit=self.settings.chat_memory_tokens
                )
            return self._sessions[session_id]

    def history(self, session_id: str) -> list[ChatMessage]:
        return self._memory(session_id).get_all()

    def reset(self, session_id: str) -> None:
        with self._sessions_lock:
            self._sessions.pop(session_id, None)

    def set_history(self, session_id: str, messages: list[ChatMessage]) -> None:
        """Replace a session's conversation (LlamaIndex's ``chat_history=`` argument)."""
        self._memory(session_id).set(list(messages))

    def condense(self, session_id: str, message: str) -> str:
        """Turn a follow-up into a standalone question using this session's history.

        Only a message that points back into the conversation (``text.refers_back``: "Who
        did he ...?", "that claim", "And ...?") is condensed; one that names its subject is
        searched as typed, saving a model call (2-3 s of the default model here).

        The model's rewrite is used only if it keeps the message's question and resolves
        its pointers (``text.resolves``): the small model's rewrites drop words ("Why does
        he say ...?" -> "Why does Apple ...?") or answer another question ("What would it
        be for?" -> "What would the platform comprise?"), and a wrong rewrite is a wrong
        search and a wrong question. Else the pointers ("he", "it", "that warning") are
        replaced from the parse of the last exchange where that reading is unambiguous
        (``text.resolve_pointers``). Else the model's rewrite is still used if it names
        something the message does not (its words changed, "start" -> "begin", but its
        pointer resolved: on 30 held-out follow-ups, 6 of the 8 rewrites the word check
        turned down were right); else the message is searched as typed."""
        history = self._memory(session_id).get()
        if not history or not refers_back(message):
            return message
        lines = [f"{m.role.value}: {m.content}" for m in history[-6:]]
        prompt = prompts.render("condense", history="\n".join(lines), question=message)
        with self._generate_lock:
            reply = self.llm.chat(
                [ChatMessage(role=MessageRole.USER, content=prompt)], max_tokens=64
            )
        text = (reply.message.content or "").strip().splitlines()
        standalone = text[0].strip().strip('"') if text else ""
        if len(standalone) > 3 and resolves(message, standalone):
            return standalone
        asked = [m.content for m in history if m.role == MessageRole.USER]
        answered = [m.content for m in history if m.role == MessageRole.ASSISTANT]
        if not asked:
            return message
        said = answered[-1] if answered else ""
        said = "" if is_refusal_text(said) else said
        resolved = resolve_pointers(message, asked[-1], said)
        if resolved != message and resolves(message, resolved):
            return resolved
        return standalone if len(standalone) > 3 and names_more(message, standalone) else message

    def chat_stream(
        self,
        session_id: str,
        message: str,
        filters: Filters | None = None,
        top_k: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Like ``stream``, with the session's history used to resolve follow-ups."""
        check_question(message.strip(), self.settings)
        t0 = time.perf_counter()
        standalone = self.condense(session_id, message)
        condense_s = time.perf_counter() - t0
        answer = None
        for event in self.stream(
            message, filters, top_k, standalone=standalone if standalone != message else None
        ):
            if event["type"] == "answer":
                answer = event["answer"]
                answer.timings["condense_s"] = condense_s
            yield event
        if answer is not None:
            memory = self._memory(session_id)
            memory.put(ChatMessage(role=MessageRole.USER, content=message))
            memory.put(ChatMessage(role=MessageRole.ASSISTANT, content=answer.text))

    def chat(
        self,
        session_id: str,
        message: str,
        filters: Filters | None = None,
        top_k: int | None = None,
    ) -> Answer:
        return final_answer(self.chat_stream(session_id, message, filters, top_k))

    # LlamaIndex shapes -----------------------------------------------------
    def as_query_engine(self, **options: Any) -> NewsRAGQueryEngine:
        """A LlamaIndex query engine over this library (``rag.query_engine``): ``.query()``
        returns a ``Response`` whose ``source_nodes`` are the cited passages."""
        from rag.query_engine import NewsRAGQueryEngine

        return NewsRAGQueryEngine(self, **options)

    def as_chat_engine(self, **options: Any) -> NewsRAGChatEngine:
        """A LlamaIndex chat engine with the same condensing and memory as ``chat``."""
        from rag.query_engine import NewsRAGChatEngine

        return NewsRAGChatEngine(self, **options)
