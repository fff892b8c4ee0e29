"""Chroma (persistent or HTTP) plus a SQLite docstore: the only code that talks to either.

The docstore says what is readable: an article is visible when its row is ``complete``, and
a chunk only when the docstore lists its id for a complete article. Chroma may hold other
chunks for a while (a version being written, or one being deleted); readers never see them.

Crash safety: ``kill -9`` at any point leaves the last complete version of every article
readable. A write goes in three steps:

1. the new version's chunk ids (tagged with its content hash, so they never collide with the
   old version's) are listed as ``staged`` in ``unlinked_chunks``, and a brand-new article gets
   an invisible ``pending`` row; then the chunks go to Chroma;
2. one SQLite transaction switches the article's row and chunk rows to the new version and
   lists the old version's chunk ids as ``retired``;
3. the retired chunks are deleted from Chroma and their list entries cleared.

``recover()`` (run before each ingest) deletes whatever a killed run left listed and the
rows it left ``pending``, so a rerun converges.

LlamaIndex reads the same collection: each chunk's Chroma metadata is LlamaIndex's node layout
(``_node_content``, ``_node_type``, ``ref_doc_id``/``doc_id``/``document_id``, with the chunk's
character span in the article as ``start_char_idx``/``end_char_idx``) beside newsrag's flat keys,
so ``VectorStoreIndex.from_vector_store(ChromaVectorStore(chroma_collection=...))`` reads the
nodes as written and ``ChromaVectorStore.delete(doc_id)`` finds an article's chunks. A store
written before that is upgraded once on open (``chroma_layout`` in ``meta``); only metadata is
added, so ids, texts, vectors and retrieval stay as they were.

The lexical (BM25) index is in the docstore: postings in segments (``rag.postings``) and an
FTS5 table of the filter facets, both changed in the transaction that switches versions,
removes or recovers (see ``_LEXICAL_SCHEMA``): nothing is rebuilt after a write nor loaded at
start-up, and a store from before it is indexed once on open.

Other processes: every change bumps counters in ``meta``: ``version`` when what readers see
changes, ``vectors_version`` when Chroma's content changes.
A persistent Chroma client keeps its vector index in memory and never sees another process's
writes, so a Store reopens its client when ``vectors_version`` moved under it (one indexed
SQLite read per use; a reopen takes a few tens of milliseconds).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import math
import os
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores.utils import node_to_metadata_dict

from rag import postings
from rag.documents import Article, Chunk, chunk_key, now_iso
from rag.errors import StoreError, StoreUnavailableError
from rag.mirror import MIRROR_FILE, VectorMirror
from rag.settings import Settings

log = logging.getLogger("newsrag.store")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    doc_id TEXT PRIMARY KEY, path TEXT, sha256 TEXT, title TEXT, source TEXT, author TEXT,
    published TEXT, published_ts INTEGER, url TEXT, ingested_at TEXT, text TEXT,
    chunk_count INTEGER DEFAULT 0, status TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_path ON articles(path);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL, idx INTEGER NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,
    chunk_id TEXT, terms TEXT NOT NULL DEFAULT '', facets TEXT NOT NULL DEFAULT '',
    UNIQUE (doc_id, idx)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS unlinked_chunks (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, state TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS article_files (
    doc_id TEXT NOT NULL, path TEXT NOT NULL, PRIMARY KEY (doc_id, path)
);
CREATE INDEX IF NOT EXISTS article_files_path ON article_files(path);
"""

# Counters in ``meta``: what readers see changed / what Chroma holds changed.
VERSION = "version"
VECTORS_VERSION = "vectors_version"
LAST_INGEST = "last_ingest"
LAST_INGEST_SUMMARY = "last_ingest_summary"
# The Chroma metadata layout the chunks are written in: 1 is newsrag's flat keys only, 2 adds
# LlamaIndex's node keys (see the module docstring). Stores below it are upgraded on open.
LAYOUT = "chroma_layout"
LAYOUT_VERSION = 2
# Keys LlamaIndex's layout adds to a chunk's Chroma metadata; readers of ``StoredChunk.meta``
# see the article's fields only. (``doc_id`` is both: LlamaIndex writes the article's id.)
LLAMA_KEYS = ("_node_content", "_node_type", "document_id", "ref_doc_id")
# Bookkeeping a LlamaIndex LLM or embedder need not read in a node's text.
_BOOKKEEPING = [
    "doc_id",
    "path",
    "sha256",
    "ingested_at",
    "published_ts",
    "chunk_index",
    "start_char",
    "end_char",
]

# A version's chunk ids carry this many hex digits of the article's sha256.
VERSION_TAG_LENGTH = 12
# Chroma and SQLite calls take ids in batches of at most this many.
ID_BATCH = 500

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

# The lexical index ----------------------------------------------------------------------
# Bump when what goes into ``chunks.terms`` or ``chunks.facets`` changes (the tokenizer, its
# stemmer or stopwords, the facets): a store indexed by an older version is re-indexed once
# on open, and one indexed by a newer version is refused rather than misread.
LEXICAL = "lexical_index"
LEXICAL_VERSION = 2
# Two parts, both written in the very transaction that changes a chunk row (a write, a
# replace, a removal, ``recover``), so the index never disagrees with the chunks:
#
# - the ranking: each chunk's ``terms`` (its title and text through ``rag.retrieve.tokenize``,
#   Snowball stems without stopwords, one token each; dots, commas and apostrophes inside a
#   token become ``_``) and ``facets`` as BM25 postings in segments (``rag.postings``), added
#   by ``_switch_versions`` and read with numpy. Version 1 ranked with FTS5's ``bm25()``,
#   which cost 40 ms a MultiHop question at 100k chunks against 3 ms now.
# - the facets alone in an external-content FTS5 table over ``chunks`` (triggers hand it each
#   row's ``facets`` on insert and delete), for the dense search's filter: the chunk ids a
#   filter allows are one FTS5 match joined to ``chunks`` (``_allowed_ids``). External content
#   because SQLite here is 3.40, whose contentless tables cannot delete a row without being
#   handed its text again. ``chunks.id`` is an INTEGER PRIMARY KEY, so VACUUM cannot renumber
#   the rows either part points at, and ids are never reused (``LAST_CHUNK_ROW``).
#
# ``facets``: the article's outlet, doc id and published day as tokens, so a filter is a
# union of posting lists per kind, intersected inside the index, instead of a join that would
# look up every matching row's article (at 1M chunks a common word matches most of them). A
# day range is an OR of dyadic day blocks (``_day_cover``): about 2 log2(days) tokens.
_LEXICAL_SCHEMA = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS lexical USING fts5(facets, content='chunks', "
    "content_rowid='id', tokenize=\"unicode61 remove_diacritics 0 tokenchars '_'\")",
    "CREATE TRIGGER IF NOT EXISTS chunks_lexical_ai AFTER INSERT ON chunks BEGIN "
    "INSERT INTO lexical(rowid, facets) VALUES (new.id, new.facets); END",
    "CREATE TRIGGER IF NOT EXISTS chunks_lexical_ad AFTER DELETE ON chunks BEGIN "
    "INSERT INTO lexical(lexical, rowid, facets) VALUES ('delete', old.id, old.facets); END",
    "CREATE TRIGGER IF NOT EXISTS chunks_lexical_au AFTER UPDATE ON chunks BEGIN "
    "INSERT INTO lexical(lexical, rowid, facets) VALUES ('delete', old.id, old.facets); "
    "INSERT INTO lexical(rowid, facets) VALUES (new.id, new.facets); END",
    *postings.SCHEMA,
]
_LEXICAL_DROP = [
    "DROP TRIGGER IF EXISTS chunks_lexical_ai",
    "DROP TRIGGER IF EXISTS chunks_lexical_ad",
    "DROP TRIGGER IF EXISTS chunks_lexical_au",
    "DROP TABLE IF EXISTS lexical_vocab",  # version 1's
    "DROP TABLE IF EXISTS lexical",
    *postings.DROP,
]
# The last chunk row id handed out: ids are never reused, so a deleted chunk's postings
# (``rag.postings``) can never be read as a new chunk's.
LAST_CHUNK_ROW = "last_chunk_row"
# The vector mirror (``rag.mirror``): the vectors' length, and the first chunk row whose
# vector it is sure to hold (rows below it were written before it existed, and are filled
# from Chroma by ``recover``; 0 when none are missing).
MIRROR_DIM = "mirror_dim"
MIRROR_FROM = "mirror_from"
# Chunk rows per segment when a store's postings are built in one go.
LEXICAL_BUILD_SEGMENT = 20_000
_SECONDS_PER_DAY = 86400
# Published days are counted from 2**18 days (about 700 years) before 1970, in blocks of
# 2**level days for levels 0..19: every representable day is in one block of each level.
_DAY_OFFSET = 1 << 18
_DAY_LEVELS = 20
_LAST_DAY = (1 << _DAY_LEVELS) - 1
_NOT_A_TOKEN = re.compile(r"[^a-z0-9]")
# Chunk rows re-indexed per batch when an older store is migrated.
LEXICAL_BATCH = 2000


