"""Browser fixtures: the app served on a free loopback port, driven by Debian's Chromium.

The bulk of the tests use ``PacedLLM`` (the extractive FakeLLM typing a word at a time, so
streaming is observable) over the real embedder and a real Chroma store in a temp dir.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, SAMPLE_ARTICLE
from tests.fakes import FakeLLM, extractive_answer

SHOTS = REPO / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
NARROW = {"width": 400, "height": 860}
SAMPLE_TITLE = "Azerbaijan thwarts 'illegal' Armenian armed units’ sabotage act"
SAMPLE_META = {
    "source": "Sample Wire",
    "published": "2022-03-26",
    "url": "https://example.com/news/nagorno-karabakh-sabotage",
}
# Final answers: neither the "searching" placeholder nor text still streaming in.
FINAL = "#nr-chat .nr-answer:not(.nr-pending):not(.nr-streaming)"
BUSY = "#nr-chat .nr-pending, #nr-chat .nr-streaming"


class PacedLLM(FakeLLM):
    """The extractive FakeLLM, but it types: one word every ``delay`` seconds."""

    delay: float = 0.02

    def stream_chat(self, messages: Sequence[Any], **kwargs: Any) -> Any:
        words = FakeLLM.stream_chat(self, messages, **kwargs)

        def paced() -> Iterator[Any]:
            for part in words:
                time.sleep(self.delay)
                yield part

        return paced()


def invents_tanks(prompt: str) -> str:
    """Extractive answer; asked about tanks, it adds a claim no source supports."""
    answer = extractive_answer(prompt)
    question = prompt.rsplit("Question:", 1)[-1].lower()
    if "tanks" in question and answer != "NOT IN SOURCES":
        answer += " Moscow also sent 40,000 tanks to Paris [1]."
    return answer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(rag: Any, settings: Any, auth: str | None = None) -> Iterator[str]:
    """The app on a free loopback port in a background thread; yields its URL."""
    from ui.app import launch

    port = free_port()
    demo = launch(rag, settings, "127.0.0.1", port, auth, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


def sample_settings(root: Path) -> Any:
    """A data dir holding the bundled sample (with outlet, date and URL metadata)."""
    from rag.settings import Settings

    folder = root / "articles"
    folder.mkdir(parents=True)
    shutil.copy(SAMPLE_ARTICLE, folder / SAMPLE_ARTICLE.name)
    (folder / f"{SAMPLE_ARTICLE.stem}.meta.json").write_text(json.dumps(SAMPLE_META))
    return Settings(data_dir=root / "data", reference_date="2023-11-25")


def build_rag(settings: Any, embedder: Any, llm: Any, ingest: bool = True) -> Any:
    from ingest.pipeline import Ingestor
    from rag.engine import NewsRAG
    from rag.store import Store

    store = Store(settings)
    if ingest:
        report = Ingestor(settings, store, embedder).run(
            [str(settings.data_dir.parent / "articles")]
        )
        assert report.added, report.failed
    return NewsRAG(settings, store, embedder, llm)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    exe = shutil.which("chromium")
    if not exe:
        pytest.skip("Debian's chromium is not installed (run `make browser`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """Pages in fresh browser contexts (= separate users); all closed after the test."""
    contexts = []

    def make(url: str, viewport: dict[str, int] = DESKTOP) -> Any:
        ctx = browser.new_context(viewport=viewport)
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(30_000)
        page.goto(url)
        page.wait_for_selector("#nr-question textarea")
        return page

    yield make
    for ctx in contexts:
        ctx.close()


@pytest.fixture(scope="session")
def sample_app(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> Iterator[Any]:
    """The app over the sample with the paced extractive LLM; shared by the chat tests."""
    settings = sample_settings(tmp_path_factory.mktemp("ui"))
    rag = build_rag(settings, real_embedder, PacedLLM(responder=invents_tanks))
    with serve(rag, settings) as url:
        yield url, rag, settings


def ask(page: Any, question: str, timeout: float = 30_000) -> Any:
    """Type a question, press Enter, wait for the verified answer; return its element."""
    before = page.locator(FINAL).count()
    page.fill("#nr-question textarea", question)
    page.press("#nr-question textarea", "Enter")
    page.wait_for_function(
        "([sel, busy, n]) => document.querySelectorAll(sel).length > n"
        " && !document.querySelector(busy)",
        arg=[FINAL, BUSY, before],
        timeout=timeout,
    )
    return page.locator(FINAL).nth(before)


def snap(page: Any, name: str, narrow: bool = True) -> None:
    """Full-page screenshots at desktop width and (optionally) at 400px, as test artifacts."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-desktop.png"), full_page=True)
    if narrow:
        size = page.viewport_size
        page.set_viewport_size(NARROW)
        page.wait_for_timeout(300)
        page.screenshot(path=str(SHOTS / f"{name}-narrow.png"), full_page=True)
        page.set_viewport_size(size)
