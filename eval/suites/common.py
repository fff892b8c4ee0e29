"""Plumbing shared by the QA suites (sample, multihop, rgb).

Why one module: every suite must build the same way (a fresh temporary store, one loaded
embedder and LLM reused for the whole run), grade answers with the same independent judge, and
write the same three files. Scoring helpers here are pure functions so unit tests can pin them.
"""

from __future__ import annotations

import json
import re
import string
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from llama_index.core.evaluation import BatchEvalRunner, EvaluationResult, RetrievalEvalResult
from llama_index.core.evaluation.retrieval.base import BaseRetrievalEvaluator, RetrievalEvalMode
from llama_index.core.evaluation.retrieval.metrics_base import (
    BaseRetrievalMetric,
    RetrievalMetricResult,
)
from pydantic import PrivateAttr

from eval import metrics
from rag.dates import long_date, published_day

if TYPE_CHECKING:
    from llama_index.core.llms import LLM

    from eval.judge import Judge
    from rag.embeddings import Embedder
    from rag.engine import Answer, NewsRAG
    from rag.retrieve import Retrieved
    from rag.settings import Settings

ProgressFn = Callable[[int, int, str], None]  # (done, total, label)


def repo_root() -> Path:
    """The checkout this package lives in (``eval/suites/common.py`` -> repo)."""
    return Path(__file__).resolve().parents[2]


def shared_datasets() -> Path:
    """``../shared/datasets`` beside the repository, where the benchmark copies live."""
    return repo_root().parent / "shared" / "datasets"


def need_files(what: str, files: Sequence[tuple[Path, str]]) -> None:
    """Raise one DataMissingError line naming every missing file and how to pass it.

    ``files`` holds (path, how to pass it), e.g. ``(corpus, "--corpus FILE")``.
    """
    from rag.errors import DataMissingError

    missing = [(Path(p), how) for p, how in files if not Path(p).is_file()]
    if missing:
        names = " and ".join(str(p) for p, _ in missing)
        ways = " ".join(how for _, how in missing)
        raise DataMissingError(f"{what} not found: {names}.", f"Pass {ways}.")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every record of a JSONL file (blank lines skipped), as the benchmarks ship them."""
    with Path(path).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


# ---------------------------------------------------------------------------------------------
# Configuration and models


@dataclass
class RunConfig:
    """What a suite run needs from the command line; tests inject models through it."""

    out_dir: Path
    limit: int | None = None
    skip: int = 0  # items left out before ``limit`` (a later block of a benchmark)
    model: str | None = None  # LLM registry name; None = the settings' default
    retrieval_only: bool = False
    baseline: bool = False  # also answer with LlamaIndex's CitationQueryEngine (eval.baseline)
    progress: ProgressFn | None = None
    settings: Settings | None = None  # base settings (model dir, LLM options)
    embedder: Embedder | None = None  # injected (tests); else built from settings
    llm: LLM | None = None  # injected (tests); else built from settings
    judge: Judge | None = None  # injected; else the fast judge on the run's embedder
    judge_config: Path | None = None  # a fitted JudgeConfig JSON (eval.suites.ragtruth)

    def window(self, items: list[Any]) -> list[Any]:
        """The items this run asks: ``skip`` left out, then the first ``limit``. A later block
        (``--skip 60 --limit 80``) checks rules fitted on the first one against items they
        were not fitted to."""
        items = items[self.skip :]
        return items[: self.limit] if self.limit else items

    def tick(self, done: int, total: int, label: str = "") -> None:
        if self.progress:
            self.progress(done, total, label)


@dataclass
class Models:
    """The loaded models of one run: loading the LLM takes seconds, so it happens once."""

    settings: Settings
    embedder: Embedder
    llm: LLM | None


def base_settings(cfg: RunConfig, data_dir: Path, **overrides: Any) -> Settings:
    """Settings for a throw-away store at ``data_dir``; never the user's store or server."""
    from rag.settings import Settings

    update: dict[str, Any] = {"data_dir": data_dir, "chroma_mode": "persistent", **overrides}
    if cfg.model:
        update["llm_model"] = cfg.model
    if cfg.settings is not None:
        return cfg.settings.model_copy(update=update)
    return Settings(**update)


