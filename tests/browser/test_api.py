"""The named API endpoint through gradio_client, under load; and the login."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.browser.conftest import build_rag, sample_settings, serve

pytestmark = pytest.mark.browser

QUESTIONS = [
    "How many peacekeepers did Moscow deploy?",
    "What did Russia's Defense Ministry say Azerbaijani forces had entered?",
    "How did Azerbaijan respond to Russia's claims?",
    "Who brokered the agreement that ended the fighting?",
]


def test_ask_endpoint_returns_text_and_citations(sample_app: Any) -> None:
    from gradio_client import Client

    client = Client(sample_app[0], verbose=False)
    assert "/ask" in client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    text, info = client.predict("How many peacekeepers did Moscow deploy?", 3, api_name="/ask")
    info = json.loads(info) if isinstance(info, str) else info
    assert "2,000 peacekeepers" in text and "[1]" in text
    assert info["refused"] is False
    assert info["citations"][0]["number"] == 1
    assert "Moscow deployed almost 2,000" in info["citations"][0]["sentence"]
    text, info = client.predict("What is the capital of France?", api_name="/ask")
    info = json.loads(info) if isinstance(info, str) else info
    assert info["refused"] is True and info["citations"] == []


def test_eight_concurrent_clients_all_get_answers(sample_app: Any) -> None:
    from gradio_client import Client

    url, rag, _ = sample_app
    clients = [Client(url, verbose=False) for _ in range(8)]
    rag.llm.delay = 0.005  # type faster: this test is about throughput, not streaming

    def one(i: int) -> tuple[str, Any, float, float]:
        started = time.perf_counter()
        text, info = clients[i].predict(QUESTIONS[i % len(QUESTIONS)], api_name="/ask")
        return text, info, started, time.perf_counter()

    try:
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(one, range(8)))
    finally:
        rag.llm.delay = 0.02
    assert len(results) == 8
    for text, info, _, _ in results:
        info = json.loads(info) if isinstance(info, str) else info
        assert text and info["citations"], (text, info)
    # They were served side by side, not one after another: every request had started
    # before the first one finished.
    first_done = min(end for *_, end in results)
    assert all(start < first_done for *_, start, _ in results)


def test_auth_turns_on_the_login(
    tmp_path_factory: pytest.TempPathFactory, real_embedder: Any, new_page: Any, browser: Any
) -> None:
    from tests.fakes import FakeLLM

    settings = sample_settings(tmp_path_factory.mktemp("auth"))
    rag = build_rag(settings, real_embedder, FakeLLM(), ingest=False)
    with serve(rag, settings, auth="ann:s3cret") as url:
        page = browser.new_page()
        try:
            page.goto(url)
            page.get_by_label("username").fill("ann")
            page.get_by_label("password").fill("wrong")
            page.get_by_role("button", name="Login").click()
            page.get_by_text("Incorrect").wait_for()
            assert page.locator("#nr-question").count() == 0
            page.get_by_label("username").fill("ann")
            page.get_by_label("password").fill("s3cret")
            page.get_by_role("button", name="Login").click()
            page.wait_for_selector("#nr-question textarea")
        finally:
            page.close()
