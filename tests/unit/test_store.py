"""The store holds up under a hostile tester: other processes change it under a running
reader, writes are interrupted, files overlap or break, paths come in every form."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from chromadb.api.models.Collection import Collection

from rag import postings
from rag.retrieve import HybridRetriever
from rag.store import ChunkFilter, Store
from tests.conftest import REPO, SAMPLE_ARTICLE, ingest_paths, legacy_docstore

MUSEUM = "# Museum reopens\n\nThe city museum reopened its doors on Sunday after long repairs."
BRIDGE = "# Bridge opens\n\nThe new zebrafish bridge over the river opened to traffic in March."


def _in_other_process(settings, code: str) -> str:
    """Run ``code`` in a separate Python process on the same data dir, as `newsrag` would
    (``store`` and ``embedder`` are ready); returns its stdout."""
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from rag.settings import Settings
        from rag.store import Store
        from tests.fakes import FakeEmbedder
        from ingest.pipeline import Ingestor
        store = Store(Settings(data_dir=Path({str(settings.data_dir)!r})))
        embedder = FakeEmbedder()
        """
    ) + textwrap.dedent(code)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture
def two_articles(settings, store, fake_embedder, sample_copy):
    """The sample article and a short one about a museum, ingested: (sample id, museum id)."""
    (sample_copy / "museum.md").write_text(MUSEUM)
    ingest_paths(settings, store, fake_embedder, sample_copy)
    by_title = {a["title"]: a["doc_id"] for a in store.articles()}
    return by_title.pop("Museum reopens"), by_title.popitem()[1]


def _docs(hits) -> set[str]:
    return {h.chunk.doc_id for h in hits}


# 2. A running reader sees other processes' changes ------------------------------------
def test_removal_by_another_process_is_seen_and_never_crashes(
    settings, store, fake_embedder, two_articles
):
    museum, sample = two_articles
    retriever = HybridRetriever(store, fake_embedder)
    assert sample in _docs(retriever.search("How many peacekeepers did Moscow deploy?"))
    _in_other_process(settings, f"assert store.remove({sample!r})")
    hits = retriever.search("How many peacekeepers did Moscow deploy?")  # TypeError before
    assert sample not in _docs(hits)
    dense = store.query(fake_embedder.embed(["peacekeepers Moscow ceasefire"])[0], 10)
    assert {c.doc_id for c, _ in dense} == {museum}


def test_ingest_by_another_process_is_found_by_both_searches(
    settings, store, fake_embedder, two_articles, tmp_path
):
    retriever = HybridRetriever(store, fake_embedder)
    retriever.search("museum repairs")  # the reader is warm: its indexes are loaded
    new = tmp_path / "bridge.md"
    new.write_text(BRIDGE)
    _in_other_process(
        settings, f"print(Ingestor(store.settings, store, embedder).run([{str(new)!r}]))"
    )
    [bridge] = [a["doc_id"] for a in store.articles() if a["title"] == "Bridge opens"]
    hits = retriever.search("When did the zebrafish bridge open to traffic?")
    [hit] = [h for h in hits if h.chunk.doc_id == bridge]
    assert hit.dense_rank is not None and hit.bm25_rank is not None  # dense missed it before


def test_a_second_store_in_the_same_process_sees_changes(
    settings, store, fake_embedder, two_articles, tmp_path
):
    museum, _ = two_articles
    other = Store(settings)
    try:
        reader = HybridRetriever(other, fake_embedder)
        assert museum in _docs(reader.search("museum repairs"))
        store.remove(museum)
        assert museum not in _docs(reader.search("museum repairs"))
        (tmp_path / "bridge.md").write_text(BRIDGE)
        ingest_paths(settings, store, fake_embedder, tmp_path / "bridge.md")
        hits = reader.search("zebrafish bridge traffic")
        assert any(h.chunk.meta["title"] == "Bridge opens" and h.dense_rank for h in hits)
    finally:
        other.close()


