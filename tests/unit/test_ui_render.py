"""ui/render.py: HTML for answers, source cards and the library."""

from __future__ import annotations

from typing import Any

from rag.engine import Answer, AnswerSentence, Citation
from ui import render

EVIL = '<img src=x onerror="alert(1)">'


def citation(number: int, sentence: str, passage: str, doc_id: str = "d1", **kw: Any) -> Citation:
    base = {
        "title": "Peace talks resume",
        "outlet": "Wire",
        "published": "2023-11-20T00:00:00+00:00",
        "url": "https://example.com/a",
    }
    base.update(kw)
    return Citation(
        number=number,
        doc_id=doc_id,
        passage=passage,
        sentence=sentence,
        span=(0, len(sentence)),
        score=0.9,
        **base,
    )


def answer(
    sentences: list[AnswerSentence],
    citations: list[Citation],
    refused: bool = False,
    text: str = "",
    **kw: Any,
) -> Answer:
    return Answer(
        question=kw.pop("question", "What happened?"),
        text=text or " ".join(s.text for s in sentences),
        refused=refused,
        citations=citations,
        sentences=sentences,
        retrieved=[],
        filters={},
        timings={},
        model="fake",
        **kw,
    )


PASSAGE = "Talks resumed on Monday. Both sides agreed to a ceasefire. Observers were hopeful."


# Answers --------------------------------------------------------------------------------
def test_markers_link_to_their_source_and_sit_before_the_full_stop() -> None:
    a = answer(
        [AnswerSentence("Both sides agreed to a ceasefire.", True, [1, 2], 0.9)],
        [citation(1, "Both sides agreed to a ceasefire.", PASSAGE)],
    )
    html = render.answer_html(a, turn=3)
    assert 'href="#src-3-1"' in html and 'href="#src-3-2"' in html
    assert "ceasefire&nbsp;<a" in html and "[2]</a>." in html
    assert "nr-unsupported" not in html and "\n\n" not in html


def test_unsupported_sentences_are_marked_with_a_tooltip() -> None:
    a = answer(
        [
            AnswerSentence("Both sides agreed to a ceasefire.", True, [1], 0.9),
            AnswerSentence("The war is over.", False, [], 0.1, "no source"),
        ],
        [citation(1, "Both sides agreed to a ceasefire.", PASSAGE)],
    )
    html = render.answer_html(a, turn=1)
    assert '<span class="nr-sent nr-unsupported" title="not supported by the sources"' in html
    assert html.count("nr-unsupported") == 2  # the sentence and the legend


def test_model_and_article_text_is_escaped_everywhere() -> None:
    a = answer(
        [AnswerSentence(f"They said {EVIL}.", True, [1], 0.9)],
        [
            citation(
                1,
                f"They said {EVIL}.",
                f"Before. They said {EVIL}. After <b>bold</b>.",
                title=f"T {EVIL}",
                outlet=EVIL,
                url='https://example.com/"><script>x()</script>',
            )
        ],
        question=EVIL,
    )
    pieces = [
        render.answer_html(a, 1),
        render.sources_html(a, 1),
        render.sources_panel([(1, a.question, render.sources_html(a, 1))]),
        render.streaming_html(EVIL),
        render.question_html(EVIL),
        render.error_html(EVIL),
    ]
    for html in pieces:
        assert "<img" not in html and "<script" not in html and "<b>" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in pieces[0]


def test_only_http_links_are_kept() -> None:
    for bad in ("javascript:alert(1)", "data:text/html,x", "/relative", "ftp://x"):
        assert render.safe_url(bad) == ""
        a = answer([], [citation(1, "Talks resumed on Monday.", PASSAGE, url=bad)])
        assert "href" not in render.sources_html(a, 1)
    assert render.safe_url(" https://example.com/x?a=1 ") == "https://example.com/x?a=1"