def build_models(cfg: RunConfig, data_dir: Path, **overrides: Any) -> Models:
    """Embedder and (unless retrieval-only) LLM, built once per run or taken from ``cfg``."""
    settings = base_settings(cfg, data_dir, **overrides)
    embedder = cfg.embedder
    if embedder is None:
        from rag.embeddings import build_embedder

        embedder = build_embedder(settings)
    llm = cfg.llm
    if llm is None and not cfg.retrieval_only:
        from rag.llm import build_llm

        llm = build_llm(settings)
    return Models(settings, embedder, llm)


def fresh_rag(models: Models, data_dir: Path, collection: str | None = None) -> NewsRAG:
    """A NewsRAG over an empty store in ``data_dir``, sharing the run's loaded models."""
    from rag.library import Library

    update: dict[str, Any] = {"data_dir": data_dir}
    if collection:
        update["collection"] = collection
    settings = models.settings.model_copy(update=update)
    return Library(settings, embedder=models.embedder).engine(models.llm)


def ingest(rag: NewsRAG, paths: Iterable[str | Path]) -> Any:
    """Run the real ingestion pipeline into ``rag``'s store; fail loudly if nothing lands."""
    report = rag.library.ingest(paths).report
    if not (report.added or report.updated or report.unchanged):
        reasons = "; ".join(f"{p}: {r}" for p, r in report.failed) or "no articles found"
        raise RuntimeError(f"ingestion produced no articles ({reasons})")
    return report


def build_judge(cfg: RunConfig, models: Models) -> Judge:
    """The independent judge (eval.judge) on the run's embedder; no LLM by default."""
    if cfg.judge is not None:
        return cfg.judge
    from eval.judge import Judge
    from eval.suites.ragtruth import load_config

    return Judge(models.embedder, None, load_config(cfg.judge_config))


