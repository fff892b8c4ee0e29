"""The scale-out path end to end: Chroma as a `chroma run` server, the embedder and the LLM
each behind their own OpenAI-compatible `llama_cpp.server` (README, "Scaling out"), and a
question asked through NewsRAG touching all three."""

from __future__ import annotations

import pytest

from rag.settings import Settings
from tests.conftest import SAMPLE
from tests.integration.test_embeddings_http import (
    PATIENT_TIMEOUT_S,
    SERVER_FLAVOURS,
    SERVER_MODEL,
    llama_server,
)
from tests.integration.test_ingest_real import chroma_server  # noqa: F401  (a fixture)

pytestmark = pytest.mark.slow


def test_a_question_answered_through_chroma_embedding_and_llm_servers(
    chroma_server,  # noqa: F811
    tmp_path,
):
    from ingest.pipeline import Ingestor
    from rag.embeddings import HttpEmbedder
    from rag.engine import NewsRAG

    embed_args = ["--embedding", "true", "--n_ctx", "1024", *SERVER_FLAVOURS["pooled"]]
    llm_log = tmp_path / "llm.log"
    with (
        llama_server(embed_args, tmp_path / "embed.log") as embed_url,
        llama_server(["--n_ctx", "2048"], llm_log) as llm_url,
    ):
        settings = Settings(
            data_dir=tmp_path / "data",
            chroma_mode="http",
            chroma_port=chroma_server,
            embed_backend="http",
            embed_url=embed_url,
            embed_model=SERVER_MODEL,
            embed_timeout_s=PATIENT_TIMEOUT_S,
            llm_backend="openai_like",
            openai_base_url=llm_url,
            llm_model=SERVER_MODEL,
            llm_context=2048,
            llm_max_tokens=64,
            reference_date="2023-11-25",
        )
        rag = NewsRAG.from_settings(settings)
        assert isinstance(rag.embedder, HttpEmbedder)
        assert rag.store.summary()["chroma"].startswith("http")
        article = SAMPLE / "man-united-takeover-ratcliffe.txt"
        others = [SAMPLE / "inter-miami-fc-cincinnati.txt", SAMPLE / "ftx-sbf-trial-timeline.txt"]
        report = Ingestor(settings, rag.store, rag.embedder).run([str(article), *map(str, others)])
        assert len(report.added) == 3 and not report.failed

        answer = rag.ask("Who is buying a stake in Manchester United?")
        assert "man-utd-takeover" in answer.retrieved[0].chunk.meta["url"]
        assert answer.raw_text.strip()  # the server model wrote a reply
        assert answer.model == SERVER_MODEL
    assert "/v1/chat/completions" in llm_log.read_text()
