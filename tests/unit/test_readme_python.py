"""The README's "Python API" section runs as written (models swapped for fakes): both styles,
NewsRAG and LlamaIndex, plain LlamaIndex opening the store, and the library."""

from __future__ import annotations

import re

import rag.models
from tests.conftest import REPO, SAMPLE, ingest_paths
from tests.fakes import FakeEmbedder, FakeLlamaEmbedding


def _python_blocks(section: str) -> list[str]:
    text = (REPO / "README.md").read_text()
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", body, re.S)


def test_the_python_section_shows_both_styles():
    blocks = _python_blocks("Python API")
    assert len(blocks) == 4
    assert "rag.ask(" in blocks[0] and "as_query_engine(" in blocks[1]
    assert "ChromaVectorStore(chroma_collection=" in blocks[2]
    assert "library.ingest(" in blocks[3] and "library.remove(" in blocks[3]


def test_the_python_section_runs_as_written(settings, store, fake_backends, monkeypatch, capsys):
    ingest_paths(settings, store, FakeEmbedder(), SAMPLE)
    # `NewsRAG.from_settings(Settings())` as written: the settings choose the fake LLM and
    # embedder (fake_backends) and this test's store; only plain LlamaIndex's own embedding
    # model is swapped below.
    monkeypatch.setenv("NEWSRAG_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("NEWSRAG_REFERENCE_DATE", str(settings.reference_date))
    monkeypatch.chdir(REPO)  # the README's paths are relative to the checkout
    monkeypatch.setattr(
        "llama_index.embeddings.huggingface.HuggingFaceEmbedding",
        lambda *args, **kwargs: FakeLlamaEmbedding(),
    )
    monkeypatch.setattr(rag.models, "resolve", lambda name, settings: name)
    scope: dict = {}
    for block in _python_blocks("Python API"):
        exec(compile(block, "README.md", "exec"), scope)  # one script, as a reader runs it
    out = capsys.readouterr().out
    assert "2,000 peacekeepers" in scope["answer"].text and "2,000" in out
    response = scope["response"]
    assert response.metadata["answer"].text == str(response) and response.source_nodes
    assert "2,000 peacekeepers" in response.source_nodes[0].node.metadata["sentence"]
    assert str(scope["streaming"]) == scope["streaming"].metadata["answer"].text
    assert scope["tool"].call("How many peacekeepers did Moscow deploy?").raw_output.source_nodes
    assert "Defense Ministry" in scope["reply"].metadata["answer"].standalone_question
    assert len(scope["nodes"]) == 3 and all(n.node.ref_doc_id for n in scope["nodes"])
    assert scope["done"].report.ok and scope["done"].report.unchanged  # ingested before
    left = {a["doc_id"] for a in scope["library"].articles()}
    assert len(scope["removed"]) == 1 and scope["removed"][0] not in left
