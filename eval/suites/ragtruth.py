"""RAGTruth suite: does a checker find the hallucinations that human annotators labelled?

Each RAGTruth response comes with character spans that its source does not support. We score
response-level detection (hallucinated = any label) and span overlap, beside two baselines on
the same items. Items are split deterministically by a hash of ``task:source_id`` into "tune"
(weights and thresholds are fitted there) and "test" (reported by default), so every response
about one source lands on the same side and nothing is tuned on the items it is graded on.

Run: ``newsrag eval ragtruth --limit 10``; refit the judge with ``newsrag eval ragtruth --tune``.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval import metrics
from eval.judge import (
    STOPWORDS,
    Judge,
    JudgeConfig,
    record_to_text,
    tokenize,
    weighted_logit,
)

TASKS: tuple[str, ...] = ("qa", "summary", "data2txt")
FILES = {"qa": "qa.jsonl", "summary": "summary.jsonl", "data2txt": "data2txt.jsonl"}
TASK_NAMES = {"qa": "QA", "summary": "Summary", "data2txt": "Data2txt"}

# Published response-level F1 (full RAGTruth test set), in percent, from the dataset README.
PUBLISHED: dict[str, dict[str, float | None]] = {
    "fine-tuned Llama-2-13B": {
        "qa": 68.2,
        "summary": 59.1,
        "data2txt": 88.1,
        "overall": 78.7,
        "span": 52.7,
    },
    "prompting GPT-4-turbo": {
        "qa": 45.6,
        "summary": 47.6,
        "data2txt": 78.3,
        "overall": 63.4,
        "span": 28.3,
    },
    "RAGAS faithfulness": {
        "qa": 35.7,
        "summary": 40.8,
        "data2txt": 61.9,
        "overall": 52.0,
        "span": None,
    },
}


def default_data_dir() -> Path:
    """``../shared/datasets/ragtruth`` relative to the repository root."""
    return Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "ragtruth"


@dataclass
class Item:
    """One (source, response) pair with its gold labels."""

    task: str
    source_id: str
    index: int  # position of the response under its source
    sources: list[str]
    question: str | None
    response: str
    model: str
    gold_spans: list[tuple[int, int]] = field(default_factory=list)
    label_types: list[str] = field(default_factory=list)

    @property
    def hallucinated(self) -> bool:
        return bool(self.gold_spans)

    @property
    def split(self) -> str:
        return split_of(self.task, self.source_id)


def split_of(task: str, source_id: str | int) -> str:
    """ "tune" or "test", stable across runs and machines (sha256, not Python's hash)."""
    digest = hashlib.sha256(f"{task}:{source_id}".encode()).digest()
    return "tune" if digest[0] % 2 == 0 else "test"


def _qa_sources(source: dict[str, Any]) -> tuple[list[str], str | None]:
    passages = str(source.get("passages", ""))
    parts = [p.strip() for p in re.split(r"passage \d+:", passages) if p.strip()]
    return parts or [passages], source.get("question")


def source_texts(task: str, source: Any) -> tuple[list[str], str | None]:
    """The readable source texts of one record and the question, if the task has one."""
    if task == "qa" and isinstance(source, dict):
        return _qa_sources(source)
    if task == "data2txt":
        return [record_to_text(source)], None
    return [source if isinstance(source, str) else json.dumps(source)], None


def load_items(data_dir: Path, tasks: Iterable[str] = TASKS) -> list[Item]:
    """Every response of the chosen tasks, in file order."""
    items: list[Item] = []
    for task in tasks:
        path = Path(data_dir) / FILES[task]
        if not path.is_file():
            from rag.errors import DataMissingError

            raise DataMissingError(
                f"RAGTruth not found: {path} is missing.",
                f"Pass the folder holding {', '.join(sorted(set(FILES.values())))}:"
                " `newsrag eval ragtruth DIR`.",
            )
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                row = json.loads(line)
                sources, question = source_texts(task, row["source"])
                for n, resp in enumerate(row["responses"]):
                    labels = resp.get("labels") or []
                    items.append(
                        Item(
                            task=task,
                            source_id=str(row["source_id"]),
                            index=n,
                            sources=sources,
                            question=question,
                            response=resp["response"],
                            model=resp.get("model", ""),
                            gold_spans=[(int(lab["start"]), int(lab["end"])) for lab in labels],
                            label_types=[str(lab.get("label_type", "")) for lab in labels],
                        )
                    )
    return items


def select(items: Sequence[Item], split: str, limit: int | None) -> list[Item]:
    """Items of one split ("tune", "test" or "all"); ``limit`` caps responses per task."""
    chosen = [it for it in items if split == "all" or it.split == split]
    if limit is None:
        return chosen
    out: list[Item] = []
    for task in TASKS:
        out.extend([it for it in chosen if it.task == task][:limit])
    return out


# ---------------------------------------------------------------------------------------------
# Baseline: plain word overlap


def word_overlap_score(item: Item) -> float:
    """Share of the response's content words that never occur in the source (0 = all found)."""
    source_words = {t.keys[0] for src in item.sources for t in tokenize(src)}
    words = [
        t.keys[0]
        for t in tokenize(item.response)
        if t.kind != "word" or t.text.lower() not in STOPWORDS
    ]
    if not words:
        return 0.0
    return sum(1 for w in words if w not in source_words) / len(words)


# ---------------------------------------------------------------------------------------------
# Checkers: each maps an item to (hallucination score, predicted flag, predicted spans, extra)

CheckResult = tuple[float, bool, list[tuple[int, int]], dict[str, Any]]


def _judge_checker(judge: Judge, use_llm: bool) -> Callable[[Item], CheckResult]:
    def run_one(item: Item) -> CheckResult:
        verdicts = judge.check(
            item.sources, item.response, question=item.question, use_llm=use_llm, task=item.task
        )
        flagged = not verdicts.faithful
        spans = [(s.start, s.end) for s in verdicts.unsupported_spans] if flagged else []
        extra = {
            "claims": [
                {
                    "start": c.start,
                    "end": c.end,
                    "verdict": c.verdict,
                    "score": c.score,
                    "features": c.features,
                }
                for c in verdicts.claims
            ],
            "used_llm": verdicts.used_llm,
        }
        return verdicts.hallucination_score, flagged, spans, extra

    return run_one


def _verifier_checker(settings: Any | None = None) -> Callable[[Item], CheckResult]:
    """The answer-time verifier from the query engine (``rag.verify``), graded the same way.

    Only its public entry points are used: the judge's own code never grades with it.
    """
    try:
        from rag import verify

        check_support = verify.check_support
        split_passage = verify.split_passage
        split_answer = verify.split_answer
    except (ImportError, AttributeError) as exc:
        raise RuntimeError(
            "checker='verifier' needs rag.verify.check_support (with split_passage and "
            f"split_answer), which is not available ({exc}). Use checker='judge' until the "
            "query engine's verifier exists."
        ) from exc
    from eval.judge import default_embedder
    from rag.settings import Settings

    embedder = default_embedder(str((settings or Settings()).model_dir))
    cache: dict[str, Any] = {}

    def run_one(item: Item) -> CheckResult:
        if len(cache) > 20000:
            cache.clear()
        sources = [
            sent for n, src in enumerate(item.sources, 1) for sent in split_passage(n, src, 0)
        ]
        claims = [text for text, _ in split_answer(item.response)]
        supports = check_support(
            claims, sources, embedder, cache, contexts=[item.question or ""] * len(claims)
        )
        return verifier_result(item.response, claims, supports)

    return run_one


def verifier_result(response: str, claims: Sequence[str], supports: Sequence[Any]) -> CheckResult:
    """Map the verifier's per-sentence ``Support`` objects to a response-level result.

    Hallucination score: the largest ``1 - score`` among checked sentences (the verifier's
    score is evidence strength when supported and at most 0.5 when not). Spans: the
    unsupported sentences, found in the response text.
    """
    score, flagged, spans, cursor = 0.0, False, [], 0
    for claim, sup in zip(claims, supports, strict=True):
        start = response.find(claim[:40], cursor)
        end = start + len(claim) if start >= 0 else -1
        if start >= 0:
            cursor = end
        if getattr(sup, "neutral", False):
            continue
        score = max(score, 1.0 - float(sup.score))
        if not sup.supported:
            flagged = True
            if start >= 0:
                spans.append((start, min(end, len(response))))
    return score, flagged, spans, {}


# ---------------------------------------------------------------------------------------------
# Scoring


def score_rows(rows: Sequence[dict[str, Any]], key: str = "") -> dict[str, float | None]:
    """Response P/R/F1 (overall and per task), span F1 and AUROC for result rows."""
    out: dict[str, float | None] = {}
    prefix = f"{key}." if key else ""
    pred_key, score_key = f"{prefix}pred", f"{prefix}score"
    gold = [bool(r["gold"]) for r in rows]
    prf = metrics.precision_recall_f1(gold, [bool(r[pred_key]) for r in rows])
    out[f"{prefix}response_precision"] = prf.precision
    out[f"{prefix}response_recall"] = prf.recall
    out[f"{prefix}response_f1"] = prf.f1
    for task in TASKS:
        sub = [r for r in rows if r["task"] == task]
        if sub:
            tprf = metrics.precision_recall_f1(
                [bool(r["gold"]) for r in sub], [bool(r[pred_key]) for r in sub]
            )
            out[f"{prefix}{task}.response_f1"] = tprf.f1
            out[f"{prefix}{task}.response_precision"] = tprf.precision
            out[f"{prefix}{task}.response_recall"] = tprf.recall
    if not key:
        counts = [metrics.span_counts(r["pred_spans"], r["gold_spans"]) for r in rows]
        span = metrics.span_f1(counts)
        out["span_precision"], out["span_recall"], out["span_f1"] = (
            span.precision,
            span.recall,
            span.f1,
        )
        for task in TASKS:
            sub = [
                metrics.span_counts(r["pred_spans"], r["gold_spans"])
                for r in rows
                if r["task"] == task
            ]
            if sub:
                out[f"{task}.span_f1"] = metrics.span_f1(sub).f1
    if rows and all(r.get(score_key) is not None for r in rows):
        out[f"{prefix}auroc"] = metrics.auroc(gold, [float(r[score_key]) for r in rows])
        for task in TASKS:
            sub = [r for r in rows if r["task"] == task]
            if sub:
                out[f"{prefix}{task}.auroc"] = metrics.auroc(
                    [bool(r["gold"]) for r in sub], [float(r[score_key]) for r in sub]
                )
    return out


def _overlap_thresholds(tune_items: Sequence[Item]) -> dict[str, float]:
    """Word-overlap cut per task, fitted on the tuning split like the judge's thresholds."""
    cuts: dict[str, float] = {}
    for task in TASKS:
        sub = [it for it in tune_items if it.task == task]
        if sub:
            cuts[task], _ = metrics.best_threshold(
                [it.hallucinated for it in sub], [word_overlap_score(it) for it in sub]
            )
    return cuts


# ---------------------------------------------------------------------------------------------
# Entry points


def load_config(path: Path | None, use_llm: bool = False) -> JudgeConfig:
    """The judge's fitted configuration: from ``path`` when given, else the built-in one."""
    if path is None:
        return JudgeConfig.with_llm() if use_llm else JudgeConfig()
    return JudgeConfig.from_json(Path(path).read_text(encoding="utf-8"))


def run(
    data_dir: Path | None = None,
    out_dir: Path = Path("eval-out/ragtruth"),
    limit: int | None = None,
    checker: str = "judge",
    progress: bool = True,
    *,
    split: str = "test",
    use_llm: bool = True,
    llm_model: str = "qwen2.5-coder-1.5b-instruct",
    config_path: Path | None = None,
    judge: Judge | None = None,
    settings: Any | None = None,
    notes: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Score ``checker`` on one split of RAGTruth; writes results, summary and report.

    ``limit`` caps the number of responses per task (for smoke runs); ``notes`` are printed
    in the report. Returns the summary (rates are fractions in [0, 1]).
    """
    from eval import report

    data_dir = Path(data_dir) if data_dir else default_data_dir()
    out_dir = Path(out_dir)
    all_items = load_items(data_dir)
    items = select(all_items, split, limit)
    tune_items = [it for it in all_items if it.split == "tune"]
    overlap_cuts = _overlap_thresholds(tune_items)

    model_name = None
    if checker == "judge":
        if judge is None:
            from eval.judge import build_judge

            judge = build_judge(
                settings,
                use_llm=use_llm,
                llm_model=llm_model,
                config=load_config(config_path, use_llm),
            )
        use_llm = use_llm and judge.llm is not None and bool(judge.config.weights_llm)
        model_name = llm_model if use_llm else None
        check_one = _judge_checker(judge, use_llm)
    elif checker == "verifier":
        check_one = _verifier_checker(settings)
        use_llm = False
    else:
        raise ValueError(f"unknown checker {checker!r}: use 'judge' or 'verifier'")

    # Group by source so the LLM's KV cache and the embedding cache are reused.
    order = sorted(range(len(items)), key=lambda i: (items[i].task, items[i].source_id))
    rows: list[dict[str, Any]] = [{}] * len(items)
    started = time.perf_counter()
    for done, i in enumerate(order, 1):
        item = items[i]
        t0 = time.perf_counter()
        score, pred, spans, extra = check_one(item)
        seconds = time.perf_counter() - t0
        overlap = word_overlap_score(item)
        rows[i] = {
            "task": item.task,
            "source_id": item.source_id,
            "index": item.index,
            "split": item.split,
            "model": item.model,
            "gold": item.hallucinated,
            "gold_spans": item.gold_spans,
            "label_types": item.label_types,
            "score": score,
            "pred": pred,
            "pred_spans": spans,
            "seconds": seconds,
            "baseline_all_hallucinated.pred": True,
            "baseline_all_hallucinated.score": None,
            "baseline_word_overlap.score": overlap,
            "baseline_word_overlap.pred": overlap >= overlap_cuts.get(item.task, 0.5),
            "response": item.response,
            **extra,
        }
        if progress and (done % 20 == 0 or done == len(items)):
            rate = (time.perf_counter() - started) / done
            print(
                f"[ragtruth] {done}/{len(items)} responses, {rate:.2f}s each",
                file=sys.stderr,
                flush=True,
            )
    elapsed = time.perf_counter() - started

    summary: dict[str, Any] = {}
    summary.update(score_rows(rows))
    for base in ("baseline_all_hallucinated", "baseline_word_overlap"):
        summary.update(score_rows(rows, base))
    seconds = [r["seconds"] for r in rows]
    summary.update(
        {
            "checker": checker,
            "split": split,
            "use_llm": use_llm,
            "llm_model": model_name,
            "n_responses": len(rows),
            "n_hallucinated": sum(1 for r in rows if r["gold"]),
            **{f"{t}.n_responses": sum(1 for r in rows if r["task"] == t) for t in TASKS},
            "seconds_total": elapsed,
            "seconds_per_response_p50": metrics.percentile(seconds, 50),
            "seconds_per_response_p95": metrics.percentile(seconds, 95),
            "n_llm_responses": sum(1 for r in rows if r.get("used_llm")),
            "baseline_word_overlap.thresholds": overlap_cuts,
            "judge_thresholds": (judge.config.task_thresholds if judge else None),
            "limit": limit,
            "notes": [*_default_notes(checker, config_path), *(notes or [])],
        }
    )
    report.write_ragtruth(out_dir, rows, summary, PUBLISHED, suite="ragtruth")
    return summary


def _default_notes(checker: str, config_path: Path | None) -> list[str]:
    if checker != "judge":
        return ["Checker: the answer-time verifier (rag.verify), graded by the same rules."]
    source = f"`{config_path}`" if config_path else "the built-in configuration"
    return [
        f"Judge weights and thresholds: {source}, fitted on the `tune` split only "
        "(refit with `newsrag eval ragtruth --tune [--no-llm]`).",
        "Response decision thresholds are per task; claim weights are shared by all tasks.",
    ]


def _fit_logistic(
    x: Sequence[Sequence[float]],
    y: Sequence[bool],
    names: Sequence[str],
    c: float = 1.0,
    balanced: bool = True,
) -> dict[str, float]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced" if balanced else None)
    model.fit([list(row) for row in x], list(y))
    weights = {"bias": float(model.intercept_[0])}
    weights.update({n: float(w) for n, w in zip(names, model.coef_[0], strict=True)})
    return weights


@dataclass
class ClaimRecord:
    """One claim of one tuning item: its features, gold label and (optional) LLM read."""

    item: int
    start: int
    end: int
    features: dict[str, float]
    bad: bool
    p_yes: float | None = None


def collect_claims(
    judge: Judge, items: Sequence[Item], use_llm: bool = False, progress: bool = True
) -> list[ClaimRecord]:
    """Claim features for ``items``; a claim is bad when it overlaps an annotated span."""
    from eval.judge import claim_spans

    records: list[ClaimRecord] = []
    t0 = time.perf_counter()
    order = sorted(range(len(items)), key=lambda n: (items[n].task, items[n].source_id))
    for done, n in enumerate(order, 1):
        item = items[n]
        prep = judge.prepare(item.sources)
        spans = claim_spans(item.response)
        feats, _ = judge.claim_features(prep, item.response, spans, item.question)
        ask: set[int] = set()
        if use_llm and judge.llm is not None:  # the claims the judge itself would ask about
            fast = [weighted_logit(judge.config.weights_fast, f) for f in feats]
            ask = set(judge.llm_candidates([1 / (1 + pow(2.718281828459045, -x)) for x in fast]))
        for c, ((s, e), f) in enumerate(zip(spans, feats, strict=True)):
            bad = any(min(e, ge) > max(s, gs) for gs, ge in item.gold_spans)
            p_yes = None
            if c in ask:
                p_yes = float(
                    judge.llm.p_yes(
                        prep.text[: judge.config.max_source_chars],
                        item.response[s:e],
                        item.question,
                    )
                )
            records.append(ClaimRecord(n, s, e, f, bad, p_yes))
        if progress and done % 50 == 0:
            print(f"[tune] {done}/{len(items)} {time.perf_counter() - t0:.0f}s", file=sys.stderr)
    return records


def fit_config(
    items: Sequence[Item],
    records: Sequence[ClaimRecord],
    llm_band: tuple[float, float] = (0.0, 1.0),
    fast_weights: dict[str, float] | None = None,
) -> JudgeConfig:
    """Fit claim weights, the optional LLM stacker, answer weights and thresholds.

    Everything is fitted on ``items`` (the tuning split). Weights are shared by all tasks;
    only the answer-level decision threshold is per task, so the weights cannot follow one
    task's quirks.
    """
    from eval.judge import FEATURES_FAST, llm_logit

    config = JudgeConfig(llm_band=llm_band)
    config.weights_fast = (
        dict(fast_weights)
        if fast_weights
        else _fit_logistic(
            [[r.features[k] for k in FEATURES_FAST] for r in records],
            [r.bad for r in records],
            FEATURES_FAST,
        )
    )
    fast = [weighted_logit(config.weights_fast, r.features) for r in records]
    probs = [1 / (1 + pow(2.718281828459045, -x)) for x in fast]
    with_llm = [
        i
        for i, r in enumerate(records)
        if r.p_yes is not None and llm_band[0] <= probs[i] <= llm_band[1]
    ]
    if with_llm:
        config.weights_llm = _fit_logistic(
            [[fast[i], llm_logit(records[i].p_yes or 0.5)] for i in with_llm],
            [records[i].bad for i in with_llm],
            ("fast_logit", "llm_logit"),
        )
        for i in with_llm:
            x = weighted_logit(
                config.weights_llm,
                {"fast_logit": fast[i], "llm_logit": llm_logit(records[i].p_yes or 0.5)},
            )
            probs[i] = 1 / (1 + pow(2.718281828459045, -x))
    by_item: dict[int, list[int]] = {}
    for i, r in enumerate(records):
        by_item.setdefault(r.item, []).append(i)

    gold = [it.hallucinated for it in items]
    scores = [max((probs[i] for i in by_item.get(n, [])), default=0.0) for n in range(len(items))]
    for task in TASKS:
        idx = [n for n, it in enumerate(items) if it.task == task]
        if idx:
            config.task_thresholds[task], _ = metrics.best_threshold(
                [gold[n] for n in idx], [scores[n] for n in idx]
            )
    config.threshold, _ = metrics.best_threshold(gold, scores)
    # The claim cut that marks spans: best character-level F1 on flagged tuning answers.
    best = (-1.0, config.claim_threshold)
    for cut in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        counts = []
        for n, it in enumerate(items):
            idx = by_item.get(n, [])
            pred: list[tuple[int, int]] = []
            if idx and scores[n] >= config.threshold_for(it.task):
                chosen = [i for i in idx if probs[i] >= cut] or [max(idx, key=probs.__getitem__)]
                pred = [(records[i].start, records[i].end) for i in chosen]
            counts.append(metrics.span_counts(pred, it.gold_spans))
        f1 = metrics.span_f1(counts).f1
        if f1 > best[0] + 1e-9:
            best = (f1, cut)
    config.claim_threshold = best[1]
    return config


def tune(
    data_dir: Path | None = None,
    out_path: Path = Path("eval-out/ragtruth/judge_config.json"),
    *,
    use_llm: bool = False,
    llm_model: str = "qwen2.5-coder-1.5b-instruct",
    limit: int | None = None,
    llm_limit: int | None = 30,
    judge: Judge | None = None,
    settings: Any | None = None,
    progress: bool = True,
) -> JudgeConfig:
    """Fit the judge on the "tune" split only and write its config JSON to ``out_path``.

    Load it with ``run(..., config_path=out_path)`` or paste it into ``JudgeConfig``'s
    defaults. ``limit`` caps responses per task; ``llm_limit`` caps those the LLM stage reads
    (its reads are slow on CPU).
    """
    data_dir = Path(data_dir) if data_dir else default_data_dir()
    items = select(load_items(data_dir), "tune", limit)
    if judge is None:
        from eval.judge import build_judge

        judge = build_judge(settings, use_llm=use_llm, llm_model=llm_model)
    records = collect_claims(judge, items, use_llm=False, progress=progress)
    config = fit_config(items, records)
    if use_llm and judge.llm is not None:
        # Second stage: the LLM reads only the claims the fitted fast judge would send it.
        judge.config = config
        sub = select(items, "tune", llm_limit)
        records = collect_claims(judge, sub, use_llm=True, progress=progress)
        config = fit_config(sub, records, fast_weights=config.weights_fast)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(config.to_json(), encoding="utf-8")
    return config
