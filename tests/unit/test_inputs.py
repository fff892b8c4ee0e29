"""A hostile tester's inputs: odd folders, huge questions, bad options and settings, missing
benchmark files, login guessing, leftover uploads, odd dates. Each gets one clear line."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from rag.settings import Settings
from tests.fakes import FakeEmbedder, StubRag

TOP_K_MIN, TOP_K_MAX = 1, 50  # rag.settings.TOP_K_MIN/MAX: checked below
BODY = "Moscow deployed almost 2,000 peacekeepers to the region, the ministry said on Monday."


def one_line_error(result: Any) -> str:
    """The CLI's output for a failed command: exit 2, one 'error:' line, no traceback."""
    text = result.output.strip()
    assert result.exit_code == 2, text
    assert "Traceback" not in text
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), text
    return lines[0]


# 4. Folders that are not just files -----------------------------------------------------------
def test_unreadable_folder_is_skipped_with_a_line_and_the_rest_is_ingested(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Settings, store: Any
) -> None:
    from ingest.load import expand_paths
    from ingest.pipeline import Ingestor

    (tmp_path / "in" / "locked").mkdir(parents=True)
    (tmp_path / "in" / "locked" / "secret.txt").write_text("Secret\n\n" + BODY)
    (tmp_path / "in" / "good.txt").write_text("Good news\n\n" + BODY)
    real_scandir = os.scandir

    def scandir(path: Any = ".") -> Any:  # root ignores chmod, so deny the folder here
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    files, skipped = expand_paths([tmp_path / "in"])
    assert [f.name for f in files] == ["good.txt"]
    assert skipped == [
        (str(tmp_path / "in" / "locked"), "cannot read this folder (permission denied): skipped")
    ]
    report = Ingestor(settings, store, FakeEmbedder()).run([str(tmp_path / "in")])
    assert len(report.added) == 1 and report.ok
    assert [p for p, _ in report.failed] == [str(tmp_path / "in" / "locked")]


def test_symlink_loops_dangling_links_and_fifos_each_get_a_line(tmp_path: Path) -> None:
    from ingest.load import expand_paths

    root = tmp_path / "in"
    root.mkdir()
    (root / "good.txt").write_text("Good news\n\n" + BODY)
    os.symlink(root, root / "loop")
    os.symlink(root / "self", root / "self")
    os.symlink(root / "gone.txt", root / "dangling.txt")
    os.mkfifo(root / "pipe.txt")
    files, skipped = expand_paths([root, root / "pipe.txt", root / "dangling.txt"])
    assert [f.name for f in files] == ["good.txt"]
    reasons = {Path(p).name: why for p, why in skipped}
    assert reasons["loop"].startswith("symlink loop")
    assert reasons["self"].startswith("symlink loop")
    assert reasons["dangling.txt"].startswith("dangling symlink")
    assert reasons["pipe.txt"] == "not a regular file (a FIFO)"
    assert len(skipped) == 6  # the FIFO and the dangling link are also named as inputs


def test_empty_folder_says_nothing_to_ingest_and_exits_non_zero(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / ".hidden").write_text("x")
    result = cli("ingest", str(tmp_path / "empty"))
    assert result.exit_code == 1, result.output
    assert "nothing to ingest: the folder has no files" in result.output
    assert "Traceback" not in result.output


# 5. Bounded questions, one queue, a time limit ------------------------------------------------
def test_check_question_refuses_an_overlong_question_with_the_limit() -> None:
    from rag.errors import InputError, QuestionTooLong
    from rag.limits import check_question

    settings = Settings()
    assert settings.max_question_chars == 2000
    assert check_question("x" * 2000, settings) == "x" * 2000
    with pytest.raises(QuestionTooLong) as err:
        check_question("x" * 20_000, settings)
    assert str(err.value) == (
        "The question is 20,000 characters long; the limit is 2,000. "
        "Shorten the question (or raise NEWSRAG_MAX_QUESTION_CHARS)."
    )
    assert isinstance(err.value, InputError)


def test_cli_refuses_an_overlong_question_before_loading_anything(cli: Any) -> None:
    line = one_line_error(cli("ask", "why? " * 4000))
    assert "the limit is 2,000" in line and "Shorten the question" in line


def _respond(handlers: Any, question: str, top_k: float = 5) -> list[tuple[Any, ...]]:
    return list(handlers.respond(question, [], "s1", [], [], "", "", top_k))


def test_ui_shows_an_overlong_question_as_one_error_and_keeps_the_text(
    settings: Settings, stub_rag: Any
) -> None:
    from ui.app import Handlers

    rag = stub_rag
    question = "why? " * 1000
    last = _respond(Handlers(rag, settings), question)[-1]
    history, box = last[0], last[1]
    assert box == question  # kept, to be shortened
    assert "nr-error" in history[-1]["content"]
    assert "the limit is 2,000" in history[-1]["content"]
    assert rag.calls == 0  # nothing retrieved, nothing generated
    import gradio as gr

    with pytest.raises(gr.Error, match="Shorten the question"):
        Handlers(rag, settings).ask(question)