# 3. An interrupted update keeps the old version readable ------------------------------
def _feed(path: Path, version: str, urls=("a", "b")) -> Path:
    lines = [
        {
            "title": f"Story {u}",
            "url": f"https://n.example/{u}",
            "body": f"The {version} report on harbour {u}: ships {version} docked at dawn.",
        }
        for u in urls
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    return path


def _texts(store: Store) -> set[str]:
    return {store.article(a["doc_id"])["text"].split(":")[0] for a in store.articles()}


def test_interrupted_reingest_leaves_the_old_version_readable(
    settings, store, fake_embedder, tmp_path, monkeypatch
):
    feed = _feed(tmp_path / "feed.jsonl", "first")
    ingest_paths(settings, store, fake_embedder, feed)
    _feed(feed, "second")
    real_upsert = Collection.upsert

    def upsert_then_die(self, *args, **kwargs):  # the new chunks land, then the process dies
        real_upsert(self, *args, **kwargs)
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(Collection, "upsert", upsert_then_die)
    with pytest.raises(KeyboardInterrupt):
        ingest_paths(settings, store, fake_embedder, feed)
    monkeypatch.undo()

    reader = Store(settings)  # what another process (the chat UI) sees now
    try:
        assert _texts(reader) == {"The first report on harbour a", "The first report on harbour b"}
        hits = HybridRetriever(reader, fake_embedder).search("ships docked at dawn harbour", 10)
        assert hits and all("first" in h.chunk.text for h in hits)
        dense = reader.query(fake_embedder.embed(["second report ships docked"])[0], 10)
        assert dense and all("first" in c.text for c, _ in dense)  # staged chunks stay hidden
        assert not reader.health()["ok"]  # the operator sees the unfinished write
    finally:
        reader.close()

    report = ingest_paths(settings, store, fake_embedder, feed)
    assert len(report.recovered) == 2 and len(report.updated) == 2
    assert _texts(store) == {"The second report on harbour a", "The second report on harbour b"}
    health = store.health()
    assert health["ok"] and health["index_agrees"] and health["chunks"] == health["vectors"]


def test_interrupted_cleanup_of_the_old_version_is_finished_by_the_next_run(
    settings, store, fake_embedder, tmp_path, monkeypatch
):
    feed = _feed(tmp_path / "feed.jsonl", "first")
    ingest_paths(settings, store, fake_embedder, feed)
    _feed(feed, "second")

    def die(self, *args, **kwargs):
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(Collection, "delete", die)  # killed after the switch, before cleanup
    with pytest.raises(KeyboardInterrupt):
        ingest_paths(settings, store, fake_embedder, feed)
    monkeypatch.undo()
    assert _texts(store) == {"The second report on harbour a", "The second report on harbour b"}
    dense = store.query(fake_embedder.embed(["first report ships docked"])[0], 10)
    assert dense and all("second" in c.text for c, _ in dense)  # retired chunks stay hidden
    assert store.health()["orphan_vectors"] == 2
    report = ingest_paths(settings, store, fake_embedder, feed)
    assert report.recovered == [] and len(report.unchanged) == 2
    assert store.health()["ok"] and store.health()["vectors"] == 2


def test_interrupted_edit_of_a_text_file_keeps_the_old_article(
    settings, store, fake_embedder, sample_copy, monkeypatch
):
    ingest_paths(settings, store, fake_embedder, sample_copy)
    [old] = store.articles()
    f = sample_copy / SAMPLE_ARTICLE.name
    f.write_text(f.read_text() + "\n\nA new closing paragraph about the talks in Moscow.")

    def die(self, *args, **kwargs):
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(Collection, "upsert", die)  # the edit gets a new id: killed writing it
    with pytest.raises(KeyboardInterrupt):
        ingest_paths(settings, store, fake_embedder, sample_copy)
    monkeypatch.undo()
    assert [a["doc_id"] for a in store.articles()] == [old["doc_id"]]
    report = ingest_paths(settings, store, fake_embedder, sample_copy)
    assert report.removed == [old["doc_id"]] and len(report.added) == 1


def test_article_moved_to_another_file_in_one_run_is_kept(settings, store, fake_embedder, tmp_path):
    folder = tmp_path / "feeds"
    folder.mkdir()
    a = _feed(folder / "a.jsonl", "first", urls=("moving", "stays"))
    b = _feed(folder / "b.jsonl", "first", urls=("other",))
    ingest_paths(settings, store, fake_embedder, folder)
    _feed(a, "first", urls=("stays",))
    _feed(b, "first", urls=("other", "moving"))
    report = ingest_paths(settings, store, fake_embedder, folder)
    assert (report.removed, report.added, report.updated) == ([], [], [])
    [moved] = [x for x in store.articles() if x["title"] == "Story moving"]
    assert moved["path"] == str(b.resolve())


# 7. Data rules -----------------------------------------------------------------------
def test_broken_jsonl_line_keeps_that_records_article(settings, store, fake_embedder, tmp_path):
    feed = _feed(tmp_path / "feed.jsonl", "first", urls=("a", "b", "c"))
    ingest_paths(settings, store, fake_embedder, feed)
    lines = feed.read_text().splitlines()
    feed.write_text("\n".join([lines[0], lines[1][:25], lines[2]]) + "\n")  # line 2 cut short
    report = ingest_paths(settings, store, fake_embedder, feed)
    assert report.removed == [] and len(report.failed) == 1 and "line 2" in report.failed[0][1]
    assert len(store.articles()) == 3  # as when the whole file is broken
    feed.write_text("\n".join([lines[0], lines[2]]) + "\n")  # now the record really is gone
    report = ingest_paths(settings, store, fake_embedder, feed)
    assert len(report.removed) == 1 and len(store.articles()) == 2


def test_article_in_two_files_stays_while_either_holds_it(settings, store, fake_embedder, tmp_path):
    folder = tmp_path / "feeds"
    folder.mkdir()
    a = _feed(folder / "a.jsonl", "first", urls=("shared", "only-a"))
    b = _feed(folder / "b.jsonl", "first", urls=("shared", "only-b"))
    ingest_paths(settings, store, fake_embedder, folder)
    ids = {x["title"]: x["doc_id"] for x in store.articles()}
    assert len(ids) == 3
    _feed(a, "first", urls=("only-a",))  # a.jsonl drops the shared article; b.jsonl keeps it
    for run in ([a], [folder]):
        report = ingest_paths(settings, store, fake_embedder, *run)
        assert report.removed == [] and "Story shared" in {x["title"] for x in store.articles()}
    assert store.article(ids["Story shared"])["path"] == str(b.resolve())
    _feed(b, "first", urls=("only-b",))  # now no file holds it
    report = ingest_paths(settings, store, fake_embedder, folder)
    assert report.removed == [ids["Story shared"]]


def test_remove_accepts_relative_and_folder_paths(
    settings, store, fake_embedder, tmp_path, monkeypatch
):
    from typer.testing import CliRunner

    from rag.cli import app

    news = tmp_path / "news"
    (news / "world").mkdir(parents=True)
    shutil.copy(SAMPLE_ARTICLE, news / "world" / "karabakh.txt")
    (news / "world" / "museum.md").write_text(MUSEUM)
    (news / "bridge.md").write_text(BRIDGE)
    ingest_paths(settings, store, fake_embedder, news)
    monkeypatch.chdir(news)
    monkeypatch.setenv("NEWSRAG_DATA_DIR", str(settings.data_dir))
    titles = lambda: sorted(a["title"] for a in store.articles())  # noqa: E731
    assert len(titles()) == 3
    for target, left in [("world/museum.md", 2), ("world", 1), (".", 0)]:
        result = CliRunner().invoke(app, ["remove", target])
        assert result.exit_code == 0, result.output
        assert len(titles()) == left, target

    ingest_paths(settings, store, fake_embedder, news)
    everything = sorted(a["doc_id"] for a in store.articles())
    [museum] = store.doc_ids_for_path(str((news / "world" / "museum.md").resolve()))
    assert store.doc_ids_for("world/museum.md") == store.doc_ids_for(museum) == [museum]
    assert len(store.doc_ids_for("world")) == len(store.doc_ids_for("./world/")) == 2
    assert store.doc_ids_for(".") == store.doc_ids_for(str(news)) == everything
    assert store.doc_ids_for("wor") == []  # a name prefix is not a folder
    (news / "world" / "museum.md").unlink()  # a file that is gone still names its articles
    assert store.doc_ids_for("world/museum.md") == [museum]


# Health ------------------------------------------------------------------------------
def test_health_reports_what_an_operator_needs(
    settings, store, fake_embedder, sample_copy, monkeypatch
):
    empty = store.health()
    assert (empty["articles"], empty["chunks"], empty["last_ingest"]) == (0, 0, None)
    assert empty["ok"]
    report = ingest_paths(settings, store, fake_embedder, sample_copy)
    health = store.health()
    assert health["articles"] == 1 and health["chunks"] == health["vectors"] == report.chunks
    assert health["pending_articles"] == health["unfinished_chunks"] == 0
    assert health["index_agrees"] and health["ok"] and not health["problems"]
    assert health["last_ingest"] and health["last_ingest_summary"] == report.summary_line()
    assert health["version"] == store.version() > 0
    # The vector mirror: one float16 row per chunk (the fake embedder's 256 values), none
    # left to fill.
    assert health["vector_mirror_bytes"] >= report.chunks * 256 * 2
    assert health["vector_mirror_rows_to_fill"] == 0
    (settings.data_dir / "vectors.f16").unlink()
    assert store.health()["vector_mirror_rows_to_fill"] == report.chunks
    store.recover()
    assert store.health()["vector_mirror_rows_to_fill"] == 0
    [art] = store.articles()
    store._db.execute("UPDATE articles SET status='pending' WHERE doc_id=?", [art["doc_id"]])
    store._db.commit()
    broken = store.health()
    assert broken["pending_articles"] == 1 and not broken["ok"]
    assert "newsrag ingest" in broken["problems"][0]
    # The operator's command: one line per figure, each problem with what to do, exit 1.
    from typer.testing import CliRunner

    from rag.cli import app

    monkeypatch.setenv("NEWSRAG_DATA_DIR", str(settings.data_dir))
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 1, result.output
    assert "pending_articles: 1" in result.output and "newsrag ingest" in result.output
    store._db.execute("UPDATE articles SET status='complete' WHERE doc_id=?", [art["doc_id"]])
    store._db.commit()
    result = CliRunner().invoke(app, ["doctor", "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["ok"]


# LlamaIndex reads and writes the same collection -------------------------------------
def _llama_index(store: Store):
    from llama_index.core import VectorStoreIndex
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from tests.fakes import FakeLlamaEmbedding

    vector_store = ChromaVectorStore(chroma_collection=store.collection)
    return vector_store, VectorStoreIndex.from_vector_store(
        vector_store, embed_model=FakeLlamaEmbedding()
    )


def _meta(store: Store) -> dict[str, dict]:
    got = store.collection.get(include=["metadatas"])
    return dict(zip(got["ids"], got["metadatas"], strict=True))


def test_plain_llamaindex_reads_the_nodes_as_written(settings, store, fake_embedder):
    from rag.retrieve import Filters

    ingest_paths(settings, store, fake_embedder, SAMPLE_ARTICLE.parent)
    vector_store, index = _llama_index(store)
    chunks = store.all_chunks()
    nodes = {n.node_id: n for n in vector_store.get_nodes([c.chunk_id for c in chunks])}
    assert len(nodes) == len(chunks) > 8
    for c in chunks:
        node = nodes[c.chunk_id]
        assert (node.text, node.ref_doc_id, node.start_char_idx, node.end_char_idx) == (
            c.text,
            c.doc_id,
            c.start,
            c.end,
        )
        assert node.metadata["title"] == c.meta["title"] and node.metadata["chunk_index"] == c.index
        assert node.model_dump() == c.to_node().model_dump() | {"metadata": node.metadata}
        shown = node.get_content(metadata_mode="llm")  # an LLM reads the title, not bookkeeping
        assert c.meta["title"] in shown and "sha256" not in shown and "start_char" not in shown
    question = "What did the lawyers say in their opening statements?"
    vector = fake_embedder.embed([question])[0]
    ours = [c.chunk_id for c, _ in store.query(vector, 6)]
    theirs = index.as_retriever(similarity_top_k=6).retrieve(question)
    assert [n.node.node_id for n in theirs] == ours  # same vectors, same order
    filters = Filters(sources=["Fortune"], after=date(2023, 10, 1), before=date(2023, 10, 31))
    hits = index.as_retriever(similarity_top_k=6, filters=filters.to_metadata_filters())
    found = hits.retrieve(question)
    assert found and {n.node.metadata["source"] for n in found} == {"Fortune"}
    assert all(n.node.metadata["published"].startswith("2023-10") for n in found)
    assert [n.node.node_id for n in found] == [
        c.chunk_id for c, _ in store.query(vector, 6, filters.chunk_filter())
    ]


@pytest.mark.parametrize("max_ids", [50_000, 0])  # chunks named from the facets / Chroma's where
def test_dense_search_filters_by_the_same_rule_as_the_filters(
    settings, store, fake_embedder, max_ids
):
    """Store.query names the chunks a filter allows (from the lexical index's facets) or
    writes Chroma's ``where`` itself (``ChunkFilter.where``): either way each filter keeps
    exactly the chunks ``Filters.matches`` keeps, as the lexical search's facets do."""
    from rag.retrieve import Filters

    store.settings.dense_filter_max_ids = max_ids
    ingest_paths(settings, store, fake_embedder, SAMPLE_ARTICLE.parent)
    chunks = store.all_chunks()
    one = chunks[0].doc_id
    vector = fake_embedder.embed(["What did the lawyers say in their opening statements?"])[0]
    for f in (
        Filters(),
        Filters(sources=["Fortune", "Daily Sabah"]),
        Filters(doc_ids=[one]),
        Filters(after=date(2023, 10, 1), before=date(2023, 10, 31)),
        Filters(sources=["Fortune"], after=date(2023, 10, 1)),
        Filters(before=date(2020, 1, 1)),
    ):
        kept = store.query(vector, len(chunks), f.chunk_filter())
        assert {c.chunk_id for c, _ in kept} == {c.chunk_id for c in chunks if f.matches(c.meta)}
        # the filters users make take the facets path when it is on (whole days)
        named = store._allowed_ids(f.chunk_filter())
        assert (named is not None) is bool(max_ids and f.chunk_filter().where())
    # an outlet of "" has no facet: the where clause, which matches it, is used
    assert store._allowed_ids(ChunkFilter(sources=("",))) is None
    assert ChunkFilter().where() is None
    assert ChunkFilter(doc_ids=["d"]).where() == {"doc_id": {"$in": ["d"]}}
    assert ChunkFilter(["A"], lo_ts=5, hi_ts=9).where() == {
        "$and": [
            {"source": {"$in": ["A"]}},
            {"published_ts": {"$gte": 5}},
            {"published_ts": {"$lte": 9}},
        ]
    }


def test_a_filtered_search_naming_a_chunk_chroma_lacks_still_answers(
    settings, store, fake_embedder
):
    """A chunk the docstore lists and Chroma does not hold (a vector not written yet, or
    lost) makes Chroma refuse a search by ids: the search falls back to the where clause."""
    from rag.retrieve import Filters

    ingest_paths(settings, store, fake_embedder, SAMPLE_ARTICLE.parent)
    chunks = store.all_chunks()
    gone, kept = chunks[0], [c for c in chunks[1:] if c.doc_id == chunks[0].doc_id]
    store.collection.delete(ids=[gone.chunk_id])
    vector = fake_embedder.embed(["What did the ministry say?"])[0]
    hits = store.query(vector, len(chunks), Filters(doc_ids=[gone.doc_id]).chunk_filter())
    assert {c.chunk_id for c, _ in hits} == {c.chunk_id for c in kept}


def test_a_filtered_dense_search_is_planned_by_how_many_chunks_it_allows(
    store, fake_embedder, monkeypatch
):
    """A filter that allows up to the mirror's cap compares their vectors one by one; past
    it, one that allows a large share of the store is served by an unfiltered search for
    ``k * margin / share`` chunks, keeping the allowed ones; otherwise (or when too few of
    those are allowed: the filter's chunks lie further away) its chunks are named to Chroma.
    Every plan returns the exact nearest allowed chunks (a store this small is searched
    exactly)."""
    from rag.retrieve import Filters

    near = "harbour cranes unloaded the grain ship at dawn"
    far = "the orchestra rehearsed a new violin concerto"
    for i in range(70):  # Reuters writes about the harbour, AP about music
        _write(store, fake_embedder, f"r{i}", f"{near} {i}", "Reuters", "2023-01-10")
    for i in range(30):
        _write(store, fake_embedder, f"a{i}", f"{far} {i}", "AP", "2023-01-11")
    vector = fake_embedder.embed([near])[0]
    plans: list[str] = []
    for plan in ("_exact", "_postfiltered", "_named_search"):
        real = getattr(store, plan)

        def spy(*args, plan=plan, real=real):
            got = real(*args)
            plans.append(plan if got is not None else f"not {plan}")
            return got

        monkeypatch.setattr(store, plan, spy)
    chunks = store.all_chunks()
    stored = store.vectors([c.chunk_id for c in chunks])

    def cosines(ids: list[str]) -> list[float]:
        return [round(float(stored[c] @ vector), 5) for c in ids]

    def check(f: Filters, k: int = 3) -> list[str]:
        plans.clear()
        got = store.query(vector, k, f.chunk_filter())
        allowed = sorted(
            (c for c in chunks if f.matches(c.meta)), key=lambda c: -cosines([c.chunk_id])[0]
        )
        assert cosines([c.chunk_id for c, _ in got]) == cosines([c.chunk_id for c in allowed[:k]])
        assert {c.meta["source"] for c, _ in got} <= set(f.sources)
        return plans[:]

    reuters, ap = Filters(sources=["Reuters"]), Filters(sources=["AP"])
    # Within the mirror's cap, every filter's chunks are compared one by one (as float16:
    # the same nearest chunks).
    assert check(reuters) == ["_exact"]
    assert check(ap) == ["_exact"]
    store.settings.dense_mirror_max_rows = 0  # past it: their vectors read from Chroma
    assert check(ap) == ["_exact"]
    store.settings.dense_exact_max_ids = 0  # past that too: 70 % of the store, and near,
    # is served by 3 * 2 / 0.7 = 9 searched, all 3 allowed
    assert check(reuters) == ["not _exact", "_postfiltered"]
    # 30 %, far: the 20 searched are all Reuters'; the chunks are named
    assert check(ap) == ["not _exact", "not _postfiltered", "_named_search"]
    store.settings.dense_postfilter_max_results = 0  # off: every filter's chunks are named
    assert check(reuters) == ["not _exact", "not _postfiltered", "_named_search"]
    # Compared one by one, a chunk Chroma lacks (a vector not written yet) is passed over,
    # and none found is an empty result, not an error.
    store.settings.dense_exact_max_ids = 500
    assert check(ap) == ["_exact"]
    gone = store.query(vector, 1, ap.chunk_filter())[0][0].chunk_id
    store.collection.delete(ids=[gone])
    hits = {c.chunk_id for c, _ in store.query(vector, 3, ap.chunk_filter())}
    assert gone not in hits and len(hits) == 3
    assert store._hits([]) == {"ids": [[]], "documents": [[]], "metadatas": [[]], "distances": [[]]}


def test_the_vector_mirror_serves_filtered_searches_and_fills_an_older_store(
    store, fake_embedder, monkeypatch
):
    """Filtered searches compare the allowed chunks' vectors from the mirror; a store written
    before the mirror existed reads them from Chroma (few) or searches Chroma (many) until
    ``recover`` (run before each ingest) fills the mirror from Chroma, once. A replaced
    article's old rows stay in the file but are never read."""
    from rag.mirror import MIRROR_FILE
    from rag.retrieve import Filters
    from rag.store import MIRROR_DIM, MIRROR_FROM, Store

    for i in range(12):
        _write(
            store,
            fake_embedder,
            f"r{i}",
            f"harbour cranes unloaded grain {i}",
            "Reuters",
            "2023-01-10",
        )
    for i in range(4):
        _write(store, fake_embedder, f"a{i}", f"the orchestra rehearsed {i}", "AP", "2023-01-11")
    vector = fake_embedder.embed(["harbour cranes"])[0]
    ap = Filters(sources=["AP"]).chunk_filter()
    store.settings.dense_postfilter_max_results = 0  # straight to the one-by-one plan
    mirrored = [(c.chunk_id, round(d, 3)) for c, d in store.query(vector, 3, ap)]
    assert len(mirrored) == 3 and store._counter(MIRROR_FROM) == 0
    # A lost mirror file: the rows it lacks are read from Chroma, not ranked as zeros.
    (store.settings.data_dir / MIRROR_FILE).unlink()
    assert [(c.chunk_id, round(d, 3)) for c, d in store.query(vector, 3, ap)] == mirrored
    # The same store as an older newsrag left it: no mirror, every row written before it.
    with store._tx() as db:
        db.execute("DELETE FROM meta WHERE key IN (?, ?)", [MIRROR_DIM, MIRROR_FROM])
    reopened = Store(store.settings)  # marks the rows it finds as not in the mirror
    assert reopened._counter(MIRROR_FROM) == 17  # 16 chunk rows
    reopened.close()
    read = []
    monkeypatch.setattr(
        store, "vectors", lambda ids, real=store.vectors: read.append(ids) or real(ids)
    )
    assert [(c.chunk_id, round(d, 3)) for c, d in store.query(vector, 3, ap)] == mirrored
    assert len(read[-1]) == 4  # the 4 allowed vectors, from Chroma
    store.settings.dense_exact_max_ids = 3  # more than that: Chroma searches them
    assert store._exact([vector.tolist()], 3, store._allowed_mask(ap)) is None
    store.recover()
    assert store._counter(MIRROR_FROM) == 0 and (store.settings.data_dir / MIRROR_FILE).exists()
    read.clear()
    assert [(c.chunk_id, round(d, 3)) for c, d in store.query(vector, 3, ap)] == mirrored
    assert read == []  # from the mirror alone
    # A file lost after the fill is filled again at the next clean-up.
    (store.settings.data_dir / MIRROR_FILE).unlink()
    store.recover()
    read.clear()
    assert [(c.chunk_id, round(d, 3)) for c, d in store.query(vector, 3, ap)] == mirrored
    assert read == []
    # A new version of an article is found, its old one is not.
    _write(store, fake_embedder, "a0", "harbour cranes unloaded grain again", "AP", "2023-01-11")
    best, _ = store.query(vector, 1, ap)[0]
    assert best.doc_id == "a0" and "again" in best.text


def test_llamaindex_delete_removes_an_articles_chunks(settings, store, fake_embedder, two_articles):
    museum, sample = two_articles
    vector_store, _ = _llama_index(store)
    vector_store.delete(sample)
    assert {m["doc_id"] for m in _meta(store).values()} == {museum}
    vector = fake_embedder.embed(["How many peacekeepers did Moscow deploy?"])[0]
    assert {c.doc_id for c, _ in store.query(vector, 10)} == {museum}
    health = store.health()  # newsrag's docstore still lists it: the operator is told
    assert not health["ok"] and "no vector" in " ".join(health["problems"])


def test_nodes_written_by_plain_llamaindex_do_not_break_newsrag(
    settings, store, fake_embedder, two_articles
):
    from llama_index.core.schema import TextNode

    museum, _ = two_articles
    vector_store, _ = _llama_index(store)
    question = "When did the city museum reopen after repairs?"
    vector = fake_embedder.embed([question])[0].tolist()
    foreign = TextNode(id_="theirs-1", text="The museum opened a new wing.", embedding=vector)
    foreign.metadata = {"title": "Not ours"}
    [ours] = [c for c in store.all_chunks() if c.doc_id == museum]
    # LlamaIndex rewrites one of our chunks with none of newsrag's keys
    rewritten = TextNode(id_=ours.chunk_id, text=ours.text, embedding=vector)
    store.collection.delete(ids=[ours.chunk_id])
    vector_store.add([foreign, rewritten])
    assert "chunk_index" not in _meta(store)[ours.chunk_id]
    hits = store.query(np.asarray(vector), 10)  # KeyError: 'chunk_index' before
    assert [c.chunk_id for c, _ in hits][:1] == [ours.chunk_id]  # the foreign node skipped
    chunk = hits[0][0]
    assert (chunk.doc_id, chunk.index, chunk.start, chunk.end) == (
        museum,
        ours.index,
        ours.start,
        ours.end,
    )
    assert chunk.meta["title"] == "Museum reopens" and "_node_content" not in chunk.meta
    assert HybridRetriever(store, fake_embedder).search(question)[0].chunk.doc_id == museum


def _old_layout(monkeypatch) -> None:
    """Write chunks as newsrag did before LlamaIndex's layout: the flat keys only."""
    monkeypatch.setattr("rag.store.chroma_metadata", lambda node: dict(node.metadata))


def test_an_older_store_is_upgraded_on_open_and_reads_the_same(
    settings, store, fake_embedder, monkeypatch
):
    import rag.store as store_module

    _old_layout(monkeypatch)
    ingest_paths(settings, store, fake_embedder, SAMPLE_ARTICLE.parent)
    monkeypatch.undo()
    with store._tx() as db:  # as a store from before the layout: no mark
        db.execute("DELETE FROM meta WHERE key=?", [store_module.LAYOUT])
    assert not any("_node_content" in m for m in _meta(store).values())
    questions = ["What did the lawyers say in their opening statements?", "peacekeepers"]
    before = [
        [(r.chunk.chunk_id, r.chunk.text, r.score, r.chunk.meta) for r in hits]
        for hits in (HybridRetriever(store, fake_embedder).search(q, 8) for q in questions)
    ]
    vectors_version = store.health()["vectors_version"]

    reader = Store(settings)  # another process opens the store
    try:
        after = [
            [(r.chunk.chunk_id, r.chunk.text, r.score, r.chunk.meta) for r in hits]
            for hits in (HybridRetriever(reader, fake_embedder).search(q, 8) for q in questions)
        ]
        assert after == before  # same passages, texts, scores and metadata
        assert all("_node_content" in m for m in _meta(reader).values())
        assert reader.health()["vectors_version"] == vectors_version + 1  # others reopen
        _, index = _llama_index(reader)
        assert len(index.as_retriever(similarity_top_k=3).retrieve(questions[0])) == 3
    finally:
        reader.close()
    again = Store(settings)
    try:
        again.collection  # noqa: B018 -- nothing left to upgrade: nothing written
        assert again.health()["vectors_version"] == vectors_version + 1
    finally:
        again.close()


def test_an_interrupted_upgrade_says_how_to_rebuild_and_finishes_next_time(
    settings, store, fake_embedder, sample_copy, monkeypatch
):
    import rag.store as store_module
    from rag.errors import StoreError

    _old_layout(monkeypatch)
    ingest_paths(settings, store, fake_embedder, sample_copy)
    monkeypatch.undo()
    with store._tx() as db:
        db.execute("DELETE FROM meta WHERE key=?", [store_module.LAYOUT])

    def fail(self, *args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Collection, "update", fail)
    broken = Store(settings)
    with pytest.raises(StoreError, match=r"disk full.*Rebuild the store"):
        broken.collection  # noqa: B018
    broken.close()
    monkeypatch.undo()
    fixed = Store(settings)
    try:
        assert all("_node_content" in m for m in _meta(fixed).values())
        assert fixed.health()["ok"]
    finally:
        fixed.close()


def test_a_reader_of_an_upgraded_store_does_not_wait_for_a_writer(settings, store, two_articles):
    import threading

    with store.ingest_lock():  # an ingest is running (the lock is a file lock, as across processes)
        reader = Store(settings)
        opened = threading.Event()
        worker = threading.Thread(target=lambda: (reader.collection, opened.set()), daemon=True)
        worker.start()
        assert opened.wait(20), "the reader waited for the writer's lock"
    worker.join()
    reader.close()


def test_vectors_and_their_dimension_come_from_the_store(
    settings, store, fake_embedder, sample_copy
):
    assert store.vector_dimension() is None and store.vectors(["nope"]) == {}
    ingest_paths(settings, store, fake_embedder, sample_copy)
    chunks = store.all_chunks()
    assert store.vector_dimension() == fake_embedder.dim
    got = store.vectors([c.chunk_id for c in chunks] + ["nope"])
    assert set(got) == {c.chunk_id for c in chunks}
    for c in chunks:  # each is the vector Chroma searches for that chunk
        [(nearest, similarity)] = store.query(got[c.chunk_id], 1)
        assert nearest.chunk_id == c.chunk_id and similarity == pytest.approx(1.0, abs=1e-5)


# The lexical index (SQLite FTS5 in the docstore) -----------------------------------------
def _write(store, fake_embedder, doc_id: str, text: str, source: str, day: str, title=""):
    """Write one article of one chunk straight through ``write_articles``."""
    import hashlib
    from datetime import UTC, datetime

    from rag.documents import Article, Chunk

    ts = int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp())
    article = Article(
        doc_id=doc_id,
        path=f"/tmp/{doc_id}.txt",
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        title=title or doc_id,
        source=source,
        author="",
        published=day,
        published_ts=ts,
        url="",
        ingested_at="2026-12-04T00:00:00+00:00",
        text=text,
    )
    chunk = Chunk(doc_id, 0, 0, len(text), text)
    store.write_articles([(article, [chunk], fake_embedder.embed([text]))])


def _lex(store, query: str, k: int = 10, **filters) -> list[str]:
    from rag.retrieve import tokenize

    return [c.doc_id for c, _ in store.lexical_search(tokenize(query), k, ChunkFilter(**filters))]


def _ts(day: str, end: bool = False) -> int:
    from datetime import UTC, datetime

    return int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()) + (86399 * end)


@pytest.fixture
def lexical_store(store, fake_embedder):
    """Four articles: two outlets, three months of 2023."""
    _write(store, fake_embedder, "a", "Zebrafish swimming in the bay.", "Reuters", "2023-01-10")
    _write(store, fake_embedder, "b", "The zebrafish were counted.", "AP", "2023-02-15")
    _write(store, fake_embedder, "c", "Whales and zebrafish swam.", "Reuters", "2023-03-20")
    _write(store, fake_embedder, "d", "Budget talks stalled again.", "AP", "2023-03-21")
    return store


def test_lexical_search_ranks_stemmed_terms_by_bm25(lexical_store):
    # "swims" and "swimming" share a stem; "zebrafish" is in three, "whales" in one.
    assert _lex(lexical_store, "whale zebrafish")[0] == "c"
    assert set(_lex(lexical_store, "zebrafish")) == {"a", "b", "c"}
    assert _lex(lexical_store, "swims") == ["a"]
    hits = lexical_store.lexical_search(["zebrafish"], 10)
    assert all(score > 0 for _, score in hits)
    chunk = hits[0][0]  # a chunk as the query side sees it: text cut from the article
    assert chunk.text in {"Zebrafish swimming in the bay.", "The zebrafish were counted."} | {
        "Whales and zebrafish swam."
    }
    assert chunk.meta["source"] in {"Reuters", "AP"} and chunk.meta["doc_id"] == chunk.doc_id
    assert _lex(lexical_store, "nothing matches this") == [] and _lex(lexical_store, "") == []


def test_lexical_filters_apply_inside_the_index(lexical_store):
    assert set(_lex(lexical_store, "zebrafish", sources=["Reuters"])) == {"a", "c"}
    assert _lex(lexical_store, "zebrafish", doc_ids=["b", "d"]) == ["b"]
    feb_mar = {"lo_ts": _ts("2023-02-15"), "hi_ts": _ts("2023-03-20", end=True)}
    assert set(_lex(lexical_store, "zebrafish", **feb_mar)) == {"b", "c"}
    assert _lex(lexical_store, "zebrafish", sources=["Reuters"], **feb_mar) == ["c"]
    assert set(_lex(lexical_store, "zebrafish", lo_ts=_ts("2023-02-16"))) == {"c"}
    assert set(_lex(lexical_store, "zebrafish", hi_ts=_ts("2023-01-10", end=True))) == {"a"}
    # k is applied after the filters: one best match per filter, even with k=1.
    assert _lex(lexical_store, "zebrafish", k=1, sources=["AP"]) == ["b"]
    assert _lex(lexical_store, "zebrafish", sources=["Nobody"]) == []
    assert _lex(lexical_store, "whales", sources=["AP"], **feb_mar) == []  # none after the first


def test_day_blocks_cover_a_range_exactly():
    import random

    from rag.store import _DAY_LEVELS, _day_cover

    def days(token: str) -> set[int]:
        level, block = (int(x) for x in token[1:].split("x"))
        return set(range(block << level, (block + 1) << level))

    rng = random.Random(7)
    top = (1 << _DAY_LEVELS) - 1
    for lo, hi in [(0, top), (5, 5), (0, 0), (top, top)] + [
        tuple(sorted(rng.sample(range(300_000), 2))) for _ in range(200)
    ]:
        cover = _day_cover(lo, hi)
        covered = [d for t in cover for d in days(t)]
        assert sorted(covered) == list(range(lo, hi + 1))  # every day once, none outside
        assert len(cover) <= 2 * _DAY_LEVELS


def test_replace_and_remove_update_the_lexical_index_in_the_same_write(
    lexical_store, fake_embedder
):
    store = lexical_store
    _write(store, fake_embedder, "a", "Otters replaced the fish.", "Reuters", "2023-01-10")
    assert "a" not in _lex(store, "zebrafish") and _lex(store, "otters") == ["a"]
    assert store.remove("c")
    assert set(_lex(store, "zebrafish")) == {"b"} and _lex(store, "whales") == []
    # The index holds exactly the chunk rows (FTS5's own consistency check passes).
    store._db.execute("INSERT INTO lexical(lexical, rank) VALUES ('integrity-check', 1)")
    assert postings.frequencies(store._db, ["otter"]) == {"otter": 1}


def test_a_write_that_fails_leaves_the_lexical_index_as_it_was(
    lexical_store, fake_embedder, monkeypatch
):
    import sqlite3

    store = lexical_store

    def fail(*args, **kwargs):  # the last statement of the version switch's transaction
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store, "_bump", fail)
    with pytest.raises(sqlite3.OperationalError):
        _write(store, fake_embedder, "b", "Otters everywhere.", "AP", "2023-02-15")
    monkeypatch.undo()
    assert _lex(store, "otters") == [] and "b" in _lex(store, "zebrafish")


