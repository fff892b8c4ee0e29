"""The library: the articles of one store, ingested, listed and removed through one object.

Why a front door: the CLI, the UI, the evaluation suites and the benchmarks all ingest,
list and remove articles. Each used to build its own ``Store`` and ``Ingestor`` (and reach
into ``NewsRAG.store``), so a change to either meant finding every copy. They now go through
a ``Library`` (``NewsRAG.library`` for an engine's own store) and nothing else.

It is light on purpose: opening one reads no model and connects to nothing. The store is
opened on first use and the embedder is loaded only by ``ingest`` (listing, removing and
health checks need neither), so ``newsrag sources``, ``remove``, ``status`` and ``doctor``
start in well under a second.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

from rag.settings import Settings

if TYPE_CHECKING:
    from llama_index.core.llms import LLM
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from ingest.pipeline import IngestReport
    from rag.embeddings import Embedder
    from rag.engine import NewsRAG
    from rag.store import Store

ProgressFn = Callable[[str, int, int], None]  # (stage, done, total), as the Ingestor reports


@dataclass
class Ingested:
    """What one ``Library.ingest`` did: the pipeline's per-file report, and the warnings its
    loaders raised on the way (``(path, message)``: an odd date, a dropped field), which
    never fail a file."""

    report: IngestReport
    warnings: list[tuple[str, str]] = field(default_factory=list)


def supported_suffixes() -> frozenset[str]:
    """File endings ``ingest`` reads (``.txt``, ``.html``, ``.jsonl``, ``.pdf``, feeds ...)."""
    from ingest.load import SUPPORTED_SUFFIXES

    return frozenset(SUPPORTED_SUFFIXES)


class Library:
    """Ingest, list and remove the articles of the store ``settings`` names.

    ``store`` and ``embedder`` may be handed in (``NewsRAG`` shares its own, the evaluation
    shares one loaded embedder across many stores); otherwise they are opened when first
    needed. Safe to share between threads as far as the store is (it is).
    """

    def __init__(
        self,
        settings: Settings,
        store: Store | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        self.settings = settings
        self._store = store
        self._embedder = embedder

    # Parts -------------------------------------------------------------------------------
    @property
    def store(self) -> Store:
        """The store (opened on first use). For the engine in ``rag``: callers outside
        ``rag`` use the methods below, which are what a library does."""
        if self._store is None:
            from rag.store import Store

            self._store = Store(self.settings)
        return self._store

    @property
    def embedder(self) -> Embedder:
        """The embedding model (loaded on first use); a store holding vectors of another
        size is refused here, before anything is written."""
        if self._embedder is None:
            from rag.embeddings import build_embedder

            self._embedder = build_embedder(self.settings, self.store)
        return self._embedder

    # Writing -----------------------------------------------------------------------------
    def ingest(
        self,
        paths: Iterable[str | os.PathLike[str]],
        mapping: Mapping[str, str] | None = None,
        progress: ProgressFn | None = None,
    ) -> Ingested:
        """Ingest files, folders (recursively) or globs; idempotent and incremental.

        ``mapping`` renames JSON fields (``{"text": "article_body"}``). The store is reached
        first (a Chroma server that is down fails here, before the embedder is loaded)."""
        from ingest.load import collect_warnings
        from ingest.pipeline import Ingestor

        self.store.chunk_count()  # fail fast: no model is loaded for an unreachable store
        with collect_warnings() as warnings:
            report = Ingestor(self.settings, self.store, self.embedder).run(
                [os.fspath(p) for p in paths], dict(mapping) if mapping else None, progress=progress
            )
        return Ingested(report, list(warnings))

    def find(self, target: str | os.PathLike[str]) -> list[str]:
        """The doc ids ``target`` names: a doc id itself, else the articles from a file or
        anywhere under a folder (relative paths too; the file itself may be gone)."""
        return self.store.doc_ids_for(target)

    def remove(self, target: str | os.PathLike[str]) -> list[str]:
        """Delete what ``target`` names (see ``find``), chunks and vectors included; returns
        the doc ids removed, empty when it named nothing (``removal`` also tells which
        articles a file elsewhere still holds, and so stay)."""
        return self.removal(target)[0]

    def removal(self, target: str | os.PathLike[str]) -> tuple[list[str], dict[str, str]]:
        """``remove``, returning the doc ids removed and, for a path, the articles kept
        because a file outside it holds them too (doc id -> that file)."""
        found = self.find(target)
        if found == [os.fspath(target)]:  # a doc id: that article, wherever its files are
            return [doc_id for doc_id in found if self.store.remove(doc_id)], {}
        removed, kept = [], {}
        for doc_id in found:
            other = self.store.held_elsewhere(doc_id, target)
            if other is not None:
                kept[doc_id] = other
            elif self.store.remove(doc_id):
                removed.append(doc_id)
        return removed, kept

    # Reading -----------------------------------------------------------------------------
    def articles(self) -> list[dict[str, Any]]:
        """Every stored article's metadata and chunk count, newest first."""
        return self.store.articles()

    def article(self, doc_id: str) -> dict[str, Any] | None:
        """One stored article with its cleaned text, or None."""
        return self.store.article(doc_id)

    def outlets(self) -> list[str]:
        """The outlets of the stored articles."""
        return self.store.outlets()

    def article_count(self) -> int:
        return self.store.article_count()

    def chunk_count(self) -> int:
        """Chunks with a vector (a write in progress may add a few for a moment)."""
        return self.store.chunk_count()

    def summary(self) -> dict[str, Any]:
        """Where the store is and how much it holds (``newsrag status``)."""
        return self.store.summary()

    def health(self) -> dict[str, Any]:
        """Counts, unfinished writes, the last ingest and ``problems`` with what to run for
        each (``newsrag doctor``)."""
        return self.store.health()

    def vector_store(self) -> ChromaVectorStore:
        """The same Chroma collection as LlamaIndex's ``ChromaVectorStore``, for plain
        LlamaIndex pipelines over these vectors (the evaluation's baseline)."""
        from llama_index.vector_stores.chroma import ChromaVectorStore

        return ChromaVectorStore(chroma_collection=self.store.collection)

    def engine(self, llm: LLM | None = None) -> NewsRAG:
        """A ``NewsRAG`` over this library's store and embedder (``llm`` None: loaded on
        first use): one loaded embedder shared by the evaluation's many throw-away stores."""
        from rag.engine import NewsRAG

        return NewsRAG(self.settings, self.store, self.embedder, llm)

    # Lifetime ----------------------------------------------------------------------------
    def close(self) -> None:
        """Close the store if it was opened (the embedder holds nothing to release)."""
        if self._store is not None:
            self._store.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
