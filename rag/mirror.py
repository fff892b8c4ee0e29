"""A float16 copy of every chunk's vector, at its chunk row, for filtered dense search.

Why: a filter that allows thousands of chunks lying far from the question (one outlet of a
big archive) is slow in Chroma, whose graph search walks until it meets enough of them
(150-450 ms for an outlet's 6,000-180,000 chunks of a million), and reading those vectors
back from Chroma costs 20-30 microseconds a chunk. Here they are one file the operating
system keeps in memory: row ``i`` of ``vectors.f16`` holds chunk row ``i``'s vector (see
``rag.store``: chunk row ids are never reused), unit length, so the allowed rows' cosines
are one gather and one matrix product (README, "Filtered dense search").

The file is a cache beside Chroma, never the record: rows are written (and synced) in the
transaction that makes their chunks readable (``Store._switch_versions``) and read only for
rows the docstore lists; a row the file lacks (past its end, or never written) is reported,
not scored, and read from Chroma instead. A store from before it, or whose file was lost,
is filled from Chroma once (``Store.recover``).
"""

from __future__ import annotations

import mmap
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from threadpoolctl import ThreadpoolController

MIRROR_FILE = "vectors.f16"
_ITEM = np.dtype(np.float16).itemsize
# Rows compared per block (a block of 384-dimension vectors is 48 MB as float32).
_BLOCK = 32_768

_THREADS: ThreadpoolController | None = None
_THREADS_LOCK = threading.Lock()


@contextmanager
def _one_blas_thread() -> Iterator[None]:
    """numpy's BLAS held to one thread while the mirror is read, one search at a time (the
    limit is the process's, so overlapping searches would restore it out of order). Why:
    BLAS threads spin on for a while after a product, and the embedder's (torch) threads
    then wait for the cores: the next query's embedding took 95 ms at p95 instead of 20
    (2 cores)."""
    global _THREADS
    with _THREADS_LOCK:
        if _THREADS is None:
            _THREADS = ThreadpoolController()
        with _THREADS.limit(limits=1, user_api="blas"):
            yield


class VectorMirror:
    """Chunk vectors by chunk row id in one file of float16 rows of ``dim`` values."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, rows: np.ndarray, vectors: np.ndarray) -> None:
        """Store ``vectors`` (one per row id in ``rows``) at their rows, scaled to unit
        length, and sync them to disk (the caller commits the rows as readable after);
        consecutive rows are written in one piece."""
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return
        data = np.asarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(data, axis=1, keepdims=True)
        unit = (data / np.where(norms > 0, norms, 1.0)).astype(np.float16)
        width = unit.shape[1] * _ITEM
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            breaks = np.flatnonzero(np.diff(rows) != 1) + 1
            for part_rows, part in zip(np.split(rows, breaks), np.split(unit, breaks), strict=True):
                data_bytes, at = memoryview(part.tobytes()), int(part_rows[0]) * width
                while data_bytes:  # a write may take less than it was given
                    done = os.pwrite(fd, data_bytes, at)
                    data_bytes, at = data_bytes[done:], at + done
            os.fdatasync(fd)
        finally:
            os.close(fd)

    def extend_to(self, rows: int, dim: int) -> None:
        """Make the file span at least ``rows`` rows (new rows all zeros: unwritten)."""
        if self.rows_held(dim) < rows:
            with self.path.open("ab") as fh:
                fh.truncate(rows * dim * _ITEM)

    def rows_held(self, dim: int) -> int:
        """How many rows the file spans (row ids below it may still be unwritten)."""
        size = self.path.stat().st_size if self.path.exists() else 0
        return size // (dim * _ITEM) if dim > 0 else 0

    def read(self, rows: np.ndarray, dim: int) -> np.ndarray:
        """The unit vectors at ``rows`` as float32 (rows the file lacks read as zeros)."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.zeros((len(rows), dim), dtype=np.float32)
        for at, vectors in self._windows(rows, dim, self.rows_held(dim)):
            out[at] = vectors
        return out

    def nearest(
        self, rows: np.ndarray, dim: int, question: np.ndarray, n: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The ``n`` of ``rows`` whose vectors are closest to ``question`` and their cosines,
        best first (ties by row), and the rows the file lacks (past its end or never
        written: all zeros), which are not ranked. Read a window at a time (``_windows``), so
        memory stays a window's, whatever the filter allows."""
        q = np.asarray(question, dtype=np.float32)
        if q.shape != (dim,):
            raise ValueError(f"a question vector of {q.shape} against a mirror of {dim}")
        q = q / (np.linalg.norm(q) or 1.0)
        rows = np.asarray(rows, dtype=np.int64)
        held = self.rows_held(dim)  # once: a writer may extend the file meanwhile
        kept_rows, kept_scores = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.float32)]
        absent = [rows[rows >= held]]
        with _one_blas_thread():
            for at, block in self._windows(rows, dim, held):
                part = rows[at]
                scores = block @ q
                # A unit vector scores exactly 0 by chance almost never: look closer there.
                zero = np.flatnonzero(scores == 0)
                if len(zero):
                    lacking = zero[~block[zero].any(axis=1)]
                    absent.append(part[lacking])
                    scores[lacking] = -np.inf
                if len(part) > n:
                    top = np.argpartition(-scores, n - 1)[:n]
                    part, scores = part[top], scores[top]
                kept_rows.append(part[np.isfinite(scores)])
                kept_scores.append(scores[np.isfinite(scores)])
        found, cosines = np.concatenate(kept_rows), np.concatenate(kept_scores)
        order = np.lexsort((found, -cosines))[:n]
        return found[order], cosines[order], np.concatenate(absent)

    def _windows(
        self, rows: np.ndarray, dim: int, held: int
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """For each window of ``_BLOCK`` rows, of the file's first ``held``, that holds some of
        ``rows``: where those are in ``rows``, and their vectors as float32. Each window is
        mapped alone and let go before the next: a mapped page counts in the process's
        resident memory while it is mapped, and a filter's rows spread over a million-chunk
        file touch nearly every page of it (the whole file mapped at once raised the peak RSS
        by 0.8 GB at 1M chunks)."""
        order = np.argsort(rows, kind="stable")
        ordered = rows[order]
        for first in range(0, held, _BLOCK):
            lo, hi = np.searchsorted(ordered, [first, min(first + _BLOCK, held)])
            if lo < hi:
                count = min(_BLOCK, held - first)
                yield order[lo:hi], self._window(first, count, dim, ordered[lo:hi] - first)

    def _window(self, first: int, count: int, dim: int, picked: np.ndarray) -> np.ndarray:
        """The ``picked`` rows (relative to ``first``) of the ``count`` file rows from
        ``first``, as float32; the window is mapped for this read only."""
        start = first * dim * _ITEM
        aligned = start - start % mmap.ALLOCATIONGRANULARITY
        with (
            self.path.open("rb") as fh,
            mmap.mmap(
                fh.fileno(),
                start - aligned + count * dim * _ITEM,
                access=mmap.ACCESS_READ,
                offset=aligned,
            ) as mapped,
        ):
            view = np.frombuffer(mapped, np.float16, count * dim, start - aligned)
            try:
                return view.reshape(count, dim)[picked].astype(np.float32)
            finally:
                del view  # the map closes only once nothing points into it
