"""End to end with a real (tiny) model: the pipeline's guarantees, not the model's wording."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import ask, build_rag, sample_settings, serve, snap

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_tiny_model_answers_with_sources_or_refuses(
    tmp_path_factory: pytest.TempPathFactory, real_embedder: Any, tiny_llm: Any, new_page: Any
) -> None:
    settings = sample_settings(tmp_path_factory.mktemp("tiny"))
    rag = build_rag(settings, real_embedder, tiny_llm)
    with serve(rag, settings) as url:
        page = new_page(url)
        assert "smollm2" in page.locator("#nr-header").inner_text().lower()
        answer = ask(page, "How many peacekeepers did Moscow deploy?", timeout=150_000)
        classes = answer.get_attribute("class") or ""
        assert "nr-error" not in classes, answer.inner_text()
        if "nr-refusal" in classes:
            assert answer.locator("a.nr-cite").count() == 0
        else:
            # Every marker links to a card that exists, with a highlighted sentence.
            links = answer.locator("a.nr-cite")
            assert links.count() >= 1
            for i in range(links.count()):
                target = (links.nth(i).get_attribute("href") or "").lstrip("#")
                assert page.locator(f"#nr-sources mark#{target}").count() == 1
            assert page.locator("#nr-sources .nr-card").count() >= 1
        snap(page, "10-tiny-model", narrow=False)
