"""MultiHop-RAG suite: retrieval by the benchmark's official rules, and answer accuracy.

Why: multi-hop news questions need evidence from several articles; the official metrics let us
compare ratios with the published figures. Retrieval calls the retriever directly with
``top_k=10`` (the official cut-off); answers come from ``rag.ask`` at the engine's own top_k.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from llama_index.core.evaluation.retrieval.metrics_base import RetrievalMetricResult

from eval import correctness
from eval.report import SuiteResult
from eval.suites import common
from eval.suites.common import RunConfig
from eval.suites.runner import run_suite
from rag.engine import strip_refusal_marker

SUITE = "multihop"
RETRIEVAL_K = 10
TYPES = ("inference", "comparison", "temporal", "null")


def default_corpus() -> Path:
    return common.shared_datasets() / "multihop-rag" / "corpus.jsonl"


def default_queries() -> Path:
    return common.shared_datasets() / "multihop-rag" / "queries.jsonl"


def qtype(query: dict[str, Any]) -> str:
    """``inference_query`` -> ``inference``."""
    return str(query.get("question_type", "unknown")).removesuffix("_query")


# ---------------------------------------------------------------------------------------------
# Official retrieval scoring


def _squash(text: str) -> str:
    return text.replace(" ", "").replace("\n", "")


def official_retrieval(retrieved: list[str], gold: list[str]) -> dict[str, Any]:
    """Hits@4, Hits@10, reciprocal rank, average precision as the upstream script computes them.

    A retrieved chunk hits when a gold fact (spaces and newlines removed) is a substring of it
    (same removal). MAP follows the upstream code: at each hitting rank, add (newly found gold
    facts / rank); divide by min(len(gold), 10). ``found`` counts distinct gold facts seen.
    """
    gold_s = [_squash(g) for g in gold]
    found: list[str] = []
    first: int | None = None
    hit4 = hit10 = False
    ap_sum = 0.0
    for rank, chunk in enumerate(retrieved[:RETRIEVAL_K], 1):
        chunk_s = _squash(chunk)
        if not any(g in chunk_s for g in gold_s):
            continue
        hit10 = True
        hit4 = hit4 or rank <= 4
        first = first or rank
        new = [g for g in gold_s if g in chunk_s and g not in found]
        found += new
        ap_sum += len(new) / rank
    return {
        "hits@4": float(hit4),
        "hits@10": float(hit10),
        "rr": 1.0 / first if first else 0.0,
        "ap": ap_sum / min(len(gold_s), 10) if gold_s else 0.0,
        "found": len(set(found)),
        "n_gold": len(set(gold_s)),
        "first_rank": first,
    }


class MultiHopRetrievalMetric(common.ChunkMetric):
    """The official MultiHop-RAG retrieval rules as a LlamaIndex retrieval metric.

    ``score`` is Hits@10; the other official numbers travel in ``metadata``.
    """

    metric_name: ClassVar[str] = "multihop_official"

    def score(self, chunks: common.Chunks) -> RetrievalMetricResult:
        scores = official_retrieval(chunks.retrieved_texts, chunks.expected_texts)
        return RetrievalMetricResult(score=scores["hits@10"], metadata=scores)


# ---------------------------------------------------------------------------------------------
# Answer scoring

_WORD = re.compile(r"\w+")


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def polarity(text: str) -> str | None:
    """ "yes"/"no" from the first standalone yes or no in the answer, else None."""
    m = re.search(r"\b(yes|no)\b", common.strip_markers(text).lower())
    return m.group(1) if m else None


def is_yes_no(gold: str) -> bool:
    return gold.strip().strip(".").lower() in ("yes", "no")


def qa_official(answer: str, gold: str, refused: bool, question_type: str) -> bool:
    """Upstream rule: correct when the answer shares a word with the gold answer
    (case-insensitive); a null query is correct when the system says it cannot answer."""
    if question_type == "null":
        return refused
    return bool(_words(common.strip_markers(answer)) & _words(gold))


def qa_strict(answer: str, gold: str, refused: bool, question_type: str) -> bool:
    """Yes/no questions by the answer's polarity; others by containment of the gold answer."""
    if question_type == "null":
        return refused
    if refused:
        return False
    if is_yes_no(gold):
        return polarity(answer) == gold.strip().strip(".").lower()
    return common.normalize_answer(gold) in common.normalize_answer(common.strip_markers(answer))


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Overall and per-type retrieval (non-null queries) and QA numbers from result rows."""
    summary: dict[str, Any] = {}
    graded = [r for r in rows if r.get("outcome")]
    if graded:  # correctness first: correct / wrong / refused, then refusals of null queries
        summary.update(correctness.outcome_rates(graded))
        agreement = correctness.verifier_agreement(graded)
        agreement.pop("disagreements")
        summary.update(agreement)
    summary["n_queries"] = len(rows)

    def retrieval(rs: list[dict[str, Any]], prefix: str) -> None:
        scored = [r["retrieval"] for r in rs if r.get("retrieval")]
        if not scored:
            return
        summary[f"{prefix}n_retrieval_queries"] = len(scored)
        for key, name in (("hits@4", "hits@4"), ("hits@10", "hits@10"), ("rr", "mrr@10")):
            summary[f"{prefix}{name}"] = common.mean([s[key] for s in scored])
        summary[f"{prefix}map@10"] = common.mean([s["ap"] for s in scored])
        summary[f"{prefix}recall@10"] = common.rate(
            sum(s["found"] for s in scored), sum(s["n_gold"] for s in scored)
        )

    def qa(rs: list[dict[str, Any]], prefix: str) -> None:
        gen = [r for r in rs if r.get("refused") is not None]
        if not gen:
            return
        if prefix and any(r.get("answerable") for r in gen):
            for key in ("correct", "wrong"):
                summary[f"{prefix}{key}"] = correctness.outcome_rates(gen)[key]
        summary[f"{prefix}qa_accuracy"] = common.mean([float(r["qa_accuracy"]) for r in gen])
        summary[f"{prefix}qa_strict"] = common.mean([float(r["qa_strict"]) for r in gen])
        summary[f"{prefix}refusal_rate"] = common.mean([float(r["refused"]) for r in gen])

    retrieval(rows, "")
    qa(rows, "")
    gen = [r for r in rows if r.get("refused") is not None]
    if gen:
        judged = common.judged_metrics(r.get("judge") for r in gen)
        summary["faithfulness"] = judged["faithfulness"]
        summary["citation_precision"] = judged["citation_precision"]
        summary["citation_recall"] = judged["citation_recall"]
        summary.update(common.latency_stats([r["latency_s"] for r in gen]))
    for t in TYPES:
        sub = [r for r in rows if r["type"] == t]
        if sub:
            summary[f"{t}.n"] = len(sub)
            if t != "null":
                summary[f"{t}.hits@10"] = common.mean(
                    [r["retrieval"]["hits@10"] for r in sub if r.get("retrieval")]
                )
            qa(sub, f"{t}.")
    return summary


def per_type(summary: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """Hits@10 and both QA accuracies per question type, for the report's table and chart."""
    categories: dict[str, dict[str, float | None]] = {}
    for t in TYPES:
        m = {
            k.split(".", 1)[1]: v
            for k, v in summary.items()
            if k.startswith(f"{t}.")
            and k.split(".", 1)[1] in ("hits@10", "qa_accuracy", "qa_strict", "correct", "wrong")
        }
        if m:
            categories[t] = m
    return categories


