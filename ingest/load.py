"""Stage 1, load: turn one file into raw articles, or raise IngestError with a one-line reason."""

from __future__ import annotations

import contextlib
import contextvars
import errno
import glob
import json
import logging
import os
import re
import stat
import warnings as pywarnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from rag.dates import published_warning
from rag.documents import RawArticle
from rag.errors import IngestError
from rag.settings import Settings

log = logging.getLogger("newsrag.ingest")
# (path, message) warnings of the ingest run in progress: see ``collect_warnings``.
_WARNINGS: contextvars.ContextVar[list[tuple[str, str]] | None] = contextvars.ContextVar(
    "newsrag_ingest_warnings", default=None
)
# Published dates up to this many days ahead are fine (the setting's default).
FUTURE_DATE_DAYS: int = Settings.model_fields["future_date_days"].default

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


def _walk(root: Path, files: list[Path], skipped: list[tuple[str, str]]) -> None:
    """Regular files under ``root`` (hidden names skipped); everything else gets a reason.

    Folders that cannot be read, symlink loops, dangling links and special files (FIFOs,
    sockets, devices) are skipped with one line each; they never stop the walk.
    """
    stack = [root]
    visited: set[Path] = set()
    while stack:
        folder = stack.pop()
        real = folder.resolve()
        if real in visited:  # reached again through a symlink: read once
            if folder.is_symlink():
                skipped.append((str(folder), "links to a folder already included: skipped"))
            continue
        visited.add(real)
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name, reverse=True)
        except OSError as exc:
            skipped.append((str(folder), f"cannot read this folder ({_why(exc)}): skipped"))
            continue
        subfolders = []
        for entry in reversed(entries):
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            try:
                if entry.is_symlink():
                    try:
                        target = path.resolve(strict=True)
                    except FileNotFoundError:
                        skipped.append((str(path), "dangling symlink (its target is gone)"))
                        continue
                    except (RuntimeError, OSError):  # RuntimeError: a loop on 3.11
                        skipped.append((str(path), "symlink loop: it points back at itself"))
                        continue
                    here = path.parent.resolve()
                    if target.is_dir() and (target == here or target in here.parents):
                        skipped.append((str(path), "symlink loop: it points at a parent folder"))
                        continue
                mode = path.stat().st_mode
            except OSError as exc:
                skipped.append((str(path), f"cannot read ({_why(exc)})"))
                continue
            if stat.S_ISDIR(mode):
                subfolders.append(path)
            elif stat.S_ISREG(mode):
                files.append(path)
            else:
                skipped.append((str(path), f"not a regular file ({_kind(mode)})"))
        stack += reversed(subfolders)


def _why(exc: OSError) -> str:
    return (exc.strerror or type(exc).__name__).lower()


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


@contextlib.contextmanager
def collect_warnings() -> Iterator[list[tuple[str, str]]]:
    """Gather the (path, message) warnings loaders raise while the block runs.

    A warning never fails a file (the article is still ingested): the CLI prints each one as
    a line naming the file, the UI shows them beside the file's outcome.
    """
    found: list[tuple[str, str]] = []
    token = _WARNINGS.set(found)
    try:
        yield found
    finally:
        _WARNINGS.reset(token)


def warn(path: str | Path, message: str) -> None:
    """One warning about one file: logged, and kept for the report when one is collecting."""
    log.warning("%s: %s", path, message)
    found = _WARNINGS.get()
    if found is not None and (str(path), message) not in found:
        found.append((str(path), message))


class _PdfLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def _pdf_warnings_named(path: Path) -> Iterator[None]:
    """pypdf's warnings (its logger and ``warnings.warn``) re-issued naming ``path``."""
    logger = logging.getLogger("pypdf")
    handler, propagate = _PdfLog(), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    caught: list[pywarnings.WarningMessage] = []
    try:
        with pywarnings.catch_warnings(record=True) as caught:
            pywarnings.simplefilter("always")
            yield
    finally:  # also when the PDF turns out unreadable: the warnings say why
        logger.removeHandler(handler)
        logger.propagate = propagate
        for message in handler.messages + [str(w.message) for w in caught or []]:
            warn(path, f"pypdf: {' '.join(message.split())}")


