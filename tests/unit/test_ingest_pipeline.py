"""ingest/pipeline.py keeps the store converged: idempotent, replaces changes, removes, recovers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ingest.pipeline import Ingestor
from tests.conftest import SAMPLE_ARTICLE, ingest_paths


def _state(store):
    got = store.collection.get(include=["metadatas"])
    return sorted(got["ids"]), sorted(a["doc_id"] for a in store.articles())


def test_ingest_again_changes_nothing(settings, store, fake_embedder, sample_copy):
    first = ingest_paths(settings, store, fake_embedder, sample_copy)
    assert len(first.added) == 1 and first.chunks > 0
    before = _state(store)
    second = ingest_paths(settings, store, fake_embedder, sample_copy)
    assert (second.added, second.updated, second.chunks) == ([], [], 0)
    assert len(second.unchanged) == 1
    assert _state(store) == before


def test_modified_article_replaces_its_chunks(settings, store, fake_embedder, sample_copy):
    ingest_paths(settings, store, fake_embedder, sample_copy)
    [old] = store.articles()
    f = sample_copy / SAMPLE_ARTICLE.name
    f.write_text(f.read_text() + "\n\nA new closing paragraph about the talks in Moscow.")
    report = ingest_paths(settings, store, fake_embedder, sample_copy)
    assert report.removed == [old["doc_id"]] and len(report.added) == 1
    [new] = store.articles()
    ids, docs = _state(store)
    assert docs == [new["doc_id"]]
    assert all(i.startswith(new["doc_id"] + ":") for i in ids)  # no orphans of the old one
    assert len(ids) == new["chunk_count"]


def test_url_keyed_record_update_is_an_update(settings, store, fake_embedder, tmp_path):
    f = tmp_path / "feed.jsonl"
    rec = {"title": "T", "url": "https://n.example/a", "body": "First version of the story."}
    f.write_text(json.dumps(rec))
    ingest_paths(settings, store, fake_embedder, f)
    rec["body"] = "Second version of the story, corrected."
    f.write_text(json.dumps(rec))
    report = ingest_paths(settings, store, fake_embedder, f)
    assert len(report.updated) == 1 and not report.added
    [art] = store.articles()
    assert "Second version" in store.article(art["doc_id"])["text"]


def test_remove_deletes_article_and_chunks(settings, store, fake_embedder, sample_copy):
    ingest_paths(settings, store, fake_embedder, sample_copy)
    [art] = store.articles()
    assert store.remove(art["doc_id"])
    assert _state(store) == ([], [])
    assert not store.remove(art["doc_id"])


def test_bad_inputs_do_not_touch_stored_articles(settings, store, fake_embedder, tmp_path):
    good = tmp_path / "good"
    good.mkdir()
    shutil.copy(SAMPLE_ARTICLE, good / "a.txt")
    ingest_paths(settings, store, fake_embedder, good)
    before = _state(store)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "bin.txt").write_bytes(b"\x00" * 100)
    (bad / "nobody.jsonl").write_text('{"title": "x"}\n')
    (bad / "new.md").write_text("# Fresh story\n\nThe museum reopened its doors on Sunday.")
    report = ingest_paths(settings, store, fake_embedder, bad, tmp_path / "missing.txt")
    assert len(report.failed) == 4 and len(report.added) == 1 and report.ok
    assert all("\n" not in reason for _, reason in report.failed)
    ids, docs = _state(store)
    assert set(before[0]) <= set(ids) and len(docs) == 2


def test_nothing_ingestible_is_not_ok(settings, store, fake_embedder, tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    report = ingest_paths(settings, store, fake_embedder, tmp_path / "empty.txt")
    assert not report.ok and not report.added


def test_recover_removes_half_written_articles(settings, store, fake_embedder, sample_copy):
    ingest_paths(settings, store, fake_embedder, sample_copy)
    [art] = store.articles()
    # Simulate a run killed between the Chroma write and the final commit.
    store._db.execute("UPDATE articles SET status='pending' WHERE doc_id=?", [art["doc_id"]])
    store._db.commit()
    report = Ingestor(settings, store, fake_embedder).run([str(sample_copy)])
    assert report.recovered == [art["doc_id"]] and report.added == [art["doc_id"]]
    ids, docs = _state(store)
    assert docs == [art["doc_id"]] and len(ids) == art["chunk_count"]


def test_progress_reports_files(settings, store, fake_embedder, sample_copy):
    seen = []
    Ingestor(settings, store, fake_embedder).run(
        [str(sample_copy)], progress=lambda stage, done, total: seen.append((stage, done, total))
    )
    assert ("files", 1, 1) in seen and any(s == "embedded" for s, _, _ in seen)


def test_chunk_metadata_is_flat_and_complete(settings, store, fake_embedder, tmp_path: Path):
    f = tmp_path / "a.json"
    f.write_text(
        json.dumps(
            {
                "title": "T",
                "source": "Wire",
                "author": "Ann",
                "published_at": "2023-10-05",
                "url": "https://w.example/1",
                "body": "Text of the article. It has two sentences.",
            }
        )
    )
    ingest_paths(settings, store, fake_embedder, f)
    meta = store.collection.get(include=["metadatas"])["metadatas"][0]
    article_keys = "doc_id title source author published published_ts url path sha256 ingested_at"
    chunk_keys = "start_char end_char chunk_index"
    assert set(article_keys.split()) | set(chunk_keys.split()) <= set(meta), sorted(meta)
    assert all(isinstance(v, (str, int, float, bool)) for v in meta.values())
    assert meta["published_ts"] == 1696464000


# Streaming JSON Lines (issue 14) -----------------------------------------------------------
def _jsonl(path: Path, n: int, start: int = 0) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(start, start + n):
            body = f"Story number {i} about the harbour of town {i}. " * 3
            fh.write(json.dumps({"id": f"s{i}", "title": f"Story {i}", "text": body}) + "\n")
    return path


def test_a_jsonl_file_is_written_while_it_is_read(
    settings, store, fake_embedder, tmp_path: Path, monkeypatch
):
    """A corpus file bigger than one embedding group is written group by group while it is
    read: the queue never holds much more than a group's chunks (constant memory)."""
    settings = settings.model_copy(update={"ingest_group_chunks": 16})
    f = _jsonl(tmp_path / "corpus.jsonl", 100)
    batches: list[int] = []
    write = store.write_articles
    monkeypatch.setattr(
        store, "write_articles", lambda items: (batches.append(len(items)), write(items))
    )
    seen = []
    report = Ingestor(settings, store, fake_embedder).run(
        [str(f)], progress=lambda stage, done, total: seen.append((stage, done, total))
    )
    assert len(report.added) == 100 and store.article_count() == 100
    assert len(batches) >= 100 // 16 and max(batches) <= 16
    # Progress: bytes of the file read, to the end; chunks embedded, counting up.
    size = f.stat().st_size
    assert ("read", size, size) in seen
    embedded = [done for stage, done, _ in seen if stage == "embedded"]
    assert embedded == sorted(embedded) and embedded[-1] == report.chunks


