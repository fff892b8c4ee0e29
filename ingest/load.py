"""Stage 1, load: turn one file into raw articles, or raise IngestError with a one-line reason."""

from __future__ import annotations

import glob
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from rag.documents import RawArticle
from rag.errors import IngestError

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
FEED_SUFFIXES = {".rss", ".atom", ".xml"}
PDF_SUFFIXES = {".pdf"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES | FEED_SUFFIXES | PDF_SUFFIXES

# Field names tried in order for JSON records; a user mapping goes first.
DEFAULT_FIELDS: dict[str, tuple[str, ...]] = {
    "text": ("body", "text", "content", "article", "maintext", "description"),
    "title": ("title", "headline", "name"),
    "published": ("published_at", "published", "date", "pubDate", "publish_date", "datetime"),
    "url": ("url", "link", "href"),
    "source": ("source", "outlet", "site_name", "sitename", "publisher"),
    "author": ("author", "authors", "byline", "creator"),
}


class RecordError(IngestError):
    """One record inside a multi-article file had no usable body."""


def expand_paths(inputs: Iterable[str | Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files from paths, folders (recursive) and globs; and (input, reason) for missing ones."""
    files: list[Path] = []
    missing: list[tuple[str, str]] = []
    for item in inputs:
        text = str(item)
        path = Path(text).expanduser()
        if path.is_dir():
            files += sorted(
                p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")
            )
        elif path.is_file():
            files.append(path)
        elif any(ch in text for ch in "*?["):
            matched = sorted(Path(p) for p in glob.glob(text, recursive=True))
            found = [p for p in matched if p.is_file()]
            files += found
            if not found:
                missing.append((text, "no files match this pattern"))
        else:
            missing.append((text, "path does not exist: check the spelling"))
    seen: set[Path] = set()
    unique = []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, missing


def read_text(path: Path, max_bytes: int) -> str:
    """File contents as text, refusing empty, oversized, binary and non-UTF-8 files."""
    size = path.stat().st_size
    if size == 0:
        raise IngestError("empty file", "Nothing to ingest.")
    if size > max_bytes:
        raise IngestError(
            f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit",
            "Split it or raise NEWSRAG_MAX_FILE_MB.",
        )
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise IngestError("binary file, not text", "Ingest .txt, .md, .html, .json, .pdf or feeds.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            "Re-save the file as UTF-8.",
        ) from None


def _first(record: dict, names: Iterable[str]) -> str:
    for name in names:
        value = record.get(name)
        if value in (None, "", []):
            continue
        if isinstance(value, list):
            return ", ".join(
                str(v.get("name", v)) if isinstance(v, dict) else str(v) for v in value
            )
        if isinstance(value, dict):
            return str(value.get("name") or value.get("title") or value.get("href") or "")
        return str(value)
    return ""


def record_to_article(
    record: dict, path: str, field_map: dict[str, str] | None = None
) -> RawArticle:
    """One JSON record -> RawArticle; raises RecordError when it has no body."""
    fields = {
        key: ((field_map or {}).get(key), *names) if (field_map or {}).get(key) else names
        for key, names in DEFAULT_FIELDS.items()
    }
    values = {key: _first(record, names) for key, names in fields.items()}
    if not values["text"].strip():
        wanted = "/".join(fields["text"][:3])
        raise RecordError("record has no body", f"Give it a {wanted} field or map one.")
    return RawArticle(path=path, **values)


def load_json(path: Path, text: str, field_map: dict[str, str] | None) -> Iterator[RawArticle]:
    """JSON array/object or JSON Lines; yields articles and RecordErrors for bad records."""
    records: list = []
    if path.suffix.lower() in {".jsonl", ".ndjson"}:
        for lineno, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    records.append(RecordError(f"line {lineno}: invalid JSON ({exc.msg})"))
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise IngestError(f"invalid JSON at line {exc.lineno}: {exc.msg}") from None
        if isinstance(data, dict):
            nested = next((data[k] for k in ("articles", "items", "data") if k in data), None)
            records = nested if isinstance(nested, list) else [data]
        elif isinstance(data, list):
            records = data
    if not records:
        raise IngestError("no records in JSON file")
    for n, rec in enumerate(records, 1):
        if isinstance(rec, RecordError):
            yield rec  # type: ignore[misc]
        elif not isinstance(rec, dict):
            yield RecordError(f"record {n} is not an object")  # type: ignore[misc]
        else:
            try:
                yield record_to_article(rec, str(path), field_map)
            except RecordError as exc:
                yield RecordError(f"record {n}: {exc.message}", exc.hint)  # type: ignore[misc]


def _get(obj: object, name: str) -> str:
    value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
    return str(value) if value else ""


def load_html(path: Path, html: str) -> RawArticle:
    """Main text and metadata with trafilatura."""
    import trafilatura

    doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False)
    body = _get(doc, "text") if doc else ""
    if not body.strip():
        raise IngestError("no article text found in the HTML", "Is it an article page?")
    return RawArticle(
        text=body,
        path=str(path),
        title=_get(doc, "title"),
        source=_get(doc, "sitename") or _get(doc, "hostname"),
        author=_get(doc, "author"),
        published=_get(doc, "date"),
        url=_get(doc, "url"),
    )


def html_to_text(fragment: str) -> str:
    """Text of an HTML fragment (feed entries), paragraphs kept apart."""
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except Exception:  # lxml raises several types on junk markup
        return re.sub(r"<[^>]+>", " ", fragment)
    for block in root.iter("p", "br", "div", "li", "h1", "h2", "h3"):
        block.tail = "\n\n" + (block.tail or "")
    return root.text_content()


def looks_like_feed(text: str) -> bool:
    head = text[:2048].lower()
    return "<rss" in head or "<feed" in head or "<rdf:rdf" in head


def load_feed(path: Path, text: str) -> Iterator[RawArticle]:
    """One article per RSS/Atom entry."""
    import feedparser

    parsed = feedparser.parse(text)
    if not parsed.entries:
        raise IngestError("feed has no entries")
    outlet = parsed.feed.get("title", "")
    for n, entry in enumerate(parsed.entries, 1):
        html = ""
        if entry.get("content"):
            html = entry["content"][0].get("value", "")
        html = html or entry.get("summary", "") or entry.get("description", "")
        body = html_to_text(html) if "<" in html else html
        if not body.strip():
            yield RecordError(f"entry {n}: no text")  # type: ignore[misc]
            continue
        yield RawArticle(
            text=body,
            path=str(path),
            title=entry.get("title", ""),
            source=outlet,
            author=entry.get("author", ""),
            published=entry.get("published", "") or entry.get("updated", ""),
            url=entry.get("link", ""),
        )


def load_pdf(path: Path, max_bytes: int) -> RawArticle:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if path.stat().st_size > max_bytes:
        raise IngestError(f"file is over the {max_bytes / 1e6:.0f} MB limit")
    try:
        reader = PdfReader(str(path))
        text = "\n\n".join((page.extract_text() or "") for page in reader.pages)
        info = reader.metadata or {}
    except (PdfReadError, ValueError, OSError) as exc:
        raise IngestError(f"unreadable PDF ({exc})", "Is the file complete?") from None
    if not text.strip():
        raise IngestError("PDF has no extractable text (scanned?)", "OCR it first.")
    return RawArticle(
        text=text,
        path=str(path),
        title=str(info.get("/Title") or ""),
        author=str(info.get("/Author") or ""),
        published=str(info.get("/CreationDate") or "").removeprefix("D:")[:8],
    )


def load_text(path: Path, text: str) -> RawArticle:
    """Plain text or Markdown: a short first line (or a '# ' heading) is the title."""
    lines = text.strip().splitlines()
    title = ""
    if lines:
        first = lines[0].strip()
        if first.startswith("#"):
            title = first.lstrip("#").strip()
            lines = lines[1:]
        elif len(first) <= 200 and not first.endswith((".", ":", ";")) and len(lines) > 1:
            title = first
            lines = lines[1:]
    body = "\n".join(lines)
    if not body.strip():
        raise IngestError("no text besides the title")
    return RawArticle(text=body, path=str(path), title=title)


def _sidecar(path: Path) -> dict[str, str]:
    """Optional metadata beside a file: ``article.txt`` + ``article.meta.json``."""
    meta = path.with_name(path.stem + ".meta.json")
    if meta.is_file():
        try:
            data = json.loads(meta.read_text("utf-8"))
            return {k: str(v) for k, v in data.items() if isinstance(v, (str, int, float))}
        except (json.JSONDecodeError, UnicodeDecodeError):
            return {}
    return {}


def load_file(
    path: Path, max_bytes: int, field_map: dict[str, str] | None = None
) -> list[RawArticle | IngestError]:
    """All articles in one file; per-record failures come back as IngestError items."""
    suffix = path.suffix.lower()
    if path.name.endswith(".meta.json"):
        return []
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(
            f"unsupported file type '{suffix or path.name}'",
            "Use .txt, .md, .html, .json, .jsonl, .pdf, .rss, .atom or .xml.",
        )
    path = path.resolve()
    if suffix in PDF_SUFFIXES:
        items: list[RawArticle | IngestError] = [load_pdf(path, max_bytes)]
    else:
        text = read_text(path, max_bytes)
        if not text.strip():
            raise IngestError("file has only whitespace")
        if suffix in JSON_SUFFIXES:
            items = list(load_json(path, text, field_map))
        elif suffix in FEED_SUFFIXES or (suffix in HTML_SUFFIXES and looks_like_feed(text)):
            if not looks_like_feed(text):
                raise IngestError("XML file is not an RSS/Atom feed")
            items = list(load_feed(path, text))
        elif suffix in HTML_SUFFIXES:
            items = [load_html(path, text)]
        else:
            items = [load_text(path, text)]
    extra = _sidecar(path)
    for item in items:
        if isinstance(item, RawArticle):
            for key in ("title", "source", "author", "published", "url"):
                if extra.get(key):
                    setattr(item, key, extra[key])
    return items
