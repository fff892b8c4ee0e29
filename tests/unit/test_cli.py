"""rag.cli: the command line sits above the parts it drives and loads each only when used;
a hostile tester's inputs (odd folders, huge questions, bad options and settings, odd dates)
each get one clear line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from rag.settings import TOP_K_MAX, TOP_K_MIN  # pinned in test_limits.py
from tests.conftest import REPO, SAMPLE_ARTICLE, one_line_error

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
    negative = newsrag("bench", "query", "--questions", "-1")
    assert negative.exit_code == 2 and "greater than or equal to 0" in negative.output


# Inputs: each gets one clear line -------------------------------------------------------------
BODY = "Moscow deployed almost 2,000 peacekeepers to the region, the ministry said on Monday."


def test_empty_folder_says_nothing_to_ingest_and_exits_non_zero(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / ".hidden").write_text("x")
    result = cli("ingest", str(tmp_path / "empty"))
    assert result.exit_code == 1, result.output
    assert "nothing to ingest: the folder has no files" in result.output
    assert "Traceback" not in result.output


def test_cli_refuses_an_overlong_question_before_loading_anything(cli: Any) -> None:
    line = one_line_error(cli("ask", "why? " * 4000))
    assert "the limit is 2,000" in line and "Shorten the question" in line


def test_after_later_than_before_is_an_error_not_a_refusal(cli: Any) -> None:
    line = one_line_error(
        cli("ask", "What happened?", "--after", "2023-05-01", "--before", "2023-01-01")
    )
    assert "date range is empty: 2023-05-01 is after 2023-01-01" in line


def test_an_unknown_model_is_an_error_before_anything_is_asked(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSRAG_LLM_BACKEND", "llama_cpp")  # the fakes' backend takes any name
    line = one_line_error(cli("ask", "Who?", "--model", "gpt-5"))
    assert "Model 'gpt-5' is neither a known model nor an existing path" in line


@pytest.mark.parametrize("k", ["0", "-1", "100000"])
def test_top_k_out_of_range_is_an_error_in_the_cli(cli: Any, k: str) -> None:
    line = one_line_error(cli("ask", "What happened?", "--top-k", k))
    assert f"top-k must be a whole number from {TOP_K_MIN} to {TOP_K_MAX}, got {k}" in line


@pytest.mark.parametrize(
    ("env", "value", "expected"),
    [
        ("NEWSRAG_TOP_K", "0", "NEWSRAG_TOP_K=0: Input should be greater than or equal to 1"),
        ("NEWSRAG_MAX_FILE_MB", "-1", "NEWSRAG_MAX_FILE_MB=-1: Input should be greater than 0"),
        ("NEWSRAG_DATA_DIR", "afile", "NEWSRAG_DATA_DIR=afile: afile is a file, not a folder"),
    ],
)
def test_bad_settings_are_one_line(
    cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: str, value: str, expected: str
) -> None:
    (tmp_path / "afile").write_text("not a folder")
    monkeypatch.setenv(env, value)
    line = one_line_error(cli("sources"))
    assert expected in line and "newsrag.toml" in line


def test_odd_published_dates_are_warned_about_naming_the_file_and_kept(
    cli: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name, published in [
        ("future", "2999-01-01"),
        ("junk", "the day after"),
        ("ok", "2023-11-20"),
    ]:
        (folder / f"{name}.txt").write_text(f"{name.title()} story\n\n{BODY} ({name})")
        (folder / f"{name}.meta.json").write_text(json.dumps({"published": published}))
    result = cli("ingest", str(folder))
    assert result.exit_code == 0, result.output
    warned = [line for line in result.output.splitlines() if line.startswith("warning")]
    assert len(warned) == 2, result.output
    assert f"{folder / 'future.txt'}: published date 2999-01-01 is in the future" in warned[0]
    assert f"{folder / 'junk.txt'}: published date 'the day after' is not a whole date" in warned[1]
    assert "3 added" in result.output
    data = json.loads(cli("ingest", str(folder), "--json").output)
    assert [Path(p).name for p, _ in data["warnings"]] == ["future.txt", "junk.txt"]
    # Kept as written; only a readable date becomes a filterable timestamp.
    from rag.library import Library
    from rag.settings import Settings

    with Library(Settings()) as library:
        stored = {a["title"]: a for a in library.articles()}
    assert stored["Junk story"]["published"] == "the day after"
    assert stored["Future story"]["published"].startswith("2999-01-01")
