"""The RAGTruth suite end to end: real data, real embedder, and (one test) the real LLM step."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from eval.suites import ragtruth

DATA = ragtruth.default_data_dir()
needs_data = pytest.mark.skipif(
    not (DATA / "qa.jsonl").is_file(), reason=f"RAGTruth copy not found at {DATA}"
)


@needs_data
def test_items_load_with_spans_inside_responses() -> None:
    items = ragtruth.load_items(DATA)
    assert {it.task for it in items} == set(ragtruth.TASKS)
    labelled = [it for it in items if it.hallucinated]
    assert labelled and len(labelled) < len(items)
    for it in labelled[:200]:
        for start, end in it.gold_spans:
            assert 0 <= start < end <= len(it.response)
    data2txt = next(it for it in items if it.task == "data2txt")
    assert data2txt.sources[0].startswith("Name: ")  # records are rendered, not raw JSON
    qa = next(it for it in items if it.task == "qa")
    assert qa.question and len(qa.sources) >= 1
    # every response of one source falls on the same side of the split
    sides: dict[tuple[str, str], set[str]] = {}
    for it in items:
        sides.setdefault((it.task, it.source_id), set()).add(it.split)
    assert all(len(s) == 1 for s in sides.values())


def test_word_overlap_baseline_scores_unsupported_words() -> None:
    """Our baseline on an item of its own: needs no RAGTruth copy, so it always runs."""
    item = ragtruth.Item(
        "summary", "x", 0, ["The cat sat on the mat."], None, "The cat sat on the mat.", "m"
    )
    assert ragtruth.word_overlap_score(item) == 0.0
    item.response = "The dog barked loudly."
    assert ragtruth.word_overlap_score(item) == 1.0


@pytest.mark.slow
@needs_data
def test_verifier_checker_runs_or_explains_what_is_missing(tmp_path: Path) -> None:
    try:
        from rag.verify import check_support  # noqa: F401
    except ImportError:
        with pytest.raises(RuntimeError, match=r"rag\.verify"):
            ragtruth.run(DATA, tmp_path, limit=1, checker="verifier", progress=False)
        return
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    summary = ragtruth.run(
        DATA, tmp_path, limit=2, checker="verifier", progress=False, settings=_settings()
    )
    assert summary["checker"] == "verifier" and summary["n_responses"] == 6
    assert 0.0 <= summary["response_f1"] <= 1.0
    assert "baseline_word_overlap.response_f1" in summary


def _settings():
    from rag.settings import Settings

    return Settings(model_dir=Path.home() / ".cache" / "newsrag" / "models")


@pytest.mark.slow
@needs_data
def test_fast_judge_run_writes_summary_and_report(tmp_path: Path) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from rag import models

    settings = _settings()
    models.pull("all-minilm-l6-v2", settings)
    summary = ragtruth.run(
        DATA, tmp_path, limit=2, progress=False, use_llm=False, settings=settings
    )
    for key in (
        "response_precision",
        "response_recall",
        "response_f1",
        "span_f1",
        "auroc",
        "qa.response_f1",
        "summary.response_f1",
        "data2txt.response_f1",
        "baseline_all_hallucinated.response_f1",
        "baseline_word_overlap.response_f1",
        "baseline_all_hallucinated.qa.response_f1",
        "baseline_word_overlap.data2txt.response_f1",
    ):
        assert key in summary, key
    assert summary["n_responses"] == 6 and summary["split"] == "test"
    for key in ("response_f1", "span_f1", "baseline_all_hallucinated.response_f1"):
        assert 0.0 <= summary[key] <= 1.0
    rows = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 6 and all(r["split"] == "test" for r in rows)
    assert all(0.0 <= r["score"] <= 1.0 for r in rows)
    on_disk = json.loads((tmp_path / "summary.json").read_text())
    assert on_disk["response_f1"] == pytest.approx(summary["response_f1"])
    report = (tmp_path / "report.md").read_text()
    assert "held-out" in report and "68.2" in report and "| baseline: word overlap |" in report
    assert (tmp_path / "f1_by_task.png").stat().st_size > 1000


@pytest.mark.slow
def test_judge_with_real_llm_step() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from llama_cpp import Llama

    from eval.judge import Judge, JudgeConfig, LlamaYesNo, default_embedder
    from rag import models

    settings = _settings()
    models.pull("all-minilm-l6-v2", settings)
    path, _ = models.pull("qwen2.5-coder-1.5b-instruct", settings)
    llm = LlamaYesNo(
        Llama(model_path=str(path), n_ctx=1024, n_threads=2, logits_all=False, verbose=False)
    )
    source = "The bridge opened on Monday. It cost 12 million dollars and carries no cars."
    p_true = llm.p_yes(source, "The bridge cost 12 million dollars.")
    p_false = llm.p_yes(source, "The bridge cost 90 million dollars and carries trucks.")
    assert 0.0 < p_false < p_true < 1.0
    judge = Judge(default_embedder(str(settings.model_dir)), llm, JudgeConfig.with_llm())
    verdicts = judge.check([source], "The bridge opened on Monday. It cost 90 million dollars.")
    assert verdicts.used_llm
    assert not verdicts.faithful
    assert any("llm_logit" in c.features for c in verdicts.claims)
