"""Benchmarks that print numbers (never timed tests).

``newsrag bench ingest``: our pipeline vs. the embedding model alone (the floor) vs. a plain
LlamaIndex pipeline (the baseline), each in its own process so peak RSS is its own.
``newsrag bench query``: retrieval latency over >= 10,000 chunks; answer timings and prompt
tokens vs. llama.cpp alone on the same prompt (the floor) and LlamaIndex's
CitationQueryEngine over the same store and model (the baseline).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "datasets" / "multihop-rag" / "corpus.jsonl"


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _phase(name: str, corpus: Path, data_dir: Path) -> dict[str, Any]:
    """One measurement, run in a fresh process; model loading is not timed."""
    from rag.settings import Settings

    settings = Settings(data_dir=data_dir)
    if name == "ours":
        from ingest.pipeline import Ingestor
        from rag.embeddings import build_embedder
        from rag.store import Store

        embedder = build_embedder(settings)
        embedder.embed(["warm up"])
        store = Store(settings)
        _ = store.collection
        t = time.perf_counter()
        report = Ingestor(settings, store, embedder).run([str(corpus)])
        seconds = time.perf_counter() - t
        texts = _chunk_texts(store)
        (data_dir / "texts.json").write_text(json.dumps(texts))
        return {"seconds": seconds, "articles": len(report.added), "chunks": report.chunks}
    if name == "floor":
        from rag.embeddings import build_embedder

        texts = json.loads((data_dir / "texts.json").read_text())
        embedder = build_embedder(settings)
        embedder.embed(["warm up"])
        t = time.perf_counter()
        embedder.embed(texts)
        return {"seconds": time.perf_counter() - t, "chunks": len(texts)}
    if name == "baseline":
        import chromadb
        from llama_index.core import Document, StorageContext, VectorStoreIndex
        from llama_index.core.node_parser import SentenceSplitter
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding
        from llama_index.vector_stores.chroma import ChromaVectorStore

        from rag.models import resolve

        embed = HuggingFaceEmbedding(
            model_name=str(resolve(settings.embed_model, settings)), device="cpu"
        )
        embed.get_text_embedding("warm up")
        t = time.perf_counter()
        docs = []
        for line in corpus.read_text("utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                body = rec.pop("body")
                docs.append(Document(text=body, metadata={k: str(v) for k, v in rec.items()}))
        nodes = SentenceSplitter(
            chunk_size=settings.chunk_size, chunk_overlap=settings.chunk_overlap
        ).get_nodes_from_documents(docs)
        client = chromadb.PersistentClient(path=str(data_dir / "baseline-chroma"))
        collection = client.get_or_create_collection("baseline", embedding_function=None)
        storage = StorageContext.from_defaults(
            vector_store=ChromaVectorStore(chroma_collection=collection)
        )
        VectorStoreIndex(nodes, storage_context=storage, embed_model=embed)
        return {"seconds": time.perf_counter() - t, "articles": len(docs), "chunks": len(nodes)}
    raise ValueError(name)


def _chunk_texts(store) -> list[str]:
    from ingest.embed import embedding_text
    from rag.documents import Article, Chunk

    texts = []
    for c in store.all_chunks():
        art = Article(c.doc_id, "", "", c.meta["title"], "", "", "", None, "", "")
        texts.append(embedding_text(art, Chunk(c.doc_id, c.index, c.start, c.end, c.text)))
    return texts


def _run_phase(name: str, corpus: Path, data_dir: Path) -> dict[str, Any]:
    code = (
        "import json, sys; from pathlib import Path; from eval.bench import _phase, _peak_rss_mb;"
        f"r = _phase({name!r}, Path({str(corpus)!r}), Path({str(data_dir)!r}));"
        "r['peak_rss_mb'] = _peak_rss_mb(); print(json.dumps(r))"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=env
    )
    if proc.returncode != 0:
        raise RuntimeError(f"bench phase {name} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return min(runs, key=lambda r: r["seconds"])


def bench_ingest(corpus: Path = DEFAULT_CORPUS, rounds: int = 2) -> dict[str, Any]:
    """Ingest the corpus three ways into fresh stores and compare; the phases are interleaved
    over ``rounds`` and the fastest run of each is kept, so a busy machine skews less."""
    runs: dict[str, list[dict[str, Any]]] = {"ours": [], "floor": [], "baseline": []}
    for _ in range(rounds):
        with tempfile.TemporaryDirectory(prefix="newsrag-bench-") as tmp:
            for name in runs:
                runs[name].append(_run_phase(name, corpus, Path(tmp)))
    ours, floor, base = (_best(runs[n]) for n in ("ours", "floor", "baseline"))
    return {
        "corpus": str(corpus),
        "ours.seconds": ours["seconds"],
        "ours.articles_per_s": ours["articles"] / ours["seconds"],
        "ours.chunks_per_s": ours["chunks"] / ours["seconds"],
        "ours.articles": ours["articles"],
        "ours.chunks": ours["chunks"],
        "ours.peak_rss_mb": ours["peak_rss_mb"],
        "floor.seconds": floor["seconds"],
        "floor.peak_rss_mb": floor["peak_rss_mb"],
        "baseline.seconds": base["seconds"],
        "baseline.chunks": base["chunks"],
        "baseline.peak_rss_mb": base["peak_rss_mb"],
        "ours_over_floor": ours["seconds"] / floor["seconds"],
        "baseline_over_ours": base["seconds"] / ours["seconds"],
    }
