"""Embeddings over HTTP for real: `python -m llama_cpp.server --embedding true` on loopback
(SmolLM2-135M, the smallest registered GGUF), two sample articles ingested through newsrag
with the http backend into a temporary store, then retrieved."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np
import pytest

from rag.embeddings import HttpEmbedder, build_embedder, check_dimension
from rag.errors import ConfigError
from rag.models import resolve
from rag.settings import Settings
from tests.conftest import SAMPLE

pytestmark = pytest.mark.slow

SERVER_MODEL = "smollm2-135m-instruct"
# Loading a 100 MB GGUF takes seconds; on a 2-core machine busy with other work, minutes.
READY_TIMEOUT_S = 600.0
# The test checks what comes back, not how fast: a CPU server on a busy 2-core machine may
# take minutes for one batch.
PATIENT_TIMEOUT_S = 900.0
ARTICLES = ("inter-miami-fc-cincinnati", "ftx-sbf-trial-timeline")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# As the llama-cpp-python docs start it (a chat GGUF has no pooling type, so it answers one
# vector per token), and told to mean-pool itself (so it can batch).
SERVER_FLAVOURS = {"per-token": [], "pooled": ["--kv_overrides", "llama.pooling_type=int:1"]}


@contextmanager
def llama_server(args: list[str], log_path: Path) -> Iterator[str]:
    """`python -m llama_cpp.server` (SmolLM2) on a free loopback port with ``args``: its
    OpenAI base URL once it answers; stopped afterwards."""
    gguf = resolve(SERVER_MODEL, Settings())
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), *args]
    command += ["--n_threads", "1", "--port", str(port), "--host", "127.0.0.1"]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited: {log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server not ready in {READY_TIMEOUT_S:g} s")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module", params=list(SERVER_FLAVOURS))
def embedding_server(request, tmp_path_factory):
    """(flavour, the server's OpenAI base URL) for each way of starting it."""
    args = ["--embedding", "true", "--n_ctx", "1024", *SERVER_FLAVOURS[request.param]]
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    with llama_server(args, log_path) as base:
        yield request.param, base


@pytest.fixture
def two_articles(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    for stem in ARTICLES:
        for suffix in (".txt", ".meta.json"):
            shutil.copy(SAMPLE / f"{stem}{suffix}", folder / f"{stem}{suffix}")
    return folder


def test_ingest_and_retrieve_with_embeddings_from_a_llama_cpp_server(
    embedding_server, two_articles, tmp_path
):
    flavour, url = embedding_server
    from ingest.pipeline import Ingestor
    from rag.engine import NewsRAG
    from rag.store import Store

    settings = Settings(
        data_dir=tmp_path / "data",
        embed_backend="http",
        embed_url=url,
        embed_model=SERVER_MODEL,
        embed_batch_size=4,
        embed_timeout_s=PATIENT_TIMEOUT_S,
        reference_date="2023-11-25",
    )
    store = Store(settings)
    try:
        embedder = build_embedder(settings, store)
        assert isinstance(embedder, HttpEmbedder)
        report = Ingestor(settings, store, embedder).run([str(two_articles)])
        assert len(report.added) == 2 and not report.failed
        # A server answering per token is asked one text at a time (see HttpEmbedder).
        assert embedder._per_token == (flavour == "per-token")
        # The stored vectors are the server's: SmolLM2's 576 dimensions, not MiniLM's 384.
        assert store.vector_dimension() == embedder.dim == 576
        vectors = embedder.embed(["Messi plays for Inter Miami", "FTX collapsed"])
        assert vectors.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)

        # The stored vectors are what the server makes of each chunk's text: embedding a
        # chunk's text again finds that very chunk first, at cosine ~1.
        for chunk in store.all_chunks():
            text = f"{chunk.meta['title']}\n{chunk.text}"
            (top, similarity), *_ = store.query(embedder.embed([text])[0], 1)
            assert top.chunk_id == chunk.chunk_id and similarity > 0.999

        # Hybrid retrieval through NewsRAG finds the right article for each question. (A
        # mean-pooled 135M chat model is no semantic embedder, so the ranking leans on BM25;
        # a real embedding model behind the same server is what production would use.)
        questions = {
            "How did Inter Miami do against FC Cincinnati with Messi?": "inter-miami",
            "Why is Sam Bankman-Fried on trial for fraud after FTX collapsed?": "ftx-lawsuit",
        }
        rag = NewsRAG(settings, store, embedder, llm=None)
        for question, want in questions.items():
            hits, _, _ = rag.retrieve(question, top_k=3)
            assert want in hits[0].chunk.meta["url"], question
            assert all(h.dense is not None for h in hits)  # cosines from the server's vectors

        # The same store refuses an embedder of another size (a local MiniLM, say).
        class MiniLMSized:
            name, dim = "all-minilm-l6-v2", 384

            def embed(self, texts, batch_size=None):
                return np.zeros((len(texts), 384), dtype=np.float32)

        with pytest.raises(ConfigError, match="holds 576-dimensional vectors"):
            check_dimension(MiniLMSized(), store)
        embedder.close()
    finally:
        store.close()
