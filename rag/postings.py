"""The lexical index's ranking: BM25 postings in segments, in the docstore.

Why not FTS5's ``bm25()``: it scores each matching row in SQL, looking up the row's length
and decoding every query term's positions in it, and MultiHop-length questions (30 to 50
words) match about 43,000 of 100,000 chunks: 40 ms a question of the 50 the hybrid search
may take at that size. Here each term's postings (chunk row ids, term frequencies, chunk
lengths) are little-endian arrays in BLOBs, and a question reads its terms' arrays and scores
them with numpy: 3 to 7 ms for the same questions and ranking.

Segments: a write adds one segment (a row per term it holds) in the transaction that writes
the chunk rows (``Store._switch_versions``), so the index changes with the chunks or not at
all. Segments of about the same size are merged ``merge_factor`` at a time (a tiered merge,
like Lucene's), so a store of N chunks has about ``merge_factor * log(N)`` of them, and a
posting is rewritten about ``log(N)`` times over its life. Merges stop at ``max_merge_chunks``,
so no write pays for rewriting a whole large store.

Deletions: chunk row ids are never reused (``Store`` numbers them from a counter), so the
postings of a deleted chunk point at no row. Searches skip them when they read the rows, and
merges drop them. Like Lucene, a deleted chunk still counts in the document frequencies
until its segment is merged.

Facets (outlet, article id, published day blocks, ``rag.store.lexical_facets``) are postings
here too, under ``#``, so a filter is a union of posting arrays per facet kind, intersected,
applied before the top ``k`` are taken.
"""

from __future__ import annotations

import math
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence

import numpy as np

SCHEMA = [
    # A rowid table: a write appends its rows at the end, and only the small (term, segment)
    # keys go into an index's B-tree (a WITHOUT ROWID table keeps the arrays in its key order,
    # and at 100k chunks a write spent 4x as long splitting its pages).
    "CREATE TABLE IF NOT EXISTS lexical_postings (term TEXT NOT NULL, segment INTEGER NOT NULL,"
    " n INTEGER NOT NULL, ids BLOB NOT NULL, tfs BLOB NOT NULL, lens BLOB NOT NULL)",
    "CREATE UNIQUE INDEX IF NOT EXISTS lexical_postings_term ON lexical_postings(term, segment, n)",
    "CREATE INDEX IF NOT EXISTS lexical_postings_segment ON lexical_postings(segment)",
    "CREATE TABLE IF NOT EXISTS lexical_segments (segment INTEGER PRIMARY KEY,"
    " chunks INTEGER NOT NULL, tokens INTEGER NOT NULL)",
]
DROP = ["DROP TABLE IF EXISTS lexical_postings", "DROP TABLE IF EXISTS lexical_segments"]

# FTS5's constants, so the ranking is the one the index had before it (``bm25()`` over the
# terms, weighted 1, and the facets, weighted 0): a chunk's length counts its facet tokens
# too, which softens the length normalisation (with words alone MultiHop's Recall@10 was
# 0.896 against 0.902).
K1 = 1.2
B = 0.75
_IDS = np.dtype("<u4")
_TFS = np.dtype("u1")
_LENS = np.dtype("<u2")
_MAX_TF = int(np.iinfo(_TFS).max)  # a term frequency or chunk length is capped to fit
_MAX_LEN = int(np.iinfo(_LENS).max)
FACET = "#"
# Hits sorted before the first is handed out; the rest are sorted if a search reads past them.
FIRST_SORTED = 128


def facet_term(token: str) -> str:
    """A facet token's term here: apart from every word's (words never start with ``#``)."""
    return FACET + token


def add_segment(db: sqlite3.Connection, rows: Sequence[tuple[int, str, str]]) -> None:
    """Index chunk rows ``(row id, terms, facets)`` (``chunks.terms`` / ``chunks.facets``:
    space-separated tokens) as one new segment, inside the caller's transaction."""
    if not rows:
        return
    postings: dict[str, tuple[list[int], list[int], list[int]]] = defaultdict(lambda: ([], [], []))
    tokens = 0
    for row_id, terms, facets in rows:
        words = terms.split()
        tags = facets.split()
        length = min(len(words) + len(tags), _MAX_LEN)
        tokens += len(words) + len(tags)
        for word, count in Counter(words).items():
            ids, tfs, lens = postings[word]
            ids.append(row_id)
            tfs.append(min(count, _MAX_TF))
            lens.append(length)
        for token in set(tags):
            ids, tfs, lens = postings[facet_term(token)]
            ids.append(row_id)
            tfs.append(1)
            lens.append(length)
    _write_segment(
        db,
        {
            term: (np.asarray(ids, _IDS), np.asarray(tfs, _TFS), np.asarray(lens, _LENS))
            for term, (ids, tfs, lens) in postings.items()
        },
        len(rows),
        tokens,
    )


