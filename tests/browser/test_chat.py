"""The chat in a real browser: streaming, citations, source cards, refusals, sessions."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import BUSY, SAMPLE_META, SAMPLE_TITLE, ask, snap

pytestmark = pytest.mark.browser

PEACEKEEPERS = "How many peacekeepers did Moscow deploy?"


def test_page_loads_with_model_examples_and_outlets(sample_app: Any, new_page: Any) -> None:
    url, rag, _ = sample_app
    page = new_page(url)
    assert page.title() == "newsrag"
    header = page.locator("#nr-header")
    assert rag.model_name in header.inner_text()
    assert "1 article" in header.inner_text() or "articles" in header.inner_text()
    assert page.get_by_text(PEACEKEEPERS).count() >= 1  # the example questions
    assert "Sources for each answer appear here" in page.locator("#nr-sources").inner_text()
    page.get_by_text("Filters").click()
    page.locator("#nr-outlets input").click()
    option = page.get_by_role("option", name=SAMPLE_META["source"])
    option.wait_for()
    assert option.count() == 1
    page.keyboard.press("Escape")
    snap(page, "01-empty")


def test_answer_streams_then_is_replaced_by_the_verified_text(
    sample_app: Any, new_page: Any
) -> None:
    page = new_page(sample_app[0])
    # Record every partial text the streaming bubble shows.
    page.evaluate(
        """() => {
        window.__partials = new Set();
        new MutationObserver(() => {
          const el = document.querySelector('#nr-chat .nr-streaming');
          if (el) window.__partials.add(el.textContent);
        }).observe(document.querySelector('#nr-chat'),
                   {subtree: true, childList: true, characterData: true});
      }"""
    )
    answer = ask(page, PEACEKEEPERS)
    partials = page.evaluate("() => [...window.__partials]")
    assert len(partials) >= 3, partials  # the words arrived over several updates
    text = answer.inner_text()
    assert "2,000 peacekeepers" in text
    assert answer.locator("a.nr-cite").count() >= 1  # [n] markers became links
    assert page.locator(BUSY).count() == 0
    assert "Traceback" not in page.content()


def test_source_card_shows_article_and_highlighted_sentence(sample_app: Any, new_page: Any) -> None:
    page = new_page(sample_app[0])
    ask(page, PEACEKEEPERS)
    card = page.locator("#nr-sources .nr-card").first
    assert SAMPLE_TITLE in card.locator(".nr-title").inner_text()
    meta = card.locator(".nr-meta").inner_text()
    assert SAMPLE_META["source"] in meta and "2022-03-26" in meta
    assert card.locator(f'a[href="{SAMPLE_META["url"]}"]').count() >= 1
    mark = card.locator("mark.nr-mark").first
    assert "Moscow deployed almost 2,000 peacekeepers" in mark.inner_text()
    passage = card.locator(".nr-passage").first.inner_text()
    assert len(passage) > len(mark.inner_text())  # the passage around the sentence, too
    snap(page, "02-answer-with-sources")


def test_clicking_a_citation_reveals_its_source(sample_app: Any, new_page: Any) -> None:
    page = new_page(sample_app[0], viewport={"width": 400, "height": 860})
    first = ask(page, PEACEKEEPERS)
    ask(page, "What did Russia's Defense Ministry say Azerbaijani forces had entered?")
    # The first answer's sources are folded below the newest ones, off screen.
    older = page.locator('#nr-sources details[data-turn="1"]')
    assert older.get_attribute("open") is None
    first.locator("a.nr-cite").first.click()
    card = older.locator(".nr-card").first
    page.wait_for_function(
        "() => document.querySelector('details[data-turn=\"1\"] .nr-card.nr-focus')"
    )
    assert older.get_attribute("open") is not None
    assert older.locator("mark.nr-active").count() == 1
    page.wait_for_timeout(600)  # smooth scrolling
    box = card.bounding_box()
    assert box is not None and 0 <= box["y"] < 860, box  # scrolled into view
    page.screenshot(path=str(_shot("03-citation-clicked-narrow")))


def test_off_topic_question_is_refused(sample_app: Any, new_page: Any) -> None:
    page = new_page(sample_app[0])
    answer = ask(page, "What is the capital of France?")
    assert "nr-refusal" in (answer.get_attribute("class") or "")
    text = answer.inner_text().lower()
    assert "no verified answer" in text and "do not contain the answer" in text
    assert answer.locator("a.nr-cite").count() == 0
    assert "no source supports an answer" in page.locator("#nr-sources").inner_text()
    snap(page, "04-refusal", narrow=False)


def test_unsupported_sentence_is_left_out_and_noted_or_marked(
    sample_app: Any, new_page: Any
) -> None:
    """By default the invented sentence is not in the answer; its notes say it was left out.
    With unsupported_sentences="flag" it is shown, underlined in dashes, with a tooltip."""
    url, rag, _ = sample_app
    page = new_page(url)
    question = "How many peacekeepers and how many tanks did Moscow deploy?"
    answer = ask(page, question)
    assert "2,000 peacekeepers" in answer.locator(".nr-sent").first.inner_text()
    assert "40,000 tanks" not in " ".join(answer.locator(".nr-sent").all_inner_texts())
    assert answer.locator(".nr-sent.nr-unsupported").count() == 0
    notes = answer.locator(".nr-notes").inner_text()
    assert "do not support" in notes and "40,000 tanks" in notes
    default = rag.settings
    rag.settings = default.model_copy(update={"unsupported_sentences": "flag"})
    try:
        answer = ask(page, question)
    finally:
        rag.settings = default
    bad = answer.locator(".nr-sent.nr-unsupported")
    assert bad.count() == 1
    assert "40,000 tanks" in bad.inner_text()
    assert bad.get_attribute("title") == "not supported by the sources"
    style = bad.evaluate("el => getComputedStyle(el).textDecorationStyle")
    assert style == "dashed"
    good = answer.locator(".nr-sent:not(.nr-unsupported)")
    assert "2,000 peacekeepers" in good.first.inner_text()
    snap(page, "05-unsupported-sentence", narrow=False)


def test_bad_date_filter_gets_a_clear_message(sample_app: Any, new_page: Any) -> None:
    page = new_page(sample_app[0])
    page.get_by_text("Filters").click()
    page.fill("#nr-after input, #nr-after textarea", "2023-13-45")
    answer = ask(page, PEACEKEEPERS)
    assert "nr-error" in (answer.get_attribute("class") or "")
    assert "YYYY-MM-DD" in answer.inner_text()
    # A valid range that excludes the sample (published 2022-03-26) finds nothing.
    page.fill("#nr-after input, #nr-after textarea", "2023-01-01")
    page.fill("#nr-before input, #nr-before textarea", "2023-12-31")
    answer = ask(page, PEACEKEEPERS)
    assert "nr-refusal" in (answer.get_attribute("class") or "")


def test_two_browsers_keep_separate_conversations(sample_app: Any, new_page: Any) -> None:
    url = sample_app[0]
    alice, bob = new_page(url), new_page(url)
    ask(alice, PEACEKEEPERS)
    ask(bob, "What did Russia's Defense Ministry say Azerbaijani forces had entered?")
    follow_up = ask(alice, "Who brokered the agreement?")
    bob_follow_up = ask(bob, "Who brokered the agreement?")
    # Each follow-up was read in the light of its own conversation only.
    assert "peacekeepers" in follow_up.locator(".nr-notes").inner_text()
    assert "Defense Ministry" in bob_follow_up.locator(".nr-notes").inner_text()
    alice_chat = alice.locator("#nr-chat").inner_text()
    bob_chat = bob.locator("#nr-chat").inner_text()
    assert "Defense Ministry say" not in alice_chat
    assert PEACEKEEPERS not in bob_chat
    snap(alice, "06-follow-up", narrow=False)


def test_new_chat_forgets_the_conversation(sample_app: Any, new_page: Any) -> None:
    page = new_page(sample_app[0])
    ask(page, PEACEKEEPERS)
    page.click("#nr-new")
    page.wait_for_function("() => !document.querySelector('#nr-chat .nr-answer')")
    assert "Sources for each answer appear here" in page.locator("#nr-sources").inner_text()
    answer = ask(page, "Who brokered the agreement?")
    assert answer.locator(".nr-notes").count() == 0 or "read as" not in (
        answer.locator(".nr-notes").inner_text()
    )


def _shot(name: str) -> Any:
    from tests.browser.conftest import SHOTS

    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS / f"{name}.png"


def test_clicking_an_example_asks_it(sample_app: Any, new_page: Any) -> None:
    page = new_page(sample_app[0])
    page.get_by_text("How did Azerbaijan respond to Russia's claims?").first.click()
    page.wait_for_function(
        "() => document.querySelector('#nr-chat .nr-answer')"
        " && !document.querySelector('#nr-chat .nr-pending, #nr-chat .nr-streaming')"
    )
    assert "How did Azerbaijan respond" in page.locator("#nr-chat").inner_text()
    assert page.locator("#nr-sources .nr-card").count() >= 1