def timed_call(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0


@contextmanager
def recording_errors(row: dict[str, Any]) -> Iterator[None]:
    """An engine error on one item is written to its row, and the run goes on."""
    from rag.errors import NewsragError

    try:
        yield
    except NewsragError as exc:
        row["error"] = str(exc)


# ---------------------------------------------------------------------------------------------
# Text scoring

_MARKERS = re.compile(r"\s*\[\d+(?:\s*[,;\-–]\s*\d+)*\]")
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = set(string.punctuation) | {"’", "‘", "“", "”", "–", "—"}
_REFUSAL = re.compile(
    r"not in (?:the )?sources|(?:do|does)(?: not|n't) (?:contain|mention|say|provide|"
    r"include|specify|state|answer)|insufficient information|not enough information|"
    r"(?:can ?not|can't|unable to) (?:answer|determine|find)|no information (?:about|on|in)|"
    r"(?:is|are) not (?:mentioned|provided|specified|stated|given)",
    re.IGNORECASE,
)


def strip_markers(text: str) -> str:
    """The answer without ``[1]``-style citation markers."""
    return re.sub(r"\s+([.,;:!?])", r"\1", _MARKERS.sub("", text)).strip()


def normalize_answer(text: str) -> str:
    """SQuAD normalisation (lower case, no punctuation, no articles, single spaces), except
    that hyphens split words: "four-drone strikes" must still contain "four"."""
    text = re.sub(r"[-‐‑–—]", " ", text.lower())
    text = "".join(ch for ch in text if ch not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def token_f1(prediction: str, gold: str) -> float:
    """SQuAD token F1 between a prediction and one gold answer (markers removed first)."""
    pred = normalize_answer(strip_markers(prediction)).split()
    ref = normalize_answer(gold).split()
    if not pred or not ref:
        return float(pred == ref)
    common = Counter(pred) & Counter(ref)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(ref)
    return 2 * precision * recall / (precision + recall)


def token_recall(prediction: str, gold: str) -> float:
    """Share of the gold answer's tokens found in the prediction: fair to long answers, which
    F1 punishes for every extra (possibly correct) word."""
    pred = Counter(normalize_answer(strip_markers(prediction)).split())
    ref = Counter(normalize_answer(gold).split())
    if not ref:
        return float(not pred)
    return sum((pred & ref).values()) / sum(ref.values())


def looks_like_refusal(text: str) -> bool:
    """Does the text decline for lack of information (beyond the engine's own refusal)?

    Only the first sentence counts, so an answer that quotes a fact and then adds "the article
    does not say more" still counts as an answer.
    """
    first = re.split(r"(?<=[.!?])\s+", strip_markers(text).strip(), maxsplit=1)[0]
    return bool(_REFUSAL.search(first))


def is_refusal(answer: Answer) -> bool:
    """The user-visible behaviour: the engine refused, or the model said it cannot answer."""
    return bool(answer.refused) or looks_like_refusal(answer.text)


def rate(num: float, den: float) -> float | None:
    """A fraction, or None when there is nothing to divide by (the metric is undefined)."""
    return num / den if den else None


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def row_latencies(rows: Iterable[Mapping[str, Any]]) -> list[float]:
    """The seconds of every row that was timed (rows that failed early have none)."""
    return [r["latency_s"] for r in rows if "latency_s" in r]


def latency_stats(latencies: Sequence[float]) -> dict[str, float | None]:
    if not latencies:
        return {"latency_p50_s": None, "latency_p95_s": None, "latency_mean_s": None}
    return {
        "latency_p50_s": metrics.percentile(latencies, 50),
        "latency_p95_s": metrics.percentile(latencies, 95),
        "latency_mean_s": sum(latencies) / len(latencies),
    }


# ---------------------------------------------------------------------------------------------
# Retrieval metrics through LlamaIndex's retrieval-evaluation classes


def span_id(doc_id: str, start: int, end: int) -> str:
    """Encode a passage's position as a LlamaIndex "id": ``doc_id:start:end``."""
    return f"{doc_id}:{start}:{end}"


def _parse_span_id(value: str) -> tuple[str, int, int] | None:
    parts = value.rsplit(":", 2)
    if len(parts) != 3:
        return None
    try:
        return parts[0], int(parts[1]), int(parts[2])
    except ValueError:
        return None


def passage_hit(
    expected_ids: Sequence[str],
    expected_texts: Sequence[str],
    retrieved_id: str,
    retrieved_text: str,
) -> bool:
    """A chunk hits when it contains a gold passage or overlaps a gold passage's span."""
    if any(t and t in retrieved_text for t in expected_texts):
        return True
    got = _parse_span_id(retrieved_id)
    if got is None:
        return False
    for gid in expected_ids:
        want = _parse_span_id(gid)
        if want and want[0] == got[0] and min(want[2], got[2]) > max(want[1], got[1]):
            return True
    return False


def first_hit_rank(
    expected_ids: Sequence[str] | None,
    retrieved_ids: Sequence[str] | None,
    expected_texts: Sequence[str] | None,
    retrieved_texts: Sequence[str] | None,
) -> int | None:
    """1-based rank of the first retrieved chunk that hits a gold passage, or None."""
    ids = list(retrieved_ids or [])
    texts = list(retrieved_texts or [""] * len(ids))
    for rank, (rid, rtext) in enumerate(zip(ids, texts, strict=True), 1):
        if passage_hit(expected_ids or [], expected_texts or [], rid, rtext):
            return rank
    return None


@dataclass(frozen=True)
class Chunks:
    """One query's gold passages and retrieved chunks, as ``span_id``s and texts."""

    expected_ids: list[str]
    retrieved_ids: list[str]
    expected_texts: list[str]
    retrieved_texts: list[str]


class ChunkMetric(BaseRetrievalMetric):
    """Base of our retrieval metrics: LlamaIndex's ``compute`` call, its optional lists made
    lists, handed to ``score`` (which a metric defines)."""

    def compute(
        self,
        query: str | None = None,
        expected_ids: list[str] | None = None,
        retrieved_ids: list[str] | None = None,
        expected_texts: list[str] | None = None,
        retrieved_texts: list[str] | None = None,
        **kwargs: Any,
    ) -> RetrievalMetricResult:
        ids = list(retrieved_ids or [])
        texts = list(retrieved_texts or [""] * len(ids))
        return self.score(Chunks(list(expected_ids or []), ids, list(expected_texts or []), texts))

    def score(self, chunks: Chunks) -> RetrievalMetricResult:
        raise NotImplementedError


class _PassageRankMetric(ChunkMetric):
    """Base of the passage metrics: each scores the rank of the first chunk that hits a gold
    passage, so the rank is found here once and subclasses only turn it into a score."""

    def score(self, chunks: Chunks) -> RetrievalMetricResult:
        return self.from_rank(
            first_hit_rank(
                chunks.expected_ids,
                chunks.retrieved_ids,
                chunks.expected_texts,
                chunks.retrieved_texts,
            )
        )

    def from_rank(self, rank: int | None) -> RetrievalMetricResult:
        raise NotImplementedError


class PassageHitRate(_PassageRankMetric):
    """Hit@k where a hit is passage containment or span overlap (not id equality)."""

    metric_name: ClassVar[str] = "passage_hit"
    k: int = 5

    def from_rank(self, rank: int | None) -> RetrievalMetricResult:
        return RetrievalMetricResult(score=float(rank is not None and rank <= self.k))


class PassageMRR(_PassageRankMetric):
    """Reciprocal rank of the first chunk holding (or overlapping) a gold passage."""

    metric_name: ClassVar[str] = "passage_mrr"

    def from_rank(self, rank: int | None) -> RetrievalMetricResult:
        return RetrievalMetricResult(score=1.0 / rank if rank else 0.0, metadata={"rank": rank})


class PrecomputedRetrievalEvaluator(BaseRetrievalEvaluator):
    """Scores chunks that were already retrieved (by ``ask``/``chat`` or a direct search).

    Why: the engine retrieves with date filters and follow-up condensing; re-running a bare
    retriever would grade a different retrieval than the one the answer was built from.
    """

    _given: tuple[list[str], list[str]] | None = PrivateAttr(default=None)

    async def _aget_retrieved_ids_and_texts(
        self, query: str, mode: RetrievalEvalMode = RetrievalEvalMode.TEXT
    ) -> tuple[list[str], list[str]]:
        if self._given is None:
            raise NotImplementedError("pass retrieved_ids and retrieved_texts to evaluate()")
        return self._given

    async def aevaluate(
        self,
        query: str,
        expected_ids: list[str],
        expected_texts: list[str] | None = None,
        mode: RetrievalEvalMode = RetrievalEvalMode.TEXT,
        retrieved_ids: list[str] | None = None,
        retrieved_texts: list[str] | None = None,
        **kwargs: Any,
    ) -> RetrievalEvalResult:
        """LlamaIndex's evaluation, over the chunks given instead of a new retrieval."""
        if retrieved_ids is not None:
            ids = list(retrieved_ids)
            self._given = (ids, list(retrieved_texts or [""] * len(ids)))
        return await super().aevaluate(query, expected_ids, expected_texts, mode, **kwargs)


def retrieved_ids_texts(hits: Sequence[Retrieved]) -> tuple[list[str], list[str]]:
    return (
        [span_id(r.chunk.doc_id, r.chunk.start, r.chunk.end) for r in hits],
        [r.chunk.text for r in hits],
    )


# ---------------------------------------------------------------------------------------------
# Per-answer verdicts from the judge


@dataclass
class SentenceJudgement:
    """One answer sentence as the judge sees it."""

    text: str
    citations: list[int]
    verifier_supported: bool  # the answer-time verdict (rag.verify), for comparison only
    supported: bool  # by the passages it cites (False when it cites none)
    score: float
    in_context: bool  # supported by any retrieved text (whether cited or not)
    citation_supported: dict[int, bool] = field(default_factory=dict)
    feedback: str = ""


@dataclass
class AnswerJudgement:
    sentences: list[SentenceJudgement]

    @property
    def n_sentences(self) -> int:
        return len(self.sentences)

    @property
    def n_supported(self) -> int:
        return sum(s.supported for s in self.sentences)

    @property
    def n_citations(self) -> int:
        return sum(len(s.citation_supported) for s in self.sentences)

    @property
    def n_citations_supported(self) -> int:
        return sum(sum(s.citation_supported.values()) for s in self.sentences)

    @property
    def n_in_context(self) -> int:
        return sum(s.in_context for s in self.sentences)

    @property
    def n_in_context_cited(self) -> int:
        return sum(s.in_context and bool(s.citations) for s in self.sentences)

    @property
    def n_verifier_agree(self) -> int:
        return sum(s.verifier_supported == s.supported for s in self.sentences)

    def to_dict(self) -> dict[str, Any]:
        """Counts (what the summary needs) plus the per-sentence detail."""
        return {
            "n_sentences": self.n_sentences,
            "n_supported": self.n_supported,
            "n_citations": self.n_citations,
            "n_citations_supported": self.n_citations_supported,
            "n_in_context": self.n_in_context,
            "n_in_context_cited": self.n_in_context_cited,
            "n_verifier_agree": self.n_verifier_agree,
            "sentences": [asdict(s) for s in self.sentences],
        }


def _card(citation: Any) -> str:
    """A cited passage as the reader's source card shows it: title, outlet and date, then
    the text ("The Verge reports X" is checked against the outlet too, "published on
    September 26, 2023" against the date)."""
    day = published_day(citation.published)
    when = long_date(day) if day else ""
    head = " - ".join(x for x in (citation.title, citation.outlet, when) if x)
    return f"{head}\n{citation.passage}" if head else citation.passage


_YES = re.compile(r"\s*yes\W*", re.IGNORECASE)
_NO = re.compile(r"\s*no\W*", re.IGNORECASE)


def _bare_no(text: str, question: str) -> bool:
    """A bare "No." to a yes/no question: it asserts that the question's claim does not
    hold, which no passage states in so many words (the sentences after it give the grounds,
    and are graded). It is no claim to grade, as the verifier reads it; whether the "No"
    is right is the correctness grading's (gold answers), not the support judge's."""
    from rag.verify import is_yes_no

    return bool(_NO.fullmatch(text)) and is_yes_no(question)


def judge_answers(
    judge: Judge, answers: Sequence[Answer | None], workers: int = 1
) -> list[AnswerJudgement | None]:
    """Grade every sentence of every non-refused answer with the judge, in one batch.

    Checks per sentence: against each cited passage alone and, with several citations, against
    the others without it (citation precision, ALCE's rule), against all cited passages
    together (faithfulness), and against every retrieved chunk (is the claim in the context at
    all; used for citation recall). Runs the judge's LlamaIndex evaluator
    (``eval.judge.FaithfulnessEvaluator``) through ``BatchEvalRunner``.
    """
    from rag.verify import is_yes_no

    queries: list[str] = []
    responses: list[str] = []
    contexts: list[list[str]] = []
    keys: list[tuple[int, int, str, int]] = []  # (answer, sentence, kind, citation number)
    for ai, ans in enumerate(answers):
        if ans is None or ans.refused:
            continue
        by_number = {c.number: c for c in ans.citations}
        retrieved = [r.chunk.text for r in ans.retrieved]
        for si, sent in enumerate(ans.sentences):
            if _bare_no(sent.text, ans.question):
                continue
            cited = [_card(by_number[n]) for n in sent.citations if n in by_number]
            jobs: list[tuple[str, int, list[str]]] = [("context", 0, retrieved)]
            if cited:
                jobs.append(("cited", 0, list(dict.fromkeys(cited))))
            numbers = [n for n in dict.fromkeys(sent.citations) if n in by_number]
            for n in numbers:
                jobs.append(("citation", n, [_card(by_number[n])]))
                if len(numbers) > 1:
                    others = [_card(by_number[m]) for m in numbers if m != n]
                    jobs.append(("without", n, others))
            claim, query = sent.text, ans.question
            if _YES.fullmatch(claim) and is_yes_no(ans.question):
                # A bare "Yes." asserts the question itself: grade that, with no word of it
                # taken as known.
                claim, query = ans.question.strip().rstrip("?"), ""
            for kind, number, ctx in jobs:
                if not ctx or not sent.text.strip():
                    continue  # nothing to grade against: counts as unsupported below
                queries.append(query)
                responses.append(claim)
                contexts.append(ctx)
                keys.append((ai, si, kind, number))
    results: list[EvaluationResult] = []
    if keys:
        from eval.judge import FaithfulnessEvaluator

        runner = BatchEvalRunner({"judge": FaithfulnessEvaluator(judge)}, workers=workers)
        results = runner.evaluate_response_strs(
            queries=queries, response_strs=responses, contexts_list=contexts
        )["judge"]
    found = dict(zip(keys, results, strict=True))
    out: list[AnswerJudgement | None] = []
    for ai, ans in enumerate(answers):
        if ans is None or ans.refused:
            out.append(None)
            continue
        sentences = []
        for si, sent in enumerate(ans.sentences):
            if _bare_no(sent.text, ans.question):
                continue
            ctx = found.get((ai, si, "context", 0))
            cited = found.get((ai, si, "cited", 0))
            together = bool(cited and cited.passing)
            per = _citation_precision(found, ai, si, sent.citations, together)
            sentences.append(
                SentenceJudgement(
                    text=sent.text,
                    citations=list(sent.citations),
                    verifier_supported=bool(sent.supported),
                    supported=bool(cited and cited.passing),
                    score=float(cited.score) if cited and cited.score is not None else 0.0,
                    in_context=bool(ctx and ctx.passing),
                    citation_supported=per,
                    feedback=(cited.feedback if cited else "cites no passage") or "",
                )
            )
        out.append(AnswerJudgement(sentences))
    return out


def _citation_precision(
    found: Mapping[tuple[int, int, str, int], EvaluationResult],
    ai: int,
    si: int,
    citations: Sequence[int],
    supported_together: bool,
) -> dict[int, bool]:
    """ALCE's rule: a citation is precise when it supports the sentence alone, or when the
    sentence is supported by all its citations and no longer without this one (each half of
    "A says X, while B says Y" needs its own source)."""
    alone = {
        n: bool(found[(ai, si, "citation", n)].passing)
        for n in citations
        if (ai, si, "citation", n) in found
    }
    per = {}
    for n, ok in alone.items():
        without = found.get((ai, si, "without", n))
        per[n] = ok or (supported_together and not (without and without.passing))
    return per


def attach_judgements(
    judge: Judge, rows: Sequence[dict[str, Any]], answers: Sequence[Answer | None]
) -> None:
    """Grade the run's answers in one batch; each row gets its answer's counts (or None)."""
    for row, judgement in zip(rows, judge_answers(judge, answers), strict=True):
        row["judge"] = judgement.to_dict() if judgement else None


def sentence_scores(rows: Iterable[Mapping[str, Any]]) -> list[float]:
    """The judge's support score of every graded answer sentence, for the distribution plot."""
    return [s["score"] for r in rows if r.get("judge") for s in r["judge"]["sentences"]]


def judged_metrics(counts: Iterable[Mapping[str, Any] | None]) -> dict[str, float | None]:
    """faithfulness, citation precision/recall and verifier agreement, micro-averaged over
    the per-answer counts of :meth:`AnswerJudgement.to_dict` (None = refused, not graded)."""
    cs = [c for c in counts if c]

    def total(key: str) -> int:
        return sum(int(c.get(key, 0)) for c in cs)

    n_sent, n_cit, n_ctx = total("n_sentences"), total("n_citations"), total("n_in_context")
    return {
        "faithfulness": rate(total("n_supported"), n_sent),
        "citation_precision": rate(total("n_citations_supported"), n_cit),
        "citation_recall": rate(total("n_in_context_cited"), n_ctx),
        "verifier_judge_agreement": rate(total("n_verifier_agree"), n_sent),
        "n_answer_sentences": n_sent,
        "n_citations": n_cit,
    }


def answer_record(answer: Answer | None) -> dict[str, Any]:
    """The parts of an Answer worth keeping per result line (no full chunk texts)."""
    if answer is None:
        return {}
    return {
        "answer": answer.text,
        "refused_engine": answer.refused,
        "raw_answer": answer.raw_text,
        "standalone_question": answer.standalone_question,
        "citations": [
            {
                "number": c.number,
                "doc_id": c.doc_id,
                "title": c.title,
                "sentence": c.sentence,
                "span": list(c.span),
                "score": round(c.score, 4),
            }
            for c in answer.citations
        ],
        "engine_sentences": [
            {"text": s.text, "supported": s.supported, "citations": s.citations, "why": s.reason}
            for s in answer.sentences
        ],
        "refusal_probability": answer.refusal_probability,
        "pick": answer.pick,
        "timings": {k: round(v, 4) for k, v in answer.timings.items()},
        "notes": answer.notes,
        "model": answer.model,
    }


def record_answer(row: dict[str, Any], answer: Answer) -> bool:
    """Put the answer and whether the user saw a refusal on ``row``; returns the refusal."""
    refused = is_refusal(answer)
    row.update(answer_record(answer))
    row["refused"] = refused
    return refused


def retrieved_record(hits: Sequence[Retrieved], limit: int = 10) -> list[dict[str, Any]]:
    return [
        {
            "chunk_id": r.chunk.chunk_id,
            "start": r.chunk.start,
            "end": r.chunk.end,
            "score": round(r.score, 5),
            "dense": None if r.dense is None else round(r.dense, 4),
            "title": r.chunk.meta.get("title", ""),
        }
        for r in hits[:limit]
    ]
