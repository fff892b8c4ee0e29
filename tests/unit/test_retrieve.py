"""rag.retrieve: Filters as LlamaIndex MetadataFilters, and the retriever's public retrieve()."""

from __future__ import annotations

from datetime import date

import pytest
from llama_index.core.vector_stores.types import MetadataFilter, MetadataFilters

from rag.errors import InputError
from rag.retrieve import Filters, HybridRetriever
from tests.conftest import SAMPLE, ingest_paths


def _mf(*filters, condition="and") -> MetadataFilters:
    return MetadataFilters(
        filters=[f if isinstance(f, MetadataFilters) else MetadataFilter(**f) for f in filters],
        condition=condition,
    )


def _fields(f: Filters) -> tuple:
    return f.sources, f.doc_ids, f.after, f.before


def test_filters_round_trip_through_metadata_filters():
    f = Filters(["Fortune", "The Verge"], date(2023, 10, 1), date(2023, 10, 31), ["u1", "u2"])
    mf = f.to_metadata_filters()
    assert [(x.key, x.operator.value) for x in mf.filters] == [
        ("source", "in"),
        ("doc_id", "in"),
        ("published_ts", ">="),
        ("published_ts", "<="),
    ]
    assert _fields(Filters.from_metadata_filters(mf)) == _fields(f)
    assert Filters().to_metadata_filters() is None
    assert Filters.from_metadata_filters(None).is_empty()
    for one in (Filters(after=date(2023, 10, 1)), Filters(before=date(2023, 10, 1))):
        assert _fields(Filters.from_metadata_filters(one.to_metadata_filters())) == _fields(one)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (_mf({"key": "outlet", "value": "Fortune"}), (["Fortune"], [], None, None)),
        (
            _mf({"key": "ref_doc_id", "value": ["a", "b"], "operator": "in"}),
            ([], ["a", "b"], None, None),
        ),
        (
            _mf({"key": "published", "value": "2023-10-04"}),
            ([], [], date(2023, 10, 4), date(2023, 10, 4)),
        ),
        (
            _mf(
                {"key": "published", "value": "2023-10-01", "operator": ">"},
                {"key": "published", "value": "2023-11-01", "operator": "<"},
            ),
            ([], [], date(2023, 10, 2), date(2023, 10, 31)),
        ),
        (  # whole UTC days as timestamps: 2023-10-01 00:00:00 and 2023-11-01 00:00:00
            _mf(
                {"key": "published_ts", "value": 1696118400, "operator": ">="},
                {"key": "published_ts", "value": 1698796800, "operator": "<"},
            ),
            ([], [], date(2023, 10, 1), date(2023, 10, 31)),
        ),
        (  # 'or' among the values of one key is an 'in'
            _mf(
                {"key": "source", "value": "Fortune"},
                {"key": "source", "value": ["TalkSport", "Fortune"], "operator": "in"},
                condition="or",
            ),
            (["Fortune", "TalkSport"], [], None, None),
        ),
        (  # nested 'and' trees are flattened; repeated keys narrow
            _mf(
                {"key": "source", "value": ["Fortune", "TalkSport"], "operator": "in"},
                _mf({"key": "source", "value": "Fortune"}, {"key": "doc_id", "value": "d"}),
            ),
            (["Fortune"], ["d"], None, None),
        ),
        (  # two lower bounds: the later one holds
            _mf(
                {"key": "published", "value": "2023-10-01", "operator": ">="},
                {"key": "published", "value": "2023-10-05", "operator": ">="},
            ),
            ([], [], date(2023, 10, 5), None),
        ),
    ],
)
def test_metadata_filters_are_read(filters, expected):
    assert _fields(Filters.from_metadata_filters(filters)) == expected


@pytest.mark.parametrize(
    ("filters", "says"),
    [
        (_mf({"key": "author", "value": "x"}), "Cannot filter on 'author'"),
        (_mf({"key": "source", "value": "x", "operator": "!="}), "Cannot filter 'source' !="),
        (_mf({"key": "source", "value": 3}), "Cannot filter 'source' =="),
        (_mf({"key": "published", "value": "October"}), "not a YYYY-MM-DD date"),
        (_mf({"key": "published", "value": "2023-10-01", "operator": "in"}), "Cannot filter"),
        (  # inside a day: widening it to the whole day would be a silent misread
            _mf({"key": "published_ts", "value": 1696118400 + 3600, "operator": ">="}),
            "Cannot filter 'published_ts' >=",
        ),
        (_mf({"key": "published_ts", "value": 1696118400}), "Cannot filter 'published_ts' =="),
        (
            _mf({"key": "source", "value": "a"}, {"key": "doc_id", "value": "b"}, condition="or"),
            "Cannot combine these filters with 'or'",
        ),
        (
            _mf({"key": "published", "value": "2023-10-01", "operator": ">"}, condition="or"),
            "Cannot combine",
        ),
        (_mf({"key": "source", "value": "a"}, condition="not"), "Cannot combine"),
        (
            _mf({"key": "source", "value": "a"}, {"key": "source", "value": "b"}),
            "exclude each other",
        ),
        (
            _mf(
                {"key": "published", "value": "2023-10-05", "operator": ">="},
                {"key": "published", "value": "2023-10-01", "operator": "<="},
            ),
            "range is empty",
        ),
    ],
)
def test_unsupported_filters_say_what_is_supported(filters, says):
    with pytest.raises(InputError, match=says) as err:
        Filters.from_metadata_filters(filters)
    assert "Supported filters: source/outlet" in str(err.value)


def test_filters_of_takes_either_form():
    ours = Filters(sources=["Fortune"])
    assert Filters.of(ours) is ours and Filters.of(None) is None
    assert Filters.of(_mf({"key": "source", "value": "Fortune"})).sources == ["Fortune"]
    with pytest.raises(InputError, match="MetadataFilters"):
        Filters.of({"source": "Fortune"})  # type: ignore[arg-type]


def test_retrieve_honours_the_retrievers_filters_and_top_k(settings, store, fake_embedder):
    ingest_paths(settings, store, fake_embedder, SAMPLE)
    question = "What did the lawyers say about Sam Bankman-Fried at the trial?"
    free = HybridRetriever(store, fake_embedder, top_k=6).retrieve(question)
    assert len(free) == 6 and len({n.node.metadata["source"] for n in free}) > 1
    fortune = _mf({"key": "source", "value": "Fortune"})
    for filters in (fortune, Filters(sources=["Fortune"])):
        retriever = HybridRetriever(store, fake_embedder, top_k=6, filters=filters)
        nodes = retriever.retrieve(question)
        assert nodes and {n.node.metadata["source"] for n in nodes} == {"Fortune"}
    retriever.similarity_top_k = 2
    assert retriever.top_k == 2 and len(retriever.retrieve(question)) == 2
    node = nodes[0].node  # the node the Chroma collection holds for that chunk
    article = store.article(node.ref_doc_id)["text"]
    assert article[node.start_char_idx : node.end_char_idx] == node.text
    scores = [n.score for n in free]
    assert scores == sorted(scores, reverse=True)
    ranked = HybridRetriever(store, fake_embedder).search(question, 6)
    assert [n.node.node_id for n in free] == [r.chunk.chunk_id for r in ranked]