def _lexical_term(token: str) -> str:
    return _NOT_A_TOKEN.sub("_", token.lower())


def lexical_terms(text: str) -> str:
    """What the lexical index holds for a text: its ``rag.retrieve.tokenize`` tokens."""
    from rag.retrieve import tokenize  # rag.retrieve imports this module

    return " ".join(_lexical_term(t) for t in tokenize(text))


def _hashed(prefix: str, value: str) -> str:
    return prefix + hashlib.sha1(value.encode("utf-8")).hexdigest()[:16]


def _day(ts: float) -> int:
    return min(max(int(ts // _SECONDS_PER_DAY) + _DAY_OFFSET, 0), _LAST_DAY)


def lexical_facets(doc_id: str, source: str | None, published_ts: float | None) -> str:
    """The facet tokens of an article's chunks: outlet, doc id, and the published day's
    block at each level (none when the article has no date, so a date filter excludes it,
    as the dense side's ``published_ts`` bounds do)."""
    out = [_hashed("i", doc_id)]
    if source:
        out.append(_hashed("s", source))
    if published_ts is not None:
        day = _day(published_ts)
        out += [f"d{level}x{day >> level}" for level in range(_DAY_LEVELS)]
    return " ".join(out)


def _facet_groups(only: ChunkFilter) -> list[list[str]] | None:
    """``only`` as facet tokens, one group per kind it restricts (a chunk must hold one token
    of each group): its outlets, article ids and the day blocks covering its dates. None for
    an empty date range."""
    groups = []
    if only.sources:
        groups.append([_hashed("s", s) for s in only.sources])
    if only.doc_ids:
        groups.append([_hashed("i", d) for d in only.doc_ids])
    if only.lo_ts is not None or only.hi_ts is not None:
        lo = _day(only.lo_ts) if only.lo_ts is not None else 0
        hi = _day(only.hi_ts) if only.hi_ts is not None else _LAST_DAY
        if lo > hi:
            return None
        groups.append(_day_cover(lo, hi))
    return groups


def _facet_expression(only: ChunkFilter) -> str | None:
    """``only`` as an FTS5 expression over the chunks' facets ("" for no filter, None for
    an empty date range)."""
    groups = _facet_groups(only)
    if groups is None:
        return None
    return " AND ".join("{facets}: (" + " OR ".join(g) + ")" for g in groups)


def _day_cover(lo: int, hi: int) -> list[str]:
    """The fewest day blocks that exactly cover days ``lo..hi`` (inclusive)."""
    out = []
    while lo <= hi:
        level = 0
        while (
            level + 1 < _DAY_LEVELS
            and lo % (1 << (level + 1)) == 0
            and lo + (1 << (level + 1)) - 1 <= hi
        ):
            level += 1
        out.append(f"d{level}x{lo >> level}")
        lo += 1 << level
    return out


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

    def to_node(self) -> TextNode:
        """This chunk as LlamaIndex's node (the one the Chroma collection holds for it)."""
        return chunk_node(
            self.chunk_id, self.doc_id, self.index, self.start, self.end, self.text, self.meta
        )


@dataclass(frozen=True)
class ChunkFilter:
    """Which chunks a search may return, empty for any: outlets, article ids, and published
    between ``lo_ts`` and ``hi_ts`` (epoch seconds, inclusive). ``rag.retrieve.Filters``
    (dates, LlamaIndex filters) makes one with ``chunk_filter()``; both searches take it, the
    dense one as Chroma's ``where`` and the lexical one as index facets."""

    sources: Sequence[str] = ()
    doc_ids: Sequence[str] = ()
    lo_ts: int | None = None
    hi_ts: int | None = None

    def where(self) -> dict[str, Any] | None:
        """This filter as a Chroma ``where`` clause on the chunks' flat metadata (None for
        no filter): the same rule as ``rag.retrieve.Filters.matches``."""
        clauses: list[dict[str, Any]] = [
            {key: {"$in": list(values)}}
            for key, values in (("source", self.sources), ("doc_id", self.doc_ids))
            if values
        ]
        clauses += [
            {"published_ts": {op: ts}}
            for op, ts in (("$gte", self.lo_ts), ("$lte", self.hi_ts))
            if ts is not None
        ]
        if len(clauses) > 1:
            return {"$and": clauses}
        return clauses[0] if clauses else None


ANY_CHUNK = ChunkFilter()


def chunk_node(
    chunk_id: str,
    doc_id: str,
    index: int,
    start: int,
    end: int,
    text: str,
    meta: dict[str, Any],
) -> TextNode:
    """A chunk as a LlamaIndex ``TextNode``: its id, text and span in the article, the
    article as its source document, and the article's fields as metadata (bookkeeping kept
    out of what LlamaIndex shows an LLM or embeds)."""
    fields = {k: v for k, v in meta.items() if k not in LLAMA_KEYS and v is not None}
    fields.update(doc_id=doc_id, chunk_index=index, start_char=start, end_char=end)
    return TextNode(
        id_=chunk_id,
        text=text,
        metadata=fields,
        start_char_idx=start,
        end_char_idx=end,
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=doc_id)},
        excluded_embed_metadata_keys=list(_BOOKKEEPING),
        excluded_llm_metadata_keys=list(_BOOKKEEPING),
    )


def chroma_metadata(node: TextNode) -> dict[str, Any]:
    """The Chroma metadata of a chunk: its flat fields plus LlamaIndex's node keys, exactly as
    ``ChromaVectorStore.add`` writes them (the text itself is Chroma's document)."""
    meta = node_to_metadata_dict(node, remove_text=True, flat_metadata=True)
    return {k: "" if v is None else v for k, v in meta.items()}


# What a search reads of each hit from Chroma.
_HIT_FIELDS: Any = ["documents", "metadatas", "distances"]


def _node_from_flat(chunk_id: str, meta: dict[str, Any], text: str) -> TextNode:
    """The node of a chunk written in the flat layout (before LlamaIndex's keys)."""
    return chunk_node(
        chunk_id,
        str(meta["doc_id"]),
        int(meta["chunk_index"]),
        int(meta["start_char"]),
        int(meta["end_char"]),
        text,
        meta,
    )


class Store:
    """Chunks and vectors in Chroma, article text and bookkeeping in SQLite."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.RLock()
        self._collection = None
        self._vectors_seen: int | None = None  # vectors_version our Chroma client reflects
        self._write_lock = threading.RLock()
        self._write_depth = 0
        self._lock_file = None
        self._layout_ok = False  # chunks known to be in the current metadata layout
        try:
            self._open(settings)
        except (OSError, sqlite3.Error) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise StoreError(
                f"Cannot open the store in {settings.data_dir}: {why.lower()}",
                "Set NEWSRAG_DATA_DIR to a folder you can write, or give yourself write"
                " access to this one.",
            ) from exc

    def _open(self, settings: Settings) -> None:
        """Create or open the docstore (its schema migrated) and the vector mirror."""
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(settings.docstore_path, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        had_files = self._has_table("article_files")
        self._db.executescript(_SCHEMA)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._migrate(backfill_files=not had_files)
        self._ensure_lexical()
        self._mirror = VectorMirror(settings.data_dir / MIRROR_FILE)
        self._outlets_seen: tuple[int, tuple[str, ...], int] | None = None  # _outlet_facts
        if self._meta_text(MIRROR_FROM) is None:  # opened read-only otherwise: no write lock
            with self._tx() as db:  # rows written before the mirror existed are not in it
                db.execute(
                    "INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)",
                    [MIRROR_FROM, str(self._last_chunk_row(db) + 1 if self._has_chunks(db) else 0)],
                )

    def _has_table(self, name: str) -> bool:
        q = "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?"
        return self._db.execute(q, [name]).fetchone() is not None

    def _migrate(self, backfill_files: bool) -> None:
        """Bring a docstore from before versioned chunk ids and file membership up to date:
        its chunks keep their ``doc_id:index`` ids and each article belongs to its path."""
        columns = {r["name"] for r in self._db.execute("PRAGMA table_info(chunks)")}
        with self._lock, self._db:
            if "chunk_id" not in columns:
                try:
                    self._db.execute("ALTER TABLE chunks ADD COLUMN chunk_id TEXT")
                except sqlite3.OperationalError as exc:  # another process migrated first
                    if "duplicate column" not in str(exc):
                        raise
            if self._db.execute("SELECT 1 FROM chunks WHERE chunk_id IS NULL LIMIT 1").fetchone():
                self._db.execute(
                    "UPDATE chunks SET chunk_id = doc_id || ':' || idx WHERE chunk_id IS NULL"
                )
            self._db.execute("CREATE UNIQUE INDEX IF NOT EXISTS chunks_id ON chunks(chunk_id)")
            if backfill_files:
                self._db.execute(
                    "INSERT OR IGNORE INTO article_files(doc_id, path) "
                    "SELECT doc_id, path FROM articles WHERE path IS NOT NULL AND path != ''"
                )

    def _ensure_lexical(self) -> None:
        """Make sure the lexical index is there and current. A store from before it (or
        indexed by an older tokenizer) is indexed once, here, in one transaction; other
        processes wait for it and find it done. A store indexed by a newer newsrag is refused:
        reading its index with other tokens would silently miss chunks."""
        if self._lexical_current():
            return
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")  # one process migrates; the rest wait here
            try:
                if not self._lexical_current():
                    self._build_lexical()
                self._db.commit()
            except BaseException:
                self._db.rollback()
                raise

    def _lexical_current(self) -> bool:
        version = self._counter(LEXICAL)
        if version > LEXICAL_VERSION:
            raise StoreError(
                f"The lexical index in {self.settings.docstore_path} was written by a newer "
                f"newsrag (index version {version}; this one reads {LEXICAL_VERSION}).",
                "Upgrade newsrag, or point NEWSRAG_DATA_DIR at another store.",
            )
        return version == LEXICAL_VERSION and self._has_table("lexical")

    def _build_lexical(self) -> None:
        """(Re)build the lexical index from the stored chunks, inside the caller's
        transaction: give ``chunks`` its ``id``/``terms``/``facets`` columns if it predates
        them (the table is copied; ids and offsets stay), compute every chunk's terms and
        facets from its article, let FTS5 index the facets and write the postings (in
        segments of ``LEXICAL_BUILD_SEGMENT`` chunks, then merged)."""
        db = self._db
        columns = {r["name"] for r in db.execute("PRAGMA table_info(chunks)")}
        count = int(db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])
        if count:
            log.warning(
                "Building the lexical index of %s once: %d chunks (a store from before the "
                "SQLite FTS5 index, or indexed by an older tokenizer).",
                self.settings.docstore_path,
                count,
            )
        for statement in _LEXICAL_DROP:
            db.execute(statement)
        if not {"id", "terms", "facets"} <= columns:
            db.execute("ALTER TABLE chunks RENAME TO chunks_before_lexical")
            create = _SCHEMA.split("CREATE TABLE IF NOT EXISTS chunks")[1].split(";")[0]
            db.execute("CREATE TABLE chunks" + create)
            db.execute(
                "INSERT INTO chunks(doc_id, idx, start, end, chunk_id) "
                "SELECT doc_id, idx, start, end, chunk_id FROM chunks_before_lexical "
                "ORDER BY doc_id, idx"
            )
            db.execute("DROP TABLE chunks_before_lexical")
            db.execute("CREATE UNIQUE INDEX IF NOT EXISTS chunks_id ON chunks(chunk_id)")
        last = 0
        while True:
            rows = db.execute(
                "SELECT c.id, c.doc_id, substr(a.text, c.start + 1, c.end - c.start) AS text, "
                "a.title, a.source, a.published_ts FROM chunks c "
                "LEFT JOIN articles a ON a.doc_id = c.doc_id WHERE c.id > ? ORDER BY c.id "
                "LIMIT ?",
                [last, LEXICAL_BATCH],
            ).fetchall()
            if not rows:
                break
            db.executemany(
                "UPDATE chunks SET terms=?, facets=? WHERE id=?",
                [
                    (
                        lexical_terms(f"{r['title'] or ''} {r['text'] or ''}"),
                        lexical_facets(r["doc_id"], r["source"], r["published_ts"]),
                        r["id"],
                    )
                    for r in rows
                ],
            )
            last = rows[-1]["id"]
        for statement in _LEXICAL_SCHEMA:
            db.execute(statement)
        db.execute("INSERT INTO lexical(lexical) VALUES ('rebuild')")
        last = 0
        while rows := db.execute(
            "SELECT id, terms, facets FROM chunks WHERE id > ? ORDER BY id LIMIT ?",
            [last, LEXICAL_BUILD_SEGMENT],
        ).fetchall():
            postings.add_segment(db, [(r["id"], r["terms"], r["facets"]) for r in rows])
            last = rows[-1]["id"]
        self._merge_postings(db)
        db.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
            [LEXICAL, str(LEXICAL_VERSION)],
        )
        if count:
            log.warning("Lexical index built: %d chunks.", count)

    # Chroma ---------------------------------------------------------------
    @property
    def collection(self):  # -> chromadb.Collection
        """The Chroma collection, reopened first if another process changed it since, and
        brought up to the current metadata layout the first time this Store opens it."""
        collection = self._current_collection()
        if not self._layout_ok:
            self._upgrade_layout()
            collection = self._current_collection()
        return collection

    def _current_collection(self):  # -> chromadb.Collection
        with self._lock:
            if (
                self._collection is not None
                and self.settings.chroma_mode != "http"
                and self._counter(VECTORS_VERSION) != self._vectors_seen
            ):
                self._collection = None
            if self._collection is None:
                seen = self._counter(VECTORS_VERSION)  # read before opening: never too new
                self._collection = self._open_collection()
                self._vectors_seen = seen
            return self._collection

    def _upgrade_layout(self) -> None:
        """Give every chunk written before LlamaIndex's node layout its node keys (see the
        module docstring), once per store, under the writers' lock. Metadata only: ids,
        texts and vectors stay, so retrieval and prompts are unchanged. Idempotent, so an
        interrupted upgrade is finished by the next open; chunks that carry no newsrag keys
        (written by plain LlamaIndex) are left as they are."""
        if self._counter(LAYOUT) >= LAYOUT_VERSION:  # the usual case: no wait on a writer
            self._layout_ok = True
            return
        with self.ingest_lock():
            if self._counter(LAYOUT) >= LAYOUT_VERSION:
                self._layout_ok = True
                return
            collection = self._current_collection()
            upgraded = 0
            try:
                ids = list(self._vector_ids(collection))
                for start in range(0, len(ids), ID_BATCH):
                    got = collection.get(
                        ids=ids[start : start + ID_BATCH], include=["metadatas", "documents"]
                    )
                    todo = [
                        (cid, chroma_metadata(_node_from_flat(cid, meta, doc or "")))
                        for cid, meta, doc in zip(
                            got["ids"], got["metadatas"], got["documents"], strict=True
                        )
                        if meta and "_node_content" not in meta and "chunk_index" in meta
                    ]
                    if todo:
                        collection.update(
                            ids=[cid for cid, _ in todo], metadatas=[m for _, m in todo]
                        )
                        upgraded += len(todo)
            except Exception as exc:  # chromadb raises many types
                raise StoreError(
                    f"Could not upgrade the chunks in {self.settings.collection} to the "
                    f"LlamaIndex node layout: {exc}",
                    "Rebuild the store: move NEWSRAG_DATA_DIR aside (or delete the "
                    "collection) and run `newsrag ingest PATH` again.",
                ) from exc
            with self._tx() as db:
                db.execute(
                    "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                    [LAYOUT, str(LAYOUT_VERSION)],
                )
                if upgraded:
                    self._bump(db, VECTORS_VERSION)
            self._layout_ok = True

    def _open_collection(self):
        import chromadb
        from chromadb.api.client import SharedSystemClient
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
                # chromadb shares one client system per path within a process, and that
                # system's vector index may be stale: every open gets a fresh one. Clients
                # already open keep their own system.
                SharedSystemClient.clear_system_cache()
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
    def _counter(self, key: str) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", [key]).fetchone()
        return int(row["value"]) if row else 0

    def _bump(self, db: sqlite3.Connection, *keys: str) -> None:
        """Count a change (inside the transaction that makes it). Our own Chroma writes do not
        make our client stale, so ``vectors_version`` moves our mark along with it."""
        for key in keys:
            db.execute(
                "INSERT INTO meta(key, value) VALUES(?, '1') ON CONFLICT(key) "
                "DO UPDATE SET value = CAST(value AS INTEGER) + 1",
                [key],
            )
            if key == VECTORS_VERSION and self._vectors_seen is not None:
                value = int(db.execute("SELECT value FROM meta WHERE key=?", [key]).fetchone()[0])
                if value - 1 == self._vectors_seen:
                    self._vectors_seen = value

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._db:
            yield self._db

    @contextmanager
    def ingest_lock(self) -> Iterator[None]:
        """One writer at a time per data dir, across processes (a file lock) and threads.
        ``recover`` must never delete the pending articles of a run that is still alive, and a
        Chroma client must not write on a stale view. Re-entrant, so an ingest can remove."""
        import fcntl

        with self._write_lock:
            if self._write_depth == 0:
                fh = (self.settings.data_dir / "ingest.lock").open("w")
                try:
                    try:
                        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:  # another process writes: say so, then wait
                        log.warning("Another ingest or removal is writing this store: waiting.")
                        fcntl.flock(fh, fcntl.LOCK_EX)
                except BaseException:
                    fh.close()
                    raise
                self._lock_file = fh
            self._write_depth += 1
            try:
                yield
            finally:
                self._write_depth -= 1
                if self._write_depth == 0 and self._lock_file is not None:
                    fcntl.flock(self._lock_file, fcntl.LOCK_UN)
                    self._lock_file.close()
                    self._lock_file = None

    def write_article(
        self, article: Article, chunks: Sequence[Chunk], embeddings: np.ndarray
    ) -> None:
        """Replace everything stored for ``article.doc_id`` with these chunks, crash-safely."""
        self.write_articles([(article, chunks, embeddings)])

    def write_articles(self, items: Sequence[tuple[Article, Sequence[Chunk], np.ndarray]]) -> None:
        """Write a batch of articles beside their old versions, then switch to them in one
        transaction (see the module docstring): the old versions stay readable until then."""
        if not items:
            return
        new_ids = {
            a.doc_id: [chunk_key(a.doc_id, c.index, a.sha256[:VERSION_TAG_LENGTH]) for c in chunks]
            for a, chunks, _ in items
        }
        with self.ingest_lock():
            collection = self.collection  # fresh, so our writes land on a current index
            with self._tx() as db:
                db.executemany(
                    "INSERT OR REPLACE INTO unlinked_chunks(chunk_id, doc_id, state) "
                    "VALUES (?, ?, 'staged')",
                    [(cid, doc_id) for doc_id, ids in new_ids.items() for cid in ids],
                )
                db.executemany(
                    "INSERT INTO articles (doc_id, path, sha256, status) "
                    "VALUES (?, ?, ?, 'pending') ON CONFLICT(doc_id) DO NOTHING",
                    [(a.doc_id, a.path, a.sha256) for a, _, _ in items],
                )
            records = [
                (cid, c, vec, a.metadata())
                for a, chunks, vectors in items
                for cid, c, vec in zip(new_ids[a.doc_id], chunks, vectors, strict=True)
            ]
            for start in range(0, len(records), 2000):
                part = records[start : start + 2000]
                collection.upsert(
                    ids=[cid for cid, _, _, _ in part],
                    embeddings=np.stack([v for _, _, v, _ in part]).tolist(),
                    documents=[c.text for _, c, _, _ in part],
                    metadatas=[
                        chroma_metadata(
                            chunk_node(cid, c.doc_id, c.index, c.start, c.end, c.text, meta)
                        )
                        for cid, c, _, meta in part
                    ],
                )
            lexical = {
                a.doc_id: (
                    [lexical_terms(f"{a.title} {c.text}") for c in chunks],
                    lexical_facets(a.doc_id, a.source, a.published_ts),
                )
                for a, chunks, _ in items
            }
            retired = self._switch_versions(items, new_ids, lexical)
            self._delete_vectors(retired)

    def _switch_versions(
        self,
        items: Sequence[tuple[Article, Sequence[Chunk], np.ndarray]],
        new_ids: dict[str, list[str]],
        lexical: dict[str, tuple[list[str], str]],
    ) -> list[tuple[str, str]]:
        """The one transaction that makes the new versions the readable ones (and, through
        the triggers on ``chunks``, the lexical index with them). Returns the (chunk id, doc
        id) of the old versions' chunks, now listed as ``retired``. ``lexical``: per article,
        its chunks' terms and its facets (computed before, outside the transaction)."""
        ids = list(new_ids)
        marks = ",".join("?" * len(ids))
        with self._tx() as db:
            fresh = {cid for cids in new_ids.values() for cid in cids}
            old = db.execute(
                f"SELECT chunk_id, doc_id FROM chunks WHERE doc_id IN ({marks})", ids
            ).fetchall()
            retired = [(r["chunk_id"], r["doc_id"]) for r in old if r["chunk_id"] not in fresh]
            db.executemany(
                "INSERT OR REPLACE INTO articles (" + ",".join(_ARTICLE_FIELDS) + ", text, "
                "chunk_count, status) VALUES (" + ",".join("?" * len(_ARTICLE_FIELDS)) + ","
                " ?, ?, 'complete')",
                [
                    [*(getattr(a, f) for f in _ARTICLE_FIELDS), a.text, len(chunks)]
                    for a, chunks, _ in items
                ],
            )
            chunk_rows = [
                (c.doc_id, c.index, c.start, c.end, cid, terms, lexical[a.doc_id][1])
                for a, chunks, _ in items
                for c, cid, terms in zip(
                    chunks, new_ids[a.doc_id], lexical[a.doc_id][0], strict=True
                )
            ]
            first = self._chunk_rows(db, len(chunk_rows))  # before the delete: never reused
            db.execute(f"DELETE FROM chunks WHERE doc_id IN ({marks})", ids)
            rows = [(row, *r) for row, r in enumerate(chunk_rows, start=first)]
            db.executemany(
                "INSERT INTO chunks(id, doc_id, idx, start, end, chunk_id, terms, facets) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            parts = [np.asarray(v, dtype=np.float32) for _, c, v in items if len(c)]
            if parts:
                vectors = np.concatenate(parts)
                # In the transaction: a failed write leaves the rows unreadable, not unmirrored.
                db.execute(
                    "INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)",
                    [MIRROR_DIM, str(vectors.shape[1])],
                )
                self._mirror.write(np.array([r[0] for r in rows], dtype=np.int64), vectors)
            postings.add_segment(db, [(r[0], r[6], r[7]) for r in rows])
            self._merge_postings(db)
            db.executemany(
                "DELETE FROM unlinked_chunks WHERE chunk_id=?", [(cid,) for cid in fresh]
            )
            db.executemany(
                "INSERT OR REPLACE INTO unlinked_chunks(chunk_id, doc_id, state) "
                "VALUES (?, ?, 'retired')",
                retired,
            )
            self._bump(db, VERSION, VECTORS_VERSION)
        return retired

    @staticmethod
    def _last_chunk_row(db: sqlite3.Connection) -> int:
        """The last chunk row id handed out (``LAST_CHUNK_ROW``, or the largest in use)."""
        row = db.execute("SELECT value FROM meta WHERE key=?", [LAST_CHUNK_ROW]).fetchone()
        return max(
            int(row[0]) if row else 0,
            int(db.execute("SELECT COALESCE(MAX(id), 0) FROM chunks").fetchone()[0]),
        )

    @staticmethod
    def _has_chunks(db: sqlite3.Connection) -> bool:
        return db.execute("SELECT 1 FROM chunks LIMIT 1").fetchone() is not None

    def _chunk_rows(self, db: sqlite3.Connection, n: int) -> int:
        """The first of ``n`` fresh chunk row ids, never handed out before (see
        ``LAST_CHUNK_ROW``), inside the caller's transaction."""
        last = self._last_chunk_row(db)
        db.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", [LAST_CHUNK_ROW, str(last + n)]
        )
        return last + 1

    def _merge_postings(self, db: sqlite3.Connection) -> None:
        postings.merge(
            db, self.settings.lexical_merge_factor, self.settings.lexical_max_merge_chunks
        )

    def _delete_vectors(self, listed: Sequence[tuple[str, str]], doc_ids: Iterable[str] = ()):
        """Delete listed (chunk id, doc id) pairs and every chunk of ``doc_ids`` from Chroma,
        then clear them from ``unlinked_chunks``."""
        doc_ids = list(doc_ids)
        if not listed and not doc_ids:
            return
        collection = self.collection
        ids = [cid for cid, _ in listed]
        for start in range(0, len(ids), ID_BATCH):
            collection.delete(ids=ids[start : start + ID_BATCH])
        for start in range(0, len(doc_ids), ID_BATCH):  # and what older runs left unlisted
            collection.delete(where={"doc_id": {"$in": doc_ids[start : start + ID_BATCH]}})
        with self._tx() as db:
            db.executemany("DELETE FROM unlinked_chunks WHERE chunk_id=?", [(i,) for i in ids])
            self._bump(db, VECTORS_VERSION)

    def remove(self, doc_id: str) -> bool:
        """Delete an article and all its chunks. True if it existed. It disappears for
        readers first (one transaction), then its vectors go."""
        with self.ingest_lock():
            self.collection  # noqa: B018 -- reopen first if stale, so the delete lands
            with self._tx() as db:
                exists = db.execute("SELECT 1 FROM articles WHERE doc_id=?", [doc_id]).fetchone()
                if exists is None:
                    return False
                rows = db.execute("SELECT chunk_id FROM chunks WHERE doc_id=?", [doc_id])
                listed = [(r["chunk_id"], doc_id) for r in rows.fetchall()]
                db.executemany(
                    "INSERT OR REPLACE INTO unlinked_chunks(chunk_id, doc_id, state) "
                    "VALUES (?, ?, 'retired')",
                    listed,
                )
                db.execute("DELETE FROM chunks WHERE doc_id=?", [doc_id])
                db.execute("DELETE FROM articles WHERE doc_id=?", [doc_id])
                db.execute("DELETE FROM article_files WHERE doc_id=?", [doc_id])
                self._bump(db, VERSION)
            self._delete_vectors(listed, [doc_id])
            return True

    def doc_ids_for_path(self, path: str) -> list[str]:
        """The stored articles a file held when it was last ingested."""
        rows = self._db.execute(
            "SELECT DISTINCT a.doc_id FROM articles a LEFT JOIN article_files f "
            "ON f.doc_id = a.doc_id WHERE a.path = ? OR f.path = ? ORDER BY a.doc_id",
            [path, path],
        ).fetchall()
        return [r["doc_id"] for r in rows]

    def doc_ids_for(self, target: str | os.PathLike[str]) -> list[str]:
        """What ``newsrag remove TARGET`` means: a doc id, else the articles from a file or
        from anywhere under a folder; a path may be relative (to the working directory) and
        need not exist any more (the file may be gone, its articles not); else the one doc id
        that starts with TARGET (six characters or more)."""
        text = os.fspath(target)
        if self.article(text):
            return [text]
        found: set[str] = set()
        for path, like in _path_patterns(text):
            rows = self._db.execute(
                "SELECT DISTINCT a.doc_id FROM articles a LEFT JOIN article_files f "
                "ON f.doc_id = a.doc_id WHERE a.path = ? OR f.path = ? "
                "OR a.path LIKE ? ESCAPE '\\' OR f.path LIKE ? ESCAPE '\\'",
                [path, path, like, like],
            ).fetchall()
            found |= {r["doc_id"] for r in rows}
        prefix = text.rstrip("…")
        if not found and len(prefix) >= 6 and os.sep not in prefix:
            # A doc id's first characters, as a narrow table shows it, when only one has them.
            rows = self._db.execute(
                "SELECT doc_id FROM articles WHERE doc_id LIKE ? ESCAPE '\\' LIMIT 2",
                [_starting_with(prefix)],
            ).fetchall()
            if len(rows) == 1:
                found = {rows[0]["doc_id"]}
        return sorted(found)

    def files_under(self, folder: str | os.PathLike[str]) -> list[str]:
        """The files under ``folder`` that articles were read from (as recorded; a file may
        be gone from disk since)."""
        found: set[str] = set()
        for _, like in _path_patterns(os.fspath(folder)):
            found |= {
                r[0]
                for r in self._db.execute(
                    "SELECT path FROM article_files WHERE path LIKE ? ESCAPE '\\' UNION "
                    "SELECT path FROM articles WHERE path LIKE ? ESCAPE '\\'",
                    [like, like],
                )
            }
        return sorted(found)

    def held_elsewhere(self, doc_id: str, target: str | os.PathLike[str]) -> str | None:
        """When a file outside ``target`` (a file or folder path, as ``doc_ids_for`` reads
        it) also holds ``doc_id``: forget ``target``'s files for it, make that file its
        path, and return it; else None, and nothing is forgotten. So ``newsrag remove
        COPY`` keeps the articles another ingested folder still holds, as an ingest keeps an
        article one of its files dropped while another still has it."""
        patterns = _path_patterns(os.fspath(target))
        inside = " OR ".join("path = ? OR path LIKE ? ESCAPE '\\'" for _ in patterns)
        args = [x for pair in patterns for x in pair]
        with self._tx() as db:
            others = [
                r["path"]
                for r in db.execute(
                    f"SELECT path FROM article_files WHERE doc_id=? AND NOT ({inside}) "
                    "ORDER BY path",
                    [doc_id, *args],
                )
            ]
            # A file deleted or renamed since it was read holds nothing any more.
            other = next((p for p in others if os.path.exists(p)), None)
            if other is None:
                return None
            db.execute(f"DELETE FROM article_files WHERE doc_id=? AND ({inside})", [doc_id, *args])
            db.execute("UPDATE articles SET path=? WHERE doc_id=?", [other, doc_id])
            return str(other)

    def record_file_articles(self, path: str, doc_ids: Iterable[str], complete: bool) -> list[str]:
        """Remember that the file at ``path`` holds ``doc_ids`` now. When ``complete`` (every
        record of the file could be read), the articles it held before and no longer does
        are forgotten for it; returns those of them no other file holds (the caller removes
        them). An article found in two files stays while either still has it. When not
        complete, nothing is forgotten: a record that could not be read has not vanished."""
        kept = set(doc_ids)
        with self._tx() as db:
            db.executemany(
                "INSERT OR IGNORE INTO article_files(doc_id, path) VALUES (?, ?)",
                [(d, path) for d in sorted(kept)],
            )
            db.executemany(  # an article whose file no longer holds it now lives here
                "UPDATE articles SET path=? WHERE doc_id=? AND NOT EXISTS (SELECT 1 FROM "
                "article_files f WHERE f.doc_id = articles.doc_id AND f.path = articles.path)",
                [(path, d) for d in sorted(kept)],
            )
            if not complete:
                return []
            before = {
                r["doc_id"]
                for r in db.execute(
                    "SELECT doc_id FROM article_files WHERE path=? UNION "
                    "SELECT doc_id FROM articles WHERE path=? AND status='complete'",
                    [path, path],
                )
            }
            lost = sorted(before - kept)
            orphaned = []
            for doc_id in lost:
                db.execute("DELETE FROM article_files WHERE doc_id=? AND path=?", [doc_id, path])
                other = db.execute(
                    "SELECT path FROM article_files WHERE doc_id=? ORDER BY path LIMIT 1",
                    [doc_id],
                ).fetchone()
                if other is None:
                    orphaned.append(doc_id)
                else:  # it lives on in another file: that is its path now
                    db.execute(
                        "UPDATE articles SET path=? WHERE doc_id=? AND path=?",
                        [other["path"], doc_id, path],
                    )
        return orphaned

    def files_of(self, doc_id: str) -> list[str]:
        """The files an article was found in when they were last ingested."""
        rows = self._db.execute(
            "SELECT path FROM article_files WHERE doc_id=? ORDER BY path", [doc_id]
        ).fetchall()
        return [r["path"] for r in rows]

    def note_ingest(self, summary: str) -> None:
        """Record when an ingest run finished and what it did (for ``health``)."""
        with self._tx() as db:
            db.executemany(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                [(LAST_INGEST, now_iso()), (LAST_INGEST_SUMMARY, summary)],
            )

    def recover(self) -> list[str]:
        """Clean up after a killed run: delete the chunks it staged or retired and the rows
        it left ``pending``. Returns the ids of the articles whose write it did not finish
        (a replaced article's old version was readable all along and still is)."""
        with self.ingest_lock():
            self._fill_mirror()
            pending = [
                r["doc_id"]
                for r in self._db.execute("SELECT doc_id FROM articles WHERE status!='complete'")
            ]
            listed = [
                (r["chunk_id"], r["doc_id"], r["state"])
                for r in self._db.execute("SELECT chunk_id, doc_id, state FROM unlinked_chunks")
            ]
            if not pending and not listed:
                return []
            unfinished = set(pending) | {d for _, d, state in listed if state == "staged"}
            if pending:
                marks = ",".join("?" * len(pending))
                with self._tx() as db:
                    rows = db.execute(
                        f"SELECT chunk_id, doc_id FROM chunks WHERE doc_id IN ({marks})", pending
                    ).fetchall()
                    listed += [(r["chunk_id"], r["doc_id"], "retired") for r in rows]
                    db.executemany(
                        "INSERT OR REPLACE INTO unlinked_chunks(chunk_id, doc_id, state) "
                        "VALUES (?, ?, 'retired')",
                        [(c, d) for c, d, _ in listed],
                    )
                    db.execute(f"DELETE FROM chunks WHERE doc_id IN ({marks})", pending)
                    db.execute(f"DELETE FROM articles WHERE doc_id IN ({marks})", pending)
                    self._bump(db, VERSION)
            self._delete_vectors([(c, d) for c, d, _ in listed], pending)
            return sorted(unfinished)

    def _fill_mirror(self) -> None:
        """Copy into the vector mirror (``rag.mirror``) the vectors of the chunk rows written
        before it existed, or of all rows when its file was lost or cut short, read from
        Chroma in batches: once, under the ingest lock (about 30 s for a million chunks).
        Until then filtered searches read those vectors from Chroma, or search Chroma."""
        below = self._counter(MIRROR_FROM)
        dim = self._counter(MIRROR_DIM)
        last = int(self._db.execute("SELECT COALESCE(MAX(id), 0) FROM chunks").fetchone()[0])
        if not below and dim and last and self._mirror.rows_held(dim) <= last:
            below = last + 1  # the file was lost or cut short: fill it again from Chroma
            log.warning("The vector mirror %s lacks rows; filling it from Chroma.", MIRROR_FILE)
        if not below:
            return
        rows = self._db.execute(
            "SELECT id, chunk_id FROM chunks WHERE id < ? ORDER BY id", [below]
        ).fetchall()
        for start in range(0, len(rows), ID_BATCH):
            part = rows[start : start + ID_BATCH]
            got = self.vectors([r["chunk_id"] for r in part])
            held = [r for r in part if r["chunk_id"] in got]
            if held:
                vectors = np.stack([got[r["chunk_id"]] for r in held])
                dim = vectors.shape[1]
                self._mirror.write(np.array([r["id"] for r in held], dtype=np.int64), vectors)
        if dim:  # spans every row, so a row Chroma lacked is not refilled every time
            self._mirror.extend_to(last + 1, dim)
        with self._tx() as db:
            if dim:
                db.execute(
                    "INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)", [MIRROR_DIM, str(dim)]
                )
            db.execute("UPDATE meta SET value = '0' WHERE key = ?", [MIRROR_FROM])

    # Reads ----------------------------------------------------------------
    def version(self) -> int:
        """Bumped whenever what readers see changes (in any process): cheap to poll."""
        return self._counter(VERSION)

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
        return list(self._outlet_facts()[1])

    def unattributed_count(self) -> int:
        """Complete articles whose outlet is not known (ingested without one)."""
        return self._outlet_facts()[2]

    def _outlet_facts(self) -> tuple[int, tuple[str, ...], int]:
        """(store version, outlets, articles of no outlet), read once per version: the read
        scans every article (0.3 s at a million), and a question asks for the outlets
        several times (its filters, its date, its publishers, the checks). The version is
        read first, so a write meanwhile makes the next call read again."""
        version = self.version()
        facts = self._outlets_seen
        if facts is None or facts[0] != version:
            rows = self._db.execute(
                "SELECT COALESCE(source, '') AS source, COUNT(*) AS n FROM articles"
                " WHERE status='complete' GROUP BY 1"
            ).fetchall()
            named = sorted((r["source"] for r in rows if r["source"]), key=lambda o: (-len(o), o))
            none = sum(r["n"] for r in rows if not r["source"])
            facts = self._outlets_seen = (version, tuple(named), int(none))
        return facts

    def article_count(self) -> int:
        q = "SELECT COUNT(*) AS n FROM articles WHERE status='complete'"
        return int(self._db.execute(q).fetchone()["n"])

    def chunk_count(self) -> int:
        """Vectors in Chroma (readable chunks plus any a write is in the middle of)."""
        return int(self.collection.count())

    def live_chunk_ids(self, chunk_ids: Iterable[str]) -> set[str]:
        """Those of ``chunk_ids`` that belong to the readable version of a complete article:
        a hit from a stale index or a half-done write is not one of them."""
        return set(self._live_rows(chunk_ids))

    def _live_rows(self, chunk_ids: Iterable[str]) -> dict[str, sqlite3.Row]:
        """The docstore's rows (doc_id, idx, start, end) of the readable ``chunk_ids``."""
        ids = list(dict.fromkeys(chunk_ids))
        live: dict[str, sqlite3.Row] = {}
        for start in range(0, len(ids), ID_BATCH):
            part = ids[start : start + ID_BATCH]
            rows = self._db.execute(
                "SELECT c.id, c.chunk_id, c.doc_id, c.idx, c.start, c.end FROM chunks c "
                "JOIN articles a ON a.doc_id = c.doc_id "
                f"WHERE a.status='complete' AND c.chunk_id IN ({','.join('?' * len(part))})",
                part,
            )
            live.update((r["chunk_id"], r) for r in rows)
        return live

    def all_chunks(self) -> list[StoredChunk]:
        """Every chunk of every complete article, with texts cut from the docstore."""
        rows = self._db.execute(
            "SELECT c.chunk_id, c.doc_id, c.idx, c.start, c.end, a.text, "
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
                    r["chunk_id"],
                    r["doc_id"],
                    r["idx"],
                    r["start"],
                    r["end"],
                    r["text"][r["start"] : r["end"]],
                    meta,
                )
            )
        return out

    def lexical_search(
        self,
        tokens: Sequence[str],
        k: int,
        only: ChunkFilter = ANY_CHUNK,
    ) -> list[tuple[StoredChunk, float]]:
        """The ``k`` readable chunks ranked best by BM25 (k1 1.2, b 0.75, FTS5's formula) for
        any of ``tokens`` (``rag.retrieve.tokenize``'s), best first, with a positive score,
        among the chunks ``only`` allows: its outlets, ids and whole UTC days are facets
        inside the index (see ``rag.postings``).

        Terms found in more chunks than ``settings.lexical_max_postings`` together are left
        out, most common first (always keeping the rarest): a question's common words match
        most of a million chunks and would be scored one by one, for the least weight BM25
        gives (low IDF). Below that many postings nothing is left out and the ranking is
        plain BM25 (on MultiHop's queries, every store up to about 100k chunks)."""
        words = list(dict.fromkeys(w for w in (_lexical_term(t) for t in tokens) if w))
        if not words or k <= 0:
            return []
        words = self._within_postings(words)
        groups = _facet_groups(only)
        if not words or groups is None:
            return []  # nothing to match, or an empty date range
        lo_ts, hi_ts = only.lo_ts, only.hi_ts
        hits = postings.ranked(self._db, words, groups)
        out: list[tuple[StoredChunk, float]] = []
        batch = max(2 * k, 32)
        while len(out) < k:
            part = dict(itertools.islice(hits, batch))
            if not part:
                break
            # Rows deleted since their segment was written are not found here, nor are the
            # chunks of an article still being written.
            rows = {
                r["id"]: r
                for r in self._db.execute(
                    "SELECT c.id, c.chunk_id, c.doc_id, c.idx, c.start, c.end, "
                    "substr(a.text, c.start + 1, c.end - c.start) AS text, "
                    + ",".join(f"a.{f}" for f in _ARTICLE_FIELDS[1:])
                    + " FROM chunks c JOIN articles a ON a.doc_id = c.doc_id "
                    f"WHERE a.status = 'complete' AND c.id IN ({','.join('?' * len(part))})",
                    list(part),
                )
            }
            for row_id, score in part.items():
                r = rows.get(row_id)
                if r is None:
                    continue
                ts = r["published_ts"]
                if (lo_ts is not None and (ts is None or ts < lo_ts)) or (
                    hi_ts is not None and (ts is None or ts > hi_ts)
                ):
                    continue  # a bound inside a day (Filters never makes one)
                meta = {f: r[f] for f in _ARTICLE_FIELDS[1:]}
                meta["doc_id"] = r["doc_id"]
                chunk = StoredChunk(
                    r["chunk_id"], r["doc_id"], r["idx"], r["start"], r["end"], r["text"], meta
                )
                out.append((chunk, score))
        return out[:k]

    def _within_postings(self, words: list[str]) -> list[str]:
        """``words`` that occur, rarest first, while together they are in at most
        ``settings.lexical_max_postings`` chunks (the rarest always)."""
        found = postings.frequencies(self._db, words)
        kept, total = [], 0
        for word in sorted(found, key=lambda w: (found[w], w)):
            if kept and total + found[word] > self.settings.lexical_max_postings:
                break
            kept.append(word)
            total += found[word]
        return kept

    def query(
        self,
        embedding: np.ndarray,
        k: int,
        only: ChunkFilter = ANY_CHUNK,
    ) -> list[tuple[StoredChunk, float]]:
        """Nearest readable chunks by cosine similarity (1 - distance), best first. Hits the
        docstore does not list (a write in progress elsewhere, a chunk removed since) are
        skipped, never an error.

        ``only`` is planned here, so no other module writes Chroma's query language, by how
        many chunks it allows (read from the lexical index's facets): up to
        ``dense_mirror_max_rows`` they are compared with the question one by one, from the
        vector mirror (``_exact``: exact, where Chroma's searches are approximate); more, a
        large share of the store, are served by a wider unfiltered search, keeping the
        allowed hits (``_postfiltered``); else the chunks it allows are named to Chroma
        (``_named_search``); else it becomes Chroma's ``where`` (``ChunkFilter.where``).
        See README, "Filtered dense search"."""
        where = only.where()
        # Nothing readable, nothing to find (Chroma refuses to search an empty collection).
        # Asked of the docstore: Chroma's count() reads every row, 30+ ms at 1M chunks.
        if not self._has_chunks(self._db):
            return []
        vector = [np.asarray(embedding, dtype=np.float32).tolist()]
        result = None
        if where:
            mask = self._allowed_mask(only)
            if mask is not None and not mask.any():
                return []
            if mask is not None:
                result = self._exact(vector, k, mask) or self._postfiltered(vector, k, mask)
            if result is None:
                result = self._named_search(vector, k, only)
        if result is None:
            result = self.collection.query(
                query_embeddings=vector, n_results=k, where=where or None, include=_HIT_FIELDS
            )
        live = self._live_rows(result["ids"][0])
        out = []
        for cid, doc, meta, dist in zip(
            result["ids"][0],
            result["documents"][0],
            result["metadatas"][0],
            result["distances"][0],
            strict=True,
        ):
            row = live.get(cid)
            if row is None:  # not readable, or written by someone else (plain LlamaIndex)
                continue
            # Where and which chunk come from the docstore, which lists every readable one;
            # Chroma's metadata may lack newsrag's keys (LlamaIndex rewrote the node).
            fields = {k: v for k, v in (meta or {}).items() if k not in LLAMA_KEYS}
            if "title" not in fields:
                article = self.article(row["doc_id"]) or {}
                fields.update({f: article.get(f) for f in _ARTICLE_FIELDS})
            chunk = StoredChunk(
                cid, row["doc_id"], row["idx"], row["start"], row["end"], doc or "", fields
            )
            out.append((chunk, 1.0 - float(dist)))
        return out

    def _allowed_mask(self, only: ChunkFilter) -> np.ndarray | None:
        """The chunk rows ``only`` allows, as ``postings.allowed_rows``' mask, or None when
        the facets cannot say (``_facets_decide``) and Chroma's where clause must."""
        groups = _facet_groups(only)
        if groups is None:
            return np.zeros(0, dtype=bool)  # an empty date range
        if not self._facets_decide(only) or not groups:
            return None
        return postings.allowed_rows(self._db, groups)

    def _facets_decide(self, only: ChunkFilter) -> bool:
        """Whether the lexical index's facets (outlets, article ids, whole UTC days) express
        ``only`` exactly: not a date bound inside a day (``Filters`` never makes one), nor an
        outlet of "" (no facet, while the where clause matches it)."""
        inside_a_day = (only.lo_ts is not None and only.lo_ts % _SECONDS_PER_DAY) or (
            only.hi_ts is not None and (only.hi_ts + 1) % _SECONDS_PER_DAY
        )
        return not inside_a_day and "" not in only.sources

    def _exact(self, vector: list[list[float]], k: int, mask: np.ndarray):
        """The ``k`` nearest of the chunks ``mask`` allows, by comparing each of their
        vectors with the question: from the vector mirror (``rag.mirror``) when it allows at
        most ``dense_mirror_max_rows``, those the mirror may lack read from Chroma when they
        are at most ``dense_exact_max_ids``; else None.

        Why: Chroma's search among named chunks walks its graph until it meets enough of
        them, slow when they are few or lie together far from the question: 50 ms for 50
        chunks of 100,000, 150-500 ms for an outlet's 500-180,000 of a million. Reading their
        vectors from Chroma takes 20-30 microseconds a chunk; from the mirror, a gather and a
        matrix product (README, "Filtered dense search")."""
        s = self.settings
        rows = np.flatnonzero(mask)
        if not len(rows):
            return None
        dim = self._counter(MIRROR_DIM)
        held = rows >= self._counter(MIRROR_FROM)
        if not dim or held.sum() > s.dense_mirror_max_rows:
            held[:] = False  # the mirror is not read: every vector from Chroma, or no plan
        mirrored, unmirrored = rows[held], rows[~held]
        if len(unmirrored) > s.dense_exact_max_ids:
            return None
        question = np.asarray(vector[0], dtype=np.float32)
        scored: dict[str, float] = {}
        if len(mirrored):
            # A few more than k: a row of an article being rewritten may not be readable.
            wanted = 2 * k + 10
            near_rows, near_cos, absent = self._mirror.nearest(mirrored, dim, question, wanted)
            scored.update(zip(self._chunk_ids(near_rows), near_cos.tolist(), strict=True))
            # Rows the file lacks (lost, or written by an older newsrag) come from Chroma.
            unmirrored = np.concatenate([unmirrored, absent])
            if len(unmirrored) > s.dense_exact_max_ids:
                return None
        if len(unmirrored):
            stored = self.vectors([c for c in self._chunk_ids(unmirrored) if c])
            if stored:
                matrix = np.stack(list(stored.values()))
                norms = np.linalg.norm(matrix, axis=1) * (np.linalg.norm(question) or 1.0)
                cos = matrix @ question / np.where(norms > 0, norms, 1.0)
                scored.update(zip(stored, cos.tolist(), strict=True))
        scored.pop("", None)  # rows no longer readable
        ranked = [
            (cid, 1.0 - float(cos))
            for cid, cos in sorted(scored.items(), key=lambda item: (-item[1], item[0]))
        ]
        # Chroma may lack one (a vector not written yet): the next ones take its place.
        found = self._hits(ranked[: k + 5])
        for start in range(k + 5, len(ranked), k):
            if len(found["ids"][0]) >= k:
                break
            more = self._hits(ranked[start : start + k])
            for key in found:
                found[key][0].extend(more[key][0])
        return {key: [value[0][:k]] for key, value in found.items()}

    def _chunk_ids(self, rows: np.ndarray) -> list[str]:
        """The chunk id of each of ``rows`` ("" for a row that is not readable: deleted, or
        of an article still being written)."""
        found: dict[int, str] = {}
        for start in range(0, len(rows), ID_BATCH):
            part = [int(r) for r in rows[start : start + ID_BATCH]]
            marks = ",".join("?" * len(part))
            found.update(
                self._db.execute(
                    "SELECT c.id, c.chunk_id FROM chunks c JOIN articles a ON a.doc_id = c.doc_id "
                    f"WHERE a.status = 'complete' AND c.id IN ({marks})",
                    part,
                ).fetchall()
            )
        return [found.get(int(r), "") for r in rows]

    def _hits(self, hits: list[tuple[str, float]]) -> dict[str, list[list[Any]]]:
        """(chunk id, distance) pairs, best first, with their documents and metadata read
        from Chroma, in Chroma's query result shape (a chunk Chroma lacks is left out)."""
        if not hits:  # Chroma refuses to get no ids
            return {key: [[]] for key in ("ids", *_HIT_FIELDS)}
        got = self.collection.get(ids=[cid for cid, _ in hits], include=_HIT_FIELDS[:2])
        texts = zip(got["documents"], got["metadatas"], strict=True)
        stored = dict(zip(got["ids"], texts, strict=True))
        hits = [(cid, d) for cid, d in hits if cid in stored]
        return {
            "ids": [[cid for cid, _ in hits]],
            "documents": [[stored[cid][0] for cid, _ in hits]],
            "metadatas": [[stored[cid][1] for cid, _ in hits]],
            "distances": [[d for _, d in hits]],
        }

    def _postfiltered(self, vector: list[list[float]], k: int, mask: np.ndarray):
        """The ``k`` nearest chunks among those ``mask`` allows, found by an unfiltered search
        for more and dropping the others, when the filter allows a large share of the store
        (a busy outlet, a year): Chroma's search over that many named chunks costs more than
        the list, 0.1-0.9 s at a million chunks, where an unfiltered search for a few hundred
        costs milliseconds (approximate: at a million near-duplicate chunks it can miss the
        allowed ones nearest, so the exact plan comes first). Asks for ``k *
        dense_postfilter_margin`` over the allowed share; None, for ``_named_search``, when
        that is over ``dense_postfilter_max_results`` or too few of the hits are allowed.
        Returns Chroma's query result shape."""
        s = self.settings
        allowed = int(mask.sum())
        total = postings.indexed_chunks(self._db)
        if s.dense_postfilter_max_results <= 0 or not total or allowed <= k:
            return None
        wanted = math.ceil(k * s.dense_postfilter_margin * total / allowed)
        if wanted > s.dense_postfilter_max_results or wanted >= allowed:
            return None
        found = self.collection.query(
            query_embeddings=vector, n_results=wanted, include=["distances"]
        )
        ids, distances = found["ids"][0], found["distances"][0]
        rows = self._live_rows(ids)
        listed = [cid for cid in ids if cid in rows]
        allows = postings.member(np.array([rows[c]["id"] for c in listed], dtype=np.int64), mask)
        kept = set(itertools.compress(listed, allows.tolist()))
        hits = [(cid, d) for cid, d in zip(ids, distances, strict=True) if cid in kept][:k]
        if len(hits) < k and len(ids) >= wanted:
            return None  # most of the filter's chunks lie further away
        return self._hits(hits)

    def _named_search(self, vector: list[list[float]], k: int, only: ChunkFilter):
        """Chroma's search among the chunks ``only`` allows, named by id: its own where
        clause costs four to six times as much at 100k chunks for the same hits, and grows
        with the store (see README, "Filtered dense search"). None when they cannot be named
        (``_allowed_ids``) or Chroma lacks one (a vector not written yet): the where clause."""
        from chromadb.errors import ChromaError  # loaded with the collection already

        allowed = self._allowed_ids(only)
        if allowed is None:
            return None
        if not allowed:
            return self._hits([])
        try:
            return self.collection.query(
                query_embeddings=vector, n_results=k, ids=allowed, include=_HIT_FIELDS
            )
        except ChromaError:
            return None

    def _allowed_ids(self, only: ChunkFilter) -> list[str] | None:
        """The ids of the chunks ``only`` allows, read from the lexical index's facets
        (outlets, article ids, whole days); None when there are more than
        ``settings.dense_filter_max_ids`` (or it is 0), or a date bound falls inside a day
        (``Filters`` never makes one), for Chroma's where clause to handle. Chunks of an
        article still being written may be listed: the hits are read through the docstore
        (``_live_rows``), and an id Chroma lacks sends the search to the where clause."""
        cap = self.settings.dense_filter_max_ids
        facets = _facet_expression(only)
        if facets is None:
            return []  # an empty date range
        if cap <= 0 or not facets or not self._facets_decide(only):
            return None
        ids = [
            r[0]
            for r in self._db.execute(
                "SELECT c.chunk_id FROM lexical JOIN chunks c ON c.id = lexical.rowid "
                "WHERE lexical MATCH ? LIMIT ?",
                [facets, cap + 1],
            )
        ]
        return None if len(ids) > cap else ids

    def vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of those of ``chunk_ids`` Chroma holds, by chunk id (for tools
        that copy or compare vectors without building Chroma queries of their own)."""
        out: dict[str, np.ndarray] = {}
        for start in range(0, len(chunk_ids), ID_BATCH):
            part = list(chunk_ids[start : start + ID_BATCH])
            got = self.collection.get(ids=part, include=["embeddings"])
            vecs = np.asarray(got["embeddings"], dtype=np.float32)
            out.update(zip(got["ids"], vecs, strict=True))
        return out

    def vector_dimension(self) -> int | None:
        """The length of the stored vectors, None while there are none: Chroma fixes it at
        the first vector, so an embedder of another size cannot use this store."""
        first = self.collection.get(limit=1, include=["embeddings"])["embeddings"]
        return None if first is None or len(first) == 0 else len(first[0])

    def health(self) -> dict[str, Any]:
        """What an operator checks first: counts, unfinished work, last ingest, versions, and
        whether the lexical index (built from the docstore's chunk rows) and Chroma hold the
        same chunks. ``problems`` says what is wrong and what to do, one line each."""
        db = self._db
        pending = int(
            db.execute("SELECT COUNT(*) FROM articles WHERE status!='complete'").fetchone()[0]
        )
        unlinked = int(db.execute("SELECT COUNT(*) FROM unlinked_chunks").fetchone()[0])
        live = {
            r["chunk_id"]
            for r in db.execute(
                "SELECT c.chunk_id FROM chunks c JOIN articles a ON a.doc_id = c.doc_id "
                "WHERE a.status='complete'"
            )
        }
        vectors = set(self._vector_ids(self.collection))
        missing, extra = len(live - vectors), len(vectors - live)
        problems = []
        if pending or unlinked:
            problems.append(
                f"an interrupted write left {pending} article rows and {unlinked} chunks "
                "unfinished (readers skip them): run `newsrag ingest PATH` to clean them up"
            )
        if missing:
            problems.append(
                f"{missing} chunks are in the lexical index but have no vector: re-ingest "
                "their files (or `newsrag remove` them)"
            )
        if extra > unlinked:
            problems.append(
                f"Chroma holds {extra} chunks no article lists (readers skip them): "
                "run `newsrag ingest PATH` to clean up after interrupted writes"
            )
        # The vector mirror (rag.mirror): rows it may lack are read from Chroma, slower, until
        # the next ingest fills them; not a problem, but worth knowing.
        held = self._mirror.rows_held(self._counter(MIRROR_DIM))
        behind = int(
            db.execute(
                "SELECT COUNT(*) FROM chunks WHERE id < ? OR id >= ?",
                [self._counter(MIRROR_FROM), held],
            ).fetchone()[0]
        )
        return {
            "articles": self.article_count(),
            "chunks": len(live),
            "vectors": len(vectors),
            "pending_articles": pending,
            "unfinished_chunks": unlinked,
            "missing_vectors": missing,
            "orphan_vectors": extra,
            "index_agrees": missing == 0 and extra == 0,
            "last_ingest": self._meta_text(LAST_INGEST),
            "last_ingest_summary": self._meta_text(LAST_INGEST_SUMMARY),
            "version": self.version(),
            "vectors_version": self._counter(VECTORS_VERSION),
            "vector_mirror_bytes": (
                self._mirror.path.stat().st_size if self._mirror.path.exists() else 0
            ),
            "vector_mirror_rows_to_fill": behind,
            "ok": not problems,
            "problems": problems,
        }

    def _meta_text(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", [key]).fetchone()
        return row["value"] if row else None

    @staticmethod
    def _vector_ids(collection) -> Iterator[str]:
        offset = 0
        while True:
            got = collection.get(include=[], limit=5000, offset=offset)["ids"]
            yield from got
            if len(got) < 5000:
                return
            offset += len(got)

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


def _path_patterns(text: str) -> list[tuple[str, str]]:
    """A path as given and resolved, each with the LIKE pattern of everything under it."""
    resolved = str(Path(text).expanduser().resolve())
    return [(p, _starting_with(p.rstrip(os.sep) + os.sep)) for p in dict.fromkeys([text, resolved])]


def _starting_with(prefix: str) -> str:
    """A LIKE pattern (ESCAPE '\\') for the text that starts with ``prefix`` as written."""
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
