"""`newsrag bench scale`'s cheap parts: the copies it fills stores with, its filters, sizes
and table (the run itself is in tests/integration/test_scale.py)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from eval.scale import (
    COPY_WEEKS,
    SCALE_COLUMNS,
    _copies,
    _copy,
    _filters_for,
    parse_sizes,
    scale_rows,
)
from rag.documents import Article, Chunk
from rag.errors import InputError

TEXT = (
    "Inter Miami lost to FC Cincinnati on Saturday, and Lionel Messi watched from the bench "
    "as the playoff hopes of his club faded. The coach said the season was not over yet, "
    "although the arithmetic now looked grim for everyone in Florida."
)


def seed_item(dim: int = 16):
    article = Article(
        doc_id="u1",
        text=TEXT,
        path="a.txt",
        title="Miami lose",
        source="Sporting News",
        author="K",
        published="2023-10-07T21:30:00+00:00",
        published_ts=1696714200,
        url="https://example.com/a",
        sha256=hashlib.sha256(TEXT.encode()).hexdigest(),
    )
    cut = TEXT.index(" The coach")
    chunks = [
        Chunk("u1", 0, 0, cut, TEXT[:cut]),
        Chunk("u1", 1, cut + 1, len(TEXT), TEXT[cut + 1 :]),
    ]
    vectors = np.random.default_rng(1).normal(size=(2, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return article, chunks, vectors


def test_a_copy_is_a_new_article_with_consistent_chunks_and_nudged_vectors():
    article, chunks, vectors = seed_item()
    new, new_chunks, new_vectors = _copy((article, chunks, vectors), 3)
    assert new.doc_id == "u1c3" and new.sha256 != article.sha256 and new.url.endswith("#c3")
    assert len(new.text) == len(TEXT) and new.text != TEXT
    pairs = [(a, b) for a, b in zip(TEXT.split(), new.text.split(), strict=True) if a != b]
    assert pairs  # some words of four letters or more are reversed, nothing else moves
    for a, b in pairs:
        assert len(a.strip(".,")) >= 4 and a.strip(".,")[::-1] == b.strip(".,")
    for c in new_chunks:  # the Chunk contract: article.text[start:end] == text
        assert c.doc_id == new.doc_id and new.text[c.start : c.end] == c.text
    assert [(c.index, c.start, c.end) for c in new_chunks] == [
        (c.index, c.start, c.end) for c in chunks
    ]
    assert new_vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(new_vectors, axis=1), 1.0, rtol=1e-5)
    cosines = np.sum(new_vectors * vectors, axis=1)
    assert np.all(cosines > 0.9) and np.all(cosines < 0.99999)
    assert new.published_ts == article.published_ts - 3 * 7 * 86400
    assert new.published.startswith("2023-09-16")


def test_copies_are_deterministic_and_numbered_past_the_seed():
    item = seed_item()
    first = list(_copies([item, item], 5, 3))
    again = list(_copies([item, item], 5, 3))
    assert [a.doc_id for a, _, _ in first] == ["u1c5", "u1c5", "u1c6"]
    for (a, _, v), (b, _, w) in zip(first, again, strict=True):
        assert a.text == b.text and np.array_equal(v, w)
    wrapped = _copy(item, COPY_WEEKS)  # dates wrap after about two years
    assert wrapped[0].published_ts == item[0].published_ts


def test_filtered_queries_take_turns_between_outlet_window_and_both():
    lo, hi = 1_600_000_000, 1_700_000_000
    kinds = []
    for i in range(6):
        f = _filters_for(i, ["A", "B"], lo, hi)
        kinds.append((bool(f.sources), f.after is not None))
        if f.after:
            assert (f.before - f.after).days == 30
            assert lo <= f.bounds()[0] <= hi
    assert kinds[:3] == [(True, False), (False, True), (True, True)]
    assert not _filters_for(0, [], lo, hi).sources  # no outlets: a date window


def test_sizes_parse_with_suffixes_and_a_bad_one_is_one_line():
    assert parse_sizes("100k, 10000,1M,10000") == (10_000, 100_000, 1_000_000)
    for bad in ("ten", "0", "-5", "1.5k", ""):
        with pytest.raises(InputError) as info:
            parse_sizes(bad)
        assert "\n" not in str(info.value) and "--sizes" in str(info.value)


def test_the_table_has_a_row_per_system_and_size():
    ours = {k: 1.0 for k, _, _ in SCALE_COLUMNS} | {"chunks": 10_000, "add_empty_s": None}
    both = ours | {f"baseline.{k}": 2.0 for k, _, _ in SCALE_COLUMNS}
    rows = scale_rows([both, {**ours, "chunks": 100_000}])
    assert [system for system, _ in rows] == ["newsrag", "LlamaIndex + Chroma", "newsrag"]
    assert all(len(cells) == len(SCALE_COLUMNS) for _, cells in rows)
    assert rows[0][1][0] == "10,000" and rows[2][1][0] == "100,000"
    assert rows[1][1][1] == "2" and "-" in rows[0][1]  # a missing value shows as "-"


def test_our_side_runs_on_the_fakes_from_a_seed_ingested_through_the_library(
    tmp_path, fake_backends
):
    """The seed goes in through ``Library.ingest``, our store is filled with its copies and
    one measuring phase runs in this process, on the fakes (the settings choose them). The
    real stack, each phase in its own process, is in tests/integration/test_scale.py."""
    import pickle

    from eval.scale import SAMPLE_DIR, _build_seed, _ordered, _scale_phase, _ScaleStores

    seed_path = _build_seed(SAMPLE_DIR, tmp_path)
    seed = pickle.loads(seed_path.read_bytes())
    assert len(seed) == len(list(SAMPLE_DIR.glob("*.txt")))
    stores = _ScaleStores(tmp_path, seed, baseline=False)
    try:
        stores.fill(60)
    finally:
        stores.close()
    assert stores.chunks >= 60 and stores.build_s > 0
    stamps = [a.published_ts for a, _, _ in seed if a.published_ts is not None]
    got = _scale_phase(
        {
            "seed": str(seed_path),
            "data_dir": str(stores.settings.data_dir),
            "queries": ["Who won the match?", "What did the lawyers say?", "Who bought it?"],
            "top_k": 3,
            "outlets": sorted({a.source for a, _, _ in seed if a.source}),
            "ts_range": [min(stamps), max(stamps)],
            "add": 2,
            "add_copy": 10_000_000,
            "system": "ours",
        }
    )
    assert got["chunks"] == stores.chunks and got["add_chunks"] >= 2
    assert 0 < got["p50_ms"] <= got["p95_ms"]
    assert 0 < got["filtered_p50_ms"] <= got["filtered_p95_ms"]
    assert got["startup_s"] > 0 and got["add_s"] > 0 and got["query_after_add_s"] > 0
    ordered = list(_ordered({**got, "add_empty_s": None}))
    assert ordered[: len(SCALE_COLUMNS)] == [k for k, _, _ in SCALE_COLUMNS]