def test_the_most_common_terms_are_left_out_beyond_the_postings_budget(lexical_store):
    store = lexical_store
    # "zebrafish" is in 3 chunks, "whales" in 1: with room for 2 postings only the rarer
    # term is searched (and scored), so the budget bounds the work per question.
    store.settings.lexical_max_postings = 2
    assert _lex(store, "zebrafish whales") == ["c"]
    assert set(_lex(store, "zebrafish")) == {"a", "b", "c"}  # the rarest is always kept
    store.settings.lexical_max_postings = 4
    assert set(_lex(store, "zebrafish whales")) == {"a", "b", "c"}


_WORDS = [
    "zebrafish",
    "whale",
    "otter",
    "budget",
    "harbour",
    "storm",
    "ferry",
    "council",
    "vote",
    "bridge",
]


def _fts5_bm25(store, query: str) -> dict[str, float]:
    """The same query's BM25 by SQLite's own FTS5 over the live chunks, as version 1 of the
    lexical index ranked (terms weighted 1, facets 0, a chunk's length counting both): an
    engine independent of ``rag.postings``, whose ranking it kept."""
    import sqlite3

    from rag.retrieve import tokenize
    from rag.store import _lexical_term

    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE VIRTUAL TABLE t USING fts5(terms, facets, tokenize=\"unicode61 tokenchars '_'\")"
    )
    rows = store._db.execute("SELECT doc_id, terms, facets FROM chunks").fetchall()
    db.executemany(
        "INSERT INTO t(rowid, terms, facets) VALUES (?, ?, ?)",
        [(i, r[1], r[2]) for i, r in enumerate(rows)],
    )
    words = {_lexical_term(t) for t in tokenize(query)}
    expr = " OR ".join(f'"{w}"' for w in words)
    return {
        rows[i][0]: -score
        for i, score in db.execute(
            "SELECT rowid, bm25(t, 1.0, 0.0) FROM t WHERE t MATCH ?", ["{terms}: (" + expr + ")"]
        )
    }