def test_ui_stops_an_answer_past_the_time_limit(settings: Settings) -> None:
    from ui.app import Handlers

    ticks = iter(range(0, 10_000, 10))  # every look at the clock: 10 s later
    rag = StubRag(tokens=1000)
    handlers = Handlers(
        rag, settings.model_copy(update={"request_timeout_s": 30}), clock=ticks.__next__
    )
    last = _respond(handlers, "How many peacekeepers did Moscow deploy?")[-1]
    assert "took longer than 30 s and was stopped" in last[0][-1]["content"]
    assert rag.closed  # the engine's stream was closed: generation ends


def test_ui_answers_wait_in_one_bounded_queue(settings: Settings, fake_rag: Any) -> None:
    from ui.app import ANSWERS, build_app

    settings = settings.model_copy(update={"ui_concurrency": 1, "ui_queue_size": 7})
    demo = build_app(fake_rag, settings)
    assert demo._queue.max_size == 7 and demo._queue.default_concurrency_limit == 1
    answers = [fn for fn in demo.fns.values() if fn.concurrency_id == ANSWERS]
    names = {getattr(fn.fn, "__name__", "") for fn in answers}
    assert {"respond", "ask"} <= names and len(answers) >= 4  # submit, click, example, API
    chat = [fn for fn in answers if fn.name == "respond"]
    assert all(fn.show_progress != "hidden" for fn in chat)  # "queue: 2/3" shows on the chat


# 6. Validation --------------------------------------------------------------------------------
def test_after_later_than_before_is_an_error_not_a_refusal(cli: Any) -> None:
    line = one_line_error(
        cli("ask", "What happened?", "--after", "2023-05-01", "--before", "2023-01-01")
    )
    assert "date range is empty: 2023-05-01 is after 2023-01-01" in line


@pytest.mark.parametrize("k", ["0", "-1", "100000"])
def test_top_k_out_of_range_is_an_error_in_the_cli(cli: Any, k: str) -> None:
    line = one_line_error(cli("ask", "What happened?", "--top-k", k))
    assert f"top-k must be a whole number from {TOP_K_MIN} to {TOP_K_MAX}, got {k}" in line


def test_top_k_has_one_rule_for_settings_cli_and_ui(settings: Settings) -> None:
    import gradio as gr

    import rag.settings
    from rag.errors import InputError
    from rag.limits import check_top_k
    from ui.app import Handlers, _chat_tab

    assert (rag.settings.TOP_K_MIN, rag.settings.TOP_K_MAX) == (TOP_K_MIN, TOP_K_MAX)
    assert check_top_k(None) is None and check_top_k(TOP_K_MAX) == TOP_K_MAX
    for bad in (0, -1, TOP_K_MAX + 1, 2.5):
        with pytest.raises(InputError):
            check_top_k(bad)
    with pytest.raises(ValueError):
        Settings(top_k=TOP_K_MAX + 1)
    with gr.Blocks():
        tab = _chat_tab(settings)
    assert (tab.top_k.minimum, tab.top_k.maximum) == (TOP_K_MIN, TOP_K_MAX)
    with pytest.raises(gr.Error, match="top-k must be"):
        Handlers(StubRag(), settings).ask("What happened?", top_k=100_000)


