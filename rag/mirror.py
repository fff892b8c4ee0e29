"""A float16 copy of every chunk's vector, at its chunk row, for filtered dense search.

Why: a filter that allows thousands of chunks lying far from the question (one outlet of a
big archive) is slow in Chroma, whose graph search walks until it meets enough of them
(150-450 ms for an outlet's 6,000-180,000 chunks of a million), and reading those vectors
back from Chroma costs 20-30 microseconds a chunk. Here they are one file the operating
system keeps in memory: row ``i`` of ``vectors.f16`` holds chunk row ``i``'s vector (see
``rag.store``: chunk row ids are never reused), unit length, so the allowed rows' cosines
are one gather and one matrix product (README, "Filtered dense search").

The file is a cache beside Chroma, never the record: rows are written in the transaction
that makes their chunks readable (``Store._switch_versions``) and read only for rows the
docstore lists; a store from before it is filled from Chroma once (``Store.recover``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from threadpoolctl import ThreadpoolController

MIRROR_FILE = "vectors.f16"
_ITEM = np.dtype(np.float16).itemsize
# Rows compared per block (a block of 384-dimension vectors is 48 MB as float32).
_BLOCK = 32_768


_THREADS: ThreadpoolController | None = None


def _one_blas_thread():  # -> a context manager
    """numpy's BLAS held to one thread while the mirror is read. Why: its threads spin on
    for a while after a product, and the embedder's (torch) threads then wait for the cores
    (a query's embedding went from 15 to 95 ms at p95 after a mirror search, 2 cores)."""
    global _THREADS
    if _THREADS is None:
        _THREADS = ThreadpoolController()
    return _THREADS.limit(limits=1, user_api="blas")


class VectorMirror:
    """Chunk vectors by chunk row id in one file of float16 rows of ``dim`` values."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, rows: np.ndarray, vectors: np.ndarray) -> None:
        """Store ``vectors`` (one per row id in ``rows``) at their rows, scaled to unit
        length; consecutive rows are written in one piece."""
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return
        data = np.asarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(data, axis=1, keepdims=True)
        unit = (data / np.where(norms > 0, norms, 1.0)).astype(np.float16)
        width = unit.shape[1] * _ITEM
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            # Runs of consecutive rows, each one write.
            breaks = np.flatnonzero(np.diff(rows) != 1) + 1
            for part_rows, part in zip(np.split(rows, breaks), np.split(unit, breaks), strict=True):
                os.pwrite(fd, part.tobytes(), int(part_rows[0]) * width)
        finally:
            os.close(fd)

    def read(self, rows: np.ndarray, dim: int) -> np.ndarray:
        """The unit vectors at ``rows`` as float32 (rows never written read as zeros)."""
        return self._gather(self._open(dim), rows, dim)

    def _open(self, dim: int) -> np.memmap | None:
        """The file mapped as rows of ``dim`` values, None when it holds no row. Mapped per
        search and let go after: the pages stay in the page cache, not in this process's
        resident memory (a million chunks' mirror is 768 MB)."""
        size = self.path.stat().st_size if self.path.exists() else 0
        if dim <= 0 or size < dim * _ITEM:
            return None
        return np.memmap(self.path, dtype=np.float16, mode="r", shape=(size // (dim * _ITEM), dim))

    @staticmethod
    def _gather(mapped: np.memmap | None, rows: np.ndarray, dim: int) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        out = np.zeros((len(rows), dim), dtype=np.float32)
        if mapped is not None:
            inside = rows < mapped.shape[0]
            out[inside] = mapped[rows[inside]]
        return out

    def nearest(
        self, rows: np.ndarray, dim: int, question: np.ndarray, n: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``n`` of ``rows`` whose vectors are closest to ``question`` and their cosines,
        best first (ties by row). Read in blocks, so memory stays a block's, whatever the
        filter allows."""
        q = np.asarray(question, dtype=np.float32)
        q = q / (np.linalg.norm(q) or 1.0)
        kept_rows, kept_scores = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.float32)]
        mapped = self._open(dim)
        with _one_blas_thread():
            for start in range(0, len(rows), _BLOCK):
                part = np.asarray(rows[start : start + _BLOCK], dtype=np.int64)
                scores = self._gather(mapped, part, dim) @ q
                if len(part) > n:
                    top = np.argpartition(-scores, n - 1)[:n]
                    part, scores = part[top], scores[top]
                kept_rows.append(part)
                kept_scores.append(scores)
        found, cosines = np.concatenate(kept_rows), np.concatenate(kept_scores)
        order = np.lexsort((found, -cosines))[:n]
        return found[order], cosines[order]
