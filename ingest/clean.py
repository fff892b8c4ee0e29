"""Stage 2, clean: normalise text and metadata into an Article with a stable id.

Every format (text, Markdown, HTML, JSON/JSONL records, PDF, feeds) passes through here after
loading, so this is where planted instructions (``rag.injection``: sentences addressed to the
reader's AI assistant) are removed: they never reach chunks, embeddings or the store.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from rag.dates import read_published
from rag.documents import Article, RawArticle, content_sha256, make_doc_id, now_iso
from rag.errors import IngestError
from rag.injection import is_instruction, parse_candidates, strip_instructions

log = logging.getLogger("newsrag.ingest")

_CAPTION = re.compile(r"\((?:[A-Z][\w.&' -]{0,30} )?(?:Photo|Photograph|Image|File Photo)\)\s*$")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b]+")
_BLANKS = re.compile(r"\n{3,}")


def clean_text(text: str) -> str:
    """NFC, one space between words, paragraphs split by one blank line, no photo captions."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    lines = [line for line in lines if not _CAPTION.search(line)]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


def parse_date(value: str) -> tuple[str, int | None]:
    """A published value -> (ISO 8601, epoch seconds); ("", None) when it gives no whole
    date (``rag.dates.read_published``)."""
    parsed = read_published(value)
    if parsed is None:
        return "", None
    return parsed.isoformat(), int(parsed.timestamp())


def _one_line(value: str, limit: int = 300) -> str:
    return _SPACES.sub(" ", (value or "").replace("\n", " ")).strip()[:limit]


@dataclass
class Cleaned:
    """An article and the planted-instruction sentences taken out of it."""

    article: Article
    dropped: list[str] = field(default_factory=list)  # sentences (and metadata values) removed


def clean(raw: RawArticle) -> Article:
    """RawArticle -> Article; raises IngestError when no text is left."""
    return clean_article(raw).article


# The metadata fields read for planted instructions, like the text.
_CHECKED_FIELDS = ("title", "source", "author")


def clean_article(raw: RawArticle) -> Cleaned:
    """RawArticle -> Article without planted instructions, and what was dropped (logged per
    article on the ``newsrag.ingest`` logger); raises IngestError when no text is left."""
    return _cleaned(raw, clean_text(raw.text))


def clean_articles(raws: Sequence[RawArticle]) -> list[Cleaned | IngestError]:
    """``clean_article`` for many articles, in order, an IngestError in place of an article
    that has no text left. Their planted-instruction checks are parsed in one batch
    (``rag.injection.parse_candidates``): one parser call per article and field cost more
    than the parsing."""
    texts = [clean_text(raw.text) for raw in raws]
    parse_candidates(
        [*texts, *(_one_line(getattr(raw, name)) for raw in raws for name in _CHECKED_FIELDS)]
    )
    out: list[Cleaned | IngestError] = []
    for raw, text in zip(raws, texts, strict=True):
        try:
            out.append(_cleaned(raw, text))
        except IngestError as exc:
            out.append(exc)
    return out


def _cleaned(raw: RawArticle, text: str) -> Cleaned:
    """``clean_article`` of ``raw`` whose text is already ``clean_text``-ed."""
    text, dropped = strip_instructions(text)
    text = clean_text(text)
    if len(text) < 20 or not re.search(r"\w{2,}", text):
        if dropped:
            raise IngestError(
                "no article text left after removing instructions addressed to AI assistants"
            )
        raise IngestError("no article text after cleaning", "Is the file empty or markup only?")
    published, ts = parse_date(raw.published)
    # A date that cannot be read is kept as written (the loader warned, naming the file);
    # filters read ``published_ts``, which stays empty.
    published = published or _one_line(raw.published or "", 80)
    url = raw.url.strip()
    meta = {}
    for name in _CHECKED_FIELDS:
        value = _one_line(getattr(raw, name))
        if value and is_instruction(value):
            dropped.append(value)
            value = ""
        meta[name] = value
    title = meta["title"] or _one_line(text.split("\n", 1)[0], 120)
    article = _article(raw, text, title, meta["source"], meta["author"], published, ts, url)
    if dropped:
        log.warning(
            "%s: dropped %d sentence(s) addressed to an AI assistant (planted instructions)",
            article.title or raw.path,
            len(dropped),
        )
    return Cleaned(article, dropped)


def _article(
    raw: RawArticle,
    text: str,
    title: str,
    source: str,
    author: str,
    published: str,
    ts: int | None,
    url: str,
) -> Article:
    # The fingerprint keeps the raw metadata (as before), without what was dropped from it.
    kept_meta = [raw.source if source else "", raw.author if author else ""]
    return Article(
        doc_id=make_doc_id(url, text),
        text=text,
        path=raw.path,
        title=title,
        source=source[:120],
        author=author[:200],
        published=published,
        published_ts=ts,
        url=url,
        sha256=content_sha256("\x1f".join([title, *kept_meta, published, url, text])),
        ingested_at=now_iso(),
    )
