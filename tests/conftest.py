"""Shared fixtures: every test gets its own data dir (store + docstore)."""

from __future__ import annotations

import asyncio
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SAMPLE = REPO / "data" / "sample"
SAMPLE_ARTICLE = SAMPLE / "nagorno-karabakh-sabotage.txt"


@pytest.fixture
def settings(tmp_path: Path):
    """Settings pointing at a fresh temporary data dir; models from the shared cache."""
    from rag.settings import Settings

    return Settings(data_dir=tmp_path / "data", reference_date="2023-11-25")


@pytest.fixture
def store(settings):
    from rag.store import Store

    s = Store(settings)
    yield s
    s.close()


# Fakes (tests/fakes.py) as fixtures ------------------------------------------------------
@pytest.fixture
def fake_embedder():
    """Hashed bag of words and bigrams: similar wording, similar vectors; no model."""
    from tests.fakes import FakeEmbedder

    return FakeEmbedder()


@pytest.fixture
def word_embedder():
    """Hashed bag of words only: what the judge's tests are tuned on."""
    from tests.fakes import WordHashEmbedder

    return WordHashEmbedder()


@pytest.fixture
def fake_llm():
    """A LlamaIndex LLM answering with the source sentence that best matches the question."""
    from tests.fakes import FakeLLM

    return FakeLLM()


@pytest.fixture
def fake_llama():
    """Just enough of ``llama_cpp.Llama`` (tokens and logits) for the judge's Yes/No step."""
    from tests.fakes import FakeLlama

    return FakeLlama()


@pytest.fixture
def stub_rag():
    """Just enough of NewsRAG for the UI's handlers: three tokens, then an empty answer."""
    from tests.fakes import StubRag

    return StubRag()


@pytest.fixture
def fake_rag(settings, store, fake_embedder, fake_llm):
    """A real NewsRAG over the test's empty store, with the fake embedder and LLM."""
    from rag.engine import NewsRAG

    return NewsRAG(settings, store, fake_embedder, fake_llm)


@pytest.fixture
def fake_backends(monkeypatch):
    """Settings select the fakes (the 'custom' LLM and embedding backends): every
    ``build_llm`` / ``build_embedder`` of the test builds them, nothing is patched."""
    monkeypatch.setenv("NEWSRAG_LLM_BACKEND", "custom")
    monkeypatch.setenv("NEWSRAG_LLM_FACTORY", "tests.fakes:make_fake_llm")
    monkeypatch.setenv("NEWSRAG_EMBED_BACKEND", "custom")
    monkeypatch.setenv("NEWSRAG_EMBED_FACTORY", "tests.fakes:make_fake_embedder")


@pytest.fixture
def fake_models(fake_backends):
    """Every evaluation suite run gets the fake embedder and LLM instead of real models."""


@pytest.fixture
def cli(monkeypatch, tmp_path: Path, fake_backends):
    """``newsrag`` in a temp folder with its own data dir, the fake embedder and fake LLM."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEWSRAG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")
    from typer.testing import CliRunner

    from rag.cli import app

    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


# Real models -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def real_embedder():
    """The real all-MiniLM-L6-v2 (pulled by `make test`)."""
    from rag.embeddings import build_embedder
    from rag.settings import Settings

    return build_embedder(Settings())


@pytest.fixture(scope="session")
def tiny_llm():
    """The real SmolLM2-135M through llama.cpp: fast end-to-end runs."""
    from rag.llm import build_llm
    from rag.settings import Settings

    return build_llm(Settings(llm_model="smollm2-135m-instruct", llm_context=2048))


@pytest.fixture(scope="session")
def default_llm():
    """The default Qwen2.5-Coder-1.5B through llama.cpp."""
    from rag.llm import build_llm
    from rag.settings import Settings

    return build_llm(Settings())


def one_line_error(result: Any) -> str:
    """The CLI's output for a failed command: exit 2, one 'error:' line, no traceback."""
    text = result.output.strip()
    assert result.exit_code == 2, text
    assert "Traceback" not in text
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), text
    return lines[0]


def ingest_paths(settings, store, embedder, *paths):
    from ingest.pipeline import Ingestor

    return Ingestor(settings, store, embedder).run([str(p) for p in paths])


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(SAMPLE_ARTICLE, folder / SAMPLE_ARTICLE.name)
    return folder


def run_async(coro: Any) -> Any:
    """Run a coroutine to completion on a thread of its own: sync Playwright (the browser
    tests) leaves an event loop running in the main thread, where ``asyncio.run`` refuses."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def legacy_docstore(path: Path) -> None:
    """Turn a docstore into the layout before the lexical index: no id/terms/facets columns,
    no FTS5 table or triggers, no version in meta."""
    import sqlite3

    db = sqlite3.connect(path)
    with db:
        for statement in (
            "DROP TRIGGER chunks_lexical_ai",
            "DROP TRIGGER chunks_lexical_ad",
            "DROP TRIGGER chunks_lexical_au",
            "DROP TABLE lexical",
            "DROP TABLE lexical_postings",
            "DROP TABLE lexical_segments",
            "ALTER TABLE chunks RENAME TO chunks_new",
            "CREATE TABLE chunks (doc_id TEXT NOT NULL, idx INTEGER NOT NULL, start INTEGER NOT"
            " NULL, end INTEGER NOT NULL, chunk_id TEXT, PRIMARY KEY (doc_id, idx))",
            "INSERT INTO chunks SELECT doc_id, idx, start, end, chunk_id FROM chunks_new",
            "DROP TABLE chunks_new",
            "CREATE UNIQUE INDEX chunks_id ON chunks(chunk_id)",
            "DELETE FROM meta WHERE key IN ('lexical_index', 'last_chunk_row')",
        ):
            db.execute(statement)
    db.close()
