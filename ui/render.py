"""Answers, source cards and library rows as HTML: pure functions, every value escaped.

Article text, titles and model output are untrusted, so everything that reaches the page goes
through ``html.escape`` here; links are kept only when they are plain http(s) URLs.
The HTML never contains a blank line: the Chatbot runs Markdown around it, and a blank line
would end the HTML block and let Markdown reinterpret the rest.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from typing import Any

from rag.engine import Answer, AnswerSentence, Citation

UNSUPPORTED_TITLE = "not supported by the sources"
REFUSAL_TAG = "No verified answer"  # not in the articles, or not verifiable there
GENERIC_ERROR = "Something went wrong while answering. The details are in the server log."
_SAFE_URL = re.compile(r"^https?://[^\s\"'<>]+$", re.IGNORECASE)
_MARKER = re.compile(r"\[(\d+)\]")


def esc(text: object) -> str:
    """Escape for element text and attribute values; newlines become <br> (no blank lines)."""
    return html.escape(str(text or ""), quote=True).replace("\r", "").replace("\n", "<br>")


def cite_id(turn: int, number: int) -> str:
    """The element id a citation marker [number] of answer ``turn`` points at."""
    return f"src-{turn}-{number}"


def safe_url(url: str) -> str:
    """The URL if it is a plain http(s) link, else "" (no javascript:, data:, relative)."""
    url = (url or "").strip()
    return url if _SAFE_URL.match(url) else ""


# Chat messages ---------------------------------------------------------------------------
def question_html(text: str) -> str:
    return f'<div class="nr-q">{esc(text)}</div>'


def pending_html() -> str:
    return '<div class="nr-answer nr-pending">Searching the articles…</div>'


def streaming_html(raw: str) -> str:
    """The model's words as they arrive, before verification."""
    return f'<div class="nr-answer nr-streaming">{esc(raw)}<span class="nr-caret"></span></div>'


def error_html(message: str) -> str:
    """One line for the user; never a stack trace."""
    line = " ".join(str(message or GENERIC_ERROR).split())
    return f'<div class="nr-answer nr-error" role="alert"><strong>Error:</strong> {esc(line)}</div>'


def _markers(turn: int, numbers: Sequence[int]) -> str:
    return "".join(
        f'<a class="nr-cite" href="#{cite_id(turn, n)}" title="Show source {n}">[{n}]</a>'
        for n in numbers
    )


def _sentence_html(turn: int, sentence: AnswerSentence) -> str:
    text, marks = sentence.text, _markers(turn, sentence.citations)
    end = ""
    if marks and text and text[-1] in ".!?":
        text, end = text[:-1], text[-1]
    body = esc(text) + (f"&nbsp;{marks}" if marks else "") + esc(end)  # [n] never wraps alone
    if sentence.supported:
        return f'<span class="nr-sent">{body}</span>'
    return (
        f'<span class="nr-sent nr-unsupported" title="{UNSUPPORTED_TITLE}"'
        f' aria-label="{UNSUPPORTED_TITLE}">{body}</span>'
    )


def _linked_text(turn: int, text: str) -> str:
    """Fallback: the answer text with its [n] markers turned into links."""
    out, last = [], 0
    for m in _MARKER.finditer(text):
        out.append(esc(text[last : m.start()]))
        out.append(_markers(turn, [int(m.group(1))]))
        last = m.end()
    out.append(esc(text[last:]))
    return "".join(out)


def _notes(notes: Iterable[str]) -> str:
    items = "".join(f"<li>{esc(n)}</li>" for n in notes if n)
    return f'<ul class="nr-notes">{items}</ul>' if items else ""


def _answer_notes(answer: Answer) -> str:
    notes = list(answer.notes)
    applied = answer.filters or {}
    if applied.get("date_phrase"):
        notes.insert(
            0,
            f"Date filter: {applied.get('after') or '…'} to {applied.get('before') or '…'}"
            f" (from “{applied['date_phrase']}”)",
        )
    if applied.get("outlet_phrase"):
        notes.insert(0, f"Outlet filter: {applied['outlet_phrase']} (named in the question)")
    if answer.standalone_question and answer.standalone_question != answer.question:
        notes.insert(0, f"Follow-up read as: “{answer.standalone_question}”")
    return _notes(notes)


