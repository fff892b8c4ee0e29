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
        _error(ask(page, "What did Russia's Defense Ministry say about Azerbaijan?"))
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
