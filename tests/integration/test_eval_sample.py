"""The sample suite end to end with the real embedder and the real tiny LLM (SmolLM2-135M),
and the default model's recorded replies (sample, held-out, MultiHop) replayed through
today's checks."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from eval.suites import multihop

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


REPLIES = "eval/sets/replies/{}-qwen2.5-coder-1.5b-instruct.jsonl"


def _replay(tmp_path, monkeypatch, name: str, extra: list[str], suite: str = "sample") -> dict:
    """The summary of the default model's recorded replies to a question set (no model
    loaded), retrieved, verified and graded by today's code."""
    from pathlib import Path

    from eval.cli import app

    recorded = tmp_path / "replies.jsonl"
    recorded.write_bytes((Path(__file__).parents[2] / REPLIES.format(name)).read_bytes())
    monkeypatch.setenv("NEWSRAG_LLM_RECORDING", str(recorded))
    monkeypatch.setenv("NEWSRAG_LLM_RECORDING_ONLY", "1")
    out = tmp_path / "eval"
    args = [suite, "--model", "qwen2.5-coder-1.5b-instruct", "--out", str(out), *extra]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    missed = [r["id"] for r in rows if r.get("error")]
    assert len(missed) <= 3, missed  # a tie broken otherwise on another CPU, at most
    return json.loads((out / "summary.json").read_text())


@pytest.mark.slow
def test_recorded_default_model_replies_replay_the_measured_result(tmp_path, monkeypatch):
    """The regression test of the checks around the model, on the sample set. Floors sit a
    little under the figures the README reports, so a change that turns right answers into
    refusals or lets wrong ones through fails here.

    A prompt-building change makes the recorded replies miss: record them again with the
    model (see the README, "Replaying recorded replies")."""
    summary = _replay(tmp_path, monkeypatch, "sample", [])
    assert summary["correct"] >= 0.60, summary
    assert summary["wrong"] <= 0.06, summary
    assert summary["refusal_accuracy"] >= 0.9, summary
    assert summary["faithfulness"] >= 0.95, summary


@pytest.mark.slow
def test_recorded_replies_to_the_held_out_set_replay_the_measured_result(tmp_path, monkeypatch):
    """The same on the held-out set (``eval/sets/heldout.jsonl``: questions a helper wrote
    in its own words from the articles alone, never read while changing the checks). Its
    figures are far below the sample set's (see the README, "Held-out questions"); the
    floors keep them from falling further unnoticed."""
    from pathlib import Path

    held_out = Path(__file__).parents[2] / "eval" / "sets" / "heldout.jsonl"
    summary = _replay(tmp_path, monkeypatch, "heldout", ["--set", str(held_out)])
    assert summary["correct"] >= 0.22, summary
    assert summary["wrong"] <= 0.13, summary
    assert summary["refusal_accuracy"] >= 0.5, summary


_MULTIHOP = (multihop.default_corpus(), multihop.default_queries())


@pytest.mark.slow
@pytest.mark.skipif(
    not all(path.is_file() for path in _MULTIHOP),
    reason=f"MultiHop-RAG copy not found at {_MULTIHOP[0].parent}",
)
@pytest.mark.parametrize(
    ("block", "window", "floors"),
    [
        # The target set: fitted on over many sessions (0.533 / 0.017 measured).
        ("answerable60", ["--limit", "60"], (0.50, 0.05)),
        # The next 80: no check was fitted to them (0.325 / 0.025 measured, 2026-12-07).
        ("answerable61-140", ["--skip", "60", "--limit", "80"], (0.30, 0.05)),
    ],
)
def test_recorded_replies_to_multihop_replay_the_measured_result(
    tmp_path, monkeypatch, block, window, floors
):
    """The same on two blocks of MultiHop-RAG's answerable queries, the default model's
    replies shipped in ``eval/sets/replies/``: a change that carries over to questions it
    was not fitted to keeps the second block's floors too."""
    correct, wrong = floors
    extra = ["--answerable-only", *window]
    summary = _replay(tmp_path, monkeypatch, f"multihop-{block}", extra, suite="multihop")
    assert summary["correct"] >= correct, summary
    assert summary["wrong"] <= wrong, summary
