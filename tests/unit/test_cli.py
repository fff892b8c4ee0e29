"""rag.cli: the command line sits above the parts it drives and loads each only when used."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import REPO, SAMPLE_ARTICLE

# What `import rag.cli` must not pull in: each is loaded by the command that needs it.
HEAVY = ("eval", "ui", "gradio", "ingest", "llama_cpp", "torch", "sentence_transformers")


def test_importing_the_cli_loads_no_part_it_drives() -> None:
    code = f"import sys, rag.cli; print([m for m in {HEAVY!r} if m in sys.modules])"
    found = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "[]"


@pytest.fixture
def newsrag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """``newsrag`` over a fresh data dir and an empty model cache: a command that loaded a
    model would fail."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEWSRAG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NEWSRAG_MODEL_DIR", str(tmp_path / "no-models"))
    monkeypatch.setenv("COLUMNS", "200")
    from rag.cli import app

    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


def test_store_commands_need_no_model(newsrag) -> None:
    listed = newsrag("sources", "--json")
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.output) == []
    status = newsrag("status")
    assert status.exit_code == 0 and json.loads(status.output)["articles"] == 0
    assert newsrag("doctor").exit_code == 0
    gone = newsrag("remove", "no-such-doc")
    assert gone.exit_code == 1 and "not found" in gone.output


def test_ingest_without_the_model_is_one_error_line(newsrag) -> None:
    result = newsrag("ingest", str(SAMPLE_ARTICLE))
    assert result.exit_code == 2 and result.output.startswith("error:")
    assert "newsrag models pull" in result.output


def test_eval_and_bench_scale_hand_their_arguments_on(newsrag) -> None:
    suites = newsrag("eval", "--help")
    assert suites.exit_code == 0
    assert all(name in suites.output for name in ("sample", "multihop", "rgb", "ragtruth"))
    sample = newsrag("eval", "sample", "--help")
    assert sample.exit_code == 0 and "--fail-under" in sample.output
    scale = newsrag("bench", "scale", "--help")
    assert scale.exit_code == 0 and "--sizes" in scale.output
    bad = newsrag("eval", "sample", "--fail-under", "nonsense")
    assert bad.exit_code == 2 and "METRIC=MIN" in bad.output
