"""``newsrag bench scale``: store size (10k to 1M chunks) against retrieval latency (with and
without filters), start-up, RSS, disk and write cost, ours vs. a plain LlamaIndex + Chroma
pipeline. Moved out of eval/bench.py so the scale work (issue 14) and the other benchmarks can
change apart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from eval.bench import DEFAULT_CORPUS, REPO, peak_rss_mb, proc_status_mb
from eval.metrics import percentile

# `newsrag bench scale` --------------------------------------------------------------------
SCALE_SIZES = (10_000, 100_000)
# Articles written (and timed) into each big store, and once into an empty one to compare.
SCALE_ADD_ARTICLES = 1_000
# Share of words (4+ letters) reversed in each copy, and noise added to each vector component.
COPY_WORD_SHARE = 0.05
COPY_VECTOR_NOISE = 0.02
# Copies are dated back by (copy % COPY_WEEKS) weeks: an archive of about two years.
COPY_WEEKS = 104
# Filtered queries ask for one outlet, a 30-day window, or both.
FILTER_WINDOW_DAYS = 30
# Copies written to the stores per write while filling them, in articles (a few of the
# Ingestor's groups of chunks: fewer, larger writes fill a million-chunk store sooner).
SCALE_WRITE_ARTICLES = 500
# While filling, a line on stderr every this many chunks (a 1M-chunk fill takes a while).
FILL_REPORT_CHUNKS = 50_000
# Copy numbers of the articles added after the queries, far above those used to fill.
ADD_COPY_BASE = 10_000_000
SAMPLE_DIR = REPO / "data" / "sample"


def default_scale_corpus() -> Path:
    """MultiHop-RAG's 326 articles when present, else the repo's sample articles."""
    return DEFAULT_CORPUS if DEFAULT_CORPUS.is_file() else SAMPLE_DIR


def _scale_queries(corpus: Path, n: int) -> list[str]:
    """Questions to time: MultiHop's queries beside its corpus, else the sample set's."""
    path = corpus.parent / "queries.jsonl" if corpus.is_file() else None
    if path is None or not path.is_file():
        path, key = REPO / "eval" / "sets" / "sample.jsonl", "question"
    else:
        key = "query"
    rows = [json.loads(x) for x in path.read_text("utf-8").splitlines() if x.strip()]
    out = [r[key] for r in rows if r.get(key)]
    return (out * (n // max(1, len(out)) + 1))[:n]


def _build_seed(corpus: Path, work: Path) -> Path:
    """Ingest the corpus for real (the only embedding done, through the library as ``newsrag
    ingest`` does) and keep its articles, chunks and vectors, read back from the store, in one
    pickle the measuring processes read."""
    import dataclasses
    import pickle

    import numpy as np

    from rag.documents import Article, Chunk
    from rag.library import Library
    from rag.settings import Settings
    from rag.store import Store

    settings = Settings(data_dir=work / "seed")
    store = Store(settings)
    with Library(settings, store) as library:  # closes the store
        library.ingest([corpus])
        chunks = store.all_chunks()
        vectors = store.vectors([c.chunk_id for c in chunks])
        fields = [f.name for f in dataclasses.fields(Article)]
        seed = []
        for row in library.articles():
            full = library.article(row["doc_id"]) or {}
            article = Article(**{k: full[k] for k in fields if k in full})
            mine = [c for c in chunks if c.doc_id == article.doc_id]
            if not mine:
                continue
            seed.append(
                (
                    article,
                    [Chunk(c.doc_id, c.index, c.start, c.end, c.text) for c in mine],
                    np.stack([vectors[c.chunk_id] for c in mine]),
                )
            )
    if not seed:
        from rag.errors import DataMissingError

        raise DataMissingError(f"Nothing could be ingested from {corpus}.", "Pass --corpus.")
    path = work / "seed.pickle"
    path.write_bytes(pickle.dumps(seed))
    return path


def _copy(seed_item, copy: int):
    """Copy ``copy`` of one seed article: fresh id, hash and url, some words reversed (offsets
    kept, so every chunk is still ``text[start:end]``), dated back, vectors nudged."""
    import dataclasses
    import hashlib
    import re
    from datetime import UTC, datetime

    import numpy as np

    from rag.documents import Chunk

    article, chunks, vectors = seed_item
    rng = np.random.default_rng([copy, int(article.sha256[:8] or "0", 16)])
    text = article.text
    words = [m.span() for m in re.finditer(r"[A-Za-z]{4,}", text)]
    picked = sorted(rng.choice(len(words), int(len(words) * COPY_WORD_SHARE), replace=False))
    pieces, last = [], 0
    for i in picked:
        a, b = words[i]
        pieces += [text[last:a], text[a:b][::-1]]
        last = b
    text = "".join(pieces) + text[last:]
    doc_id = f"{article.doc_id}c{copy}"
    ts, published = article.published_ts, article.published
    if ts is not None:
        ts -= (copy % COPY_WEEKS) * 7 * 86400
        published = datetime.fromtimestamp(ts, UTC).isoformat()
    new = dataclasses.replace(
        article,
        doc_id=doc_id,
        text=text,
        url=f"{article.url}#c{copy}",
        sha256=hashlib.sha256(f"{article.sha256}:{copy}".encode()).hexdigest(),
        published=published,
        published_ts=ts,
        path=f"bench-copy-{copy}",
    )
    new_chunks = [Chunk(doc_id, c.index, c.start, c.end, text[c.start : c.end]) for c in chunks]
    noisy = vectors + rng.normal(0, COPY_VECTOR_NOISE, vectors.shape).astype(np.float32)
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    return new, new_chunks, noisy.astype(np.float32)


def _copies(seed, first_copy: int, articles: int):
    """``articles`` copies, seed article by seed article, copy numbers from ``first_copy``."""
    n = 0
    copy = first_copy
    while True:
        for item in seed:
            if n >= articles:
                return
            yield _copy(item, copy)
            n += 1
        copy += 1


def _baseline_nodes(batch):
    """The same articles as plain LlamaIndex nodes (text, flat metadata, our vector)."""
    from llama_index.core.schema import TextNode

    return [
        TextNode(
            id_=f"{a.doc_id}:{c.index}",
            text=c.text,
            metadata={**a.metadata(), "chunk_index": c.index},
            embedding=v.tolist(),
        )
        for a, chunks, vectors in batch
        for c, v in zip(chunks, vectors, strict=True)
    ]


class _ScaleStores:
    """Our store and the baseline's, filled in lockstep with the same copies."""

    def __init__(self, work: Path, seed, baseline: bool) -> None:
        from rag.settings import Settings
        from rag.store import Store

        self.seed = seed
        self.settings = Settings(data_dir=work / "ours")
        self.store = Store(self.settings)
        self.base_dir = work / "baseline"
        self.base_store = _baseline_vector_store(self.base_dir) if baseline else None
        self.next_copy = 0
        self.chunks: int | None = None  # in our store, counted as written
        self.build_s = self.base_build_s = 0.0

    def fill(self, target_chunks: int) -> None:
        """Write copies until the stores hold ``target_chunks``, a batch at a time (only one
        batch of copies is ever in memory). Chunks are counted as they are written: asking
        Chroma for its count after every write costs more than the write at 1M chunks."""
        if self.chunks is None:
            self.chunks = self.store.chunk_count()
        started = time.perf_counter()
        while self.chunks < target_chunks:
            batch = []
            for _ in range(max(1, min(SCALE_WRITE_ARTICLES, target_chunks - self.chunks))):
                item = self.seed[self.next_copy % len(self.seed)]
                batch.append(_copy(item, self.next_copy // len(self.seed)))
                self.next_copy += 1
            t = time.perf_counter()
            self.store.write_articles(batch)
            self.build_s += time.perf_counter() - t
            if self.base_store is not None:
                nodes = _baseline_nodes(batch)
                t = time.perf_counter()
                self.base_store.add(nodes)
                self.base_build_s += time.perf_counter() - t
            before, self.chunks = self.chunks, self.chunks + sum(len(c) for _, c, _ in batch)
            if self.chunks // FILL_REPORT_CHUNKS > before // FILL_REPORT_CHUNKS:
                print(
                    f"filled {self.chunks:,} chunks ({time.perf_counter() - started:.0f} s)",
                    file=sys.stderr,
                    flush=True,
                )

    def close(self) -> None:
        self.store.close()


def _baseline_vector_store(path: Path):
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.vector_stores.chroma import ChromaVectorStore

    client = chromadb.PersistentClient(
        path=str(path), settings=ChromaSettings(anonymized_telemetry=False)
    )
    collection = client.get_or_create_collection("baseline", metadata={"hnsw:space": "cosine"})
    return ChromaVectorStore(chroma_collection=collection)


def _disk_mb(path: Path) -> float:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                pass
    return total / 2**20


def _rss_now_mb() -> float:
    now = proc_status_mb("VmRSS")
    return now if now is not None else peak_rss_mb()


def _filters_for(i: int, outlets: list[str], lo_ts: int, hi_ts: int):
    """The i-th filtered query's filter: an outlet, a 30-day window, or both, in turn."""
    from datetime import UTC, datetime, timedelta

    from rag.retrieve import Filters

    span = max(1, hi_ts - lo_ts - FILTER_WINDOW_DAYS * 86400)
    start = datetime.fromtimestamp(lo_ts + (i * 7919 * 86400) % span, UTC).date()
    window = (start, start + timedelta(days=FILTER_WINDOW_DAYS))
    outlet = [outlets[i % len(outlets)]] if outlets else []
    kind = i % 3
    if kind == 0 and outlet:
        return Filters(sources=outlet)
    if kind == 1 or not outlet:
        return Filters(after=window[0], before=window[1])
    return Filters(sources=outlet, after=window[0], before=window[1])


def _scale_phase(config: dict[str, Any]) -> dict[str, Any]:
    """One cold process: open the store, time the first query (start-up), the queries with
    and without filters, peak RSS; then write ``add`` articles and time the next query."""
    import pickle

    seed = pickle.loads(Path(config["seed"]).read_bytes())
    data_dir = Path(config["data_dir"])
    queries, top_k = config["queries"], config["top_k"]
    filters = [_filters_for(i, config["outlets"], *config["ts_range"]) for i in range(len(queries))]
    if config["system"] == "ours":
        search, add, chunks = _ours_searcher(data_dir, top_k)
    else:
        search, add, chunks = _baseline_searcher(data_dir, top_k)
    out: dict[str, Any] = {"rss_models_mb": _rss_now_mb()}
    t = time.perf_counter()
    search = search()  # opens the store (nothing is loaded for the lexical index)
    if not queries:  # the empty-store run: only the write is timed
        t = time.perf_counter()
        add(list(_copies(seed, config["add_copy"], config["add"])))
        return {"add_s": time.perf_counter() - t}
    search(queries[0], None)
    out["startup_s"] = time.perf_counter() - t
    for name, use in (("", False), ("filtered_", True)):
        lat = []
        for i, q in enumerate(queries):
            t = time.perf_counter()
            search(q, filters[i] if use else None)
            lat.append(time.perf_counter() - t)
        out[f"{name}p50_ms"] = percentile(lat, 50) * 1000
        out[f"{name}p95_ms"] = percentile(lat, 95) * 1000
    out["rss_mb"] = peak_rss_mb()
    out["chunks"] = chunks()
    out["disk_mb"] = _disk_mb(data_dir)
    batch = list(_copies(seed, config["add_copy"], config["add"]))
    t = time.perf_counter()
    add(batch)
    out["add_s"] = time.perf_counter() - t
    out["add_chunks"] = sum(len(c) for _, c, _ in batch)
    t = time.perf_counter()
    search(queries[-1], None)
    out["query_after_add_s"] = time.perf_counter() - t
    return out


def _ours_searcher(data_dir: Path, top_k: int):
    from rag.embeddings import build_embedder
    from rag.settings import Settings

    settings = Settings(data_dir=data_dir)
    embedder = build_embedder(settings)
    embedder.embed(["warm up"])
    holder: dict[str, Any] = {}

    def open_and_search():
        from rag.engine import NewsRAG
        from rag.store import Store

        store = holder["store"] = Store(settings)
        _ = store.collection  # opened here, like the baseline's, not inside the first write
        holder["rag"] = NewsRAG(settings, store, embedder, llm=None)
        return lambda q, f: holder["rag"].retriever.search(q, top_k, f)

    def add(batch) -> None:  # already embedded: written to the store, as bench fills it
        store = holder["store"]
        group: list = []
        for item in batch:  # in the Ingestor's groups (settings.ingest_group_chunks)
            group.append(item)
            if sum(len(c) for _, c, _ in group) >= settings.ingest_group_chunks:
                store.write_articles(group)
                group = []
        store.write_articles(group)

    return open_and_search, add, lambda: holder["store"].chunk_count()


def _baseline_searcher(data_dir: Path, top_k: int):
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    from rag.models import resolve
    from rag.settings import Settings

    settings = Settings()
    embed = HuggingFaceEmbedding(
        model_name=str(resolve(settings.embed_model, settings)), device="cpu"
    )
    embed.get_text_embedding("warm up")
    holder: dict[str, Any] = {}

    def open_and_search():
        from llama_index.core import VectorStoreIndex

        vector_store = _baseline_vector_store(data_dir)
        holder["vs"] = vector_store
        index = VectorStoreIndex.from_vector_store(vector_store, embed_model=embed)

        def search(q, f):
            return index.as_retriever(
                similarity_top_k=top_k, filters=_llama_filters(f) if f else None
            ).retrieve(q)

        return search

    def add(batch) -> None:
        holder["vs"].add(_baseline_nodes(batch))

    return open_and_search, add, lambda: holder["vs"].client.count()


def _llama_filters(f):
    """Our Filters as LlamaIndex MetadataFilters (what a plain pipeline would pass)."""
    from llama_index.core.vector_stores import (
        FilterCondition,
        FilterOperator,
        MetadataFilter,
        MetadataFilters,
    )

    parts = []
    if f.sources:
        parts.append(MetadataFilter(key="source", value=f.sources, operator=FilterOperator.IN))
    lo, hi = f.bounds()
    if lo is not None:
        parts.append(MetadataFilter(key="published_ts", value=lo, operator=FilterOperator.GTE))
    if hi is not None:
        parts.append(MetadataFilter(key="published_ts", value=hi, operator=FilterOperator.LTE))
    return MetadataFilters(filters=parts, condition=FilterCondition.AND)


def _run_scale_phase(config: dict[str, Any]) -> dict[str, Any]:
    code = (
        "import json, sys; from eval.scale import _scale_phase;"
        "print(json.dumps(_scale_phase(json.loads(sys.stdin.read()))))"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    proc = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(config),
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"bench scale phase {config['system']} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench_scale(
    sizes: tuple[int, ...] = SCALE_SIZES,
    corpus: Path | None = None,
    queries: int = 200,
    add_articles: int = SCALE_ADD_ARTICLES,
    baseline: bool = True,
    top_k: int = 5,
) -> Iterator[dict[str, Any]]:
    """One flat record per size (smallest first; the stores grow from one size to the next):
    ours under plain keys, the plain LlamaIndex + Chroma pipeline under ``baseline.``.

    Store size against retrieval latency, start-up, memory, disk and write cost, ours and a
    plain LlamaIndex + Chroma pipeline, at sizes where embedding the text for real would take
    hours: the seed corpus is ingested once for real, then the stores are filled with copies of
    its articles (fresh ids; a few words of each reversed, so the vocabulary grows like an
    archive's; published dates moved back by whole weeks, up to two years; vectors nudged by
    noise and renormalised). Each size is measured in a fresh process, so start-up and RSS are a
    cold process's."""
    import pickle

    from rag.errors import DataMissingError

    corpus = Path(corpus) if corpus else default_scale_corpus()
    if not corpus.exists():
        raise DataMissingError(
            f"Benchmark corpus not found: {corpus}.",
            "Pass --corpus (a JSONL corpus or a folder of articles).",
        )
    with tempfile.TemporaryDirectory(prefix="newsrag-scale-") as tmp:
        work = Path(tmp)
        t = time.perf_counter()
        seed_path = _build_seed(corpus, work)
        seed_s = time.perf_counter() - t
        seed = pickle.loads(seed_path.read_bytes())
        stamps = [a.published_ts for a, _, _ in seed if a.published_ts is not None]
        hi = max(stamps, default=int(time.time()))
        lo = min(stamps, default=hi) - COPY_WEEKS * 7 * 86400
        common = {
            "seed": str(seed_path),
            "queries": _scale_queries(corpus, queries),
            "top_k": top_k,
            "outlets": sorted({a.source for a, _, _ in seed if a.source}),
            "ts_range": [lo, hi],
            "add": add_articles,
            "add_copy": ADD_COPY_BASE,
        }
        systems = ("ours", "baseline") if baseline else ("ours",)
        empty = {}
        for system in systems:  # the same articles into an empty store, for comparison
            data_dir = work / f"empty-{system}"
            if system == "baseline":
                _baseline_vector_store(data_dir)
            empty[system] = _run_scale_phase(
                {**common, "system": system, "data_dir": str(data_dir), "queries": []}
            )["add_s"]
        stores = _ScaleStores(work, seed, baseline)
        try:
            for n, size in enumerate(sorted(sizes)):
                stores.fill(size)
                record: dict[str, Any] = {}
                for system in systems:
                    data_dir = stores.settings.data_dir if system == "ours" else stores.base_dir
                    prefix = "" if system == "ours" else "baseline."
                    try:
                        got = _run_scale_phase(
                            {
                                **common,
                                "system": system,
                                "data_dir": str(data_dir),
                                "add_copy": ADD_COPY_BASE * (n + 1),
                            }
                        )
                    except RuntimeError as exc:  # one system failing keeps the other's numbers
                        record[f"{prefix}error"] = str(exc).strip().splitlines()[-1]
                        continue
                    got["add_empty_s"] = empty[system]
                    got["build_s"] = stores.build_s if system == "ours" else stores.base_build_s
                    record.update({f"{prefix}{k}": v for k, v in _ordered(got).items()})
                record["seed_chunks"] = sum(len(c) for _, c, _ in seed)
                record["seed_s"] = seed_s
                record["queries"] = queries
                record["add_articles"] = add_articles
                yield {"size": size, **record}
        finally:
            stores.close()


def _ordered(got: dict[str, Any]) -> dict[str, Any]:
    """A phase's figures in the table's order (``SCALE_COLUMNS``), then the rest by name."""
    keys = [k for k, _, _ in SCALE_COLUMNS]
    return {k: got[k] for k in keys + sorted(set(got) - set(keys))}


# Table columns of the text output: (key, header, format).
SCALE_COLUMNS = (
    ("chunks", "chunks", "{:,.0f}"),
    ("p50_ms", "p50 ms", "{:.0f}"),
    ("p95_ms", "p95 ms", "{:.0f}"),
    ("filtered_p50_ms", "filtered p50", "{:.0f}"),
    ("filtered_p95_ms", "filtered p95", "{:.0f}"),
    ("startup_s", "start-up s", "{:.1f}"),
    ("rss_mb", "RSS MB", "{:,.0f}"),
    ("rss_models_mb", "of which models MB", "{:,.0f}"),
    ("disk_mb", "disk MB", "{:,.0f}"),
    ("add_s", "add 1k s", "{:.1f}"),
    ("add_empty_s", "add 1k to empty s", "{:.1f}"),
    ("query_after_add_s", "1st query after add s", "{:.2f}"),
)


def parse_sizes(text: str) -> tuple[int, ...]:
    """``"10000,100k,1M"`` -> (10000, 100000, 1000000); one InputError line otherwise."""
    from rag.errors import InputError

    sizes = []
    for part in (p.strip() for p in text.split(",")):
        scale = {"k": 1_000, "m": 1_000_000}.get(part[-1:].lower(), 1)
        digits = part[:-1] if scale > 1 else part
        if not digits.replace("_", "").isdigit() or int(digits) * scale <= 0:
            raise InputError(
                f"--sizes {text!r}: {part!r} is not a number of chunks.",
                "Give positive numbers separated by commas, e.g. --sizes 10000,100k,1M.",
            )
        sizes.append(int(digits) * scale)
    return tuple(sorted(set(sizes)))


def scale_rows(records: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """(system, cells) per size and system, in SCALE_COLUMNS order: the printed table."""
    rows = []
    for record in records:
        for system, prefix in (("newsrag", ""), ("LlamaIndex + Chroma", "baseline.")):
            if f"{prefix}chunks" not in record:
                continue
            cells = []
            for key, _, fmt in SCALE_COLUMNS:
                value = record.get(prefix + key)
                cells.append("-" if value is None else fmt.format(value))
            rows.append((system, cells))
    return rows


def scale_cmd(
    sizes: Annotated[
        str, typer.Option(help="Store sizes in chunks, comma-separated (10000,100k,1M).")
    ] = "10000,100000",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per size.")] = False,
    corpus: Annotated[
        Path | None,
        typer.Option(help="Seed articles, JSONL or folder (default: MultiHop-RAG, else sample)."),
    ] = None,
    queries: Annotated[int, typer.Option(min=1, help="Queries timed per size and mode.")] = 200,
    add_articles: Annotated[
        int, typer.Option(min=1, help="Articles written into each store and an empty one.")
    ] = SCALE_ADD_ARTICLES,
    baseline: Annotated[bool, typer.Option(help="Measure plain LlamaIndex + Chroma too.")] = True,
) -> None:
    """Store size vs. retrieval p50/p95 (with and without filters), start-up, RSS, disk and
    the cost of adding articles; ours and a plain LlamaIndex + Chroma pipeline."""
    from rich.console import Console
    from rich.table import Table

    from rag.errors import NewsragError

    out, err = Console(soft_wrap=True), Console(stderr=True, soft_wrap=True)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    records = []
    try:
        for record in bench_scale(parse_sizes(sizes), corpus, queries, add_articles, baseline):
            records.append(record)
            if as_json:
                print(json.dumps(record), flush=True)
            else:
                err.print(f"measured {record['chunks']:,} chunks", highlight=False)
    except NewsragError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None
    if not as_json:
        table = Table("system", *(header for _, header, _ in SCALE_COLUMNS))
        for system, cells in scale_rows(records):
            table.add_row(system, *cells)
        out.print(table)
