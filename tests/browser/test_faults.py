"""Faults in a real browser: the chat shows one line, never a trace, and keeps serving."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rag.errors import LLMError
from tests.browser.conftest import ask, build_rag, free_port, sample_settings, serve, snap
from tests.fakes import FakeLLM, extractive_answer

pytestmark = pytest.mark.browser

QUESTION = "How many peacekeepers did Moscow deploy?"


class FailsOnce:
    """A responder whose backend is down for the first request only."""

    def __init__(self) -> None:
        self.failed = False

    def __call__(self, prompt: str) -> str:
        if not self.failed:
            self.failed = True
            raise LLMError("The model server stopped responding.", "Restart it and ask again.")
        return extractive_answer(prompt)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> Any:
    """One data dir with the sample, reused by each broken app below."""
    settings = sample_settings(tmp_path_factory.mktemp("faults"))
    build_rag(settings, real_embedder, None).store.close()
    return settings


def _no_trace(page: Any) -> None:
    html = page.content()
    assert "Traceback" not in html and 'File "' not in html


def _error(answer: Any) -> str:
    assert "nr-error" in (answer.get_attribute("class") or "")
    text = answer.inner_text()
    assert "\n" not in text.strip()  # one line
    return text


def test_llm_error_is_shown_and_the_next_question_is_answered(
    ingested: Any, real_embedder: Any, new_page: Any
) -> None:
    rag = build_rag(ingested, real_embedder, FakeLLM(responder=FailsOnce()), ingest=False)
    with serve(rag, ingested) as url:
        page = new_page(url)
        text = _error(ask(page, QUESTION))
        assert "The model server stopped responding. Restart it and ask again." in text
        _no_trace(page)
        snap(page, "08-llm-error", narrow=False)
        answer = ask(page, QUESTION)
        assert "2,000 peacekeepers" in answer.inner_text()


def test_missing_model_is_a_message_not_a_crash(
    ingested: Any, real_embedder: Any, new_page: Any, tmp_path: Path
) -> None:
    # As `newsrag chat` does when the model is not pulled: serve anyway, load it lazily.
    settings = ingested.model_copy(
        update={"llm_model": "smollm2-135m-instruct", "model_dir": tmp_path / "no-models"}
    )
    rag = build_rag(settings, real_embedder, None, ingest=False)
    with serve(rag, settings) as url:
        page = new_page(url)
        text = _error(ask(page, QUESTION))
        assert "models pull" in text  # says what to run
        _no_trace(page)
        _error(ask(page, "What did Russia's Defense Ministry say Azerbaijani forces had entered?"))
        page.get_by_role("tab", name="Library").click()
        page.wait_for_function(
            "() => document.querySelector('#nr-library').innerText.includes('Azerbaijan thwarts')"
        )


def test_chroma_server_down_is_a_message(ingested: Any, real_embedder: Any, new_page: Any) -> None:
    settings = ingested.model_copy(
        update={"chroma_mode": "http", "chroma_host": "127.0.0.1", "chroma_port": free_port()}
    )
    rag = build_rag(settings, real_embedder, FakeLLM(), ingest=False)
    with serve(rag, settings) as url:
        page = new_page(url)
        text = _error(ask(page, QUESTION))
        assert "Cannot reach the Chroma server" in text and "chroma run" in text
        _no_trace(page)
        snap(page, "09-chroma-down", narrow=False)


def test_unexpected_exception_is_logged_and_shown_generically(
    ingested: Any,
    real_embedder: Any,
    new_page: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    rag = build_rag(ingested, real_embedder, FakeLLM(), ingest=False)
    real_stream = rag.chat_stream

    def broken(*args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
        raise ZeroDivisionError("secret internals")

    rag.chat_stream = broken
    with serve(rag, ingested) as url, caplog.at_level(logging.ERROR, logger="newsrag.ui"):
        page = new_page(url)
        text = _error(ask(page, QUESTION))
        assert "Something went wrong" in text and "secret internals" not in text
        _no_trace(page)
        assert any(r.exc_info and r.exc_info[0] is ZeroDivisionError for r in caplog.records)
        rag.chat_stream = real_stream
        assert "2,000 peacekeepers" in ask(page, QUESTION).inner_text()


def test_too_long_question_is_one_line_and_the_text_stays(tmp_path: Path, new_page: Any) -> None:
    from tests.fakes import FakeEmbedder

    settings = sample_settings(tmp_path)
    rag = build_rag(settings, FakeEmbedder(), FakeLLM(), ingest=False)
    with serve(rag, settings) as url:
        page = new_page(url)
        question = "Why did it happen? " * 150  # 2,850 characters; the limit is 2,000
        text = _error(ask(page, question))
        assert "the limit is 2,000" in text and "Shorten the question" in text
        assert len(page.input_value("#nr-question textarea")) > 2000  # kept, to shorten
        _no_trace(page)


def test_failed_logins_are_throttled(tmp_path: Path, browser: Any) -> None:
    from tests.fakes import FakeEmbedder

    settings = sample_settings(tmp_path).model_copy(
        update={"login_max_failures": 2, "login_lockout_s": 60}
    )
    rag = build_rag(settings, FakeEmbedder(), FakeLLM(), ingest=False)
    with serve(rag, settings, auth="ann:s3cret") as url:
        page = browser.new_page()
        try:
            page.goto(url)
            page.get_by_text("logins pause for 60 s").wait_for()  # the login page says so
            statuses = []
            for password in ("guess1", "guess2", "s3cret"):
                page.get_by_label("username").fill("ann")
                page.get_by_label("password").fill(password)
                with page.expect_response(lambda r: r.url.endswith("/login")) as sent:
                    page.get_by_role("button", name="Login").click()
                statuses.append(sent.value.status)
            assert statuses == [400, 400, 429]  # locked out: even the right password waits
            assert "try again in 60 s" in sent.value.json()["detail"]
            assert page.locator("#nr-question").count() == 0
        finally:
            page.close()
