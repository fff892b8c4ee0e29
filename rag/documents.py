"""The records that flow from ingestion to the store and back to citations."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class RawArticle:
    """What a loader found in a file: text plus whatever metadata the format carried."""

    text: str
    path: str
    title: str = ""
    source: str = ""
    author: str = ""
    published: str = ""  # as found; normalised later
    url: str = ""
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class Article:
    """A cleaned article with normalised metadata, ready to chunk."""

    doc_id: str
    text: str
    path: str
    title: str
    source: str
    author: str
    published: str  # ISO 8601 or ""
    published_ts: int | None  # epoch seconds, for range filters
    url: str
    sha256: str
    ingested_at: str = ""

    def metadata(self) -> dict[str, str | int]:
        """Flat str/int metadata that Chroma accepts (no None values)."""
        meta: dict[str, str | int] = {
            "doc_id": self.doc_id,
            "title": self.title,
            "source": self.source,
            "author": self.author,
            "published": self.published,
            "url": self.url,
            "path": self.path,
            "sha256": self.sha256,
            "ingested_at": self.ingested_at,
        }
        if self.published_ts is not None:
            meta["published_ts"] = self.published_ts
        return meta


@dataclass(frozen=True)
class Chunk:
    """A span of an article's cleaned text: ``article.text[start:end] == text``."""

    doc_id: str
    index: int
    start: int
    end: int
    text: str

    @property
    def chunk_id(self) -> str:
        """The id of this chunk in an untagged version (see ``chunk_key``)."""
        return chunk_key(self.doc_id, self.index)


def chunk_key(doc_id: str, index: int, version: str = "") -> str:
    """A chunk's id in the vector store: ``doc_id:version.index``. Each version of an article
    (``version`` is a prefix of its sha256) has ids of its own, so a new version can be
    written beside the old one, which stays readable until the switch. Ids made before
    versions existed are ``doc_id:index``. Everything before the last ":" is the doc id."""
    return f"{doc_id}:{version}.{index}" if version else f"{doc_id}:{index}"


def content_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def make_doc_id(url: str, text: str) -> str:
    """Stable id: from the URL when there is one, else from the content."""
    if url:
        return "u" + hashlib.sha256(url.strip().encode("utf-8")).hexdigest()[:16]
    return "h" + content_sha256(text)[:16]


def now_iso() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")
