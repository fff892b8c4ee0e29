"""Hybrid retrieval: dense (Chroma) + BM25 (the docstore's lexical index) over the same
chunks, fused by reciprocal rank."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle
from llama_index.core.vector_stores.types import (
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
)

from rag.embeddings import Embedder
from rag.errors import InputError
from rag.store import ChunkFilter, Store, StoredChunk

RRF_K = 60
_WORD = re.compile(r"[A-Za-z0-9]+(?:[.,'][A-Za-z0-9]+)*")
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "there",
        "their",
        "them",
        "they",
        "he",
        "she",
        "his",
        "her",
        "him",
        "we",
        "our",
        "you",
        "your",
        "i",
        "me",
        "my",
        "do",
        "does",
        "did",
        "done",
        "has",
        "have",
        "had",
        "having",
        "not",
        "no",
        "nor",
        "so",
        "than",
        "too",
        "very",
        "can",
        "could",
        "should",
        "would",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "about",
        "into",
        "over",
        "after",
        "before",
        "during",
        "between",
        "against",
        "up",
        "down",
        "out",
        "off",
        "again",
        "further",
        "then",
        "once",
        "here",
        "when",
        "where",
        "why",
        "how",
        "all",
        "any",
        "both",
        "each",
        "few",
        "more",
        "most",
        "other",
        "some",
        "such",
        "only",
        "own",
        "same",
        "just",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "also",
        "said",
        "says",
        "say",
        "according",
        "many",
        "much",
        "long",
    ]
)


@functools.cache
def _stemmer():  # -> Stemmer.Stemmer (Snowball English, in C)
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(text: str) -> list[str]:
    """Lower-cased, stemmed content words (stopwords dropped); numbers lose their commas."""
    words = []
    for w in _WORD.findall(text.lower().replace("’", "'")):
        if w.endswith("'s"):
            w = w[:-2]
        w = w.replace(",", "") if w.replace(",", "").isdigit() else w
        if w not in STOPWORDS:
            words.append(w)
    return _stemmer().stemWords(words) if words else words


@dataclass
class Filters:
    """Metadata filters: outlets, published-date range (inclusive), doc ids."""

    sources: list[str] = field(default_factory=list)
    after: date | None = None
    before: date | None = None
    doc_ids: list[str] = field(default_factory=list)
    date_phrase: str = ""  # the question's phrase a date range came from, if any
    outlet_phrase: str = ""  # the outlet names the question used, when they set ``sources``

    def is_empty(self) -> bool:
        return not (self.sources or self.after or self.before or self.doc_ids)

    def describe(self) -> str:
        """The filters in words, for a note: "from Fortune, published 2024-01-01 to …"."""
        parts = []
        if self.sources:
            parts.append(f"from {' or '.join(self.sources)}")
        if self.after or self.before:
            lo = self.after.isoformat() if self.after else "…"
            hi = self.before.isoformat() if self.before else "…"
            parts.append(f"published {lo} to {hi}")
        if self.doc_ids:
            parts.append(f"in {len(self.doc_ids)} chosen article(s)")
        return ", ".join(parts)

    def bounds(self) -> tuple[int | None, int | None]:
        """The published range as epoch seconds (start of ``after``'s day, end of
        ``before``'s), None where open."""
        lo = int(datetime.combine(self.after, time.min, UTC).timestamp()) if self.after else None
        hi = int(datetime.combine(self.before, time.max, UTC).timestamp()) if self.before else None
        return lo, hi

    def chunk_filter(self) -> ChunkFilter:
        """These filters as the store's searches take them (the dates as epoch seconds)."""
        lo, hi = self.bounds()
        return ChunkFilter(tuple(self.sources), tuple(self.doc_ids), lo, hi)

    def matches(self, meta: dict[str, Any]) -> bool:
        """The same rule as ``ChunkFilter.where``, for chunks that do not come from Chroma."""
        if self.sources and meta.get("source") not in self.sources:
            return False
        if self.doc_ids and meta.get("doc_id") not in self.doc_ids:
            return False
        lo, hi = self.bounds()
        ts = meta.get("published_ts")
        if (lo is not None or hi is not None) and ts is None:
            return False
        return not ((lo is not None and ts < lo) or (hi is not None and ts > hi))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["after"] = self.after.isoformat() if self.after else None
        d["before"] = self.before.isoformat() if self.before else None
        return d

    # LlamaIndex ------------------------------------------------------------------
    def to_metadata_filters(self) -> MetadataFilters | None:
        """The same filters as LlamaIndex ``MetadataFilters`` (None when there are none),
        on the keys the Chroma collection holds, so they also work in plain LlamaIndex
        (``index.as_retriever(filters=...)``): the date range as ``published_ts`` bounds."""
        items: list[MetadataFilter | MetadataFilters] = []
        if self.sources:
            items.append(MetadataFilter(key="source", operator="in", value=list(self.sources)))
        if self.doc_ids:
            items.append(MetadataFilter(key="doc_id", operator="in", value=list(self.doc_ids)))
        lo, hi = self.bounds()
        if lo is not None:
            items.append(MetadataFilter(key="published_ts", operator=">=", value=lo))
        if hi is not None:
            items.append(MetadataFilter(key="published_ts", operator="<=", value=hi))
        return MetadataFilters(filters=items) if items else None

    @classmethod
    def from_metadata_filters(cls, filters: MetadataFilters | None) -> Filters:
        """Read LlamaIndex ``MetadataFilters``: outlets, doc ids and a published-date range
        (``SUPPORTED_FILTERS``). Anything else is an ``InputError`` naming what is supported,
        never a filter silently dropped or widened."""
        out = cls()
        if filters is None:
            return out
        sources: list[str] | None = None
        doc_ids: list[str] | None = None
        for f in _flat_filters(filters):
            key, op = _filter_field(f.key), FilterOperator(f.operator)
            if key in ("source", "doc_id"):
                values = _filter_strings(f, op)
                if key == "source":
                    sources = values if sources is None else [v for v in sources if v in values]
                else:
                    doc_ids = values if doc_ids is None else [v for v in doc_ids if v in values]
                continue
            lo, hi = _filter_range(f, key, op)
            if lo is not None:
                out.after = lo if out.after is None else max(out.after, lo)
            if hi is not None:
                out.before = hi if out.before is None else min(out.before, hi)
        if sources == [] or doc_ids == []:
            raise _unsupported("The filters on one key exclude each other: nothing can match.")
        if out.after and out.before and out.after > out.before:
            raise _unsupported(f"The published range is empty ({out.after} is after {out.before}).")
        out.sources, out.doc_ids = sources or [], doc_ids or []
        return out

    @classmethod
    def of(cls, filters: Filters | MetadataFilters | None) -> Filters | None:
        """Our ``Filters`` from either form (None stays None)."""
        if filters is None or isinstance(filters, Filters):
            return filters
        if isinstance(filters, MetadataFilters):
            return cls.from_metadata_filters(filters)
        raise InputError(
            f"Filters must be rag.retrieve.Filters or LlamaIndex MetadataFilters, not "
            f"{type(filters).__name__}.",
            f"Supported: {SUPPORTED_FILTERS}.",
        )


# LlamaIndex metadata filters we read: key (and its aliases) -> operators.
_FILTER_KEYS = {
    "source": "source",
    "outlet": "source",
    "doc_id": "doc_id",
    "ref_doc_id": "doc_id",
    "document_id": "doc_id",
    "published": "published",
    "published_ts": "published_ts",
}
SUPPORTED_FILTERS = (
    "source/outlet and doc_id/ref_doc_id/document_id with == or in; published with ==, >, >=,"
    " <, <= a YYYY-MM-DD date; published_ts with >, >=, <, <= a whole UTC day's first or last"
    " second; combined with 'and' ('or' only among values of one key)"
)
_DAY = 86400


def _unsupported(message: str) -> InputError:
    return InputError(message, f"Supported filters: {SUPPORTED_FILTERS}.")


def _filter_field(key: str) -> str:
    if key not in _FILTER_KEYS:
        raise _unsupported(f"Cannot filter on {key!r}.")
    return _FILTER_KEYS[key]


def _flat_filters(filters: MetadataFilters) -> list[MetadataFilter]:
    """The filters of an 'and' tree as one list; an 'or' of values of one key becomes
    one ``in``."""
    condition = filters.condition or FilterCondition.AND
    if condition == FilterCondition.AND:
        out: list[MetadataFilter] = []
        for f in filters.filters:
            out += _flat_filters(f) if isinstance(f, MetadataFilters) else [f]
        return out
    leaves = [f for f in filters.filters if isinstance(f, MetadataFilter)]
    keys = {_filter_field(f.key) for f in leaves}
    if (
        condition != FilterCondition.OR
        or len(leaves) != len(filters.filters)
        or len(keys) != 1
        or keys <= {"published", "published_ts"}
    ):
        raise _unsupported(f"Cannot combine these filters with {condition.value!r}.")
    values: list[str] = []
    for f in leaves:
        values += [v for v in _filter_strings(f, FilterOperator(f.operator)) if v not in values]
    return [MetadataFilter(key=keys.pop(), operator="in", value=values)]


def _filter_strings(f: MetadataFilter, op: FilterOperator) -> list[str]:
    if op == FilterOperator.EQ and isinstance(f.value, str):
        return [f.value]
    if op == FilterOperator.IN and isinstance(f.value, list):
        return [str(v) for v in f.value]
    raise _unsupported(f"Cannot filter {f.key!r} {op.value} {f.value!r}.")


def _filter_range(
    f: MetadataFilter, key: str, op: FilterOperator
) -> tuple[date | None, date | None]:
    """The (after, before) days, inclusive, that one date filter allows."""
    if key == "published" and isinstance(f.value, str) and op != FilterOperator.IN:
        try:
            day = date.fromisoformat(f.value)
        except ValueError:
            raise _unsupported(f"{f.value!r} is not a YYYY-MM-DD date.") from None
        one = timedelta(days=1)
        ranges = {
            FilterOperator.EQ: (day, day),
            FilterOperator.GTE: (day, None),
            FilterOperator.GT: (day + one, None),
            FilterOperator.LTE: (None, day),
            FilterOperator.LT: (None, day - one),
        }
        if op in ranges:
            return ranges[op]
    if key == "published_ts" and isinstance(f.value, int | float):
        # Whole days only: a bound inside a day would be widened to the day, silently.
        first = {FilterOperator.GTE: f.value, FilterOperator.GT: f.value + 1}
        last = {FilterOperator.LTE: f.value, FilterOperator.LT: f.value - 1}
        if op in first and first[op] % _DAY == 0:
            return _utc_day(first[op]), None
        if op in last and (last[op] + 1) % _DAY == 0:
            return None, _utc_day(last[op])
    raise _unsupported(f"Cannot filter {f.key!r} {op.value} {f.value!r}.")


def _utc_day(ts: float) -> date:
    return datetime.fromtimestamp(ts, UTC).date()


def outlet_names(outlet: str) -> tuple[str, ...]:
    """An outlet's names: in full, then before a "|" ("Cnbc | World Business News Leader");
    the full name first, so that removing them from a text leaves none of it behind."""
    return tuple(dict.fromkeys((outlet.strip(), outlet.split("|")[0].strip())))


def named_outlets(question: str, outlets: Sequence[str]) -> list[str]:
    """The outlets of ``outlets`` a question names, as its writer spells them: the name in its
    own case ("The Verge", "TechCrunch", "the Verge"), or in capitals ("CNBC" for "Cnbc").
    Case matters, so "the age of" does not name The Age nor "a fortune" Fortune."""
    return list(dict.fromkeys(outlet for outlet, _ in _outlet_mentions(question, outlets)))


def stored_outlets(sources: Sequence[str], outlets: Sequence[str]) -> list[str]:
    """Outlets given by hand (``--source``, ``Filters(sources=...)``) as the store spells
    them, matched without regard to case ("fortune" is Fortune); an outlet the store holds
    no article from is an ``InputError`` that lists those it holds, not a silent search of
    nothing."""
    by_lower = {o.lower(): o for o in outlets}
    unknown = [s for s in sources if s.strip().lower() not in by_lower]
    if unknown:
        held = ", ".join(sorted(outlets, key=str.lower)[:12]) or "none (no article names one)"
        more = f" and {len(outlets) - 12} more" if len(outlets) > 12 else ""
        raise InputError(
            f"No stored article is from {', '.join(repr(s) for s in unknown)}.",
            f"Outlets stored: {held}{more} (`newsrag sources` lists them).",
        )
    return list(dict.fromkeys(by_lower[s.strip().lower()] for s in sources))


def not_stocked(names: Sequence[str], outlets: Sequence[str]) -> list[str]:
    """Those of ``names`` (publishers a question names) that are none of ``outlets``: not
    naming one (``named_outlets``) nor part of one's name ("The Independent" of "The
    Independent - Sports", "World Business News Leader" of "Cnbc | World Business News
    Leader")."""
    words = [" ".join(re.findall(r"\w+", o.lower())) for o in outlets]
    missing = []
    for name in names:
        own = " ".join(re.findall(r"\w+", re.sub(r"^the\s+", "", name.strip(), flags=re.I).lower()))
        inside = own and any(f" {own} " in f" {w} " for w in words)
        if not inside and not named_outlets(name, outlets):
            missing.append(name)
    return missing


def without_outlets(question: str, outlets: Sequence[str]) -> str:
    """``question`` with the outlets it names (``named_outlets``) blanked out, for the readers
    that must not take an outlet's words for the question's own: "Business Today" names no
    date, "The Age" no period."""
    chars = list(question)
    for _, (start, end) in _outlet_mentions(question, outlets):
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _outlet_mentions(
    question: str, outlets: Sequence[str]
) -> Iterator[tuple[str, tuple[int, int]]]:
    """Each outlet of ``outlets`` the question names, with where (``named_outlets``)."""
    for outlet in outlets:
        spellings: set[str] = set()
        for name in outlet_names(outlet):
            if len(name) < 3:
                continue
            spellings |= {name, name.upper()}
            if name.startswith("The ") and len(name) > 7:
                spellings.add(name[4:])
        for name in spellings:
            for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", question):
                yield outlet, m.span()


@dataclass
class Retrieved:
    """One retrieved chunk with its fused score and the ranks that produced it."""

    chunk: StoredChunk
    score: float  # reciprocal-rank-fusion score
    dense: float | None  # cosine similarity, when dense retrieval found it
    dense_rank: int | None
    bm25_rank: int | None

    def to_dict(self) -> dict[str, Any]:
        c = self.chunk
        return {
            "chunk_id": c.chunk_id,
            "doc_id": c.doc_id,
            "title": c.meta.get("title", ""),
            "source": c.meta.get("source", ""),
            "published": c.meta.get("published", ""),
            "start": c.start,
            "end": c.end,
            "text": c.text,
            "score": round(self.score, 5),
            "dense": None if self.dense is None else round(self.dense, 4),
            "dense_rank": self.dense_rank,
            "bm25_rank": self.bm25_rank,
        }


class LexicalIndex:
    """BM25 over the store's lexical index (postings in the docstore, see ``rag.store`` and
    ``rag.postings``): persistent and kept in the transaction that writes the chunks, so nothing
    is loaded or rebuilt here, and another process's ingest or removal shows up on the next
    query. The filters are applied inside the index."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def search(
        self, query: str, k: int, filters: Filters | None
    ) -> list[tuple[StoredChunk, float]]:
        terms = tokenize(query)
        if not terms:
            return []
        return self.store.lexical_search(terms, k, (filters or Filters()).chunk_filter())


class HybridRetriever(BaseRetriever):
    """A LlamaIndex retriever: dense + BM25, fused with reciprocal rank fusion.

    LlamaIndex's ``retrieve(query)`` takes no options, so, as with its own retrievers, the
    top-k (``similarity_top_k``) and ``filters`` (ours or LlamaIndex ``MetadataFilters``)
    are set on the retriever; ``search`` takes them per call."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        top_k: int = 5,
        filters: Filters | MetadataFilters | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.embedder = embedder
        self.top_k = top_k
        self.filters = Filters.of(filters)
        self.bm25 = LexicalIndex(store)

    @property
    def similarity_top_k(self) -> int:
        """LlamaIndex's name for ``top_k``."""
        return self.top_k

    @similarity_top_k.setter
    def similarity_top_k(self, value: int) -> None:
        self.top_k = value

    def search(
        self, query: str, top_k: int | None = None, filters: Filters | None = None
    ) -> list[Retrieved]:
        k = top_k or self.top_k
        pool = max(k * 4, 20)
        vector = self.embedder.embed([query])[0]
        dense = self.store.query(vector, pool, (filters or Filters()).chunk_filter())
        sparse = self.bm25.search(query, pool, filters)
        fused: dict[str, Retrieved] = {}
        for rank, (chunk, sim) in enumerate(dense, 1):
            fused[chunk.chunk_id] = Retrieved(chunk, 1 / (RRF_K + rank), sim, rank, None)
        for rank, (chunk, _) in enumerate(sparse, 1):
            hit = fused.get(chunk.chunk_id)
            if hit is None:
                fused[chunk.chunk_id] = Retrieved(chunk, 1 / (RRF_K + rank), None, None, rank)
            else:
                hit.score += 1 / (RRF_K + rank)
                hit.bm25_rank = rank
        # A chunk removed between the two searches (by any process) is dropped.
        live = self.store.live_chunk_ids(fused)
        ranked = sorted(
            (r for r in fused.values() if r.chunk.chunk_id in live), key=lambda r: -r.score
        )[:k]
        missing = [r for r in ranked if r.dense is None]
        if missing:  # BM25-only hits get a cosine too, so relevance is judged on one scale:
            # against their stored vectors, like the dense hits (no embedding per query)
            stored = self.store.vectors([r.chunk.chunk_id for r in missing])
            unstored = [r for r in missing if r.chunk.chunk_id not in stored]
            if unstored:
                vecs = self.embedder.embed([r.chunk.text for r in unstored])
                stored.update((r.chunk.chunk_id, v) for r, v in zip(unstored, vecs, strict=True))
            for r in missing:
                r.dense = float(np.dot(vector, stored[r.chunk.chunk_id]))
        return ranked

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        """LlamaIndex's ``retrieve``: the chunks as the nodes the Chroma collection holds,
        scored by fused rank, with this retriever's top-k and filters."""
        return [
            NodeWithScore(node=r.chunk.to_node(), score=r.score)
            for r in self.search(query_bundle.query_str, self.top_k, self.filters)
        ]