def test_the_lexical_ranking_is_bm25_across_segments_merges_and_deletions(store, fake_embedder):
    """Every write is a segment of postings; segments merge three at a time; a replaced or
    removed article's postings stay until their segment is merged, unread. The scores are
    FTS5's BM25 over the live chunks whenever nothing deleted is left unmerged."""
    import random

    from rag.retrieve import tokenize

    rng = random.Random(3)
    store.settings.lexical_merge_factor = 3
    texts = {
        f"n{i}": " ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 12))) + "."
        for i in range(14)
    }
    for i, (doc_id, text) in enumerate(texts.items()):
        _write(store, fake_embedder, doc_id, text, ["AP", "Reuters"][i % 2], "2023-01-10")
    queries = ["zebrafish whale", "otter", "budget council vote", "storm ferry bridge harbour"]

    def ours(query: str) -> dict[str, float]:
        return {c.doc_id: s for c, s in store.lexical_search(tokenize(query), 50)}

    segments = store._db.execute("SELECT COUNT(*) FROM lexical_segments").fetchone()[0]
    assert 1 < segments < len(texts)  # merged, yet not into one
    for query in queries:
        assert ours(query) == pytest.approx(_fts5_bm25(store, query), rel=1e-5)
    # The last written article replaced (its chunk row ids are not reused) and one removed.
    _write(store, fake_embedder, "n13", "Otter otter zebrafish.", "AP", "2023-01-10")
    assert store.remove("n0")
    rows = [r[0] for r in store._db.execute("SELECT id FROM chunks ORDER BY id")]
    assert len(rows) == len(set(rows)) == len(texts) - 1
    for query in queries:
        got = ours(query)
        assert "n0" not in got and set(got) == set(_fts5_bm25(store, query))
    # Merged into one segment, the deleted postings are gone and the scores are exact again.
    with store._tx() as db:
        everything = [r[0] for r in db.execute("SELECT segment FROM lexical_segments")]
        postings._merge_segments(db, everything)
    assert postings.frequencies(store._db, ["otter"])["otter"] == sum(
        "otter" in store._db.execute("SELECT terms FROM chunks WHERE id=?", [r]).fetchone()[0]
        for r in rows
    )
    for query in queries:
        assert ours(query) == pytest.approx(_fts5_bm25(store, query), rel=1e-5)
    # Filters still apply inside the index, after the merge.
    outlet = {d: ["AP", "Reuters"][i % 2] for i, d in enumerate(texts)} | {"n13": "AP"}
    filtered = store.lexical_search(tokenize("otter"), 50, ChunkFilter(sources=["AP"]))
    expected = {d for d in ours("otter") if outlet[d] == "AP"}
    assert expected and {c.doc_id for c, _ in filtered} == expected


