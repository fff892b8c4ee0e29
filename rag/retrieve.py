"""Hybrid retrieval: dense (Chroma) + BM25 over the same chunks, fused by reciprocal rank."""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

import numpy as np
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from rag.embeddings import Embedder
from rag.store import Store, StoredChunk

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

    def _bounds(self) -> tuple[int | None, int | None]:
        lo = int(datetime.combine(self.after, time.min, UTC).timestamp()) if self.after else None
        hi = int(datetime.combine(self.before, time.max, UTC).timestamp()) if self.before else None
        return lo, hi

    def to_where(self) -> dict[str, Any] | None:
        """A Chroma ``where`` clause."""
        clauses: list[dict[str, Any]] = []
        if self.sources:
            clauses.append({"source": {"$in": list(self.sources)}})
        if self.doc_ids:
            clauses.append({"doc_id": {"$in": list(self.doc_ids)}})
        lo, hi = self._bounds()
        if lo is not None:
            clauses.append({"published_ts": {"$gte": lo}})
        if hi is not None:
            clauses.append({"published_ts": {"$lte": hi}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def matches(self, meta: dict[str, Any]) -> bool:
        """The same rule as ``to_where``, for chunks that do not come from Chroma (BM25)."""
        if self.sources and meta.get("source") not in self.sources:
            return False
        if self.doc_ids and meta.get("doc_id") not in self.doc_ids:
            return False
        lo, hi = self._bounds()
        ts = meta.get("published_ts")
        if (lo is not None or hi is not None) and ts is None:
            return False
        return not ((lo is not None and ts < lo) or (hi is not None and ts > hi))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["after"] = self.after.isoformat() if self.after else None
        d["before"] = self.before.isoformat() if self.before else None
        return d


def outlet_names(outlet: str) -> tuple[str, ...]:
    """An outlet's names: in full, then before a "|" ("Cnbc | World Business News Leader");
    the full name first, so that removing them from a text leaves none of it behind."""
    return tuple(dict.fromkeys((outlet.strip(), outlet.split("|")[0].strip())))


def named_outlets(question: str, outlets: Sequence[str]) -> list[str]:
    """The outlets of ``outlets`` a question names, as its writer spells them: the name in its
    own case ("The Verge", "TechCrunch", "the Verge"), or in capitals ("CNBC" for "Cnbc").
    Case matters, so "the age of" does not name The Age nor "a fortune" Fortune."""
    found = []
    for outlet in outlets:
        spellings: set[str] = set()
        for name in outlet_names(outlet):
            if len(name) < 3:
                continue
            spellings |= {name, name.upper()}
            if name.startswith("The ") and len(name) > 7:
                spellings.add(name[4:])
        if any(re.search(rf"(?<!\w){re.escape(n)}(?!\w)", question) for n in spellings):
            found.append(outlet)
    return found


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


class BM25Index:
    """BM25 over every stored chunk; rebuilt when the store's version changes, which each
    search checks (one SQLite read), so another process's ingest or removal shows up on the
    next query."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._version = -1
        self._chunks: list[StoredChunk] = []
        self._model = None
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        version = self.store.version()
        if version == self._version:
            return
        import bm25s

        chunks = self.store.all_chunks()
        model = None
        if chunks:
            corpus = [tokenize(f"{c.meta.get('title', '')} {c.text}") or ["_"] for c in chunks]
            model = bm25s.BM25()
            model.index(corpus, show_progress=False)
        self._chunks, self._model, self._version = chunks, model, version

    def search(
        self, query: str, k: int, filters: Filters | None
    ) -> list[tuple[StoredChunk, float]]:
        with self._lock:
            self._refresh()
            chunks, model = self._chunks, self._model
        terms = tokenize(query)
        if model is None or not terms:
            return []
        scores = np.asarray(model.get_scores(terms))
        order = np.argsort(-scores)
        out = []
        for i in order:
            if scores[i] <= 0 or len(out) >= k:
                break
            if filters is None or filters.matches(chunks[i].meta):
                out.append((chunks[i], float(scores[i])))
        return out


class HybridRetriever(BaseRetriever):
    """A LlamaIndex retriever: dense + BM25, fused with reciprocal rank fusion."""

    def __init__(self, store: Store, embedder: Embedder, top_k: int = 5) -> None:
        super().__init__()
        self.store = store
        self.embedder = embedder
        self.top_k = top_k
        self.bm25 = BM25Index(store)

    def search(
        self, query: str, top_k: int | None = None, filters: Filters | None = None
    ) -> list[Retrieved]:
        k = top_k or self.top_k
        pool = max(k * 4, 20)
        where = filters.to_where() if filters else None
        vector = self.embedder.embed([query])[0]
        dense = self.store.query(vector, pool, where)
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
        # The BM25 index is a snapshot: a chunk removed since (by any process) is dropped.
        live = self.store.live_chunk_ids(fused)
        ranked = sorted(
            (r for r in fused.values() if r.chunk.chunk_id in live), key=lambda r: -r.score
        )[:k]
        missing = [r for r in ranked if r.dense is None]
        if missing:  # BM25-only hits get a cosine too, so relevance is judged on one scale
            vecs = self.embedder.embed([r.chunk.text for r in missing])
            for r, v in zip(missing, vecs, strict=True):
                r.dense = float(np.dot(vector, v))
        return ranked

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return [
            NodeWithScore(
                node=TextNode(id_=r.chunk.chunk_id, text=r.chunk.text, metadata=r.chunk.meta),
                score=r.score,
            )
            for r in self.search(query_bundle.query_str)
        ]