def expand_paths(inputs: Iterable[str | Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files from paths, folders (recursive) and globs; and (input, reason) for the rest.

    Never raises for a bad input: missing paths, empty or unreadable folders, symlink loops,
    dangling links and FIFOs each come back as one (path, reason) line.
    """
    files: list[Path] = []
    missing: list[tuple[str, str]] = []
    for item in inputs:
        text = str(item)
        path = Path(text).expanduser()
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            mode = None
            if path.is_symlink():
                missing.append((text, "dangling symlink (its target is gone)"))
                continue
        except (RuntimeError, OSError) as exc:
            loop = isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == errno.ELOOP
            missing.append((text, "symlink loop" if loop else f"cannot read ({_why(exc)})"))
            continue
        if mode is not None and stat.S_ISDIR(mode):
            before = len(files) + len(missing)
            _walk(path, files, missing)
            if len(files) + len(missing) == before:
                missing.append((text, "nothing to ingest: the folder has no files"))
        elif mode is not None and stat.S_ISREG(mode):
            files.append(path)
        elif mode is not None:
            missing.append((text, f"not a regular file ({_kind(mode)})"))
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
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 with its byte-order mark
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise IngestError(
                "not valid UTF-16 though it starts like it", "Re-save the file as UTF-8."
            ) from None
    if b"\x00" in data[:8192]:
        raise IngestError(
            "binary file, not text",
            "Ingest .txt, .md, .html, .json, .jsonl, .pdf, .rss, .atom or .xml.",
        )
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
    yield from _json_articles(path, records, field_map)


def _get(obj: object, name: str) -> str:
    value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
    return str(value) if value else ""


def load_html(path: Path, html: str) -> RawArticle:
    """Main text and metadata with trafilatura."""
    import trafilatura

    # The date from the page's metadata only: the text's guesses ("COPYRIGHT 2023" in a
    # footer, read as January 1) are no publication date.
    doc = trafilatura.bare_extraction(
        html,
        with_metadata=True,
        include_comments=False,
        date_extraction_params={"extensive_search": False},
    )
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
        with _pdf_warnings_named(path):
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


# Front matter keys (Markdown's "---" block) -> the article field each gives.
_FRONT_MATTER = {
    "title": "title",
    "headline": "title",
    "author": "author",
    "byline": "author",
    "date": "published",
    "published": "published",
    "published_at": "published",
    "source": "source",
    "outlet": "source",
    "publisher": "source",
    "url": "url",
    "link": "url",
}


def _front_matter(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """A leading "---" ... "---" block of ``key: value`` lines (Markdown front matter):
    the article fields it gives, and the lines after it; ({}, lines) when there is none."""
    if not lines or lines[0].strip() != "---":
        return {}, lines
    end = next((i for i, line in enumerate(lines[1:51], 1) if line.strip() == "---"), None)
    if end is None:
        return {}, lines
    fields: dict[str, str] = {}
    for line in lines[1:end]:
        key, sep, value = line.partition(":")
        field = _FRONT_MATTER.get(key.strip().lower())
        if sep and field and value.strip():
            fields.setdefault(field, value.strip().strip("\"'"))
    return fields, lines[end + 1 :]


def _is_title_line(first: str, following: str) -> bool:
    """Whether a plain text's first line is its title: short, not ending a sentence, and
    standing apart from what follows: a blank line after it, or a next line that does not
    carry on its sentence (a hard-wrapped paragraph's next line starts in lower case)."""
    if len(first) > 200 or first.endswith((".", ":", ";", ",")):
        return False
    following = following.strip()
    return not following or not following[:1].islower()


def load_text(path: Path, text: str) -> RawArticle:
    """Plain text or Markdown: front matter gives fields; a '# ' heading, or a short first
    line that stands apart from the text after it, is the title."""
    fields, lines = _front_matter(text.strip().splitlines())
    while lines and not lines[0].strip():
        lines = lines[1:]
    title = fields.pop("title", "")
    if lines and not title:
        first = lines[0].strip()
        if first.startswith("#"):
            title = first.lstrip("#").strip()
            lines = lines[1:]
        elif len(lines) > 1 and _is_title_line(first, lines[1]):
            title = first
            lines = lines[1:]
    body = "\n".join(lines)
    if not body.strip():
        raise IngestError("no text besides the title")
    return RawArticle(text=body, path=str(path), title=title, **fields)


def _sidecar(path: Path) -> dict[str, str]:
    """Optional metadata beside a file: ``article.txt`` + ``article.meta.json``."""
    meta = path.with_name(path.stem + ".meta.json")
    if meta.is_file():
        try:
            data = json.loads(meta.read_text("utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError, OSError) as exc:
            why = exc.msg if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
            warn(path, f"{meta.name} is not a readable JSON object ({why}): its fields are ignored")
            return {}
        if not isinstance(data, dict):
            warn(path, f"{meta.name} is not a JSON object: its fields are ignored")
            return {}
        return {k: str(v) for k, v in data.items() if isinstance(v, (str, int, float))}
    return {}


def load_file(
    path: Path,
    max_bytes: int,
    field_map: dict[str, str] | None = None,
    future_days: int = FUTURE_DATE_DAYS,
) -> list[RawArticle | IngestError]:
    """All articles in one file; per-record failures come back as IngestError items.

    A published date that is not a date, or is more than ``future_days`` ahead, is kept as
    it is and reported through ``warn`` (see ``collect_warnings``).
    """
    return list(iter_file(path, max_bytes, field_map, future_days))


def iter_jsonl(
    path: Path, max_bytes: int, on_bytes: Callable[[int], None] | None = None
) -> Iterator[dict | RecordError]:
    """The records of a JSON Lines file, read one line at a time: memory stays that of one
    record whatever the file's size, so ``max_bytes`` bounds each line, not the file. A
    line that is not UTF-8 or not JSON is a RecordError for that line; the rest are read.
    ``on_bytes`` is told how many bytes of the file have been read, after each line."""
    if path.stat().st_size == 0:
        raise IngestError("empty file", "Nothing to ingest.")
    with path.open("rb") as fh:
        if b"\x00" in fh.read(8192):
            raise IngestError(
                "binary file, not text",
                "Ingest .txt, .md, .html, .json, .jsonl, .pdf, .rss, .atom or .xml.",
            )
        fh.seek(0)
        any_line = False
        read = 0
        for lineno, raw in enumerate(fh, 1):
            read += len(raw)
            if on_bytes is not None:
                on_bytes(read)
            if len(raw) > max_bytes:
                yield RecordError(
                    f"line {lineno} is {len(raw) / 1e6:.1f} MB, over the "
                    f"{max_bytes / 1e6:.0f} MB limit",
                    "Split the record or raise NEWSRAG_MAX_FILE_MB.",
                )
                continue
            try:
                line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                yield RecordError(
                    f"line {lineno}: not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
                    "Re-save the file as UTF-8.",
                )
                continue
            if not line.strip():
                continue
            any_line = True
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                yield RecordError(f"line {lineno}: invalid JSON ({exc.msg})")
        if not any_line:
            raise IngestError("file has only whitespace")


def _json_articles(
    path: Path, records: Iterable, field_map: dict[str, str] | None
) -> Iterator[RawArticle | IngestError]:
    n = 0
    for n, rec in enumerate(records, 1):
        if isinstance(rec, RecordError):
            yield rec
        elif not isinstance(rec, dict):
            yield RecordError(f"record {n} is not an object")
        else:
            try:
                yield record_to_article(rec, str(path), field_map)
            except RecordError as exc:
                yield RecordError(f"record {n}: {exc.message}", exc.hint)
    if n == 0:
        raise IngestError("no records in JSON file")


def iter_file(
    path: Path,
    max_bytes: int,
    field_map: dict[str, str] | None = None,
    future_days: int = FUTURE_DATE_DAYS,
    on_bytes: Callable[[int], None] | None = None,
) -> Iterator[RawArticle | IngestError]:
    """``load_file``, one article at a time: JSON Lines files are streamed (see
    ``iter_jsonl``, which reports its progress to ``on_bytes``), so a corpus of any size is
    never held in memory; other files are read whole (one article each, or a JSON document
    or feed under ``max_bytes``)."""
    suffix = path.suffix.lower()
    if path.name.endswith(".meta.json"):
        return
    if suffix in {".jsonl", ".ndjson"} and suffix in SUPPORTED_SUFFIXES:
        path = path.resolve()
        extra = _sidecar(path)
        _warn_file_wide(path, extra)
        records = iter_jsonl(path, max_bytes, on_bytes)
        for item in _json_articles(path, records, field_map):
            if isinstance(item, RawArticle):
                _apply_sidecar(path, item, extra, future_days, many=True)
            yield item
        return
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
    if len(items) > 1:
        _warn_file_wide(path, extra)
    for item in items:
        if isinstance(item, RawArticle):
            _apply_sidecar(path, item, extra, future_days, many=len(items) > 1)
    yield from items


def _warn_file_wide(path: Path, extra: dict[str, str]) -> None:
    """Say once that a sidecar beside a file of many articles gives one article's fields."""
    own = [k for k in ("title", "url", "published") if extra.get(k)]
    if own:
        warn(
            path,
            f"its sidecar's {', '.join(own)} would be every record's: ignored"
            " (give them in each record)",
        )


def _apply_sidecar(
    path: Path, item: RawArticle, extra: dict[str, str], future_days: int, many: bool
) -> None:
    """A sidecar's fields over the article's; warn about a published date we cannot use.

    Beside a file of many articles (JSON Lines, a feed) the sidecar speaks for the file: its
    outlet and author fill in what a record lacks, and its title, url and date, which are
    one article's, are not given to every record (a url is an article's identity: given to
    all, it made them one article)."""
    if many:
        for key in ("source", "author"):
            if extra.get(key) and not getattr(item, key):
                setattr(item, key, extra[key])
    else:
        for key in ("title", "source", "author", "published", "url"):
            if extra.get(key):
                setattr(item, key, extra[key])
    problem = published_warning(item.published, future_days=future_days)
    if problem:
        where = f" ({item.title[:60]})" if many and item.title else ""
        warn(path, problem + where)