def test_a_jsonl_file_is_streamed_not_read_whole(settings, store, fake_embedder, tmp_path):
    """Over the per-file size limit a JSON Lines file is still read (the limit bounds one
    record); one bad line is reported and the rest are ingested; the first of two records
    with one id wins, as before."""
    f = _jsonl(tmp_path / "big.jsonl", 30)
    with f.open("ab") as fh:
        fh.write(b'{"id": "bad", "text": "caf\xe9"}\n')  # not UTF-8
        fh.write(b"not json\n")
        fh.write(json.dumps({"id": "s1", "title": "Other", "text": "Replaced? No."}).encode())
    settings.max_file_mb = f.stat().st_size / 2 / 1_000_000
    report = Ingestor(settings, store, fake_embedder).run([str(f)])
    assert len(report.added) == 30 and store.article_count() == 30
    reasons = " | ".join(r for _, r in report.failed)
    assert "line 31: not valid UTF-8" in reasons and "line 32: invalid JSON" in reasons
    assert not any(a["title"] == "Other" for a in store.articles())
    # Read in full, the same file with fewer records: the others are removed.
    _jsonl(f, 5)
    again = Ingestor(settings, store, fake_embedder).run([str(f)])
    assert len(again.removed) == 25 and store.article_count() == 5


def test_an_article_in_two_files_is_the_first_files_in_every_run(
    settings, store, fake_embedder, tmp_path
):
    """The same url in two files with other text: the first file read wins, run after run
    (it had swapped versions on every ingest of the unchanged folder)."""
    for name, title in (("a.json", "Version A"), ("b.json", "Version B")):
        rec = {"title": title, "url": "https://n.example/x", "body": f"{title} of the story."}
        (tmp_path / name).write_text(json.dumps(rec))
    first = ingest_paths(settings, store, fake_embedder, tmp_path)
    assert len(first.added) == 1
    for _ in range(2):
        again = ingest_paths(settings, store, fake_embedder, tmp_path)
        assert not again.added and not again.updated
        [art] = store.articles()
        assert art["title"] == "Version A"