def test_segments_merge_in_tiers_and_never_past_the_largest_merge(store, fake_embedder):
    """A write is a segment; ``lexical_merge_factor`` segments of a size tier merge into one,
    so 27 one-chunk writes at factor 3 leave one segment of 27 chunks, not 27 segments; no
    merge makes a segment of more than ``lexical_max_merge_chunks``."""

    def sizes() -> list[int]:
        return [r[0] for r in store._db.execute("SELECT chunks FROM lexical_segments")]

    store.settings.lexical_merge_factor = 3
    for i in range(27):
        _write(store, fake_embedder, f"m{i}", f"Otters number {i}.", "AP", "2023-01-10")
    assert sizes() == [27]
    store.settings.lexical_max_merge_chunks = 4
    for i in range(27, 40):
        _write(store, fake_embedder, f"m{i}", f"Otters number {i}.", "AP", "2023-01-10")
    assert sorted(sizes()) == [1, 3, 3, 3, 3, 27]  # 3+3+3 would pass 4: those stay apart
    assert postings.frequencies(store._db, ["otter"]) == {"otter": 40}


def test_a_store_from_before_the_lexical_index_is_indexed_once_on_open(
    settings, lexical_store, caplog
):
    import logging

    before = {q: _lex(lexical_store, q) for q in ("zebrafish", "whales budget", "swims")}
    ids = sorted(c.chunk_id for c in lexical_store.all_chunks())
    lexical_store.close()
    legacy_docstore(settings.docstore_path)
    with caplog.at_level(logging.WARNING, logger="newsrag.store"):
        migrated = Store(settings)
    try:
        assert "Building the lexical index" in caplog.text and "4 chunks" in caplog.text
        assert {q: _lex(migrated, q) for q in before} == before
        assert sorted(c.chunk_id for c in migrated.all_chunks()) == ids
        assert set(_lex(migrated, "zebrafish", sources=["AP"])) == {"b"}
        caplog.clear()
        Store(settings).close()  # the next open finds it done
        assert "Building" not in caplog.text
    finally:
        migrated.close()


