"""eval/bench.py without a model: `newsrag bench query`'s bookkeeping (which model call is
which, and the figures it prints: percentiles, new vs cached prompt tokens, grades, overhead),
and what the benchmarks say when their shared data is missing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import prompts
from eval.bench import Timed, call_stats, headline, label_calls, timing_stats
from rag.llm import CallUsage
from tests.conftest import one_line_error


def _calls(*kinds: str) -> list[CallUsage]:
    """Calls of these kinds; "pick" is a probe whose prompt ends in the pick instruction."""
    return [
        CallUsage(
            "probe" if k == "pick" else k,
            600,
            500,
            generated_tokens=41 if k == "stream" else 0,
            messages=[{"role": "user", "content": "Sources: ...\n" + prompts.load(k)}]
            if k == "pick"
            else [{"role": "user", "content": "Sources: ...\nAnswer ..."}],
        )
        for k in kinds
    ]


def test_calls_are_named_by_what_they_ask():
    named = [k for k, _ in label_calls(_calls("chat", "pick", "probe", "stream"))]
    assert named == ["condense", "pick", "refusal_probe", "answer"]
    # The pick may come after the answer; a probed refusal writes nothing.
    named = [k for k, _ in label_calls(_calls("probe", "stream", "pick"))]
    assert named == ["refusal_probe", "answer", "pick"]
    assert [k for k, _ in label_calls(_calls("probe"))] == ["refusal_probe"]
    # A written answer that failed gets a second look: a chat call with the hint.
    second = _calls("chat")[0]
    hint = prompts.render("hint", label=3, sentence="The weather was hazy.")
    second.messages = [{"role": "user", "content": "Sources: ...\n" + hint}]
    calls = [*_calls("probe", "stream", "pick"), second]
    assert [k for k, _ in label_calls(calls)][-1] == "second_look"


def _timed(ttft: float, total: float, outcome: str = "correct", **kw) -> Timed:
    calls = label_calls(_calls("pick", "probe", "stream"))
    calls[-1][1].seconds, calls[-1][1].first_token_s = total - ttft + 0.5, 0.5
    return Timed("multihop", "q", outcome, True, ttft, total, calls, **kw)


def test_timing_stats_give_percentiles_tokens_and_grades():
    rows = [_timed(2.0, 4.0), _timed(3.0, 6.0, "refused"), _timed(4.0, 8.0, "wrong")]
    stats = timing_stats(rows, "multihop.")
    assert stats["multihop.ttft_p50_s"] == 3.0 and stats["multihop.answer_p50_s"] == 6.0
    assert 7.0 < stats["multihop.answer_p95_s"] <= 8.0
    assert stats["multihop.prompt_tokens_p50"] == 600
    assert stats["multihop.new_tokens_p50"] == 300 and stats["multihop.cached_tokens_p50"] == 1500
    assert stats["multihop.correct"] == stats["multihop.wrong"] == stats["multihop.refused"]
    assert stats["multihop.tokens_per_s"] == 40 * 3 / (2.0 + 3.0 + 4.0)
    # A follow-up's condensing counts in its first token and its answer time.
    later = timing_stats([_timed(2.0, 4.0, condense_s=1.5)])
    assert later["ttft_p50_s"] == 3.5 and later["answer_p50_s"] == 5.5


def test_call_stats_and_headline_are_flat_json_with_the_issue_keys():
    rows = [_timed(2.0, 4.0), _timed(3.0, 6.0)]
    calls = call_stats(rows)
    assert calls["calls.pick.count"] == 2 and calls["calls.answer.new_tokens_p50"] == 100
    assert "calls.condense.count" not in calls
    result = headline(
        {
            "model": "m",
            "_rows.multihop": rows,
            "multihop.overhead": 0.04,
            "multihop.qa_strict": 0.5,
            "multihop.floor.ttft_p50_s": float("nan"),
        }
    )
    for key in ("ttft_p50_s", "answer_p50_s", "answer_p95_s", "prompt_tokens_p50", "overhead"):
        assert key in result
    assert result["overhead"] == 0.04 and result["correct"] == 1.0
    assert result["multihop.floor.ttft_p50_s"] is None
    assert not any(k.startswith("_rows") for k in result)
    json.loads(json.dumps(result, allow_nan=False))


def test_bench_without_shared_data_names_the_files_and_flags(
    cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import eval.bench

    gone = tmp_path / "no-shared" / "corpus.jsonl"
    monkeypatch.setattr(eval.bench, "DEFAULT_CORPUS", gone)
    monkeypatch.setattr(eval.bench, "QUERIES", gone.with_name("queries.jsonl"))
    line = one_line_error(cli("bench", "ingest"))
    assert str(gone) in line and "--corpus FILE" in line
    line = one_line_error(cli("bench", "query"))
    assert "queries.jsonl" in line and "--corpus FILE --queries FILE" in line


def test_bench_ingest_and_the_large_store_ingest_through_the_library(tmp_path, fake_backends):
    """Our side of `bench ingest` and the store `bench query` searches, on the fakes (the
    settings choose them): the corpus goes in through ``Library.ingest``, the copies straight
    into the store. The real stack is in tests/integration/test_bench.py."""
    from eval.bench import _build_large_store, _phase
    from rag.library import Library
    from rag.settings import Settings
    from rag.store import Store
    from tests.conftest import SAMPLE
    from tests.fakes import FakeEmbedder

    articles = len(list(SAMPLE.glob("*.txt")))
    ours = _phase("ours", SAMPLE, tmp_path)
    texts = json.loads((tmp_path / "texts.json").read_text())
    assert ours["articles"] == articles and ours["chunks"] == len(texts) > 0
    assert ours["seconds"] > 0
    settings = Settings(data_dir=tmp_path / "big")
    store = Store(settings)
    try:
        chunks = _build_large_store(store, FakeEmbedder(), SAMPLE, 3 * len(texts))
    finally:
        store.close()
    with Library(settings) as library:
        assert library.chunk_count() == chunks >= 3 * len(texts)
        assert library.article_count() % articles == 0 and library.article_count() >= 3 * articles
