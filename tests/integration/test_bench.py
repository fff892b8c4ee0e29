"""`newsrag bench query` through the real stack, on a small scale: it runs and reports."""

from __future__ import annotations

import math

import pytest

from eval.bench import DEFAULT_CORPUS, QUERIES, bench_query

pytestmark = pytest.mark.slow


@pytest.mark.skipif(
    not (DEFAULT_CORPUS.is_file() and QUERIES.is_file()),
    reason=f"external dataset check: MultiHop-RAG corpus and queries not found in "
    f"{DEFAULT_CORPUS.parent}",
)
def test_bench_query_measures_ours_floor_and_baseline_on_one_question():
    result = bench_query(
        "smollm2-135m-instruct", questions=1, target_chunks=400, retrieval_queries=5
    )
    assert result["retrieval.chunks"] >= 400 and result["retrieval.queries"] == 5
    assert 0 < result["retrieval.p50_ms"] <= result["retrieval.p95_ms"]
    assert result["answers.questions"] == 1 and result["model"] == "smollm2-135m-instruct"
    # Our prompt is the trimmed one; the baseline sends whole chunks.
    assert 0 < result["ours.prompt_tokens_mean"] < result["baseline.prompt_tokens_mean"]
    assert result["baseline.total_s_mean"] > 0 and result["ours.total_s_mean"] > 0
    # The question reached the model, so the floor was measured on the same prompt.
    assert result["floor.total_s_mean"] > 0
    assert not math.isnan(result["ours_overhead_over_floor"])
    kinds = [k for k in result if k.startswith("questions.")]
    assert sum(result[k] for k in kinds) == 1
    for k in kinds:
        kind = k.removeprefix("questions.")
        assert 0.0 <= result[f"ours.qa_strict.{kind}"] <= 1.0
        assert 0.0 <= result[f"baseline.qa_strict.{kind}"] <= 1.0