def test_refusal_has_its_own_look_and_no_markers() -> None:
    a = answer([], [], refused=True, text="The articles do not say.", notes=["Nothing relevant."])
    html = render.answer_html(a, 1)
    assert "nr-refusal" in html and render.REFUSAL_TAG in html and "nr-cite" not in html
    assert "Nothing relevant." in html
    assert render.REFUSAL_TAG in render.sources_html(a, 1)


def test_follow_up_shows_how_it_was_read() -> None:
    a = answer(
        [AnswerSentence("Talks resumed on Monday.", True, [1], 0.9)],
        [citation(1, "Talks resumed on Monday.", PASSAGE)],
        question="When?",
        standalone_question="When did the talks resume?",
    )
    assert "Follow-up read as: “When did the talks resume?”" in render.answer_html(a, 1)


def test_answer_without_sentences_falls_back_to_linking_markers_in_text() -> None:
    a = answer([], [], text="Talks resumed [1] and <ended> [2].")
    html = render.answer_html(a, 4)
    assert 'href="#src-4-1"' in html and 'href="#src-4-2"' in html and "&lt;ended&gt;" in html


def test_error_is_one_line() -> None:
    html = render.error_html("Cannot reach the server.\n  Start it.\n")
    assert "Cannot reach the server. Start it." in html and "<br>" not in html


# Source cards -----------------------------------------------------------------------------
def test_one_card_per_article_with_each_cited_sentence_highlighted() -> None:
    a = answer(
        [],
        [
            citation(1, "Talks resumed on Monday.", PASSAGE),
            citation(2, "Observers were hopeful.", PASSAGE),
            citation(3, "Prices rose.", "Prices rose. Then fell.", doc_id="d2", title="Markets"),
        ],
    )
    html = render.sources_html(a, 2)
    assert html.count('<article class="nr-card"') == 2
    assert html.count("<mark") == 3
    for n in (1, 2, 3):
        assert f'id="src-2-{n}"' in html
    first = html.split("</article>")[0]
    assert "Both sides agreed to a ceasefire." in first  # the passage around the marks
    assert "Wire · 2023-11-20" in first and 'href="https://example.com/a"' in first
    assert 'rel="noopener noreferrer"' in first


def test_sentence_missing_from_passage_is_still_shown_and_targetable() -> None:
    a = answer([], [citation(1, "Not in the passage.", PASSAGE)])
    html = render.sources_html(a, 1)
    assert 'id="src-1-1"' in html and "Not in the passage." in html


def test_panel_shows_newest_answer_open_and_older_ones_folded() -> None:
    assert "Sources for each answer appear here" in render.sources_panel([])
    html = render.sources_panel([(1, "first?", "<p>a</p>"), (2, "second?", "<p>b</p>")])
    assert html.index('data-turn="2"') < html.index('data-turn="1"')
    assert '<details class="nr-turn" data-turn="2" open>' in html
    assert '<details class="nr-turn" data-turn="1">' in html


# Library ----------------------------------------------------------------------------------
ARTICLES = [
    {
        "doc_id": "a",
        "title": "",
        "source": "Wire",
        "published": "2023-01-02T00:00",
        "chunk_count": 3,
    },
    {"doc_id": "b", "title": "x" * 80, "source": "", "published": None, "chunk_count": 1},
    {"doc_id": "c", "title": "C", "source": "alpha", "published": "", "chunk_count": 2},
]


def test_library_rows_choices_and_outlets() -> None:
    assert render.library_rows(ARTICLES)[0] == ["Untitled article", "Wire", "2023-01-02", 3, "a"]
    labels = dict((v, k) for k, v in render.remove_choices(ARTICLES))
    assert labels["b"].endswith("… · b") and len(labels["b"]) < 70
    assert render.outlets(ARTICLES) == ["alpha", "Wire"]


def test_ingest_result_reports_each_file_escaped() -> None:
    html = render.ingest_result_html(
        [("a.txt", "added", "1 added"), (EVIL, "failed", "unsupported file type")], "1 of 2."
    )
    assert 'class="nr-status-added"' in html and 'class="nr-status-failed"' in html
    assert "<img" not in html