def test_a_lexical_index_from_a_newer_newsrag_is_refused(settings, lexical_store):
    from rag.errors import StoreError

    with lexical_store._tx() as db:
        db.execute("UPDATE meta SET value='99' WHERE key='lexical_index'")
    with pytest.raises(StoreError, match=r"newer newsrag.*Upgrade newsrag"):
        Store(settings)


def test_the_retriever_loads_no_chunks_and_sees_other_processes_writes(
    settings, store, fake_embedder, monkeypatch
):
    _write(store, fake_embedder, "a", "Zebrafish swimming in the bay.", "Reuters", "2023-01-10")
    monkeypatch.setattr(Store, "all_chunks", lambda self: pytest.fail("loaded every chunk"))
    retriever = HybridRetriever(store, fake_embedder)
    assert [h.chunk.doc_id for h in retriever.search("zebrafish")] == ["a"]
    _in_other_process(
        settings,
        """
        from tests.unit.test_store import _write
        _write(store, embedder, "z", "Zebrafish and otters.", "AP", "2023-05-01")
        """,
    )
    hits = retriever.search("otters zebrafish")
    assert hits[0].chunk.doc_id == "z" and hits[0].bm25_rank == 1
    assert all(h.dense is not None for h in hits)  # BM25-only hits get their stored cosine


