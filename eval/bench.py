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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.metrics import percentile

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


def proc_status_mb(field: str) -> float | None:
    """A size field of ``/proc/self/status`` (``VmRSS``, ``VmHWM``) in MB; None off Linux."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_rss_mb() -> float:
    """Peak RSS of this process since it started its program. Linux's ``ru_maxrss`` survives
    fork and exec, so a phase started from a big parent would report the parent's size;
    ``VmHWM`` belongs to the program's own memory map."""
    peak = proc_status_mb("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _phase(name: str, corpus: Path, data_dir: Path) -> dict[str, Any]:
    """One measurement, run in a fresh process; model loading is not timed."""
    from rag.settings import Settings

    settings = Settings(data_dir=data_dir)
    if name == "ours":
        from rag.embeddings import build_embedder
        from rag.library import Library
        from rag.store import Store
        from rag.tokens import count_tokens

        embedder = build_embedder(settings)
        embedder.embed(["warm up"])
        count_tokens("warm up")  # loads the tokenizer (and llama-index) like the models
        from rag.text import nlp

        nlp()  # and spaCy (the injection check's parser): a model load, not ingest work
        store = Store(settings)
        _ = store.collection  # Chroma opened before the clock, like the embedder
        t = time.perf_counter()
        report = Library(settings, store, embedder).ingest([corpus]).report  # as `newsrag ingest`
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
        "import json, sys; from pathlib import Path; from eval.bench import _phase, peak_rss_mb;"
        f"r = _phase({name!r}, Path({str(corpus)!r}), Path({str(data_dir)!r}));"
        "r['peak_rss_mb'] = peak_rss_mb(); print(json.dumps(r))"
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


def _build_large_store(store, embedder, corpus: Path, target_chunks: int) -> int:
    """Ingest the corpus for real (through the library, as ``newsrag ingest`` does), then
    write perturbed copies (fresh ids, vectors nudged by noise) straight to the store until it
    holds ``target_chunks`` chunks: realistic sizes for the ANN and BM25 indexes without hours
    of embedding. The copies are the store's own business (``Store.write_articles``, already
    embedded), not the library's."""
    import dataclasses

    import numpy as np

    from rag.documents import Chunk
    from rag.library import Library

    Library(store.settings, store, embedder).ingest([corpus])
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


# Questions answered before the timed ones, so every phase starts as a running server does:
# with its constant prompt prefix (system prompt) already in llama.cpp's cache.
WARMUP_QUESTIONS = 1
# Refusal-probe answers write no token; the floor then writes one (the refusal read off it).
FLOOR_MIN_TOKENS = 1
# The targets, printed beside the figures (seconds).
TARGETS = {"ttft_p50_s": 3.0, "answer_p50_s": 5.0, "answer_p95_s": 10.0, "overhead": 0.10}
CALL_KINDS = ("condense", "pick", "refusal_probe", "answer", "second_look")


@dataclass
class Timed:
    """One answer as the benchmark saw it: when its first token and its end came, what its
    model calls read (new vs cached prompt tokens, by call), and its grade."""

    set: str  # multihop | sample | followup
    question: str
    outcome: str  # correct | wrong | refused (answerable) or refused | answered
    answerable: bool
    ttft_s: float | None
    total_s: float
    calls: list[tuple[str, Any]] = field(default_factory=list)  # (kind, CallUsage)
    condense_s: float = 0.0
    right: bool = False  # the set's own rule (MultiHop: qa_strict)

    @property
    def answer_call(self) -> Any:
        found = [u for k, u in self.calls if k in ("answer", "refusal_probe")]
        return found[-1] if found else None


def label_calls(usage: list[Any]) -> list[tuple[str, Any]]:
    """Name each model call of one question: condensing (a ``chat`` call), the second look
    (a ``chat`` call whose prompt ends in the hint instruction), the pick (a probe whose
    prompt ends in the pick instruction), the refusal probe (any other probe), the answer
    (the ``stream`` call)."""
    import re

    import prompts

    pick = prompts.load("pick")
    hint = re.compile(
        re.escape(prompts.load("hint").strip())
        .replace(re.escape("{label}"), r"\d+")
        .replace(re.escape("{sentence}"), ".*"),
        re.DOTALL,
    )
    labels = []
    for u in usage:
        if u.kind == "chat":
            last = u.messages[-1]["content"] if u.messages else ""
            labels.append(("second_look" if hint.search(last) else "condense", u))
        elif u.kind == "probe":
            last = u.messages[-1]["content"] if u.messages else ""
            labels.append(("pick" if last.rstrip().endswith(pick) else "refusal_probe", u))
        else:
            labels.append(("answer", u))
    return labels


def timing_stats(rows: list[Timed], prefix: str = "") -> dict[str, Any]:
    """TTFT and answer-time percentiles, prompt tokens (whole answer prompt; new and cached
    over all of a question's calls), writing speed and the grades of ``rows``."""
    from eval import correctness

    if not rows:
        return {}
    ttft = [r.condense_s + r.ttft_s for r in rows if r.ttft_s is not None]
    total = [r.condense_s + r.total_s for r in rows]
    prompt = [r.answer_call.prompt_tokens for r in rows if r.answer_call is not None]
    new = [sum(u.new_tokens for _, u in r.calls) for r in rows if r.calls]
    cached = [sum(u.cached_tokens for _, u in r.calls) for r in rows if r.calls]
    written = [u for r in rows for k, u in r.calls if k == "answer" and u.generated_tokens > 1]
    writing_s = sum(u.seconds - (u.first_token_s or 0.0) for u in written)
    out: dict[str, Any] = {
        "questions": len(rows),
        "ttft_p50_s": percentile(ttft, 50),
        "ttft_p95_s": percentile(ttft, 95),
        "answer_p50_s": percentile(total, 50),
        "answer_p95_s": percentile(total, 95),
        "prompt_tokens_p50": percentile(prompt, 50),
        "new_tokens_p50": percentile(new, 50),
        "cached_tokens_p50": percentile(cached, 50),
        "tokens_per_s": (sum(u.generated_tokens - 1 for u in written) / writing_s)
        if writing_s > 0
        else float("nan"),
        "decode_steps_per_token": (
            sum(u.decode_steps for u in written) / sum(u.generated_tokens for u in written)
        )
        if written
        else float("nan"),
    }
    rates = correctness.outcome_rates(
        [{"answerable": r.answerable, "outcome": r.outcome} for r in rows]
    )
    out.update({k: v for k, v in rates.items() if v is not None})
    return {f"{prefix}{k}": v for k, v in out.items()}


def call_stats(rows: list[Timed]) -> dict[str, Any]:
    """Per kind of call (condense, pick, refusal probe, answer, second look): prompt tokens
    read anew and taken from llama.cpp's cache (p50), and how many questions made it."""
    out: dict[str, Any] = {}
    for kind in CALL_KINDS:
        calls = [u for r in rows for k, u in r.calls if k == kind]
        if calls:
            out[f"calls.{kind}.count"] = len(calls)
            out[f"calls.{kind}.new_tokens_p50"] = percentile([u.new_tokens for u in calls], 50)
            out[f"calls.{kind}.cached_tokens_p50"] = percentile(
                [u.cached_tokens for u in calls], 50
            )
            out[f"calls.{kind}.seconds_p50"] = percentile([u.seconds for u in calls], 50)
    return out


def bench_query(
    model: str | None = None,
    questions: int = 12,
    corpus: Path = DEFAULT_CORPUS,
    target_chunks: int = 10_000,
    retrieval_queries: int = 200,
    queries: Path | None = None,
    sample: int = 12,
    followups: int = 6,
    baseline: bool = True,
) -> dict[str, Any]:
    """Retrieval latency at scale, then answers to ``questions`` MultiHop questions, the
    first ``sample`` questions of the sample set and ``followups`` of its follow-ups (each
    after its earlier turn): TTFT, answer time, prompt tokens new vs cached, by call; the
    floor (llama.cpp alone on the same prompts); LlamaIndex's CitationQueryEngine on the
    same questions; the grades of each beside the timings. The top-level ``ttft_p50_s``,
    ``answer_p50_s``... cover the MultiHop and sample questions together."""
    from rag.embeddings import build_embedder
    from rag.library import Library
    from rag.llm import build_llm
    from rag.settings import Settings
    from rag.store import Store

    queries = queries or QUERIES
    need(corpus=corpus, queries=queries)
    rows = [json.loads(x) for x in queries.read_text().splitlines() if x.strip()]
    result: dict[str, Any] = {"model": model or Settings().llm_model}
    with tempfile.TemporaryDirectory(prefix="newsrag-bench-q-") as tmp:
        big = Settings(data_dir=Path(tmp) / "big")
        embedder = build_embedder(big)
        store = Store(big)
        t = time.perf_counter()
        try:
            result["retrieval.chunks"] = _build_large_store(store, embedder, corpus, target_chunks)
        finally:
            store.close()
        result["retrieval.build_s"] = time.perf_counter() - t
        # Searched through a freshly opened store, as a server started on it would be; no LLM
        # is loaded (retrieval only).
        rag = Library(big, embedder=embedder).engine()
        rag.retriever.search("warm up", 5)  # builds the lexical index once
        lat = []
        for row in rows[:retrieval_queries]:
            t = time.perf_counter()
            rag.retriever.search(row["query"], 5)
            lat.append(time.perf_counter() - t)
        result["retrieval.queries"] = len(lat)
        result["retrieval.p50_ms"] = percentile(lat, 50) * 1000
        result["retrieval.p95_ms"] = percentile(lat, 95) * 1000

        overrides = {"llm_model": model} if model else {}
        settings = Settings(data_dir=Path(tmp) / "multihop", **overrides)
        llm = build_llm(settings)
        if not hasattr(llm, "usage"):
            from rag.errors import ConfigError

            raise ConfigError(
                "bench query times the local llama.cpp model.",
                "Unset NEWSRAG_LLM_RECORDING and use NEWSRAG_LLM_BACKEND=llama_cpp.",
            )
        multihop = Library(settings, embedder=embedder)
        multihop.ingest([corpus])
        answerable = [r for r in rows if r["question_type"] != "null_query"]
        picked = answerable[WARMUP_QUESTIONS : WARMUP_QUESTIONS + questions]
        warm = [r["query"] for r in answerable[:WARMUP_QUESTIONS]]
        sets = [
            _multihop_answers(multihop.engine(llm), llm, picked, warm, baseline),
        ]
        if sample or followups:
            sample_settings = Settings(data_dir=Path(tmp) / "sample", **overrides)
            lib = Library(sample_settings, embedder=embedder)
            from eval.suites.sample import default_articles

            lib.ingest([default_articles()])
            sets.append(_sample_answers(lib.engine(llm), llm, sample, followups, baseline))
        for part in sets:
            result.update(part)
    return headline(result)


def _summarise(ours: list[Timed], floor: list[dict], base: list[dict], prefix: str) -> dict:
    """One set's figures: ours, the floor, the baseline, and our overhead over the floor."""
    out = timing_stats(ours, f"{prefix}.")
    if floor:
        f_total = [f["total_s"] for f in floor]
        out[f"{prefix}.floor.ttft_p50_s"] = percentile([f["ttft_s"] for f in floor], 50)
        out[f"{prefix}.floor.answer_p50_s"] = percentile(f_total, 50)
        out[f"{prefix}.floor.answer_p95_s"] = percentile(f_total, 95)
        out[f"{prefix}.floor.new_tokens_p50"] = percentile([f["new_tokens"] for f in floor], 50)
        ours_total = sum(f["ours_total_s"] for f in floor)
        out[f"{prefix}.overhead"] = ours_total / sum(f_total) - 1.0
    if base:
        b_total = [b["total_s"] for b in base]
        out[f"{prefix}.baseline.answer_p50_s"] = percentile(b_total, 50)
        out[f"{prefix}.baseline.answer_p95_s"] = percentile(b_total, 95)
        out[f"{prefix}.baseline.prompt_tokens_p50"] = percentile(
            [b["prompt_tokens"] for b in base], 50
        )
        from eval import correctness

        rates = correctness.outcome_rates(base)
        out.update({f"{prefix}.baseline.{k}": v for k, v in rates.items() if v is not None})
        if any("right" in b for b in base):
            out[f"{prefix}.baseline.qa_strict"] = sum(b.get("right", False) for b in base) / len(
                base
            )
    return out


def _ask(rag, llm, question: str, session: str | None = None) -> tuple[Any, list, float]:
    """Our answer to one question (a chat turn when ``session`` is given), the model calls
    it made, labelled, and the condensing time."""
    llm.clear_usage()
    answer = rag.chat(session, question) if session else rag.ask(question)
    return answer, label_calls(llm.usage), answer.timings.get("condense_s", 0.0)


def _floor(llm, rows: list[Timed], settings) -> list[dict]:
    """llama.cpp alone on exactly the prompt of each of our answers, writing as many tokens
    as ours did (one when the refusal was read off the first-token probabilities), called
    in the same order so its cache holds what ours held (the previous prompt; the last
    question's prompt, untimed, before the first)."""
    out = []
    llama = llm.llama
    # llama.cpp alone: none of our saved prompt states (which hold these very prompts).
    saved, keep = getattr(llama, "saved", None), getattr(llama, "prefix_states", 0)
    if saved is not None:
        llama.saved, llama.prefix_states = type(saved)(), 0
    try:
        out = _floor_calls(llama, rows, settings)
    finally:
        if saved is not None:
            llama.saved, llama.prefix_states = saved, keep
    return out


def _floor_calls(llama, rows: list[Timed], settings) -> list[dict]:
    out = []
    for n, r in enumerate(rows[-1:] + rows):
        call = r.answer_call
        if call is None:
            continue
        written = call.generated_tokens if call.kind == "stream" else FLOOR_MIN_TOKENS
        t = time.perf_counter()
        first = None
        for part in llama.create_chat_completion(
            call.messages,
            temperature=0.0,
            seed=settings.llm_seed,
            max_tokens=max(FLOOR_MIN_TOKENS, written),
            repeat_penalty=1.05,
            stream=True,
        ):
            if first is None and part["choices"][0]["delta"].get("content"):
                first = time.perf_counter() - t
        total = time.perf_counter() - t
        new = llama.evals[0] if getattr(llama, "evals", None) else call.prompt_tokens
        if n == 0:
            continue  # the warm-up
        out.append(
            {
                "ttft_s": first if first is not None else total,
                "total_s": total,
                "new_tokens": new,
                "ours_total_s": r.condense_s + r.total_s,
            }
        )
    return out


def _multihop_answers(rag, llm, picked: list[dict], warm: list[str], baseline: bool) -> dict:
    from eval import correctness
    from eval.suites.common import looks_like_refusal
    from eval.suites.multihop import qa_strict

    for q in warm:
        rag.ask(q)
    ours = []
    for row in picked:
        answer, calls, _ = _ask(rag, llm, row["query"])
        right = qa_strict(answer.text, row["answer"], answer.refused, row["question_type"])
        ours.append(
            Timed(
                "multihop",
                row["query"],
                correctness.outcome(right, answer.refused, True),
                True,
                answer.timings.get("first_token_s"),
                answer.timings["total_s"],
                calls,
                right=right,
            )
        )
    floor = _floor(llm, ours, rag.settings)
    base = []
    if baseline:
        engine = _baseline_engine(rag, llm)
        for q in warm:  # untimed: its constant prompt prefix into the cache
            engine.query(q)
        for row in picked:
            t = time.perf_counter()
            text = str(engine.query(row["query"]))
            seconds = time.perf_counter() - t
            refused = looks_like_refusal(text) or not text.strip()
            right = qa_strict(text, row["answer"], refused, row["question_type"])
            base.append(
                {
                    "total_s": seconds,
                    "prompt_tokens": llm.last_prompt_tokens,
                    "answerable": True,
                    "outcome": correctness.outcome(right, refused, True),
                    "right": right,
                }
            )
    out = _summarise(ours, floor, base, "multihop")
    out["multihop.qa_strict"] = sum(r.right for r in ours) / len(ours) if ours else float("nan")
    out.update({f"multihop.{k}": v for k, v in call_stats(ours).items()})
    out["_rows.multihop"] = ours
    return out


def _baseline_engine(rag, llm):
    from eval.baseline import citation_engine

    return citation_engine(rag, llm)


def _sample_answers(rag, llm, n: int, followups: int, baseline: bool) -> dict:
    """The sample set's first ``n`` questions (not follow-ups) and first ``followups``
    follow-ups, each asked in a new chat session after its earlier turns (untimed)."""
    from eval import correctness
    from eval.suites.common import looks_like_refusal
    from eval.suites.sample import load_set

    items = load_set()
    plain = [it for it in items if not it.follow_up_of][:n]
    follow = [it for it in items if it.follow_up_of][:followups]
    if plain:
        rag.ask(items[-1].question)  # warm-up: the constant prefix into the cache

    def timed(kind: str, it, session: str | None = None) -> Timed:
        answer, calls, condense_s = _ask(rag, llm, it.question, session)
        grade = correctness.grade(
            answer.text, answer.refused, it.answerable, it.key_facts, it.must_not
        )
        return Timed(
            kind,
            it.question,
            grade.outcome,
            it.answerable,
            answer.timings.get("first_token_s"),
            answer.timings["total_s"],
            calls,
            condense_s if session else 0.0,
        )

    ours = [timed("sample", it) for it in plain]
    later = []
    for it in follow:
        session = f"bench-{it.id}"
        rag.reset(session)
        for turn in it.history:
            rag.chat(session, turn)
        later.append(timed("followup", it, session))
    floor = _floor(llm, ours, rag.settings)
    base = []
    if baseline and plain:
        engine = _baseline_engine(rag, llm)
        engine.query(items[-1].question)  # warm-up
        for it in plain:
            t = time.perf_counter()
            text = str(engine.query(it.question))
            seconds = time.perf_counter() - t
            refused = looks_like_refusal(text) or not text.strip()
            grade = correctness.grade(text, refused, it.answerable, it.key_facts, it.must_not)
            base.append(
                {
                    "total_s": seconds,
                    "prompt_tokens": llm.last_prompt_tokens,
                    "answerable": it.answerable,
                    "outcome": grade.outcome,
                }
            )
    out = _summarise(ours, floor, base, "sample")
    out.update({f"sample.{k}": v for k, v in call_stats(ours).items()})
    out.update(timing_stats(later, "followup."))
    out.update({f"followup.{k}": v for k, v in call_stats(later).items()})
    if later:
        out["followup.condensed"] = sum(any(k == "condense" for k, _ in r.calls) for r in later)
        out["followup.condense_s_p50"] = percentile([r.condense_s for r in later], 50)
    out["_rows.sample"] = ours
    return out


def headline(result: dict[str, Any]) -> dict[str, Any]:
    """The figures the issue asks for first: ours over the MultiHop and sample questions
    together, overhead over the floor, the baseline's, and the targets; then every detail
    (without the per-question rows)."""
    rows = [r for key in ("_rows.multihop", "_rows.sample") for r in result.get(key, [])]
    top = {"model": result.get("model"), **timing_stats(rows)}
    overheads = [result[k] for k in ("multihop.overhead", "sample.overhead") if k in result]
    top["overhead"] = sum(overheads) / len(overheads) if overheads else float("nan")
    for key in ("qa_strict",):
        if f"multihop.{key}" in result:
            top[f"multihop.{key}"] = result[f"multihop.{key}"]
    top.update({f"target.{k}": v for k, v in TARGETS.items()})
    details = {k: v for k, v in result.items() if not k.startswith("_rows.") and k != "model"}
    # No figure (no such call, no floor) is None, not NaN, so --json prints valid JSON.
    return {k: None if v != v else v for k, v in {**top, **details}.items()}
