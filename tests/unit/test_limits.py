"""rag.limits: one bound on questions and one rule for top-k, in the settings, the CLI, the
Python API and the UI alike."""

from __future__ import annotations

import pytest

from rag.settings import Settings
from tests.fakes import StubRag

TOP_K_MIN, TOP_K_MAX = 1, 50  # rag.settings.TOP_K_MIN/MAX: checked below


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
