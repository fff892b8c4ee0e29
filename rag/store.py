"""Chroma (persistent or HTTP) plus a SQLite docstore: the only code that talks to either.

Crash safety: an article is first written to the docstore as ``pending``, then its chunks go
to Chroma, then it is marked ``complete``. ``recover()`` (run before each ingest) deletes the
chunks and rows of any article left ``pending`` by a killed run, so a rerun converges.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from rag.documents import Article, Chunk
from rag.errors import StoreError, StoreUnavailableError
from rag.settings import Settings

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    doc_id TEXT PRIMARY KEY, path TEXT, sha256 TEXT, title TEXT, source TEXT, author TEXT,
    published TEXT, published_ts INTEGER, url TEXT, ingested_at TEXT, text TEXT,
    chunk_count INTEGER DEFAULT 0, status TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_path ON articles(path);
CREATE TABLE IF NOT EXISTS chunks (
    doc_id TEXT NOT NULL, idx INTEGER NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,
    PRIMARY KEY (doc_id, idx)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""

_ARTICLE_FIELDS = [
    "doc_id",
    "path",
    "sha256",
    "title",
    "source",
    "author",
    "published",
    "published_ts",
    "url",
    "ingested_at",
]


@dataclass
class StoredChunk:
    """A chunk as the query side sees it: text, offsets and its article's metadata."""

    chunk_id: str
    doc_id: str
    index: int
    start: int
    end: int
    text: str
    meta: dict[str, Any]