# ---------------------------------------------------------------------------------------------
# Running


class MultiHopSuite:
    """MultiHop-RAG's queries over its corpus: the official retrieval rules on a direct
    search at ``RETRIEVAL_K``, then ``rag.ask`` graded by the official and the strict rule."""

    name = SUITE

    def __init__(
        self,
        cfg: RunConfig,
        corpus: Path | None = None,
        queries: Path | None = None,
        answerable_only: bool = False,
    ) -> None:
        self.cfg = cfg
        self.answerable_only = answerable_only
        # The corpus runs Sept 26 - Dec 26 2023: "last week" means a week of that period.
        self.overrides: dict[str, Any] = {"reference_date": "2023-12-31"}
        self.corpus_path = Path(corpus) if corpus else default_corpus()
        self.queries_path = Path(queries) if queries else default_queries()

    def items(self) -> list[dict[str, Any]]:
        common.need_files(
            "MultiHop-RAG",
            [
                (self.corpus_path, "--corpus CORPUS.jsonl"),
                (self.queries_path, "--queries QUERIES.jsonl"),
            ],
        )
        qs = common.read_jsonl(self.queries_path)
        if self.answerable_only:  # "the first 60 non-null queries"
            qs = [q for q in qs if qtype(q) != "null"]
        return self.cfg.window(qs)

    def corpus(self, models: common.Models, root: Path) -> None:
        self.models = models
        self.rag = common.fresh_rag(models, root / "store")
        self.ingested, self.ingest_s = common.timed_call(
            lambda: common.ingest(self.rag, [self.corpus_path])
        )
        self.evaluator = common.PrecomputedRetrievalEvaluator(metrics=[MultiHopRetrievalMetric()])

    def row(self, q: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": q.get("id"),
            "type": qtype(q),
            "question": q["query"],
            "gold_answer": q.get("answer", ""),
            "n_gold_facts": len(q.get("evidence_list") or []),
        }

    def score(self, q: dict[str, Any], row: dict[str, Any], keep: Any) -> None:
        rag, t = self.rag, qtype(q)
        gold_facts = [e["fact"] for e in q.get("evidence_list") or []]
        hits, search_s = common.timed_call(
            lambda text=q["query"]: rag.retriever.search(text, top_k=RETRIEVAL_K)
        )
        row["search_s"] = search_s
        if t != "null" and gold_facts:
            ids, texts = common.retrieved_ids_texts(hits)
            res = self.evaluator.evaluate(
                q["query"],
                expected_ids=[],
                expected_texts=gold_facts,
                retrieved_ids=ids,
                retrieved_texts=texts,
            )
            row["retrieval"] = res.metric_dict["multihop_official"].metadata
        row["retrieved"] = common.retrieved_record(hits, RETRIEVAL_K)
        if self.cfg.retrieval_only:
            return
        answer, seconds = common.timed_call(lambda text=q["query"]: rag.ask(text))
        keep(answer)
        refused = common.record_answer(row, answer)
        row["latency_s"] = seconds
        row["qa_accuracy"] = qa_official(answer.text, row["gold_answer"], refused, t)
        row["qa_strict"] = qa_strict(answer.text, row["gold_answer"], refused, t)
        row["answerable"] = t != "null"
        row["outcome"] = correctness.outcome(row["qa_strict"], refused, t != "null")
        raw = strip_refusal_marker(answer.raw_text)
        row["raw_outcome"] = correctness.outcome(
            qa_strict(raw, row["gold_answer"], not raw, t), not raw, t != "null"
        )

    def label(self, q: dict[str, Any]) -> str:
        return SUITE

    def finish(self, rows: list[dict[str, Any]]) -> None:
        self.model_name = self.rag.model_name
        if self.cfg.retrieval_only:
            self.model_name = "none (retrieval only)"
        self.n_chunks = self.rag.library.chunk_count()
        self.n_articles = self.rag.library.article_count()
        self.rag.library.close()

    def summarise(self, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
        summary = summarize(list(rows))
        summary["ingest_s"] = self.ingest_s
        summary["search_p50_s"] = common.latency_stats(
            [r["search_s"] for r in rows if "search_s" in r]
        )["latency_p50_s"]
        return summary

    def report(
        self, rows: Sequence[dict[str, Any]], summary: Mapping[str, Any], judge: Any
    ) -> dict[str, Any]:
        notes = [
            f"model: `{self.model_name}`; embedder: `{getattr(self.models.embedder, 'name', '?')}`",
            f"corpus: `{self.corpus_path}` ({self.n_articles} articles, {self.n_chunks} chunks, "
            f"ingested in {self.ingested.seconds:.1f} s); queries: {len(rows)} "
            "(first in file order)",
            f"retrieval: `rag.retriever.search(query, top_k={RETRIEVAL_K})`, official rules "
            "(null queries skipped); answers: `rag.ask` at the engine's top_k",
            "qa_accuracy is the official any-shared-word rule (lenient); qa_strict judges yes/no "
            "answers by polarity and others by containment of the gold answer.",
            f"time: {summary['seconds_total']:.0f} s",
        ]
        examples = [
            f"- **{r['id']}** ({r['type']}) gold {r['gold_answer']!r} → "
            f"{r.get('answer', '')[:200]!r}"
            for r in rows
            if r.get("refused") is not None and not r["qa_strict"]
        ][:12]
        by_rank: dict[str, list[float]] = defaultdict(list)
        for r in rows:
            if r.get("retrieval"):
                by_rank["reciprocal rank (first gold fact)"].append(r["retrieval"]["rr"])
                by_rank["share of gold facts in top 10"].append(
                    r["retrieval"]["found"] / max(1, r["retrieval"]["n_gold"])
                )
        return {
            "categories": per_type(dict(summary)),
            "distributions": dict(by_rank),
            "notes": notes,
            "examples": examples,
        }


def run(
    cfg: RunConfig,
    corpus: Path | None = None,
    queries: Path | None = None,
    answerable_only: bool = False,
) -> SuiteResult:
    """Ingest the corpus into a temporary store, then retrieve (and answer) every query (with
    ``answerable_only``, every query but the null ones, before ``--limit``)."""
    return run_suite(MultiHopSuite(cfg, corpus, queries, answerable_only), cfg)