def test_a_renamed_file_holds_nothing_for_remove(settings, store, fake_embedder, tmp_path):
    """An article read from a file since renamed: removing the new name removes it (the old
    name, gone from disk, no longer holds it)."""
    old = tmp_path / "s3.txt"
    old.write_text(BRIDGE)
    ingest_paths(settings, store, fake_embedder, old)
    new = old.rename(tmp_path / "s3-renamed.txt")
    ingest_paths(settings, store, fake_embedder, new)
    [doc_id] = store.doc_ids_for(new)
    assert store.held_elsewhere(doc_id, new) is None
    old.write_text(BRIDGE)  # back on disk: it holds the article again
    assert store.held_elsewhere(doc_id, new) == str(old)


def test_remove_takes_a_unique_doc_id_prefix(settings, store, fake_embedder, tmp_path):
    (tmp_path / "b.md").write_text(BRIDGE)
    (tmp_path / "m.md").write_text(MUSEUM)
    ingest_paths(settings, store, fake_embedder, tmp_path)
    ids = sorted(a["doc_id"] for a in store.articles())
    assert store.doc_ids_for(ids[0][:8]) == [ids[0]]
    assert store.doc_ids_for(ids[0][:8] + "…") == [ids[0]]  # as a narrow table cuts it
    assert store.doc_ids_for(ids[0][:3]) == []  # too short to be meant as an id


def test_a_writer_waiting_for_another_says_so(settings, caplog):
    import threading

    from rag.store import Store

    first, second = Store(settings), Store(settings)
    entered = threading.Event()

    def write():
        with second.ingest_lock():
            entered.set()

    with caplog.at_level(logging.WARNING, logger="newsrag.store"):
        with first.ingest_lock():
            waiter = threading.Thread(target=write)
            waiter.start()
            assert not entered.wait(0.5)  # held by the other writer
        waiter.join(10)
    assert entered.is_set()
    assert "Another ingest or removal is writing this store: waiting." in caplog.text
