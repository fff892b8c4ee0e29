"""Stage 2, clean: normalise text and metadata into an Article with a stable id."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

from rag.documents import Article, RawArticle, content_sha256, make_doc_id, now_iso
from rag.errors import IngestError

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
    """Any common date string -> (ISO 8601, epoch seconds); ("", None) when unparseable."""
    value = (value or "").strip()
    if not value:
        return "", None
    from dateutil import parser as dateparser

    try:
        if re.fullmatch(r"\d{8}", value):
            parsed = datetime.strptime(value, "%Y%m%d")
        else:
            parsed = dateparser.parse(value)
    except (ValueError, OverflowError, TypeError):
        return "", None
    if parsed is None:
        return "", None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.isoformat(), int(parsed.timestamp())


def _one_line(value: str, limit: int = 300) -> str:
    return _SPACES.sub(" ", (value or "").replace("\n", " ")).strip()[:limit]


def clean(raw: RawArticle) -> Article:
    """RawArticle -> Article; raises IngestError when no text is left."""
    text = clean_text(raw.text)
    if len(text) < 20 or not re.search(r"\w{2,}", text):
        raise IngestError("no article text after cleaning", "Is the file empty or markup only?")
    published, ts = parse_date(raw.published)
    url = raw.url.strip()
    title = _one_line(raw.title) or _one_line(text.split("\n", 1)[0], 120)
    return Article(
        doc_id=make_doc_id(url, text),
        text=text,
        path=raw.path,
        title=title,
        source=_one_line(raw.source, 120),
        author=_one_line(raw.author, 200),
        published=published,
        published_ts=ts,
        url=url,
        sha256=content_sha256("\x1f".join([title, raw.source, raw.author, published, url, text])),
        ingested_at=now_iso(),
    )
