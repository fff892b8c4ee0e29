"""Compose the stages: load -> clean -> chunk -> embed -> store, with a per-file report."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ingest.chunk import chunk_article
from ingest.clean import Cleaned, clean_articles
from ingest.embed import embed_chunks
from ingest.load import RawArticle, expand_paths, iter_file, warn
from rag.documents import Article, Chunk
from rag.embeddings import Embedder
from rag.errors import IngestError
from rag.settings import Settings
from rag.store import Store


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (input, one-line reason)
    recovered: list[str] = field(default_factory=list)
    # doc id -> sentences dropped as planted instructions to an AI assistant
    dropped: dict[str, int] = field(default_factory=dict)
    chunks: int = 0
    files: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """False only when nothing could be ingested at all."""
        return not self.failed or bool(self.added or self.updated or self.unchanged)

    def to_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}

    def summary_line(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.removed)} removed, "
            f"{len(self.failed)} failed; {self.chunks} chunks in {self.seconds:.1f}s"
        ) + (
            f"; {sum(self.dropped.values())} planted instruction sentence(s) dropped from "
            f"{len(self.dropped)} article(s)"
            if self.dropped
            else ""
        )


ProgressFn = Callable[[str, int, int], None]  # (stage, done, total)
# The "read" stage (bytes of all input files) is reported at most once per this many bytes.
PROGRESS_BYTES = 1 << 20


# Characters of article text read ahead to be cleaned together, at most (beside
# ``ingest_clean_window`` records): the batch of a file of long records stays small.
_CLEAN_WINDOW_CHARS = 2_000_000


class _ByteProgress:
    """Reports the "read" stage: bytes of all the input files read so far, inside a streamed
    JSON Lines file too, so a single large corpus file shows its progress."""

    def __init__(self, files: list[Path], progress: ProgressFn | None) -> None:
        self.progress = progress
        self.sizes = []
        for f in files:
            try:
                self.sizes.append(f.stat().st_size)
            except OSError:
                self.sizes.append(0)
        self.total = sum(self.sizes)
        self.base = 0  # bytes of the files finished
        self.reported = -PROGRESS_BYTES

    def within(self, read: int) -> None:
        """``read`` bytes of the current file are read."""
        done = self.base + read
        if self.progress and done - self.reported >= PROGRESS_BYTES:
            self.reported = done
            self.progress("read", done, self.total)

    def done(self, index: int) -> None:
        """The ``index``-th file is read."""
        self.base += self.sizes[index]
        if self.progress:
            self.reported = self.base
            self.progress("read", self.base, self.total)


def _cleaned_ahead(
    items: Iterator[RawArticle | IngestError], window: int, window_chars: int
) -> Iterator[Cleaned | IngestError]:
    """``items`` cleaned (``clean_articles``), in order, reading ahead up to ``window``
    records or ``window_chars`` characters of text, so their planted-instruction checks are
    parsed together while memory stays bounded. Failures come where a one-at-a-time read
    would raise them: a read that fails part-way raises after the records read before it
    are yielded, and when cleaning the batch breaks (not a record's IngestError), its
    records are cleaned one at a time again, so the error surfaces at its own record."""
    items = iter(items)
    while True:
        batch: list[RawArticle | IngestError] = []
        chars = 0
        failure: Exception | None = None
        try:
            for item in items:
                batch.append(item)
                chars += 0 if isinstance(item, IngestError) else len(item.text)
                if len(batch) >= window or chars >= window_chars:
                    break
        except Exception as exc:  # re-raised below, where a one-at-a-time read would raise it
            failure = exc
        raws = [item for item in batch if not isinstance(item, IngestError)]
        try:
            together: Iterator[Cleaned | IngestError] | None = iter(clean_articles(raws))
        except Exception:  # one record breaks the batch: it raises again below, alone
            together = None
        for item in batch:
            if isinstance(item, IngestError):
                yield item
            elif together is not None:
                yield next(together)
            else:
                yield clean_articles([item])[0]
        if failure is not None:
            raise failure
        if not batch or (len(batch) < window and chars < window_chars):
            return


class Ingestor:
    """Runs the stages over files and keeps the store converged (no duplicates, no orphans)."""

    def __init__(self, settings: Settings, store: Store, embedder: Embedder) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self._embedded = 0  # chunks embedded in the current run (for progress)

    def run(
        self,
        inputs: Iterable[str | Path],
        field_map: dict[str, str] | None = None,
        progress: ProgressFn | None = None,
    ) -> IngestReport:
        with self.store.ingest_lock():
            return self._run(inputs, field_map, progress)

    def _run(
        self,
        inputs: Iterable[str | Path],
        field_map: dict[str, str] | None,
        progress: ProgressFn | None,
    ) -> IngestReport:
        started = time.perf_counter()
        self._embedded = 0
        self._first_seen: dict[str, tuple[str, str]] = {}  # doc id -> (file, sha256) this run
        report = IngestReport(recovered=self.store.recover())
        inputs = list(inputs)
        files, missing = expand_paths(inputs)
        report.failed += missing
        report.files = len(files)
        max_bytes = int(self.settings.max_file_mb * 1_000_000)
        pending: list[tuple[Article, list[Chunk], bool]] = []
        vanished: list[str] = []  # removed after the flush that writes their files' news
        reading = _ByteProgress(files, progress)
        for n, path in enumerate(files, 1):
            items = iter_file(
                path,
                max_bytes,
                field_map,
                future_days=self.settings.future_date_days,
                on_bytes=reading.within,
            )
            kept, complete, read = self._prepare(path.resolve(), items, report, pending, progress)
            reading.done(n - 1)
            if read:
                vanished += self._vanished(str(path.resolve()), kept, complete)
            if sum(len(c) for _, c, _ in pending) >= self.settings.ingest_group_chunks:
                self._flush(pending, report, progress)
                self._remove_vanished(vanished, report)
            if progress:
                progress("files", n, len(files))
        # A folder read again syncs the store with it: a file deleted from it since its
        # last ingest took its articles along (unless another file still holds them).
        for folder in {Path(p).expanduser().resolve() for p in map(str, inputs)}:
            if folder.is_dir():
                for gone in self.store.files_under(folder):
                    if not os.path.lexists(gone):
                        vanished += self.store.record_file_articles(gone, [], complete=True)
        self._flush(pending, report, progress)
        self._remove_vanished(vanished, report)
        report.seconds = time.perf_counter() - started
        self.store.note_ingest(report.summary_line())
        return report

    def _prepare(
        self,
        path: Path,
        items: Iterator[RawArticle | IngestError],
        report: IngestReport,
        pending: list[tuple[Article, list[Chunk], bool]],
        progress: ProgressFn | None = None,
    ) -> tuple[set[str], bool, bool]:
        """Clean and chunk the file's articles as they are read; queue new or changed ones,
        writing the queue whenever it holds ``settings.ingest_group_chunks`` chunks, so a
        JSON Lines file of any size is never held in memory. Returns the ids of the articles
        the file holds, whether every one of its records could be read, and whether the file
        could be read at all (a file that failed leaves what was stored from it untouched)."""
        kept: set[str] = set()
        complete = True
        queued_chunks = sum(len(c) for _, c, _ in pending)
        try:
            for cleaned in _cleaned_ahead(
                items, self.settings.ingest_clean_window, _CLEAN_WINDOW_CHARS
            ):
                if isinstance(cleaned, IngestError):  # an unreadable record, or no text left
                    report.failed.append((str(path), str(cleaned)))
                    complete = False
                    continue
                article = cleaned.article
                if cleaned.dropped:
                    report.dropped[article.doc_id] = len(cleaned.dropped)
                # The first file of the run to give an article wins, in every run alike: a
                # later one (the same url in another file) neither replaces it nor, the
                # next run, is replaced by it in turn.
                first = self._first_seen.setdefault(article.doc_id, (str(path), article.sha256))
                repeated = article.doc_id in kept or first[0] != str(path)
                if first[1] != article.sha256:
                    where = "earlier in this file" if first[0] == str(path) else f"in {first[0]}"
                    warn(
                        path,
                        f"{article.title[:60] or article.doc_id} is also {where} with other"
                        " text (the same url): the first is kept",
                    )
                kept.add(article.doc_id)
                known = self.store.fingerprint(article.doc_id)
                if known == article.sha256 or repeated:
                    report.unchanged.append(article.doc_id)
                    continue
                chunks = chunk_article(
                    article,
                    self.settings.chunk_size,
                    min(self.settings.chunk_overlap, self.settings.chunk_size // 2),
                )
                pending.append((article, chunks, known is not None))
                queued_chunks += len(chunks)
                if queued_chunks >= self.settings.ingest_group_chunks:
                    self._flush(pending, report, progress)
                    queued_chunks = 0
        except IngestError as exc:
            report.failed.append((str(path), str(exc)))
            return kept, False, bool(kept)
        except OSError as exc:  # unreadable: permissions, a vanished file, a bad disk
            why = (exc.strerror or type(exc).__name__).lower()
            report.failed.append(
                (str(path), f"could not read ({why}). Check the file's permissions and retry.")
            )
            return kept, False, bool(kept)
        except Exception as exc:  # a loader bug must not stop the run
            report.failed.append((str(path), f"could not read: {type(exc).__name__}: {exc}"))
            return kept, False, bool(kept)
        return kept, complete, True

    def _vanished(self, path: str, kept: set[str], complete: bool) -> list[str]:
        """A file that now yields other articles than before: the ones it lost that no other
        file holds. Only a file read in full can have lost one: a record that could not be
        read (a broken JSONL line) is not a record that vanished, just as a file that failed
        entirely leaves what was stored untouched."""
        return self.store.record_file_articles(path, kept, complete=complete and bool(kept))

    def _remove_vanished(self, vanished: list[str], report: IngestReport) -> None:
        """Remove vanished articles once what replaced them is written (an edited text file's
        article gets a new id: the old one stays readable until then), unless a file read
        since holds them after all (an article that moved to another file)."""
        for doc_id in vanished:
            if not self.store.files_of(doc_id) and self.store.remove(doc_id):
                report.removed.append(doc_id)
        vanished.clear()

    def _flush(
        self,
        pending: list[tuple[Article, list[Chunk], bool]],
        report: IngestReport,
        progress: ProgressFn | None,
    ) -> None:
        if not pending:
            return
        pairs = [(a, c) for a, chunks, _ in pending for c in chunks]
        vectors = (
            embed_chunks(self.embedder, pairs)
            if pairs
            else np.zeros((0, self.embedder.dim), dtype=np.float32)
        )
        self._embedded += len(pairs)
        if progress:  # the total is unknown until the last file is read: it is the count
            progress("embedded", self._embedded, self._embedded)
        offset, batch = 0, []
        for article, chunks, _ in pending:
            batch.append((article, chunks, vectors[offset : offset + len(chunks)]))
            offset += len(chunks)
        self.store.write_articles(batch)
        for article, chunks, existed in pending:
            report.chunks += len(chunks)
            (report.updated if existed else report.added).append(article.doc_id)
        pending.clear()