def answer_html(answer: Answer, turn: int) -> str:
    """The verified answer: [n] markers link to source cards, unsupported sentences marked."""
    if answer.refused:
        return (
            '<div class="nr-answer nr-refusal">'
            f'<span class="nr-refusal-tag">{REFUSAL_TAG}</span> '
            f"<span>{esc(answer.text)}</span>{_answer_notes(answer)}</div>"
        )
    if answer.sentences:
        body = " ".join(_sentence_html(turn, s) for s in answer.sentences)
    else:
        body = _linked_text(turn, answer.text)
    legend = ""
    if any(not s.supported for s in answer.sentences):
        legend = (
            '<div class="nr-legend"><span class="nr-unsupported">underlined dashes</span>'
            f": {UNSUPPORTED_TITLE}</div>"
        )
    return f'<div class="nr-answer">{body}{legend}{_answer_notes(answer)}</div>'


# Source cards ----------------------------------------------------------------------------
def _highlight(passage: str, cites: Sequence[Citation], turn: int) -> tuple[str, list[Citation]]:
    """The passage with each cited sentence in a <mark>; and the cites not found in it."""
    spans: list[tuple[int, int, Citation]] = []
    missing: list[Citation] = []
    for c in cites:
        start = passage.find(c.sentence) if c.sentence else -1
        overlaps = any(start < e and start + len(c.sentence) > s for s, e, _ in spans)
        if start < 0 or overlaps:
            missing.append(c)
        else:
            spans.append((start, start + len(c.sentence), c))
    out, last = [], 0
    for s, e, c in sorted(spans, key=lambda x: x[0]):
        out.append(esc(passage[last:s]))
        out.append(_mark(c, turn))
        last = e
    out.append(esc(passage[last:]))
    return "".join(out), missing


def _mark(c: Citation, turn: int) -> str:
    return (
        f'<mark class="nr-mark" id="{cite_id(turn, c.number)}">{esc(c.sentence)}'
        f'<sup class="nr-num">[{c.number}]</sup></mark>'
    )


def _card(turn: int, cites: list[Citation]) -> str:
    first = cites[0]
    title = esc(first.title or "Untitled article")
    url = safe_url(first.url)
    heading = (
        f'<a class="nr-title" href="{esc(url)}" target="_blank" rel="noopener noreferrer">'
        f"{title}</a>"
        if url
        else f'<span class="nr-title">{title}</span>'
    )
    meta = [esc(x) for x in (first.outlet, (first.published or "")[:10]) if x]
    meta_html = f'<div class="nr-meta">{" · ".join(meta)}</div>' if meta else ""
    link = (
        f'<div class="nr-link"><a href="{esc(url)}" target="_blank" rel="noopener noreferrer">'
        f"{esc(url)}</a></div>"
        if url
        else ""
    )
    numbers = "".join(f'<span class="nr-badge">{c.number}</span>' for c in cites)
    by_passage: dict[str, list[Citation]] = {}
    for c in cites:
        by_passage.setdefault(c.passage, []).append(c)
    quotes = []
    for passage, group in by_passage.items():
        body, missing = _highlight(passage, group, turn)
        quotes.append(f'<blockquote class="nr-passage">{body}</blockquote>')
        quotes += [f'<blockquote class="nr-passage">{_mark(c, turn)}</blockquote>' for c in missing]
    return (
        f'<article class="nr-card" data-doc="{esc(first.doc_id)}">'
        f'<header class="nr-card-head"><span class="nr-badges">{numbers}</span>{heading}</header>'
        f"{meta_html}{''.join(quotes)}{link}</article>"
    )