def _write_segment(
    db: sqlite3.Connection,
    postings: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    chunks: int,
    tokens: int,
) -> None:
    """A new segment of ``postings`` (term -> ids, tfs, lens arrays in their stored types),
    holding ``chunks`` chunks of ``tokens`` tokens in all."""
    segment = _next_segment(db)
    db.executemany(
        "INSERT INTO lexical_postings(term, segment, n, ids, tfs, lens) VALUES (?,?,?,?,?,?)",
        [
            (term, segment, len(ids), ids.tobytes(), tfs.tobytes(), lens.tobytes())
            for term, (ids, tfs, lens) in postings.items()
        ],
    )
    db.execute(
        "INSERT INTO lexical_segments(segment, chunks, tokens) VALUES (?, ?, ?)",
        [segment, chunks, tokens],
    )


def _read(
    db: sqlite3.Connection, where: str, params: Sequence[object]
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Each term's postings from the rows ``where`` picks, its segments' arrays joined, in
    their stored types (read-only views of the BLOBs)."""
    parts: dict[str, list[tuple[bytes, bytes, bytes]]] = defaultdict(list)
    for term, ids, tfs, lens in db.execute(
        f"SELECT term, ids, tfs, lens FROM lexical_postings WHERE {where}", list(params)
    ):
        parts[term].append((ids, tfs, lens))
    return {
        term: (
            np.frombuffer(b"".join(p[0] for p in ps), _IDS),
            np.frombuffer(b"".join(p[1] for p in ps), _TFS),
            np.frombuffer(b"".join(p[2] for p in ps), _LENS),
        )
        for term, ps in parts.items()
    }


def _next_segment(db: sqlite3.Connection) -> int:
    return int(
        db.execute("SELECT COALESCE(MAX(segment), 0) + 1 FROM lexical_segments").fetchone()[0]
    )


def _tier(chunks: int, factor: int) -> int:
    return int(math.log(max(chunks, 1), factor))


def merge(db: sqlite3.Connection, factor: int, max_chunks: int) -> None:
    """Merge ``factor`` segments of one size tier (chunks within a power of ``factor``) into
    one, dropping deleted chunks' postings, while a tier holds ``factor`` of them whose merge
    stays within ``max_chunks``; inside the caller's transaction."""
    if factor < 2:
        return
    while True:
        tiers: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for segment, chunks in db.execute(
            "SELECT segment, chunks FROM lexical_segments ORDER BY segment"
        ):
            tiers[_tier(chunks, factor)].append((segment, chunks))
        picked = next(
            (
                members[:factor]
                for _, members in sorted(tiers.items())
                if len(members) >= factor and sum(c for _, c in members[:factor]) <= max_chunks
            ),
            None,
        )
        if picked is None:
            return
        _merge_segments(db, [segment for segment, _ in picked])


def _merge_segments(db: sqlite3.Connection, segments: list[int]) -> None:
    marks = ",".join("?" * len(segments))
    joined = _read(db, f"segment IN ({marks})", segments)
    merged = {}
    if joined:
        lo = min(int(ids.min()) for ids, _, _ in joined.values())
        hi = max(int(ids.max()) for ids, _, _ in joined.values())
        alive = np.zeros(hi - lo + 1, dtype=bool)
        live = np.fromiter(
            (r[0] for r in db.execute("SELECT id FROM chunks WHERE id BETWEEN ? AND ?", [lo, hi])),
            dtype=np.int64,
        )
        alive[live - lo] = True
        member = np.zeros(hi - lo + 1, dtype=bool)  # the live chunks the segments hold
        length = np.zeros(hi - lo + 1, dtype=np.int64)
        for term, (ids, tfs, lens) in joined.items():
            at = ids.astype(np.int64) - lo
            keep = alive[at]
            if not keep.all():
                ids, tfs, lens, at = ids[keep], tfs[keep], lens[keep], at[keep]
            if not len(ids):
                continue
            member[at] = True
            length[at] = lens
            merged[term] = (ids, tfs, lens)
    db.execute(f"DELETE FROM lexical_postings WHERE segment IN ({marks})", segments)
    db.execute(f"DELETE FROM lexical_segments WHERE segment IN ({marks})", segments)
    if merged:
        _write_segment(db, merged, int(member.sum()), int(length[member].sum()))


def frequencies(db: sqlite3.Connection, terms: Sequence[str]) -> dict[str, int]:
    """How many chunks hold each of ``terms`` (those that occur; deleted chunks count until
    their segment is merged)."""
    if not terms:
        return {}
    marks = ",".join("?" * len(terms))
    return {
        term: int(n)
        for term, n in db.execute(
            f"SELECT term, SUM(n) FROM lexical_postings WHERE term IN ({marks}) GROUP BY term",
            list(terms),
        )
    }


def _arrays(
    db: sqlite3.Connection, terms: Sequence[str]
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Each term's postings from every segment, as (ids, tfs, lens) arrays to score with."""
    if not terms:
        return {}
    return {
        term: (ids.astype(np.int64), tfs.astype(np.float32), lens.astype(np.float32))
        for term, (ids, tfs, lens) in _read(
            db, f"term IN ({','.join('?' * len(terms))})", terms
        ).items()
    }


def ranked(
    db: sqlite3.Connection, terms: Sequence[str], facet_groups: Sequence[Sequence[str]] = ()
) -> Iterator[tuple[int, float]]:
    """Chunk row ids holding any of ``terms``, best BM25 score first (ties: older row
    first), with their scores. ``facet_groups``: each group a list of facet tokens, of which a
    chunk must hold one, in every group (outlets, article ids, day blocks). Deleted rows may
    be among them: the caller reads the rows and skips those."""
    chunks, tokens = _totals(db)
    postings = _arrays(db, terms)
    if not postings or not chunks:
        return
    average = max(tokens / chunks, 1e-9)
    ids_parts, weights = [], []
    for ids, tfs, lens in postings.values():
        df = len(ids)
        idf = max(math.log((chunks - df + 0.5) / (df + 0.5)), 1e-6)
        ids_parts.append(ids)
        weights.append(idf * tfs * (K1 + 1) / (tfs + K1 * (1 - B + B * lens / average)))
    ids = np.concatenate(ids_parts)
    weight = np.concatenate(weights)
    if facet_groups:
        keep = member(ids, allowed_rows(db, facet_groups))
        ids, weight = ids[keep], weight[keep]
    if not len(ids):
        return
    lo = int(ids.min())
    scores = np.bincount(ids - lo, weights=weight)
    hits = np.flatnonzero(scores > 0)
    # The best few are sorted first (most searches stop there), the rest only if asked for;
    # a tie with the last of the first few goes with them, so ties stay oldest first.
    first = FIRST_SORTED
    if len(hits) > first:
        cut = -np.partition(-scores[hits], first - 1)[first - 1]
        head = hits[scores[hits] >= cut]
        tail = hits[scores[hits] < cut]
    else:
        head, tail = hits, hits[:0]
    for part in (head, tail):
        for i in np.lexsort((part, -scores[part])):
            yield int(part[i]) + lo, float(scores[part[i]])


def _totals(db: sqlite3.Connection) -> tuple[int, int]:
    """Chunks and tokens the index holds (deleted chunks count until their segment merges)."""
    chunks, tokens = db.execute(
        "SELECT COALESCE(SUM(chunks), 0), COALESCE(SUM(tokens), 0) FROM lexical_segments"
    ).fetchone()
    return int(chunks), int(tokens)


def indexed_chunks(db: sqlite3.Connection) -> int:
    """How many chunks the index holds, deleted ones until their segment merges: a store's
    size for a query plan, read from a few segment rows rather than counted."""
    return _totals(db)[0]


def allowed_rows(db: sqlite3.Connection, facet_groups: Sequence[Sequence[str]]) -> np.ndarray:
    """The chunk rows holding a facet token of every group, as a mask over row ids (True =
    allowed; rows past its end are not). A mask, not a sorted list: building it and testing
    hits against it are single passes, and ``mask.sum()`` is how many a filter allows (rows
    deleted since their segment was written included)."""
    mask: np.ndarray | None = None
    for group in facet_groups:
        arrays = [a[0] for a in _arrays(db, [facet_term(t) for t in group]).values()]
        if not arrays:
            return np.zeros(0, dtype=bool)
        ids = np.concatenate(arrays)
        ours = np.zeros(int(ids.max()) + 1, dtype=bool)
        ours[ids] = True
        if mask is None:
            mask = ours
        else:
            n = min(len(mask), len(ours))
            mask = mask[:n] & ours[:n]
    return mask if mask is not None else np.zeros(0, dtype=bool)


def member(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Which of the row ``ids`` ``mask`` (``allowed_rows``) allows."""
    ids = np.asarray(ids, dtype=np.int64)
    out = np.zeros(len(ids), dtype=bool)
    inside = ids < len(mask)
    out[inside] = mask[ids[inside]]
    return out
