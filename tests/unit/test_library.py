"""rag.library: the one front door to the articles (ingest, list, remove, health)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag.errors import ModelError
from rag.library import Library, supported_suffixes
from rag.settings import Settings
from tests.conftest import SAMPLE

ARTICLE = "nagorno-karabakh-sabotage.txt"


def test_listing_removing_and_health_load_no_model(settings: Settings, tmp_path: Path) -> None:
    """Only ingest needs the embedder: with an empty model cache it fails there, nowhere else."""
    library = Library(settings.model_copy(update={"model_dir": tmp_path / "no-models"}))
    assert library.articles() == [] and library.outlets() == []
    assert library.article_count() == 0 and library.chunk_count() == 0
    assert library.summary()["articles"] == 0
    assert library.health()["ok"]
    assert library.remove("nothing-by-that-name") == []
    with pytest.raises(ModelError):
        library.ingest([SAMPLE / ARTICLE])
    library.close()


def test_ingest_list_find_and_remove_by_path_or_id(
    settings: Settings, fake_embedder, tmp_path: Path
) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    shutil.copy(SAMPLE / ARTICLE, folder / ARTICLE)
    (folder / "note.txt").write_text("A short note\n\nThe council met on Monday to vote.")
    with Library(settings, embedder=fake_embedder) as library:
        done = library.ingest([folder])
        assert len(done.report.added) == 2 and done.warnings == []
        rows = library.articles()
        assert {r["path"] for r in rows} == {
            str((folder / n).resolve()) for n in (ARTICLE, "note.txt")
        }
        first = rows[0]["doc_id"]
        assert library.article(first)["text"]
        assert library.chunk_count() >= 2 and library.article_count() == 2
        assert library.find(first) == [first]

        removed = library.remove(folder / "note.txt")  # a path names the articles it held
        assert len(removed) == 1 and library.article_count() == 1
        (kept,) = library.articles()
        assert library.remove(kept["doc_id"]) == [kept["doc_id"]]
        assert library.articles() == [] and library.health()["ok"]


def test_removing_a_copy_keeps_the_articles_another_ingested_folder_holds(
    settings: Settings, fake_embedder, tmp_path: Path
) -> None:
    folder, copy = tmp_path / "news", tmp_path / "news-copy"
    folder.mkdir()
    shutil.copy(SAMPLE / ARTICLE, folder / ARTICLE)
    shutil.copytree(folder, copy)
    with Library(settings, embedder=fake_embedder) as library:
        library.ingest([folder])
        assert library.ingest([copy]).report.unchanged  # the same article, a second file
        [doc_id] = [r["doc_id"] for r in library.articles()]
        removed, kept = library.removal(copy)
        assert removed == [] and kept == {doc_id: str((folder / ARTICLE).resolve())}
        assert library.article_count() == 1
        assert library.articles()[0]["path"] == str((folder / ARTICLE).resolve())
        # The copy is forgotten: removing it again names nothing; the original removes it.
        assert library.removal(copy) == ([], {})
        assert library.remove(folder) == [doc_id] and library.article_count() == 0


def test_ingest_reports_loader_warnings_beside_the_report(
    settings: Settings, fake_embedder, tmp_path: Path
) -> None:
    news = tmp_path / "odd.txt"
    news.write_text("Odd date\n\nThe ministry said on Monday that talks would resume.")
    news.with_name("odd.meta.json").write_text('{"published": "the day after"}')
    done = Library(settings, embedder=fake_embedder).ingest([news])
    assert done.report.ok and done.warnings and done.warnings[0][0].endswith("odd.txt")


def test_the_engine_and_its_library_share_one_store(settings: Settings, fake_embedder) -> None:
    from tests.fakes import FakeLLM

    library = Library(settings, embedder=fake_embedder)
    library.ingest([SAMPLE / ARTICLE])
    rag = library.engine(FakeLLM())
    assert rag.library.store is library.store
    assert rag.library.articles() == library.articles()
    answer = rag.ask("How many peacekeepers did Moscow deploy?")
    assert not answer.refused and answer.citations


def test_supported_suffixes_name_the_formats() -> None:
    assert {".txt", ".md", ".html", ".jsonl", ".pdf", ".xml"} <= supported_suffixes()
