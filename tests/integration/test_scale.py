"""`newsrag bench scale` through the real stack, at tiny sizes: it runs and reports."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


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

    from eval.scale import SAMPLE_DIR, scale_cmd

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
