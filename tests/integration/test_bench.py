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


SCALE_KEYS = (
    "chunks",
    "p50_ms",
    "p95_ms",
    "filtered_p50_ms",
    "filtered_p95_ms",
    "startup_s",
    "rss_mb",
    "rss_models_mb",
    "disk_mb",
    "add_s",
    "add_empty_s",
    "query_after_add_s",
    "build_s",
)


def test_bench_scale_prints_one_json_object_per_size_for_ours_and_the_baseline():
    """`bench scale` at tiny sizes on the repo's sample articles (always present): the
    command as the CLI mounts it, real embedder, real Chroma, both pipelines."""
    import json

    import typer
    from typer.testing import CliRunner

    from eval.bench import SAMPLE_DIR, scale_cmd

    app = typer.Typer()
    app.command()(scale_cmd)
    args = ["--sizes", "600,300", "--corpus", str(SAMPLE_DIR), "--queries", "6"]
    result = CliRunner().invoke(app, [*args, "--add-articles", "10", "--json"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [r["size"] for r in records] == [300, 600]
    for record in records:
        for prefix in ("", "baseline."):
            got = {k: record[prefix + k] for k in SCALE_KEYS}
            assert got["chunks"] >= record["size"], prefix
            assert 0 < got["p50_ms"] <= got["p95_ms"]
            assert 0 < got["filtered_p50_ms"] <= got["filtered_p95_ms"]
            assert got["startup_s"] > 0 and got["disk_mb"] > 0 and got["build_s"] > 0
            # The query process's own peak: more than its models, less than a runaway.
            assert 50 < got["rss_models_mb"] <= got["rss_mb"] < 8000
            assert got["add_s"] > 0 and got["add_empty_s"] > 0 and got["query_after_add_s"] > 0
            assert record[f"{prefix}add_chunks"] >= 10  # ten articles, a chunk or more each
        # Both stores were filled with the same copies, in lockstep.
        assert record["baseline.chunks"] == record["chunks"]
        assert record["seed_chunks"] > 0 and record["add_articles"] == 10
    # The stores grow from one size to the next (and keep the articles added at the first).
    assert records[1]["chunks"] > records[0]["chunks"]
    assert records[1]["disk_mb"] > records[0]["disk_mb"]