def test_a_file_deleted_from_a_folder_takes_its_articles_on_the_next_ingest(
    settings, store, fake_embedder, tmp_path
):
    folder = tmp_path / "news"
    folder.mkdir()
    for name in ("a", "b"):
        (folder / f"{name}.txt").write_text(f"Story {name}\n\nThe council voted on item {name}.")
    (tmp_path / "keep.txt").write_text("Story k\n\nThe council voted on item k.")
    ingest_paths(settings, store, fake_embedder, folder)
    ingest_paths(settings, store, fake_embedder, tmp_path / "keep.txt")
    (folder / "b.txt").unlink()
    report = ingest_paths(settings, store, fake_embedder, folder)
    assert len(report.removed) == 1
    assert sorted(a["title"] for a in store.articles()) == ["Story a", "Story k"]
    # A single file ingested again removes nothing else.
    assert not ingest_paths(settings, store, fake_embedder, folder / "a.txt").removed


def _records(fail_after: int | None = None, texts: dict[int, str] | None = None):
    from rag.documents import RawArticle
    from rag.errors import IngestError

    for i in range(7):
        if i == fail_after:
            raise OSError("disk gone")
        if i == 3:
            yield IngestError(f"line {i}: invalid JSON")
        else:
            text = (texts or {}).get(i, f"Story number {i} tells of the harbour.")
            yield RawArticle(text, f"f{i}.txt")


def test_articles_read_ahead_to_be_cleaned_together_keep_their_order_and_errors():
    """Records are cleaned a window at a time (their instruction checks parsed together):
    results come in reading order, a bad record stays an error in its place, and a read
    that fails part-way raises only after the records read before it."""
    from ingest.clean import clean_article
    from ingest.pipeline import _cleaned_ahead
    from rag.documents import RawArticle
    from rag.errors import IngestError

    out = list(_cleaned_ahead(_records(), window=2, window_chars=10_000))
    assert [str(c) for c in out if isinstance(c, IngestError)] == ["line 3: invalid JSON"]
    texts = [c.article.text for c in out if not isinstance(c, IngestError)]
    assert texts == [clean_article(r).article.text for r in _records() if isinstance(r, RawArticle)]
    got = []
    with pytest.raises(OSError, match="disk gone"):
        for cleaned in _cleaned_ahead(_records(fail_after=5), window=4, window_chars=10_000):
            got.append(cleaned)
    assert len(got) == 5  # four in the first window, the fifth read before the failure


def test_a_window_is_bounded_by_its_text_too(monkeypatch):
    """A long record closes the window early: memory holds a window's text, not 64 long
    records."""
    from ingest import pipeline

    sizes = []
    real = pipeline.clean_articles
    monkeypatch.setattr(
        pipeline, "clean_articles", lambda raws: sizes.append(len(raws)) or real(raws)
    )
    long = "The harbour reopened. " * 50  # 1,100 characters
    out = list(pipeline._cleaned_ahead(_records(texts={1: long}), window=10, window_chars=1_000))
    assert len(out) == 7
    assert sizes == [2, 4]  # records 0-1 (the long one closes it), then 2-6 less the error


def test_a_record_that_breaks_the_batch_fails_alone(monkeypatch):
    """When cleaning a batch breaks on something other than a record's IngestError (a
    parser error), its records are cleaned one at a time again: those before the broken
    one are handed on, and the error comes at its own record, as it did before batching."""
    from ingest import pipeline

    real = pipeline.clean_articles

    def broken(raws):
        if any(raw.path == "f4.txt" for raw in raws):
            raise ValueError("parser failed")
        return real(raws)

    monkeypatch.setattr(pipeline, "clean_articles", broken)
    got = []
    with pytest.raises(ValueError, match="parser failed"):
        for cleaned in pipeline._cleaned_ahead(_records(), window=10, window_chars=10_000):
            got.append(cleaned)
    assert len(got) == 4 and str(got[3]) == "line 3: invalid JSON"
