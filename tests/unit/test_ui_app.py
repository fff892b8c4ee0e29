"""ui/app.py: the chat and library handlers (bounded questions, one queue, a time limit,
uploads cleaned up), the launch (login, address) and the UI's small input helpers."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from rag.errors import ConfigError, LLMError, StoreEmptyError
from rag.settings import Settings
from tests.fakes import StubRag
from ui import render

BODY = "Moscow deployed almost 2,000 peacekeepers to the region, the ministry said on Monday."


# Handlers: bounded questions, one queue, a time limit -----------------------------------------
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


# Launch: the login, the address; uploads ------------------------------------------------------
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


def test_launch_warns_on_open_address_without_login(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    settings: Any,
    fake_rag: Any,
) -> None:
    import gradio as gr

    from ui import app

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kw: calls.append(kw))
    rag = fake_rag
    app.launch(rag, settings, "0.0.0.0", 7999, None)
    assert "without a login" in capsys.readouterr().err
    app.launch(rag, settings, "0.0.0.0", 7999, "ann:secret")
    assert "without a login" not in capsys.readouterr().err
    demo = app.launch(rag, settings)  # loopback from settings
    assert "without a login" not in capsys.readouterr().err
    assert (calls[1]["auth"].user, calls[1]["auth"].password) == ("ann", "secret")
    assert calls[2]["server_name"] == "127.0.0.1" and calls[2]["server_port"] == 7860
    assert calls[2]["auth"] is None and calls[2]["css"] and calls[2]["js"]
    assert calls[2]["max_file_size"] == int(settings.max_upload_mb * 1_000_000)
    assert demo._queue.default_concurrency_limit == settings.ui_concurrency
    assert any(fn.api_name == "ask" for fn in demo.fns.values())


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


# Input helpers --------------------------------------------------------------------------------
def test_safe_name_cannot_leave_the_folder() -> None:
    from ui.app import safe_name

    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("..\\..\\windows\\evil.txt") == "evil.txt"
    assert safe_name("/abs/path/a b.txt") == "a b.txt"
    assert safe_name("..") == "upload" and safe_name("") == "upload"
    assert safe_name(".hidden.txt") == "hidden.txt"
    assert safe_name("we<ird>|na:me?.md") == "we_ird_na_me_.md"
    assert safe_name("a" * 300 + ".json").endswith(".json") and len(safe_name("a" * 300)) <= 120


def test_stage_upload_checks_type_and_size_and_never_overwrites(tmp_path: Path) -> None:
    from ui.app import stage_upload

    folder = tmp_path / "uploads"
    src = tmp_path / "tmp123"
    src.write_text("Title\n\nBody text of the article.")
    first = stage_upload(src, "../../news.txt", folder, 1000)
    assert first == folder / "news.txt" and first.read_text() == src.read_text()
    assert stage_upload(src, "news.txt", folder, 1000) == first  # same bytes: reused
    other = tmp_path / "tmp456"
    other.write_text("Other\n\nDifferent body.")
    assert stage_upload(other, "news.txt", folder, 1000) == folder / "news-1.txt"
    assert first.read_text() == src.read_text()
    with pytest.raises(ValueError, match=r"unsupported file type '\.exe'"):
        stage_upload(src, "tool.exe", folder, 1000)
    with pytest.raises(ValueError, match="upload limit"):
        stage_upload(src, "big.txt", folder, 10)
    assert all(p.parent == folder for p in folder.iterdir())


def test_date_filters_are_validated_with_a_clear_message() -> None:
    from ui.app import build_filters

    f = build_filters(["Wire"], " 2023-01-01 ", "")
    assert f.sources == ["Wire"] and str(f.after) == "2023-01-01" and f.before is None
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        build_filters([], "2023-13-40", "")
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        build_filters([], "", "yesterday")
    with pytest.raises(ConfigError, match="empty"):
        build_filters([], "2023-02-01", "2023-01-01")


def test_auth_and_loopback() -> None:
    from ui.app import is_loopback, parse_auth

    assert parse_auth(None) is None and parse_auth("") is None
    assert parse_auth("ann:pa:ss") == ("ann", "pa:ss")
    for bad in ("ann", ":x", "ann:"):
        with pytest.raises(ConfigError):
            parse_auth(bad)
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    assert not is_loopback("example.com")


def test_user_message_is_one_line_and_hides_unexpected_errors(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from ui.app import user_message

    assert user_message(LLMError("Model down.", "Restart it.")) == "Model down. Restart it."
    assert "Library tab" in user_message(StoreEmptyError("No articles.", "Ingest."))
    with caplog.at_level(logging.ERROR, logger="newsrag.ui"):
        try:
            raise KeyError("internal detail")
        except KeyError as exc:
            message = user_message(exc)
    assert message == render.GENERIC_ERROR and "internal" not in message
    assert caplog.records and caplog.records[0].exc_info