class Store:
    """Chunks and vectors in Chroma, article text and bookkeeping in SQLite."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.RLock()
        self._collection = None
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(settings.docstore_path, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.executescript(_SCHEMA)
        self._db.execute("PRAGMA journal_mode=WAL")

    # Chroma ---------------------------------------------------------------
    @property
    def collection(self):  # -> chromadb.Collection
        with self._lock:
            if self._collection is None:
                self._collection = self._open_collection()
            return self._collection

    def _open_collection(self):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        s = self.settings
        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        try:
            if s.chroma_mode == "http":
                client = chromadb.HttpClient(
                    host=s.chroma_host, port=s.chroma_port, settings=chroma_settings
                )
                client.heartbeat()
            else:
                client = chromadb.PersistentClient(
                    path=str(s.chroma_path), settings=chroma_settings
                )
            return client.get_or_create_collection(
                s.collection, embedding_function=None, metadata={"hnsw:space": "cosine"}
            )
        except Exception as exc:  # chromadb raises many types for a dead server
            if s.chroma_mode == "http":
                raise StoreUnavailableError(
                    f"Cannot reach the Chroma server at {s.chroma_host}:{s.chroma_port}.",
                    f"Start it with `chroma run --host {s.chroma_host} --port {s.chroma_port}` "
                    "or set NEWSRAG_CHROMA_MODE=persistent.",
                ) from exc
            raise StoreError(
                f"Cannot open the Chroma store at {s.chroma_path}: {exc}",
                "Check NEWSRAG_DATA_DIR points to a writable folder.",
            ) from exc

    # Writes ---------------------------------------------------------------
    def _bump_version(self) -> None:
        self._db.execute(
            "INSERT INTO meta(key, value) VALUES('version', '1') ON CONFLICT(key) "
            "DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._db:
            yield self._db

    def write_article(
        self, article: Article, chunks: Sequence[Chunk], embeddings: np.ndarray
    ) -> None:
        """Replace everything stored for ``article.doc_id`` with these chunks, crash-safely."""
        self.write_articles([(article, chunks, embeddings)])

    def write_articles(self, items: Sequence[tuple[Article, Sequence[Chunk], np.ndarray]]) -> None:
        """Write a batch of articles: rows go in as ``pending``, old chunks are deleted by id,
        new chunks are upserted in one call, then the rows are marked ``complete``."""
        if not items:
            return
        ids = [a.doc_id for a, _, _ in items]
        marks = ",".join("?" * len(ids))
        with self._tx() as db:
            old = db.execute(
                f"SELECT doc_id, idx FROM chunks WHERE doc_id IN ({marks})", ids
            ).fetchall()
            db.executemany(
                "INSERT OR REPLACE INTO articles (" + ",".join(_ARTICLE_FIELDS) + ", text, "
                "chunk_count, status) VALUES (" + ",".join("?" * len(_ARTICLE_FIELDS)) + ","
                " ?, ?, 'pending')",
                [
                    [*(getattr(a, f) for f in _ARTICLE_FIELDS), a.text, len(chunks)]
                    for a, chunks, _ in items
                ],
            )
            self._bump_version()
        stale = [f"{r['doc_id']}:{r['idx']}" for r in old]
        if stale:
            self.collection.delete(ids=stale)
        records = [
            (c, vec, a.metadata())
            for a, chunks, vectors in items
            for c, vec in zip(chunks, vectors, strict=True)
        ]
        for start in range(0, len(records), 2000):
            part = records[start : start + 2000]
            self.collection.upsert(
                ids=[c.chunk_id for c, _, _ in part],
                embeddings=np.stack([v for _, v, _ in part]).tolist(),
                documents=[c.text for c, _, _ in part],
                metadatas=[
                    {**meta, "chunk_index": c.index, "start_char": c.start, "end_char": c.end}
                    for c, _, meta in part
                ],
            )
        with self._tx() as db:
            db.execute(f"DELETE FROM chunks WHERE doc_id IN ({marks})", ids)
            db.executemany(
                "INSERT INTO chunks(doc_id, idx, start, end) VALUES (?, ?, ?, ?)",
                [(c.doc_id, c.index, c.start, c.end) for _, chunks, _ in items for c in chunks],
            )
            db.execute(f"UPDATE articles SET status='complete' WHERE doc_id IN ({marks})", ids)
            self._bump_version()

    def _delete_chunks(self, doc_id: str) -> None:
        self.collection.delete(where={"doc_id": doc_id})

    def remove(self, doc_id: str) -> bool:
        """Delete an article and all its chunks. True if it existed."""
        with self._lock:
            exists = self._db.execute("SELECT 1 FROM articles WHERE doc_id=?", [doc_id]).fetchone()
            self._delete_chunks(doc_id)
            with self._tx() as db:
                db.execute("DELETE FROM chunks WHERE doc_id=?", [doc_id])
                db.execute("DELETE FROM articles WHERE doc_id=?", [doc_id])
                self._bump_version()
            return exists is not None

    def doc_ids_for_path(self, path: str) -> list[str]:
        rows = self._db.execute("SELECT doc_id FROM articles WHERE path=?", [path]).fetchall()
        return [r["doc_id"] for r in rows]

    @contextmanager
    def ingest_lock(self) -> Iterator[None]:
        """One ingest at a time per data dir (across processes): ``recover`` must never
        delete the pending articles of a run that is still alive."""
        import fcntl

        with (self.settings.data_dir / "ingest.lock").open("w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def recover(self) -> list[str]:
        """Remove articles a killed run left half-written. Returns their ids."""
        rows = self._db.execute("SELECT doc_id FROM articles WHERE status != 'complete'")
        stale = [r["doc_id"] for r in rows.fetchall()]
        for doc_id in stale:
            self.remove(doc_id)
        return stale

    # Reads ----------------------------------------------------------------
    def version(self) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key='version'").fetchone()
        return int(row["value"]) if row else 0

    def fingerprint(self, doc_id: str) -> str | None:
        """The content sha256 of a completely stored article, else None."""
        row = self._db.execute(
            "SELECT sha256 FROM articles WHERE doc_id=? AND status='complete'", [doc_id]
        ).fetchone()
        return row["sha256"] if row else None

    def articles(self) -> list[dict[str, Any]]:
        """Every complete article's metadata and chunk count, newest first."""
        rows = self._db.execute(
            "SELECT " + ",".join(_ARTICLE_FIELDS) + ", chunk_count FROM articles "
            "WHERE status='complete' ORDER BY COALESCE(published_ts, 0) DESC, title"
        ).fetchall()
        return [dict(r) for r in rows]

    def article(self, doc_id: str) -> dict[str, Any] | None:
        row = self._db.execute(
            "SELECT * FROM articles WHERE doc_id=? AND status='complete'", [doc_id]
        ).fetchone()
        return dict(row) if row else None

    def outlets(self) -> list[str]:
        """The distinct outlets of the complete articles, longest name first."""
        rows = self._db.execute(
            "SELECT DISTINCT source FROM articles WHERE status='complete' AND source != ''"
        ).fetchall()
        return sorted((r["source"] for r in rows if r["source"]), key=lambda o: (-len(o), o))

    def article_count(self) -> int:
        q = "SELECT COUNT(*) AS n FROM articles WHERE status='complete'"
        return int(self._db.execute(q).fetchone()["n"])

    def chunk_count(self) -> int:
        return int(self.collection.count())

    def all_chunks(self) -> list[StoredChunk]:
        """Every chunk of every complete article, with texts cut from the docstore."""
        rows = self._db.execute(
            "SELECT c.doc_id, c.idx, c.start, c.end, a.text, "
            + ",".join(f"a.{f}" for f in _ARTICLE_FIELDS[1:])
            + " FROM chunks c JOIN articles a ON a.doc_id = c.doc_id "
            "WHERE a.status='complete' ORDER BY c.doc_id, c.idx"
        ).fetchall()
        out = []
        for r in rows:
            meta = {f: r[f] for f in _ARTICLE_FIELDS[1:]}
            meta["doc_id"] = r["doc_id"]
            out.append(
                StoredChunk(
                    f"{r['doc_id']}:{r['idx']}",
                    r["doc_id"],
                    r["idx"],
                    r["start"],
                    r["end"],
                    r["text"][r["start"] : r["end"]],
                    meta,
                )
            )
        return out

    def query(
        self, embedding: np.ndarray, k: int, where: dict[str, Any] | None = None
    ) -> list[tuple[StoredChunk, float]]:
        """Nearest chunks by cosine similarity (1 - distance), best first."""
        if self.chunk_count() == 0:
            return []
        result = self.collection.query(
            query_embeddings=[np.asarray(embedding, dtype=np.float32).tolist()],
            n_results=k,
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        out = []
        for cid, doc, meta, dist in zip(
            result["ids"][0],
            result["documents"][0],
            result["metadatas"][0],
            result["distances"][0],
            strict=True,
        ):
            chunk = StoredChunk(
                cid,
                str(meta["doc_id"]),
                int(meta["chunk_index"]),
                int(meta["start_char"]),
                int(meta["end_char"]),
                doc or "",
                dict(meta),
            )
            out.append((chunk, 1.0 - float(dist)))
        return out

    def summary(self) -> dict[str, Any]:
        s = self.settings
        where = (
            f"{s.chroma_host}:{s.chroma_port}" if s.chroma_mode == "http" else str(s.chroma_path)
        )
        return {
            "articles": self.article_count(),
            "chunks": self.chunk_count(),
            "collection": s.collection,
            "chroma": f"{s.chroma_mode} ({where})",
            "docstore": str(s.docstore_path),
        }

    def close(self) -> None:
        self._db.close()


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, default=str)
