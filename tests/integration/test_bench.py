"""`newsrag bench query` through the real stack, on a small scale: it runs and reports."""

from __future__ import annotations

import json

import pytest

from eval.bench import DEFAULT_CORPUS, QUERIES, bench_query

pytestmark = pytest.mark.slow


@pytest.mark.skipif(
    not (DEFAULT_CORPUS.is_file() and QUERIES.is_file()),
    reason=f"external dataset check: MultiHop-RAG corpus and queries not found in "
    f"{DEFAULT_CORPUS.parent}",
)
def test_bench_query_measures_ours_floor_and_baseline_with_cached_prompt_tokens():
    result = bench_query(
        "smollm2-135m-instruct",
        questions=2,
        target_chunks=400,
        retrieval_queries=5,
        sample=2,
        followups=1,
    )
    json.loads(json.dumps(result, allow_nan=False))
    assert result["retrieval.chunks"] >= 400 and result["retrieval.queries"] == 5
    assert 0 < result["retrieval.p50_ms"] <= result["retrieval.p95_ms"]
    assert result["model"] == "smollm2-135m-instruct" and result["questions"] == 4
    assert 0 < result["ttft_p50_s"] <= result["answer_p95_s"]
    # Warmed up like a running server: the system prompt comes from llama.cpp's cache.
    assert result["cached_tokens_p50"] > 100
    assert 0 < result["new_tokens_p50"] < result["prompt_tokens_p50"] * 2
    # The answer call after the probes reads at most the prompt's last token again.
    assert result["multihop.calls.answer.new_tokens_p50"] in (None, 0, 1)
    # Our prompt is the trimmed one; the baseline sends whole chunks.
    assert result["multihop.prompt_tokens_p50"] < result["multihop.baseline.prompt_tokens_p50"]
    assert result["multihop.floor.answer_p50_s"] > 0 and result["overhead"] is not None
    assert result["followup.questions"] == 1
    for key in ("correct", "multihop.qa_strict", "multihop.baseline.qa_strict"):
        assert 0.0 <= (result[key] or 0.0) <= 1.0
