"""The lexical index through the real parts: all-MiniLM-L6-v2, Chroma on disk, SQLite FTS5."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from ingest.pipeline import Ingestor
from rag.retrieve import Filters, HybridRetriever
from rag.store import Store
from tests.conftest import SAMPLE, ingest_paths, legacy_docstore

pytestmark = pytest.mark.slow


def test_hybrid_search_over_the_fts5_index_with_filters_inside_it(
    settings, store, real_embedder, monkeypatch
):
    ingest_paths(settings, store, real_embedder, SAMPLE)
    monkeypatch.setattr(Store, "all_chunks", lambda self: pytest.fail("loaded every chunk"))
    retriever = HybridRetriever(store, real_embedder)
    hits = retriever.search("Eddy Cue testimony Google search deal", 5)
    assert hits[0].chunk.meta["source"] == "The Verge"
    assert hits[0].bm25_rank is not None and hits[0].dense_rank is not None
    assert all(h.dense is not None for h in hits)
    # Filters apply inside both indexes: every lexical hit is of the outlet and the window.
    only = Filters(sources=["TechCrunch"])
    lexical = retriever.bm25.search("trial", 10, only)
    assert lexical and {c.meta["source"] for c, _ in lexical} == {"TechCrunch"}
    window = Filters(after=date(2023, 10, 1), before=date(2023, 10, 8))
    for chunk, _ in retriever.bm25.search("the trial match blockade deal", 50, window):
        assert chunk.meta["published"][:10] <= "2023-10-08"
        assert chunk.meta["published"][:10] >= "2023-10-01"
    assert {h.chunk.meta["source"] for h in retriever.search("trial", 5, only)} == {"TechCrunch"}
    # Removing an article takes it out of the index in the same write.
    doc = hits[0].chunk.doc_id
    assert store.remove(doc)
    assert doc not in {c.doc_id for c, _ in retriever.bm25.search("Eddy Cue", 10, None)}


def test_a_store_written_before_the_index_is_migrated_on_open(settings, store, real_embedder):
    ingest_paths(settings, store, real_embedder, SAMPLE)
    question = "Who is buying a stake in Manchester United?"
    before = [h.chunk.chunk_id for h in HybridRetriever(store, real_embedder).search(question)]
    store.close()
    legacy_docstore(settings.docstore_path)  # the docstore as the in-memory BM25 version left it
    migrated = Store(settings)
    try:
        after = HybridRetriever(migrated, real_embedder).search(question)
        assert [h.chunk.chunk_id for h in after] == before
        assert migrated.health()["ok"]
    finally:
        migrated.close()


def test_a_jsonl_corpus_is_streamed_into_the_real_store(
    settings, store, real_embedder, tmp_path: Path
):
    corpus = tmp_path / "corpus.jsonl"
    with corpus.open("w", encoding="utf-8") as fh:
        for i in range(300):
            text = f"Harbour report {i}: the ferry to island {i} ran late because of fog. " * 2
            fh.write(json.dumps({"id": f"h{i}", "title": f"Ferry {i}", "text": text}) + "\n")
    seen = []
    report = Ingestor(settings, store, real_embedder).run(
        [str(corpus)], progress=lambda stage, done, total: seen.append((stage, done, total))
    )
    assert len(report.added) == 300 and store.chunk_count() == report.chunks
    assert ("read", corpus.stat().st_size, corpus.stat().st_size) in seen
    hits = HybridRetriever(store, real_embedder).search("ferry to island 217", 3)
    assert hits[0].chunk.meta["title"] == "Ferry 217"
