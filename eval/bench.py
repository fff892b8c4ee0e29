"""Benchmarks that print numbers (never timed tests).

``newsrag bench ingest``: our pipeline vs. the embedding model alone (the floor) vs. a plain
LlamaIndex pipeline (the baseline), each in its own process so peak RSS is its own.
``newsrag bench query``: retrieval latency over >= 10,000 chunks; answer timings and prompt
tokens vs. llama.cpp alone on the same prompt (the floor) and LlamaIndex's
CitationQueryEngine over the same store and model (the baseline).
``newsrag bench scale``: store size (10k to 1M chunks) against retrieval latency, start-up,
RSS, disk and write cost, ours vs. a plain LlamaIndex + Chroma pipeline.
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


def need(corpus: Path | None = None, queries: Path | None = None) -> None:
    """Raise one DataMissingError line when a benchmark input is missing (naming the flag)."""
    from rag.errors import DataMissingError

    wanted = [(p, f) for p, f in ((corpus, "--corpus"), (queries, "--queries")) if p is not None]
    missing = [(Path(p), flag) for p, flag in wanted if not Path(p).is_file()]
    if missing:
        raise DataMissingError(
            f"Benchmark data not found: {' and '.join(str(p) for p, _ in missing)}.",
            "Pass "
            + " ".join(f"{flag} FILE" for _, flag in missing)
            + " (MultiHop-RAG JSONL: articles with a body field; queries with query and"
            " question_type), or place them in ../shared/datasets/multihop-rag/.",
        )


def _proc_status_mb(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _peak_rss_mb() -> float:
    """Peak RSS of this process since it started its program. Linux's ``ru_maxrss`` survives
    fork and exec, so a phase started from a big parent would report the parent's size;
    ``VmHWM`` belongs to the program's own memory map."""
    peak = _proc_status_mb("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _phase(name: str, corpus: Path, data_dir: Path) -> dict[str, Any]:
    """One measurement, run in a fresh process; model loading is not timed."""
    from rag.settings import Settings

    settings = Settings(data_dir=data_dir)
    if name == "ours":
        from ingest.pipeline import Ingestor
        from rag.embeddings import build_embedder
        from rag.store import Store
        from rag.tokens import count_tokens

        embedder = build_embedder(settings)
        embedder.embed(["warm up"])
        count_tokens("warm up")  # loads the tokenizer (and llama-index) like the models
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
    need(corpus=corpus)
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


QUERIES = REPO.parent / "shared" / "datasets" / "multihop-rag" / "queries.jsonl"


def _percentile(values: list[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(values, q)) if values else float("nan")


def _build_large_store(settings, embedder, corpus: Path, target_chunks: int) -> int:
    """Ingest the corpus for real, then add perturbed copies (fresh ids, vectors nudged by
    noise) until the store holds ``target_chunks`` chunks: realistic sizes for the ANN and
    BM25 indexes without hours of embedding."""
    import dataclasses

    import numpy as np

    from ingest.pipeline import Ingestor
    from rag.documents import Chunk
    from rag.store import Store

    store = Store(settings)
    Ingestor(settings, store, embedder).run([str(corpus)])
    base = store.all_chunks()
    vec = store.vectors([c.chunk_id for c in base])
    rng = np.random.default_rng(0)
    articles = {a["doc_id"]: store.article(a["doc_id"]) for a in store.articles()}
    copy = 0
    while store.chunk_count() < target_chunks:
        copy += 1
        batch = []
        for doc_id, row in articles.items():
            from rag.documents import Article

            fields = (f.name for f in dataclasses.fields(Article))
            art = Article(**{k: row[k] for k in fields if k in row})
            art = dataclasses.replace(art, doc_id=f"{doc_id}c{copy}", url=f"{art.url}#{copy}")
            originals = [c for c in base if c.doc_id == doc_id]
            chunks = [Chunk(art.doc_id, c.index, c.start, c.end, c.text) for c in originals]
            noise = rng.normal(0, 0.02, (len(chunks), embedder.dim)).astype("float32")
            vectors = np.stack([vec[c.chunk_id] for c in originals]) + noise
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            batch.append((art, chunks, vectors))
        store.write_articles(batch)
    return store.chunk_count()


def bench_query(
    model: str | None = None,
    questions: int = 12,
    corpus: Path = DEFAULT_CORPUS,
    target_chunks: int = 10_000,
    retrieval_queries: int = 200,
    queries: Path | None = None,
) -> dict[str, Any]:
    """Retrieval latency at scale, then answers: ours vs. floor vs. CitationQueryEngine."""
    from rag.embeddings import build_embedder
    from rag.engine import NewsRAG
    from rag.llm import build_llm
    from rag.settings import Settings
    from rag.store import Store

    queries = queries or QUERIES
    need(corpus=corpus, queries=queries)
    rows = [json.loads(x) for x in queries.read_text().splitlines() if x.strip()]
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="newsrag-bench-q-") as tmp:
        big = Settings(data_dir=Path(tmp) / "big")
        embedder = build_embedder(big)
        t = time.perf_counter()
        result["retrieval.chunks"] = _build_large_store(big, embedder, corpus, target_chunks)
        result["retrieval.build_s"] = time.perf_counter() - t
        rag = NewsRAG(big, Store(big), embedder, llm=None)
        rag.retriever.search("warm up", 5)  # builds the BM25 index once
        lat = []
        for row in rows[:retrieval_queries]:
            t = time.perf_counter()
            rag.retriever.search(row["query"], 5)
            lat.append(time.perf_counter() - t)
        result["retrieval.queries"] = len(lat)
        result["retrieval.p50_ms"] = _percentile(lat, 50) * 1000
        result["retrieval.p95_ms"] = _percentile(lat, 95) * 1000

        settings = Settings(data_dir=Path(tmp) / "small", **({"llm_model": model} if model else {}))
        store = Store(settings)
        from ingest.pipeline import Ingestor

        Ingestor(settings, store, embedder).run([str(corpus)])
        llm = build_llm(settings)
        rag = NewsRAG(settings, store, embedder, llm)
        picked = [r for r in rows if r["question_type"] != "null_query"][:questions]
        result.update(_answers(rag, llm, picked, settings))
    result["model"] = model or Settings().llm_model
    return result


def _answers(rag, llm, picked: list[dict], settings) -> dict[str, Any]:
    from eval.baseline import citation_engine
    from eval.suites.common import looks_like_refusal
    from eval.suites.multihop import qa_strict

    ours_total, ours_ttft, ours_tokens, ours_ok, overhead = [], [], [], 0, []
    floor_total, base_total, base_tokens, base_ok, answered = [], [], [], 0, 0
    ours_wrong = base_wrong = 0  # answers given that are not right (a refusal is not one)
    baseline = citation_engine(rag, llm)
    by_type: dict[str, list[tuple[bool, bool]]] = {}  # question type -> (ours, baseline) ok
    for row in picked:
        q, gold = row["query"], row["answer"]
        llm.llama.reset()
        answer = rag.ask(q)
        ours_total.append(answer.timings["total_s"])
        if "first_token_s" in answer.timings:
            ours_ttft.append(answer.timings["first_token_s"])
        ours_tokens.append(answer.prompt_tokens)
        kind = row["question_type"]
        ours_right = qa_strict(answer.text, gold, answer.refused, kind)
        ours_ok += ours_right
        ours_wrong += (not answer.refused) and not ours_right
        if answer.prompt_tokens:
            # The floor: llama.cpp alone on exactly the prompt we sent, writing as many tokens
            # as our answer did (one when the refusal was read off the first-token logits).
            hits, _, _ = rag.retrieve(q)
            messages = rag._messages(q, rag._passages(q, rag._relevant(q, hits), {}))
            probed_refusal = (answer.refusal_probability or 0.0) >= settings.refusal_threshold
            written = 1 if probed_refusal else llm.count_tokens(answer.raw_text or " ")
            llm.llama.reset()
            t = time.perf_counter()
            llm.llama.create_chat_completion(
                [{"role": m.role.value, "content": m.content} for m in messages],
                temperature=0.0,
                seed=settings.llm_seed,
                max_tokens=max(1, written),
                repeat_penalty=1.05,
            )
            floor_total.append(time.perf_counter() - t)
            overhead.append(answer.timings["total_s"] - floor_total[-1])
            answered += not answer.refused
        llm.llama.reset()
        t = time.perf_counter()
        response = baseline.query(q)
        base_total.append(time.perf_counter() - t)
        base_tokens.append(llm.last_prompt_tokens)
        base_refused = looks_like_refusal(str(response))
        base_right = qa_strict(str(response), gold, base_refused, kind)
        base_ok += base_right
        base_wrong += (not base_refused) and not base_right
        by_type.setdefault(kind, []).append((ours_right, base_right))
    mean = lambda xs: sum(xs) / len(xs) if xs else float("nan")  # noqa: E731
    per_type = {}
    for kind, oks in sorted(by_type.items()):
        per_type[f"ours.qa_strict.{kind}"] = mean([float(o) for o, _ in oks])
        per_type[f"baseline.qa_strict.{kind}"] = mean([float(b) for _, b in oks])
        per_type[f"questions.{kind}"] = len(oks)
    return {
        "answers.questions": len(picked),
        "ours.total_s_mean": mean(ours_total),
        "ours.first_token_s_mean": mean(ours_ttft),
        "ours.prompt_tokens_mean": mean(ours_tokens),
        "ours.qa_strict": ours_ok / len(picked),
        "ours.answered": answered,
        "ours.wrong_answers": ours_wrong,
        "floor.total_s_mean": mean(floor_total),
        "ours_overhead_over_floor": (mean(overhead) / mean(floor_total))
        if floor_total
        else float("nan"),
        "baseline.total_s_mean": mean(base_total),
        "baseline.prompt_tokens_mean": mean(base_tokens),
        "baseline.qa_strict": base_ok / len(picked),
        "baseline.wrong_answers": base_wrong,
        **per_type,
    }
