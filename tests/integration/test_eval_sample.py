"""The sample suite end to end with the real embedder and the real tiny LLM (SmolLM2-135M)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

RATES = (
    "correct",
    "wrong",
    "refused",
    "faithfulness",
    "citation_precision",
    "citation_recall",
    "answer_f1",
    "hit@1",
    "hit@3",
    "hit@5",
    "mrr",
)
JUDGED = ("faithfulness", "citation_precision", "citation_recall")


@pytest.mark.slow
def test_sample_suite_with_real_models(tmp_path, monkeypatch):
    from eval.cli import app

    monkeypatch.setenv("NEWSRAG_LLM_CONTEXT", "2048")  # SmolLM2 was trained on 2k tokens
    out = tmp_path / "eval"
    args = ["sample", "--limit", "5", "--model", "smollm2-135m-instruct", "--out", str(out)]
    args.append("--baseline")  # LlamaIndex's CitationQueryEngine beside ours, same judge
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output

    for name in ("results.jsonl", "summary.json", "report.md"):
        assert (out / name).is_file(), name
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 5
    assert all(r["model"] == "smollm2-135m-instruct" for r in rows)
    assert all({"answer", "citations", "judge", "timings", "latency_s"} <= set(r) for r in rows)

    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_items"] == 5
    for key in RATES:
        assert key in summary, key
        value = summary[key]
        if value is None:  # undefined only when the tiny model produced no gradable sentence
            assert key in JUDGED and summary["n_answer_sentences"] == 0, key
        else:
            assert 0.0 <= value <= 1.0, (key, value)
    assert summary["latency_p50_s"] > 0
    # Correctness leads the summary; the baseline's column sits beside ours.
    assert list(summary)[:3] == ["correct", "wrong", "refused"]
    assert sum(summary[k] for k in ("correct", "wrong", "refused")) == pytest.approx(1.0)
    assert all(r["baseline"]["outcome"] in ("correct", "wrong", "refused") for r in rows)
    assert 0.0 <= summary["baseline.correct"] <= 1.0
    report = (out / "report.md").read_text()
    assert "| correct |" in report and "| baseline.correct |" in report
    assert (out / "latency.png").stat().st_size > 1000