@pytest.mark.parametrize(
    ("env", "value", "expected"),
    [
        ("NEWSRAG_TOP_K", "0", "NEWSRAG_TOP_K=0: Input should be greater than or equal to 1"),
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


def test_eval_suites_without_shared_data_name_the_files_and_flags(cli: Any, tmp_path: Path) -> None:
    gone = tmp_path / "nothing"
    line = one_line_error(
        cli(
            "eval",
            "multihop",
            "--corpus",
            str(gone / "c.jsonl"),
            "--queries",
            str(gone / "q.jsonl"),
        )
    )
    assert "MultiHop-RAG not found" in line and "--corpus CORPUS.jsonl --queries" in line
    line = one_line_error(cli("eval", "rgb", str(gone / "en_fact.jsonl")))
    assert "RGB en_fact not found" in line and "newsrag eval rgb" in line
    line = one_line_error(cli("eval", "ragtruth", str(gone), "--no-llm"))
    assert "RAGTruth not found" in line and "newsrag eval ragtruth DIR" in line


# 8. Logins, uploads, dates, PDF warnings -----------------------------------------------------
def test_failed_logins_are_throttled_per_user_and_per_address() -> None:
    from ui.auth import CLIENT, LoginGuard, LoginLocked

    now = [0.0]
    guard = LoginGuard(("ann", "secret"), max_failures=3, lockout_s=30, clock=lambda: now[0])
    CLIENT.set("10.0.0.1")
    assert [guard.check("ann", f"guess{n}") for n in range(3)] == [False, False, False]
    with pytest.raises(LoginLocked, match="try again in 30 s"):
        guard.check("ann", "secret")  # locked: even the right password waits
    with pytest.raises(LoginLocked):
        guard.check("bob", "x")  # the same address, another name
    now[0] = 31
    assert guard.check("ann", "guess") is False  # one more failure: locked for twice as long
    with pytest.raises(LoginLocked, match="try again in 60 s"):
        guard.check("ann", "secret")
    now[0] = 92
    assert guard.check("ann", "secret") is True
    assert guard.check("ann", "oops") is False  # a success starts the count again
    assert guard.check("ann", "secret") is True
    from fastapi import HTTPException

    for n in range(3):
        guard("mallory", str(n))
    with pytest.raises(HTTPException) as err:
        guard("mallory", "3")
    assert err.value.status_code == 429 and err.value.headers["Retry-After"] == "30"


def test_launch_uses_the_throttled_login(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, fake_rag: Any
) -> None:
    import gradio as gr

    from ui import app
    from ui.auth import LoginGuard

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kw: calls.append(kw))
    app.launch(fake_rag, settings, auth="ann:secret")
    guard = calls[0]["auth"]
    assert isinstance(guard, LoginGuard) and guard.max_failures == settings.login_max_failures
    assert calls[0]["app_kwargs"]["middleware"]  # the client address reaches the guard


def test_uploads_are_deleted_after_ingest_even_rejected_ones(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_rag: Any
) -> None:
    from ui.app import Handlers

    gradio_tmp = tmp_path / "gradio"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(gradio_tmp))
    uploads = []
    for n, (name, text) in enumerate(
        [("news.txt", "Good news\n\n" + BODY), ("tool.exe", "MZ"), ("empty.txt", "")]
    ):
        (gradio_tmp / f"h{n}").mkdir(parents=True)
        path = gradio_tmp / f"h{n}" / name
        path.write_text(text)
        uploads.append({"path": str(path), "orig_name": name})
    outside = tmp_path / "mine.txt"
    outside.write_text("Mine\n\nA different article: " + BODY)
    uploads.append({"path": str(outside), "orig_name": "mine.txt"})  # not Gradio's: kept
    result = Handlers(fake_rag, settings).ingest(uploads, progress=lambda *a, **k: None)
    assert "2 of 4 files ingested" in result[0]
    assert fake_rag.library.article_count() == 2  # the store keeps the text
    assert not list(gradio_tmp.iterdir())  # Gradio's copies and their folders: gone
    assert not settings.upload_dir.exists() or not list(settings.upload_dir.iterdir())
    assert outside.exists()


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
    assert f"{folder / 'junk.txt'}: published date 'the day after' is not a date" in warned[1]
    assert "3 added" in result.output
    data = json.loads(cli("ingest", str(folder), "--json").output)
    assert [Path(p).name for p, _ in data["warnings"]] == ["future.txt", "junk.txt"]
    # Kept as written; only a readable date becomes a filterable timestamp.
    from rag.settings import Settings
    from rag.store import Store

    stored = {a["title"]: a for a in Store(Settings()).articles()}
    assert stored["Junk story"]["published"] == "the day after"
    assert stored["Future story"]["published"].startswith("2999-01-01")


def test_published_warning_rules() -> None:
    from rag.dates import published_warning

    today = date(2024, 1, 1)
    assert published_warning("", today) == ""
    assert published_warning("2024-01-02", today) == ""  # tomorrow: time zones
    assert published_warning("Mon, 06 Nov 2023 10:00:00 GMT", today) == ""
    assert "in the future" in published_warning("2024-02-01", today)
    assert "not a date" in published_warning("13/45/2020", today)


def test_pypdf_warnings_name_the_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from ingest import load

    def noisy_reader(path: str) -> Any:
        logging.getLogger("pypdf._reader").warning("incorrect startxref pointer(%d)", 3)
        raise ValueError("broken")

    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4 junk")
    import pypdf

    real = pypdf.PdfReader
    pypdf.PdfReader = noisy_reader  # type: ignore[assignment]
    try:
        with (
            caplog.at_level(logging.WARNING),
            load.collect_warnings() as warnings,
            pytest.raises(load.IngestError, match="unreadable PDF"),
        ):
            load.load_pdf(pdf, 10_000)
    finally:
        pypdf.PdfReader = real  # type: ignore[assignment]
    assert warnings == [(str(pdf), "pypdf: incorrect startxref pointer(3)")]
    assert not any(r.name.startswith("pypdf") for r in caplog.records)  # only the named line