def sources_html(answer: Answer, turn: int) -> str:
    """The cards for one answer: one per cited article, cited sentences highlighted."""
    by_doc: dict[str, list[Citation]] = {}
    for c in answer.citations:
        by_doc.setdefault(c.doc_id, []).append(c)
    if by_doc:
        return "".join(_card(turn, cites) for cites in by_doc.values())
    if answer.refused:
        return f'<p class="nr-empty">{REFUSAL_TAG}: no source supports an answer.</p>'
    return '<p class="nr-empty">No sources were cited.</p>'


def sources_panel(entries: Sequence[tuple[int, str, str]]) -> str:
    """(turn, question, cards) per answer: the newest open on top, older ones folded below."""
    if not entries:
        return (
            '<div class="nr-sources"><p class="nr-empty">Sources for each answer appear here.'
            " Click a citation like [1] in an answer to jump to its passage.</p></div>"
        )
    sections = []
    for i, (turn, question, cards) in enumerate(reversed(entries)):
        sections.append(
            f'<details class="nr-turn" data-turn="{turn}"{" open" if i == 0 else ""}>'
            f'<summary><span class="nr-turn-n">Q{turn}</span> {esc(question)}</summary>'
            f"{cards}</details>"
        )
    return f'<div class="nr-sources">{"".join(sections)}</div>'


# Library ---------------------------------------------------------------------------------
LIBRARY_HEADERS = ["title", "outlet", "published", "chunks", "doc_id"]


def library_rows(articles: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """Store.articles() as table rows (the table widget escapes cell text itself)."""
    return [
        [
            a.get("title") or "Untitled article",
            a.get("source") or "",
            (a.get("published") or "")[:10],
            int(a.get("chunk_count") or 0),
            a.get("doc_id") or "",
        ]
        for a in articles
    ]


def remove_choices(articles: Sequence[dict[str, Any]]) -> list[tuple[str, str]]:
    """(label, doc_id) pairs for the remove dropdown."""
    out = []
    for a in articles:
        title = a.get("title") or "Untitled article"
        short = title if len(title) <= 60 else title[:57] + "…"
        out.append((f"{short} · {a.get('doc_id')}", str(a.get("doc_id"))))
    return out


def outlets(articles: Sequence[dict[str, Any]]) -> list[str]:
    return sorted({a["source"] for a in articles if a.get("source")}, key=str.lower)


def ingest_result_html(rows: Sequence[tuple[str, str, str]], summary: str) -> str:
    """Per-file outcome: (file name, status, detail); failures stand out."""
    if not rows:
        return '<div class="nr-result"><p class="nr-empty">No files were chosen.</p></div>'
    items = "".join(
        f'<li class="nr-status-{esc(status)}"><span class="nr-file">{esc(name)}</span>'
        f' <span class="nr-pill">{esc(status)}</span>'
        + (f' <span class="nr-detail">{esc(detail)}</span>' if detail else "")
        + "</li>"
        for name, status, detail in rows
    )
    return f'<div class="nr-result"><p>{esc(summary)}</p><ul>{items}</ul></div>'


def library_help_html(suffixes: Sequence[str]) -> str:
    kinds = " ".join(f"<code>{esc(x)}</code>" for x in suffixes)
    return (
        f'<div class="nr-help">Accepted: {kinds}. A file <code>name.meta.json</code> uploaded'
        " with <code>name.txt</code> sets its outlet, date, title or URL.</div>"
    )


def status_html(message: str, ok: bool = True) -> str:
    kind = "nr-ok" if ok else "nr-bad"
    return f'<div class="nr-result {kind}">{esc(message)}</div>'


def model_html(model: str, articles: int) -> str:
    return (
        '<div class="nr-header"><div class="nr-brand">newsrag</div>'
        '<div class="nr-tagline">Ask questions of your news articles; every claim cited.</div>'
        f'<div class="nr-model">model <code>{esc(model)}</code> · '
        f'<span class="nr-count">{articles} article{"" if articles == 1 else "s"}</span></div>'
        "</div>"
    )
