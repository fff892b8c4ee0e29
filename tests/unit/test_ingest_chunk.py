"""ingest/chunk.py: sentences with their offsets, chunks by size and overlap."""

from __future__ import annotations

import itertools

from ingest.chunk import chunk_article, sentence_spans
from ingest.clean import clean
from ingest.load import load_file
from rag.documents import RawArticle
from rag.tokens import count_tokens
from tests.conftest import SAMPLE_ARTICLE

MB = 1_000_000


def test_sentence_spans_keep_abbreviations_and_offsets():
    text = 'Clashes erupted on Sept. 27, 2020. "We left," he said. Mr. Lavrov spoke.\n\nNext'
    spans = sentence_spans(text)
    pieces = [text[s:e] for s, e in spans]
    assert pieces == [
        "Clashes erupted on Sept. 27, 2020.",
        '"We left," he said.',
        "Mr. Lavrov spoke.",
        "Next",
    ]


def test_chunks_respect_size_overlap_and_offsets():
    [raw] = load_file(SAMPLE_ARTICLE, MB)
    article = clean(raw)
    chunks = chunk_article(article, size=64, overlap=16)
    assert len(chunks) > 5
    for c in chunks:
        assert article.text[c.start : c.end] == c.text
        assert count_tokens(c.text) <= 64 + 8  # joining sentences adds a token or two
    # consecutive chunks overlap (a sentence carried over) or touch
    assert any(b.start < a.end for a, b in itertools.pairwise(chunks))
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    letters = {i for i, ch in enumerate(article.text) if not ch.isspace()}
    assert letters <= covered


def test_overlong_sentence_is_split_by_tokens():
    art = clean(RawArticle(text=" ".join(["word"] * 1000) + ".", path="x", title="t"))
    chunks = chunk_article(art, size=100, overlap=10)
    assert len(chunks) >= 10
    assert all(count_tokens(c.text) <= 101 for c in chunks)
