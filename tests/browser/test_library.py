"""The Library tab in a real browser: upload, ingest with per-file results, ask, remove."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ask, snap

pytestmark = pytest.mark.browser

BRIDGE_TITLE = "Riverton opens bicycle bridge over the Amber River"
BRIDGE = f"""{BRIDGE_TITLE}

The city of Riverton opened a new bicycle bridge over the Amber River on Tuesday, \
the mayor's office said. The bridge cost 12 million euros and took two years to build.

Around 4,000 cyclists are expected to cross the bridge every day, according to city \
planners. Mayor Ilse Varga said the bridge would cut commuting times to the campus.
"""
QUESTION = "What did the Riverton bridge cost to build?"
BRIDGE_META = {
    "source": "Riverton Post",
    "published": "2023-11-21",
    "url": "https://example.com/riverton/bicycle-bridge",
}


def _library(page: Any) -> None:
    page.get_by_role("tab", name="Library").click()
    page.wait_for_selector("#nr-upload")


def test_upload_ingest_ask_and_remove(sample_app: Any, new_page: Any, tmp_path: Path) -> None:
    url = sample_app[0]
    files = tmp_path / "upload"
    files.mkdir()
    (files / "riverton-bridge.txt").write_text(BRIDGE)
    (files / "riverton-bridge.meta.json").write_text(json.dumps(BRIDGE_META))
    (files / "blank.txt").write_text("   \n\n  ")
    page = new_page(url)
    _library(page)
    page.set_input_files(
        "#nr-upload input[type=file]",
        [str(files / n) for n in ("riverton-bridge.txt", "riverton-bridge.meta.json", "blank.txt")],
    )
    page.wait_for_function(
        "() => document.querySelectorAll('#nr-upload tr, #nr-upload .file').length >= 3"
    )
    page.click("#nr-ingest")
    result = page.locator("#nr-ingest-result .nr-result")
    result.wait_for(timeout=60_000)
    text = result.inner_text()
    assert "1 of 2 files ingested" in text
    assert (
        page.locator("#nr-ingest-result li.nr-status-added")
        .inner_text()
        .startswith("riverton-bridge.txt")
    )
    failed = page.locator("#nr-ingest-result li.nr-status-failed").inner_text()
    assert "blank.txt" in failed and "whitespace" in failed
    table = page.locator("#nr-library")
    page.wait_for_function(
        "t => document.querySelector('#nr-library').innerText.includes(t)", arg=BRIDGE_TITLE
    )
    assert "Riverton Post" in table.inner_text()
    assert "2 articles" in page.locator("#nr-header").inner_text()
    snap(page, "07-library-after-upload")

    page.get_by_role("tab", name="Chat").click()
    answer = ask(page, QUESTION)
    assert "12 million euros" in answer.inner_text()
    card = page.locator("#nr-sources .nr-card").first
    assert BRIDGE_TITLE in card.inner_text()
    assert "Riverton Post" in card.locator(".nr-meta").inner_text()
    assert "12 million euros" in card.locator("mark").first.inner_text()

    _library(page)
    page.locator("#nr-remove-choice input").click()
    page.get_by_role("option", name=BRIDGE_TITLE, exact=False).click()
    page.click("#nr-remove")
    page.locator("#nr-remove-result .nr-ok").wait_for()
    page.wait_for_function(
        "t => !document.querySelector('#nr-library').innerText.includes(t)", arg=BRIDGE_TITLE
    )
    assert "1 article" in page.locator("#nr-header").inner_text()

    page.get_by_role("tab", name="Chat").click()
    answer = ask(page, QUESTION)
    assert "nr-refusal" in (answer.get_attribute("class") or "")


def test_markup_in_an_article_is_shown_as_text_never_run(
    sample_app: Any, new_page: Any, tmp_path: Path
) -> None:
    url, rag, _ = sample_app
    evil = tmp_path / "harbour.txt"
    evil.write_text(
        'Harbour report <img src=x onerror="window.__pwned=1">\n\n'
        'The harbour authority said 300 ships <img src=x onerror="window.__pwned=1"> docked '
        "in October. Officials expect <script>window.__pwned=2</script> more in November.\n"
    )
    page = new_page(url)
    _library(page)
    page.set_input_files("#nr-upload input[type=file]", [str(evil)])
    page.wait_for_function("() => document.querySelectorAll('#nr-upload tr').length >= 1")
    page.click("#nr-ingest")
    page.locator("#nr-ingest-result li.nr-status-added").wait_for(timeout=60_000)
    page.get_by_role("tab", name="Chat").click()
    try:
        answer = ask(page, "How many ships docked at the harbour in October?")
        assert "300 ships <img" in answer.inner_text()  # shown literally
        card = page.locator("#nr-sources .nr-card").first
        assert '<img src=x onerror="window.__pwned=1">' in card.inner_text()
        assert page.evaluate("() => window.__pwned") is None
        assert page.locator("#nr-chat img, #nr-sources img, #nr-sources script").count() == 0
    finally:
        for doc_id in rag.store.doc_ids_for_path(
            str(rag.settings.upload_dir.resolve() / "harbour.txt")
        ):
            rag.store.remove(doc_id)
