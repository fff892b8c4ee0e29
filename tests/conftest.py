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


@pytest.fixture
def fake_embedder():
    from tests.fakes import FakeEmbedder

    return FakeEmbedder()


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
